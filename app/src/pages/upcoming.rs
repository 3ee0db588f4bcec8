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
pub fn CreateCustomerPage() -> impl IntoView {
    view! {
        <Upcoming
            title="Create New Customer"
            summary="Create a customer in four steps."
            items=&[
                "Customer Details: name, product type, reference, country, notes, trial and in-house",
                "Primary User, PBX Details and Role Assignment",
            ]
        />
    }
}

#[component]
pub fn CustomerPage() -> impl IntoView {
    view! {
        <Upcoming
            title="Customer"
            summary="Everything about one customer, in tabs."
            items=&["Details, Users, PBX and Activity", "Disable, re-enable and terminate"]
        />
    }
}

#[component]
pub fn PbxTemplatesPage() -> impl IntoView {
    view! {
        <Upcoming
            title="PBX Templates"
            summary="Shared settings for the phone systems your customers use."
            items=&["Kazoo, 3CX and Microsoft Teams templates with encrypted master credentials", "A default template preselected in the create wizard"]
        />
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    view! {
        <Upcoming
            title="Users"
            summary="The people of your company who sign in to this portal."
            items=&["Invite users and choose their permissions", "Deactivate users and reset access"]
        />
    }
}

#[component]
pub fn BillingPage() -> impl IntoView {
    view! {
        <Upcoming
            title="Billing"
            summary="Monthly billing runs for your customers."
            items=&["One line per billable customer, prorated by day", "Download as CSV or JSON"]
        />
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
