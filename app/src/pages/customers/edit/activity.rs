//! The customer page's Activity tab: the customer's activity log.

use crate::api::customers::customer_activity;
use crate::components::error_panel::ErrorPanel;
use leptos::either::EitherOf3;
use leptos::prelude::*;

#[component]
pub(super) fn ActivityTab(id: String) -> impl IntoView {
    let entries = LocalResource::new(move || customer_activity(id.clone()));
    view! {
        <h2>"Activity"</h2>
        <Transition fallback=|| view! { <p class="page-loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match entries.await {
                    Ok(list) if list.is_empty() => EitherOf3::A(view! { <p class="empty-state">"Nothing has happened yet."</p> }),
                    Ok(list) => EitherOf3::B(view! {
                        <ol class="activity">
                            {list.into_iter().map(|e| view! {
                                <li>
                                    <time>{e.at}</time>
                                    <span class="actor">{e.actor}</span>
                                    <span class="summary">{e.summary}</span>
                                </li>
                            }).collect_view()}
                        </ol>
                    }),
                    Err(error) => EitherOf3::C(view! { <ErrorPanel error /> }),
                }
            })}
        </Transition>
    }
}
