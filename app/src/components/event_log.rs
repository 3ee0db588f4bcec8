//! An activity log, newest first: the first page, then "Show older" for each next one. Used by
//! the customer page's Activity tab and the reseller's Activity page.

use crate::components::error_panel::ErrorPanel;
use crate::AppError;
use leptos::either::EitherOf4;
use leptos::prelude::*;
use model::events::{EventEntry, EventPage, EventType};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The log `load` gives page by page: `load(None)` the newest page, `load(Some(cursor))` the
/// one older than `cursor`. When `load` reads signals (a filter), a change starts over.
#[component]
pub fn EventLog<F, Fut>(
    load: F,
    /// What an empty log says.
    #[prop(into)]
    empty: String,
    /// Whether each entry names its customer (the reseller's log does; a customer's does not).
    #[prop(optional)]
    show_customer: bool,
) -> impl IntoView
where
    F: Fn(Option<String>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<EventPage, AppError>> + 'static,
{
    let first = LocalResource::new({
        let load = load.clone();
        move || load(None)
    });
    // Pages fetched with "Show older", after the first; reset whenever the first reloads.
    let older = RwSignal::new(Vec::<EventEntry>::new());
    let cursor = RwSignal::new(None::<Option<String>>);
    // "Show older": one page at a time (a press while one loads does nothing); a failure is
    // shown above the button, which stays to try again.
    let loading = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    // Which first page the older ones belong to: bumped whenever the first reloads (a new
    // filter), so a page asked for before that is dropped when it arrives instead of being
    // appended to a log it is not part of, and the new log's button is free at once.
    let generation = Arc::new(AtomicU64::new(0));
    let show_older = Callback::new({
        let generation = generation.clone();
        move |before: String| {
            if loading.get_untracked() {
                return;
            }
            loading.set(true);
            failed.set(None);
            let page = load(Some(before));
            let asked_in = generation.load(Ordering::Relaxed);
            let generation = generation.clone();
            leptos::task::spawn_local(async move {
                let page = page.await;
                if generation.load(Ordering::Relaxed) != asked_in {
                    return;
                }
                loading.set(false);
                match page {
                    Ok(page) => {
                        older.update(|list| list.extend(page.entries));
                        cursor.set(Some(page.older));
                    }
                    Err(error) => failed.set(Some(error)),
                }
            });
        }
    });
    Effect::new(move |_| {
        first.track();
        generation.fetch_add(1, Ordering::Relaxed);
        older.set(Vec::new());
        cursor.set(None);
        failed.set(None);
        loading.set(false);
    });
    // Rendered straight from the resource (no `Transition`/`Suspend`, and the older pages as
    // one list rather than a keyed `For`): the log only ever grows at its end, and each of those
    // framework views is generic code a route's chunk would carry for this one list. The
    // resource keeps its last page while a new filter loads, as a transition would.
    move || match first.get() {
        None => EitherOf4::A(view! { <p class="page-loading" role="status">"Loading…"</p> }),
        Some(Ok(page)) if page.entries.is_empty() => EitherOf4::B(view! { <p class="empty-state">{empty.clone()}</p> }),
        Some(Ok(page)) => {
            let EventPage { entries, older: first_older } = page;
            let next = move || cursor.get().unwrap_or_else(|| first_older.clone());
            EitherOf4::C(view! {
                <ol class="activity">
                    {entries.into_iter().map(|e| view! { <Entry e show_customer /> }).collect_view()}
                    {move || older.get().into_iter().map(|e| view! { <Entry e show_customer /> }).collect_view()}
                </ol>
                {move || failed.get().map(|error| view! { <ErrorPanel error /> })}
                {move || next().map(|before| view! {
                    <button type="button" class="secondary" disabled=move || loading.get()
                        on:click=move |_| show_older.run(before.clone())>
                        {move || if loading.get() { "Loading…" } else { "Show older" }}
                    </button>
                })}
            })
        }
        Some(Err(error)) => EitherOf4::D(view! { <ErrorPanel error /> }),
    }
}

#[component]
fn Entry(e: EventEntry, show_customer: bool) -> impl IntoView {
    let kind = EventType::parse(&e.event_type).map(EventType::label).unwrap_or_default();
    let customer = e.customer.filter(|_| show_customer).map(|(id, name)| {
        let label = if name.is_empty() { id.clone() } else { name };
        view! { <a class="customer" href=format!("/customers/{id}")>{label}</a> }
    });
    view! {
        <li data-event-type=e.event_type.clone()>
            <time>{e.at}</time>
            <span class="actor">{e.actor}</span>
            <span class="event-type">{kind}</span>
            {customer}
            <span class="summary">{e.summary}</span>
        </li>
    }
}
