//! The customer page's Activity tab: the customer's events, newest first, a page at a time,
//! and a link to the reseller's Activity page filtered by this customer.

use crate::api::customers::customer_activity;
use crate::components::event_log::EventLog;
use leptos::prelude::*;

#[component]
pub(super) fn ActivityTab(id: String) -> impl IntoView {
    let all = format!("/activity?customer={}", model::url::encode_query_value(&id));
    let load = move |before: Option<String>| customer_activity(id.clone(), before);
    view! {
        <div class="tab-header">
            <h2>"Activity"</h2>
            <a class="link-button" href=all>
                "All activity of this customer"
            </a>
        </div>
        <EventLog load empty="Nothing has happened yet." />
    }
}
