//! Demo mode only: the emails the portal has queued (there is no SMTP server in the demo).

use leptos::prelude::*;

#[component]
pub fn OutboxPage() -> impl IntoView {
    view! { <h1>"Outbox"</h1> }
}
