//! Sections of the portal whose features arrive with later work. Each says what it will hold,
//! so a reseller exploring the navigation is never met by a blank page.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
fn Upcoming(title: &'static str, summary: &'static str, items: &'static [&'static str]) -> impl IntoView {
    view! {
        <Title text=title />
        <div class="page-header"><h1>{title}</h1></div>
        <section class="card upcoming">
            <p>{summary}</p>
            <ul>{items.iter().map(|i| view! { <li>{*i}</li> }).collect_view()}</ul>
            <p class="muted">"This section is being built and will appear here."</p>
        </section>
    }
}

#[component]
pub fn ApiAccessPage() -> impl IntoView {
    view! {
        <Upcoming
            title="API Access"
            summary="Credentials for provisioning customers from your own systems."
            items=&["Create and revoke client credentials for the REST provisioning API", "See when each credential was last used"]
        />
    }
}
