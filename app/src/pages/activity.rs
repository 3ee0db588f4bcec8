//! `/activity`: the reseller's activity log — every recorded change, newest first, filtered by
//! actor, customer, event type and days. The filter lives in the URL query (`actor`,
//! `customer`, `types`, `from`, `to`), so Back, Forward, reloads and links keep it; "Apply"
//! puts the form's filter there. "Export CSV" downloads the same filter's events.

use crate::api::activity::activity_page;
use crate::components::event_log::EventLog;
use crate::components::form::{SelectField, TextField};
use crate::components::form_state::FormState;
use crate::AppError;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use model::events::{EventFilter, EventType};

/// The filter a URL query names (missing keys are empty).
fn from_query(params: &leptos_router::params::ParamsMap) -> EventFilter {
    let get = |key: &str| params.get_str(key).unwrap_or_default().to_string();
    EventFilter { actor: get("actor"), customer: get("customer"), types: get("types"), from: get("from"), to: get("to") }
}

/// `filter` without the spaces around its values (what is applied and checked).
fn trimmed(filter: &EventFilter) -> EventFilter {
    EventFilter {
        actor: filter.actor.trim().to_string(),
        customer: filter.customer.trim().to_string(),
        types: filter.types.trim().to_string(),
        from: filter.from.trim().to_string(),
        to: filter.to.trim().to_string(),
    }
}

/// `?actor=…&customer=…` with the filter's non-empty fields, or nothing: the page's query and
/// the export's.
pub fn query_string(filter: &EventFilter) -> String {
    let pairs = [
        ("actor", &filter.actor),
        ("customer", &filter.customer),
        ("types", &filter.types),
        ("from", &filter.from),
        ("to", &filter.to),
    ];
    model::url::query_string(pairs.into_iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k, v.clone())))
}

#[component]
pub fn ActivityPage() -> impl IntoView {
    let params = use_query_map();
    // The filter in force: the URL's.
    let applied = Memo::new(move |_| params.with(from_query));
    let filtered = Memo::new(move |_| applied.with(|f| *f != EventFilter::default()));
    let valid = Memo::new(move |_| applied.with(|f| trimmed(f).validate().is_empty()));
    let form = FormState::new(applied.get_untracked(), |f: &EventFilter| trimmed(f).validate());

    // Back, Forward or a link changed the URL: the form shows its filter. A URL whose filter
    // cannot be applied shows why beside the fields.
    Effect::new(move |_| {
        let filter = applied.get();
        if form.get_untracked() != filter {
            form.reset(filter.clone());
        }
        if !trimmed(&filter).validate().is_empty() {
            form.show_all();
        }
    });

    let navigate = use_navigate();
    let go = move |filter: &EventFilter| {
        navigate(&format!("/activity{}", query_string(filter)), NavigateOptions { scroll: false, ..Default::default() });
    };
    let apply = {
        let go = go.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if form.attempt() {
                go(&trimmed(&form.get_untracked()));
            }
        }
    };
    let clear = move |_| {
        form.reset(EventFilter::default());
        if filtered.get_untracked() {
            go(&EventFilter::default());
        }
    };

    let load = move |before: Option<String>| {
        let filter = trimmed(&applied.get());
        async move {
            let result = activity_page(filter, before).await;
            // The server's verdict on a field goes beside it, as in every form.
            if let Err(AppError::Invalid(found)) = &result {
                form.refuse(found.clone());
            }
            result
        }
    };

    let (actor, on_actor) = form.text("actor", |f| &f.actor, |f| &mut f.actor);
    let (customer, on_customer) = form.text("customer", |f| &f.customer, |f| &mut f.customer);
    let (types, on_types) = form.text("types", |f| &f.types, |f| &mut f.types);
    let (from, on_from) = form.text("from", |f| &f.from, |f| &mut f.from);
    let (to, on_to) = form.text("to", |f| &f.to, |f| &mut f.to);
    let type_options = Signal::derive(move || {
        let mut options: Vec<(String, String)> = EventType::ALL.iter().map(|t| (t.as_str().to_string(), t.label().to_string())).collect();
        // A link may name several types (or one this version does not know): keep it choosable.
        let current = types.get();
        if !current.is_empty() && EventType::parse(&current).is_none() {
            let labels: Vec<&str> = current.split(',').map(str::trim).filter_map(EventType::parse).map(EventType::label).collect();
            let label = if labels.is_empty() { current.clone() } else { labels.join(", ") };
            options.insert(0, (current, label));
        }
        options
    });

    view! {
        <Title text="Activity" />
        <div class="page-header">
            <h1>"Activity"</h1>
            <a class="link-button" href=move || format!("/activity/export{}", query_string(&applied.get())) download="activity.csv">
                "Export CSV"
            </a>
        </div>
        <p class="page-intro muted">"Every change made in this portal and through the API, newest first: who did what, and to which customer."</p>
        <section class="card activity-filters" aria-labelledby="activity-filters-title">
            <h2 id="activity-filters-title" class="visually-hidden">"Filters"</h2>
            <form novalidate on:submit=apply>
                <div class="filter-fields">
                    <TextField id="activity-actor" label="Actor" value=actor on_input=on_actor autocomplete="off"
                        hint="Part of a name." error=form.error("actor") />
                    <TextField id="activity-customer" label="Customer" value=customer on_input=on_customer autocomplete="off"
                        hint="A Tenant ID, as on the customer's page." error=form.error("customer") />
                    <SelectField id="activity-type" label="Event type" value=types on_change=on_types options=type_options
                        placeholder=Some("All event types") error=form.error("types") />
                    <TextField id="activity-from" label="From" value=from on_input=on_from autocomplete="off"
                        hint="YYYY-MM-DD, the first day." error=form.error("from") />
                    <TextField id="activity-to" label="To" value=to on_input=on_to autocomplete="off"
                        hint="YYYY-MM-DD, the last day." error=form.error("to") />
                </div>
                <div class="form-actions">
                    <button type="submit" class="primary">"Apply"</button>
                    <button type="button" class="link-button" on:click=clear>"Clear"</button>
                </div>
            </form>
        </section>
        <section class="card activity-log" aria-label="Events">
            {move || {
                if !valid.get() {
                    return Either::Left(view! { <p class="form-error" role="alert">"Correct the filters above to see the activity."</p> });
                }
                let empty = if filtered.get() { "No activity matches these filters." } else { "Nothing has happened yet." };
                Either::Right(view! { <EventLog load=load.clone() empty show_customer=true /> })
            }}
        </section>
    }
}
