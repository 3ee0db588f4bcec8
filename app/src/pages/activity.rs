//! `/activity`: the reseller's activity log — every recorded change, newest first, filtered by
//! actor, customer, event type and days. The filter lives in the URL query (`actor`,
//! `customer`, `types`, `from`, `to`), so Back, Forward, reloads and links keep it. The page
//! opens on the log: the filters in force are listed above it, each with a link that removes it,
//! and "Filters" opens the form that changes them ("Apply" puts its filter in the URL). The
//! form's code is a chunk of its own, fetched when "Filters" is pointed at or focused; a URL
//! whose filter cannot be applied opens it at once, to say why beside the fields. "Export CSV"
//! downloads the same filter's events.

use crate::api::activity::activity_page;
use crate::components::event_log::EventLog;
use crate::components::focus::focus_later;
use crate::components::form::{SelectField, TextField};
use crate::components::form_state::FormState;
use crate::components::on_demand::on_demand;
use crate::AppError;
use leptos::either::Either;
use leptos::lazy;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use model::events::{EventFilter, EventType};
use model::FieldErrors;

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

/// How the event types a filter names read: their labels, or the text itself if it names none.
fn types_label(types: &str) -> String {
    let labels: Vec<&str> = types.split(',').map(str::trim).filter_map(EventType::parse).map(EventType::label).collect();
    if labels.is_empty() { types.to_string() } else { labels.join(", ") }
}

/// The filters in force, each as it reads ("Actor: dana") and the address without it.
fn in_force(filter: &EventFilter) -> Vec<(String, String)> {
    let filter = trimmed(filter);
    let fields: [(&str, fn(&mut EventFilter) -> &mut String); 5] = [
        ("Actor", |f| &mut f.actor),
        ("Customer", |f| &mut f.customer),
        ("Event type", |f| &mut f.types),
        ("From", |f| &mut f.from),
        ("To", |f| &mut f.to),
    ];
    fields
        .into_iter()
        .filter_map(|(name, field)| {
            let mut without = filter.clone();
            let value = std::mem::take(field(&mut without));
            if value.is_empty() {
                return None;
            }
            let shown = if name == "Event type" { types_label(&value) } else { value };
            Some((format!("{name}: {shown}"), format!("/activity{}", query_string(&without))))
        })
        .collect()
}

#[component]
pub fn ActivityPage() -> impl IntoView {
    let params = use_query_map();
    // The filter in force: the URL's.
    let applied = Memo::new(move |_| params.with(from_query));
    let filtered = Memo::new(move |_| applied.with(|f| *f != EventFilter::default()));
    let valid = Memo::new(move |_| applied.with(|f| trimmed(f).validate().is_empty()));
    // The form is shown on request, or by itself when the URL's filter cannot be applied (or
    // the server refused it), to say why beside its fields. It is built in the browser only,
    // the first time it is shown, and then kept (hidden when closed, edits and all).
    let open = RwSignal::new(false);
    let refused = RwSignal::new(None::<FieldErrors>);
    let focus_first = StoredValue::new(false);
    let in_browser = RwSignal::new(false);
    Effect::new(move |_| in_browser.set(true));
    Effect::new(move |_| {
        if !valid.get() {
            open.set(true);
        }
    });
    let wanted = Memo::new(move |was: Option<&bool>| was.copied().unwrap_or(false) || (open.get() && in_browser.get()));
    let toggle = move |_| {
        let now = !open.get_untracked();
        let built = wanted.get_untracked();
        // Once its code has arrived, a form built by this press focuses its first field itself.
        focus_first.set_value(now && !built);
        open.set(now);
        if now && built {
            focus_later("activity-actor");
        }
    };

    let load = move |before: Option<String>| {
        let filter = trimmed(&applied.get());
        async move {
            let result = activity_page(filter, before).await;
            // The server's verdict on a field goes beside it, as in every form.
            if let Err(AppError::Invalid(found)) = &result {
                refused.set(Some(found.clone()));
                open.set(true);
            }
            result
        }
    };

    view! {
        <Title text="Activity" />
        <div class="page-header">
            <h1>"Activity"</h1>
            <a class="link-button" href=move || format!("/activity/export{}", query_string(&applied.get())) download="activity.csv">
                "Export CSV"
            </a>
        </div>
        <p class="page-intro muted">"Every change made in this portal and through the API, newest first: who did what, and to which customer."</p>
        <div class="filter-bar">
            <button type="button" id="activity-filters-toggle" aria-controls="activity-filters" aria-expanded=move || open.get().to_string()
                on:pointerenter=preload_form on:focus=preload_form on:click=toggle>
                "Filters"
            </button>
            {move || {
                let chips = applied.with(in_force);
                (!chips.is_empty()).then(|| view! {
                    <ul class="filter-chips" aria-label="Filters in force">
                        {chips.into_iter().map(|(text, href)| view! {
                            <li><a class="chip" href=href aria-label=format!("Remove filter {text}")>{text.clone()}<span aria-hidden="true">" ×"</span></a></li>
                        }).collect_view()}
                    </ul>
                    <a class="link-button" href="/activity">"Clear all"</a>
                })
            }}
        </div>
        <section id="activity-filters" class="card activity-filters" aria-labelledby="activity-filters-title" hidden=move || !open.get()>
            <h2 id="activity-filters-title" class="visually-hidden">"Filters"</h2>
            {move || wanted.get().then(|| on_demand(move || filter_form(applied, refused, focus_first.get_value())))}
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

#[lazy]
fn filter_form(applied: Memo<EventFilter>, refused: RwSignal<Option<FieldErrors>>, focus: bool) -> AnyView {
    view! { <FilterForm applied refused focus /> }.into_any()
}

/// Starts fetching the filter form's code ("Filters" is about to be pressed).
fn preload_form<E>(_: E) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(__preload_filter_form());
}

/// The filter's fields, showing the URL's filter (and following it on Back and Forward).
#[component]
fn FilterForm(applied: Memo<EventFilter>, refused: RwSignal<Option<FieldErrors>>, focus: bool) -> impl IntoView {
    let filtered = Memo::new(move |_| applied.with(|f| *f != EventFilter::default()));
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
    Effect::new(move |_| {
        if let Some(found) = refused.get() {
            form.refuse(found);
        }
    });
    if focus {
        focus_later("activity-actor");
    }

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
            let label = types_label(&current);
            options.insert(0, (current, label));
        }
        options
    });

    view! {
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(actor: &str, customer: &str, types: &str, from: &str, to: &str) -> EventFilter {
        EventFilter { actor: actor.into(), customer: customer.into(), types: types.into(), from: from.into(), to: to.into() }
    }

    #[test]
    fn no_filter_lists_no_chips() {
        assert!(in_force(&EventFilter::default()).is_empty());
        assert!(in_force(&filter("  ", "", " ", "", "")).is_empty(), "blank values are no filter");
    }

    #[test]
    fn each_chip_reads_as_its_filter_and_links_to_the_address_without_it() {
        let chips = in_force(&filter(" dana ", "T-42", "customer.created", "2026-01-01", ""));
        assert_eq!(
            chips,
            vec![
                ("Actor: dana".to_string(), "/activity?customer=T-42&types=customer.created&from=2026-01-01".to_string()),
                ("Customer: T-42".to_string(), "/activity?actor=dana&types=customer.created&from=2026-01-01".to_string()),
                ("Event type: Customer created".to_string(), "/activity?actor=dana&customer=T-42&from=2026-01-01".to_string()),
                ("From: 2026-01-01".to_string(), "/activity?actor=dana&customer=T-42&types=customer.created".to_string()),
            ]
        );
        assert_eq!(in_force(&filter("", "", "", "", "2026-02-01")), vec![("To: 2026-02-01".to_string(), "/activity".to_string())]);
    }

    #[test]
    fn event_types_read_as_their_labels_and_unknown_ones_as_written() {
        let chips = in_force(&filter("", "", "customer.created,pbx.sync_failed", "", ""));
        assert_eq!(chips[0].0, "Event type: Customer created, PBX sync failed");
        let chips = in_force(&filter("", "", "no.such_type", "", ""));
        assert_eq!(chips[0].0, "Event type: no.such_type");
    }

    #[test]
    fn values_in_the_remaining_address_are_encoded() {
        let chips = in_force(&filter("a&b=c", "Zoë", "", "", ""));
        assert_eq!(chips[0].1, "/activity?customer=Zo%C3%AB");
        assert_eq!(chips[1].1, "/activity?actor=a%26b%3Dc");
    }
}
