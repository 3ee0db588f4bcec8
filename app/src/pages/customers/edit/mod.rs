//! `/customers/{tenant id}`: one customer, in tabs (Details, Users, PBX, Activity). The tab
//! lives in the URL (`?tab=users`), so it survives a reload and can be linked to.

mod activity;
mod details;
mod pbx;
mod users;

use activity::ActivityTab;
use details::DetailsTab;
use pbx::PbxTab;
use users::UsersTab;
use crate::api::customers::load_customer;
use crate::components::error_panel::ErrorPanel;
use crate::components::on_demand::on_demand;
use super::lifecycle::{LifecycleNotices, MoreMenu};
use crate::AppError;
use leptos::either::EitherOf3;
use leptos::lazy;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use model::customer::CustomerStatus;
use model::customer_form::CustomerDetail;

const TABS: [(&str, &str); 4] = [("details", "Details"), ("users", "Users"), ("pbx", "PBX"), ("activity", "Activity")];

#[component]
pub fn CustomerPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let detail = crate::wire::resource(move || id.get(), load_customer);
    // After a life-cycle change (disable, terminate, trial) the page shows the customer anew.
    let reload = Callback::new(move |_| detail.refetch());
    #[cfg(feature = "ssr")]
    name_tab_for_preload(query.read_untracked().get("tab").as_deref());
    view! {
        <Suspense fallback=|| view! { <p class="page-loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => EitherOf3::A(view! { <Customer detail query reload /> }),
                    Err(AppError::NotFound) => EitherOf3::B(view! {
                        <Title text="Customer not found" />
                        <h1>"Customer not found"</h1>
                        <p>"There is no customer with this Tenant ID among yours."</p>
                        <p><a href="/customers">"Back to Customers"</a></p>
                    }),
                    Err(error) => EitherOf3::C(view! { <ErrorPanel error /> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Customer(detail: CustomerDetail, query: Memo<leptos_router::params::ParamsMap>, reload: Callback<()>) -> impl IntoView {
    let tab = Memo::new(move |_| query.read().get("tab").filter(|t| TABS.iter().any(|(k, _)| k == t)).unwrap_or_else(|| "details".into()));
    let created = move || query.read().get("created").is_some();
    let name = RwSignal::new(detail.details.name.clone());
    // The latest saved details: the Details tab is rebuilt from it whenever the user comes
    // back to it, so it never shows what was there before a save (nor its old version).
    let current = RwSignal::new(detail.clone());
    let id = detail.id.clone();
    let read_only = detail.status == CustomerStatus::Terminated;
    let status = detail.status;
    // The Users, PBX and Activity tabs fetch their data once the page runs in the browser:
    // their resources sit inside the page's own streamed Suspense, and hydrating nested
    // suspense boundaries there proved fragile. The server renders a loading line instead.
    let in_browser = RwSignal::new(false);
    Effect::new(move |_| in_browser.set(true));
    view! {
        // `try_get`: after a reload this page is rebuilt, while the old title may still be asked.
        <Title text=move || name.try_get().unwrap_or_default() />
        <div class="page-header">
            <div>
                <p class="breadcrumb"><a href="/customers">"Customers"</a></p>
                <h1>{move || name.get()} " " <span class=format!("status status-{}", status.as_str())>{status.label()}</span></h1>
                <p class="muted">"Tenant ID " <code>{id.clone()}</code> " · created " {detail.created_at.clone()} " by " {detail.created_by.clone()}</p>
            </div>
            {(!read_only).then(|| view! { <MoreMenu detail=detail.clone() reload /> })}
        </div>
        <LifecycleNotices detail=detail.clone() reload />
        {move || created().then(|| view! {
            <p class="notice success" role="status">"Customer created. The primary user's invitation is on its way."</p>
        })}
        {read_only.then(|| {
            let when = detail.terminate_on.clone().map(|day| format!(" on {day}")).unwrap_or_default();
            view! { <p class="notice" role="status">{format!("This customer was terminated{when}: its details can be viewed but not changed, and its PBX users are no longer synced.")}</p> }
        })}
        <nav class="tabs" aria-label="Customer sections">
            {TABS.iter().map(|(key, label)| {
                let key = *key;
                view! {
                    <a href=format!("?tab={key}") class="tab" aria-current=move || (tab.get() == key).then_some("page")>{*label}</a>
                }
            }).collect_view()}
        </nav>
        <section class="tab-panel card">
            {move || match (tab.get().as_str(), in_browser.get()) {
                ("details", _) => view! { <DetailsTab detail=current.get_untracked() current name read_only /> }.into_any(),
                (_, false) => view! { <p class="page-loading" role="status">"Loading…"</p> }.into_any(),
                ("users", true) => { let id = id.clone(); on_demand(move || users_tab(Some((id.clone(), read_only)))) }
                ("pbx", true) => { let id = id.clone(); on_demand(move || pbx_tab(Some((id.clone(), read_only)))) }
                _ => { let id = id.clone(); on_demand(move || activity_tab(Some(id.clone()))) }
            }}
        </section>
    }
}

// The Users, PBX and Activity tabs are chunks of their own (`cargo leptos build --split`): a
// visit that stays on Details never downloads them. Their links fetch them on hover or focus
// (`crate::routes::preload`). Called with `None`, a tab's function renders nothing: the server
// calls it so to name the tab's code among the page's preloads ([`name_tab_for_preload`]).

#[lazy]
fn users_tab(tab: Option<(String, bool)>) -> AnyView {
    let Some((id, read_only)) = tab else { return ().into_any() };
    view! { <UsersTab id read_only /> }.into_any()
}

#[lazy]
fn pbx_tab(tab: Option<(String, bool)>) -> AnyView {
    let Some((id, read_only)) = tab else { return ().into_any() };
    view! { <PbxTab id read_only /> }.into_any()
}

#[lazy]
fn activity_tab(tab: Option<String>) -> AnyView {
    let Some(id) = tab else { return ().into_any() };
    view! { <ActivityTab id /> }.into_any()
}

/// A page opened straight at a tab (`?tab=users`) names the tab's code in its preloads, so the
/// browser fetches it (one pack: the chunks the customer page's own pack does not hold) along
/// with the page's, instead of chunk by chunk once the page has hydrated. On the server a lazy
/// function only registers its code and returns at once: polled once, it is done.
#[cfg(feature = "ssr")]
fn name_tab_for_preload(tab: Option<&str>) {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    let mut registered: std::pin::Pin<Box<dyn Future<Output = AnyView>>> = match tab {
        Some("users") => Box::pin(users_tab(None)),
        Some("pbx") => Box::pin(pbx_tab(None)),
        Some("activity") => Box::pin(activity_tab(None)),
        _ => return,
    };
    let done = registered.as_mut().poll(&mut Context::from_waker(Waker::noop()));
    debug_assert!(matches!(done, Poll::Ready(_)), "a lazy function is ready at once on the server");
}

/// Starts fetching a tab's code when its link is about to be followed (`crate::routes::preload`).
#[cfg(feature = "hydrate")]
pub(crate) fn preload_tab(key: &str) {
    match key {
        "users" => leptos::task::spawn_local(__preload_users_tab()),
        "pbx" => leptos::task::spawn_local(__preload_pbx_tab()),
        "activity" => leptos::task::spawn_local(__preload_activity_tab()),
        _ => {}
    }
}

/// A conflict or other refusal, with a way to reload.
#[component]
pub(super) fn Problem(message: String, #[prop(optional)] reload: bool) -> impl IntoView {
    view! {
        <div class="form-error" role="alert">
            <p>{message}</p>
            {reload.then(|| view! {
                <button type="button" class="link-button" on:click=|_| { let _ = window().location().reload(); }>"Reload the saved version (your edits here are lost)"</button>
            })}
        </div>
    }
}
