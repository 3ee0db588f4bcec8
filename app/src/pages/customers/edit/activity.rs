//! The customer page's Activity tab: the customer's events, newest first, a page at a time.

use crate::api::customers::customer_activity;
use crate::components::event_log::EventLog;
use leptos::prelude::*;

#[component]
pub(super) fn ActivityTab(id: String) -> impl IntoView {
    let load = move |before: Option<String>| customer_activity(id.clone(), before);
    view! {
        <h2>"Activity"</h2>
        <EventLog load empty="Nothing has happened yet." />
    }
}
