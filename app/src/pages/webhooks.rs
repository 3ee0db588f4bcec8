//! `/webhooks` (Webhooks Administrator): the reseller's webhook endpoints. A list of endpoints
//! with their health; one form for adding and editing them (checked as the user types, with the
//! rules the server applies); the signing secret shown once after adding or rotating; a
//! confirmation dialog before rotating and before deleting; and each endpoint's delivery log,
//! opened in place, with "Resend" per delivery.
//!
//! The list is loaded once (rendered on the server); every change after that updates it in
//! place from the server's answer, so the endpoints' open logs and the keyboard focus stay where
//! they were.

use crate::api::outbox::demo_mode;
use crate::api::webhooks::{
    create_webhook, delete_webhook, list_webhooks, resend_webhook_delivery, rotate_webhook_secret, send_test_webhook, update_webhook, webhook_deliveries,
};
use crate::components::confirm::ConfirmDialog;
use crate::components::copy::CopyValue;
use crate::components::error_panel::{ErrorPanel, MissingPermission};
use crate::components::focus::focus_later;
use crate::components::form::{CheckField, TextField};
use crate::components::form_state::FormState;
use crate::components::on_demand::on_demand;
use crate::AppError;
use leptos::ev::{KeyboardEvent, SubmitEvent};
use leptos::lazy;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use model::events::EventType;
use model::webhooks::{DeliveryStatus, DeliveryView, EndpointForm, EndpointView, Health, WithSecret, MAX_ENDPOINTS};
use model::FieldErrors;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// The type of the event "Send test event" sends (not one of the stream's types).
const TEST_EVENT: &str = "webhook_endpoint.test";

/// How the form groups the event types: by the prefix of their names.
const GROUPS: [(&str, &str); 8] = [
    ("customer", "Customers"),
    ("customer_user", "Customer users"),
    ("pbx", "PBX"),
    ("billing", "Billing"),
    ("pbx_template", "PBX templates"),
    ("reseller_user", "Portal users"),
    ("api_client", "API credentials"),
    ("webhook_endpoint", "Webhooks"),
];

/// The event types in groups, in the order [`EventType::ALL`] lists them; a prefix without a
/// name here (a type added later) gets a group of its own named after it.
fn groups() -> Vec<(&'static str, Vec<EventType>)> {
    let mut groups: Vec<(&'static str, Vec<EventType>)> = Vec::new();
    for &t in EventType::ALL {
        let prefix = t.as_str().split('.').next().unwrap_or_default();
        let label = GROUPS.iter().find(|(p, _)| *p == prefix).map_or(prefix, |(_, label)| *label);
        match groups.iter_mut().find(|(l, _)| *l == label) {
            Some((_, types)) => types.push(t),
            None => groups.push((label, vec![t])),
        }
    }
    groups
}

/// How the page names an event type.
fn event_label(name: &str) -> String {
    if name == TEST_EVENT {
        return "Test event".to_owned();
    }
    EventType::parse(name).map_or_else(|| name.to_owned(), |t| t.label().to_owned())
}

/// An input id for an event type's checkbox, e.g. `webhook-type-customer-updated`.
fn type_input_id(t: EventType) -> String {
    format!("webhook-type-{}", t.as_str().replace(['.', '_'], "-"))
}

/// What the page loads: the endpoints, and whether http:// URLs are allowed (demo mode).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Loaded {
    endpoints: Vec<EndpointView>,
    demo: bool,
}

async fn load() -> Result<Loaded, AppError> {
    let endpoints = list_webhooks().await?;
    // Only decides whether the form accepts http:// as typed; the server decides for good.
    let demo = demo_mode().await.unwrap_or(false);
    Ok(Loaded { endpoints, demo })
}

#[component]
pub fn WebhooksPage() -> impl IntoView {
    // Created here, outside the Suspense that reads it, so it is created once.
    let loaded = crate::wire::resource(|| (), |_| load());
    // The header's "Add endpoint": offered once the list has loaded in the browser and holds an
    // endpoint (an empty list offers it in its own explanation).
    let can_add = RwSignal::new(false);
    let editing = RwSignal::new(None::<(Editing, Draft)>);
    view! {
        <Title text="Webhooks" />
        <div class="page-header">
            <h1 id="webhooks-heading" tabindex="-1">"Webhooks"</h1>
            {move || can_add.get().then(|| view! {
                <button type="button" id="add-webhook" class="primary" on:pointerenter=preload_editor on:focus=preload_editor on:click=move |_| open_new(editing)>"Add endpoint"</button>
            })}
        </div>
        <p class="muted page-intro">
            "A webhook sends your own system an HTTP POST the moment something changes in the portal: a customer created, "
            "a user added, a PBX sync that failed. Each request is signed, so your system can tell it came from the portal."
        </p>
        <Suspense fallback=|| view! { <p class="page-loading" role="status">"Loading webhooks…"</p> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok(page) => view! { <Board page can_add editing /> }.into_any(),
                    Err(AppError::Forbidden) => view! { <MissingPermission permission="Webhooks Administrator" holds="Webhook endpoints and their delivery logs" /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn open_new(editing: RwSignal<Option<(Editing, Draft)>>) {
    editing.set(Some((Editing { id: None, version: 0, url: String::new() }, Draft::new())));
}

/// The endpoints the page shows, and how many times this page has changed them.
///
/// Every change the page makes goes through [`Endpoints::put`], [`Endpoints::push`] or
/// [`Endpoints::remove`], from the server's answer. An open delivery log also re-reads the whole
/// list (for the endpoints' health); such a listing is applied only if the page changed nothing
/// while it was on its way. Otherwise a listing the server answered just before a "Disable" or
/// a "Delete" committed, but which arrived after its answer, would bring the endpoint back as it
/// was.
#[derive(Clone, Copy)]
struct Endpoints {
    list: RwSignal<Vec<EndpointView>>,
    changes: StoredValue<u64>,
}

/// Where a listing started: [`Endpoints::listed`] applies it only if nothing changed since.
struct ListingStart(u64);

impl Endpoints {
    fn new(list: Vec<EndpointView>) -> Self {
        Self { list: RwSignal::new(list), changes: StoredValue::new(0) }
    }

    fn changed(self) {
        self.changes.update_value(|n| *n += 1);
    }

    /// Replaces the endpoint with `view`'s id (if it is still listed).
    fn put(self, view: EndpointView) {
        self.changed();
        self.list.update(|list| {
            if let Some(slot) = list.iter_mut().find(|e| e.id == view.id) {
                *slot = view;
            }
        });
    }

    fn push(self, view: EndpointView) {
        self.changed();
        self.list.update(|list| list.push(view));
    }

    fn remove(self, id: i64) {
        self.changed();
        self.list.update(|list| list.retain(|e| e.id != id));
    }

    /// To be taken just before asking the server for the whole list.
    fn listing(self) -> ListingStart {
        ListingStart(self.changes.get_value())
    }

    /// Shows a listing the server sent, unless the page changed an endpoint since it started.
    fn listed(self, start: ListingStart, list: Vec<EndpointView>) {
        if self.changes.get_value() == start.0 {
            self.list.set(list);
        }
    }
}

/// A signing secret to show once.
#[derive(Clone, Debug)]
struct Shown {
    endpoint: EndpointView,
    secret: String,
    /// After a rotation (not a new endpoint).
    rotated: bool,
}

/// The loaded page: the endpoints, the form, the secret panel and the dialogs.
#[component]
fn Board(page: Loaded, can_add: RwSignal<bool>, editing: RwSignal<Option<(Editing, Draft)>>) -> impl IntoView {
    let Loaded { endpoints, demo } = page;
    let endpoints = Endpoints::new(endpoints);
    let list = endpoints.list;
    let notice = RwSignal::new(None::<String>);
    let shown = RwSignal::new(None::<Shown>);
    let to_delete = RwSignal::new(None::<EndpointView>);
    let to_rotate = RwSignal::new(None::<EndpointView>);
    Effect::new(move |_| {
        let count = list.with(Vec::len) as u64;
        can_add.set(count > 0 && count < MAX_ENDPOINTS);
    });
    let full = move || list.with(Vec::len) as u64 >= MAX_ENDPOINTS;

    let on_saved = Callback::new(move |saved: Saved| {
        editing.set(None);
        match saved {
            Saved::Created(WithSecret { endpoint, secret }) => {
                notice.set(None);
                endpoints.push(endpoint.clone());
                shown.set(Some(Shown { endpoint, secret, rotated: false }));
                focus_later("webhook-secret-title");
            }
            Saved::Updated(view) => {
                let id = view.id;
                notice.set(Some(format!("Saved {}.", view.url)));
                endpoints.put(view);
                focus_later(&format!("webhook-{id}-title"));
            }
        }
    });
    let on_cancel = Callback::new(move |back_to: Option<i64>| {
        editing.set(None);
        match back_to {
            Some(id) => focus_later(&format!("webhook-{id}-edit")),
            None if list.with_untracked(Vec::is_empty) => focus_later("add-webhook-empty"),
            None => focus_later("add-webhook"),
        }
    });
    let on_deleted = Callback::new(move |gone: EndpointView| {
        endpoints.remove(gone.id);
        if editing.with_untracked(|e| e.as_ref().is_some_and(|(e, _)| e.id == Some(gone.id))) {
            editing.set(None);
        }
        if shown.with_untracked(|s| s.as_ref().is_some_and(|s| s.endpoint.id == gone.id)) {
            shown.set(None);
        }
        notice.set(Some(format!("Deleted {} and its delivery log.", gone.url)));
        focus_later("webhooks-heading");
    });
    let on_rotated = Callback::new(move |WithSecret { endpoint, secret }: WithSecret| {
        notice.set(None);
        endpoints.put(endpoint.clone());
        shown.set(Some(Shown { endpoint, secret, rotated: true }));
        focus_later("webhook-secret-title");
    });

    view! {
        <div class="notice-area" role="status">
            {move || notice.get().map(|n| view! { <p class="notice success">{n}</p> })}
        </div>
        {move || shown.get().map(|s| view! {
            <SecretPanel shown=s dismiss=Callback::new(move |_| { shown.set(None); focus_later("webhooks-heading"); }) />
        })}
        {move || editing.get().map(|(editing, initial)| on_demand(move || endpoint_editor(editing.clone(), initial.clone(), demo, on_saved, on_cancel)))}
        <Show
            when=move || !list.with(Vec::is_empty)
            fallback=move || view! {
                <Show when=move || editing.with(Option::is_none)>
                    <section class="card empty-state">
                        <h2>"No webhook endpoints yet"</h2>
                        <p>"Add an endpoint for each system that should hear about changes as they happen — a CRM, a billing system, "
                           "a chat channel — instead of asking the API over and over. Choose which events it receives; "
                           "every delivery is signed and retried for about a day until your system accepts it."</p>
                        <button type="button" id="add-webhook-empty" class="primary" on:pointerenter=preload_editor on:focus=preload_editor on:click=move |_| open_new(editing)>"Add endpoint"</button>
                    </section>
                </Show>
            }
        >
            <h2 class="section-title">"Endpoints"</h2>
            {move || full().then(|| view! {
                <p class="hint">{format!("A reseller can have at most {MAX_ENDPOINTS} endpoints: delete one to add another.")}</p>
            })}
            <ul class="webhook-list">
                <For each=move || list.get() key=|e| e.id let:endpoint>
                    <EndpointCard initial=endpoint endpoints editing to_delete to_rotate />
                </For>
            </ul>
        </Show>
        // The new secret is shown once, by `on_rotated`.
        <ConfirmDialog target=to_rotate id="rotate-webhook" title="Rotate the signing secret?"
            question=Callback::new(|t: EndpointView| view! {
                {t.url} " gets a new signing secret, shown to you once. "
                "The current secret keeps signing too for 24 hours — every delivery carries both signatures until then — "
                "so your system can switch to the new one without missing a delivery."
            }.into_any())
            confirm_label="Rotate secret" busy_label="Rotating…"
            action=rotate as Confirmed
            on_done=Callback::new(move |(_, rotated): (EndpointView, Option<WithSecret>)| {
                if let Some(rotated) = rotated {
                    on_rotated.run(rotated);
                }
            }) />
        <ConfirmDialog target=to_delete id="delete-webhook" title="Delete webhook endpoint?"
            question=Callback::new(|t: EndpointView| view! {
                "Nothing more is sent to " <strong class="dialog-url">{t.url}</strong>
                ", and its delivery log is deleted too. This cannot be undone."
            }.into_any())
            confirm_label="Delete endpoint" busy_label="Deleting…" danger=true
            action=delete as Confirmed
            on_done=Callback::new(move |(t, _)| on_deleted.run(t)) />
    }
}

/// What a confirmed rotation or deletion does: one type for both, so the page's two dialogs
/// are one copy of `ConfirmDialog`'s generic code. A rotation answers the new secret.
type Confirmed = fn(EndpointView) -> Answer;
type Answer = Pin<Box<dyn Future<Output = Result<Option<WithSecret>, AppError>>>>;

fn rotate(endpoint: EndpointView) -> Answer {
    Box::pin(async move { rotate_webhook_secret(endpoint.id).await.map(Some) })
}

fn delete(endpoint: EndpointView) -> Answer {
    Box::pin(async move { delete_webhook(endpoint.id).await.map(|()| None) })
}

/// What the open form edits.
#[derive(Clone, Debug, PartialEq)]
struct Editing {
    /// `None`: a new endpoint.
    id: Option<i64>,
    /// The version the form was opened with (optimistic concurrency).
    version: i32,
    /// The URL as stored, for the heading.
    url: String,
}

/// The form's value: an [`EndpointForm`] with the event types as choices. The types chosen
/// are kept while "All events" is ticked, so unticking it brings them back.
#[derive(Clone, Debug)]
struct Draft {
    url: String,
    description: String,
    all: bool,
    /// In the order of [`EventType::ALL`].
    chosen: Vec<EventType>,
    enabled: bool,
}

impl PartialEq for Draft {
    /// Equal when they would save the same (the hidden choices under "All events" do not count).
    fn eq(&self, other: &Draft) -> bool {
        self.all == other.all && self.form() == other.form()
    }
}

impl Draft {
    fn new() -> Draft {
        Draft { url: String::new(), description: String::new(), all: true, chosen: Vec::new(), enabled: true }
    }

    fn of(e: &EndpointView) -> Draft {
        Draft {
            url: e.url.clone(),
            description: e.description.clone(),
            all: e.event_types.is_empty(),
            chosen: EventType::ALL.iter().copied().filter(|t| e.event_types.iter().any(|n| n == t.as_str())).collect(),
            enabled: e.enabled,
        }
    }

    fn form(&self) -> EndpointForm {
        let event_types = if self.all { String::new() } else { self.chosen.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(",") };
        EndpointForm { url: self.url.clone(), description: self.description.clone(), event_types, enabled: self.enabled }
    }

    /// The model's rules, and one of the form's own: "All events" off needs a type chosen
    /// (an empty list would mean every type).
    fn rules(&self, allow_http: bool) -> FieldErrors {
        let mut errors = self.form().validate(allow_http);
        if !self.all && self.chosen.is_empty() && errors.get("event_types").is_none() {
            errors.add("event_types", "Choose at least one event type, or tick All events.");
        }
        errors
    }

    fn choose(&mut self, t: EventType, on: bool) {
        self.chosen.retain(|c| *c != t);
        if on {
            self.chosen.push(t);
            self.chosen.sort_by_key(|c| EventType::ALL.iter().position(|a| a == c));
        }
    }
}

/// The answer to a save.
#[derive(Clone)]
enum Saved {
    Created(WithSecret),
    Updated(EndpointView),
}

/// The form's fields in screen order with their input ids: the first invalid one gets focus.
const FIELDS: [(&str, &str); 4] =
    [("url", "webhook-url"), ("description", "webhook-description"), ("event_types", "webhook-all-events"), ("enabled", "webhook-enabled")];

/// The add / edit form.
// The endpoint form and the delivery log are chunks of their own: the page opens without
// them, and pointing at or focusing a button that opens one fetches its code ([`preload_editor`],
// [`preload_log`]).

#[lazy]
fn endpoint_editor(editing: Editing, initial: Draft, allow_http: bool, on_saved: Callback<Saved>, on_cancel: Callback<Option<i64>>) -> AnyView {
    view! { <EndpointEditor editing initial allow_http on_saved on_cancel /> }.into_any()
}

#[lazy]
fn delivery_log(id: i64, url: Signal<String>, enabled: Signal<bool>, reload: RwSignal<u64>, endpoints: Endpoints) -> AnyView {
    view! { <DeliveryLog id url enabled reload endpoints /> }.into_any()
}

/// Starts fetching the endpoint form's code (a button that opens it is about to be pressed).
fn preload_editor<E>(_: E) {
    #[cfg(feature = "hydrate")]
    spawn_local(__preload_endpoint_editor());
}

/// Starts fetching the delivery log's code.
fn preload_log<E>(_: E) {
    #[cfg(feature = "hydrate")]
    spawn_local(__preload_delivery_log());
}

#[component]
fn EndpointEditor(editing: Editing, initial: Draft, allow_http: bool, on_saved: Callback<Saved>, on_cancel: Callback<Option<i64>>) -> impl IntoView {
    let Editing { id, version, url: stored_url } = editing;
    let creating = id.is_none();
    let form = FormState::new(initial, move |d: &Draft| d.rules(allow_http));
    form.guard_unsaved();
    let alert = RwSignal::new(None::<(String, bool)>);
    let busy = RwSignal::new(false);
    let (url, on_url) = form.text("url", |d| &d.url, |d| &mut d.url);
    let (description, on_description) = form.text("description", |d| &d.description, |d| &mut d.description);
    let (enabled, on_enabled) = form.flag("enabled", |d| d.enabled, |d| &mut d.enabled);
    // Opened (its code may have just arrived): the URL is the first thing to fill in or check.
    Effect::new(|_| focus_later("webhook-url"));
    let focus_first = |errors: &FieldErrors| {
        if let Some((_, input)) = FIELDS.into_iter().find(|(field, _)| errors.get(field).is_some()) {
            focus_later(input);
        }
    };

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        alert.set(None);
        if !form.attempt() {
            focus_first(&form.verdict().get_untracked());
            return;
        }
        busy.set(true);
        let draft = form.get_untracked();
        spawn_local(async move {
            let result = match id {
                None => create_webhook(draft.form()).await.map(Saved::Created),
                Some(id) => update_webhook(id, version, draft.form()).await.map(Saved::Updated),
            };
            busy.set(false);
            match result {
                Ok(saved) => {
                    form.mark_saved();
                    on_saved.run(saved);
                }
                Err(AppError::Invalid(errors)) => {
                    let unplaced: Vec<String> =
                        errors.0.iter().filter(|e| !FIELDS.iter().any(|(field, _)| *field == e.field)).map(|e| e.message.clone()).collect();
                    let message = if unplaced.is_empty() { AppError::Invalid(FieldErrors::new()).to_string() } else { unplaced.join(" ") };
                    alert.set(Some((message, false)));
                    focus_first(&errors);
                    form.refuse(errors);
                }
                // Someone else saved first (or the endpoint is gone): offer the saved version.
                Err(e @ (AppError::Refused(_) | AppError::NotFound)) if !creating => alert.set(Some((e.to_string(), true))),
                Err(e) => alert.set(Some((e.to_string(), false))),
            }
        });
    };
    let cancel_on_escape = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            on_cancel.run(id);
        }
    };
    let url_hint = if allow_http {
        "https://…, where your system receives the events (demo mode also takes http://)."
    } else {
        "https://…, where your system receives the events."
    };
    let title = if creating { "New endpoint".to_owned() } else { format!("Edit {stored_url}") };

    view! {
        <section class="card webhook-editor" aria-labelledby="webhook-editor-title" on:keydown=cancel_on_escape>
            <h2 id="webhook-editor-title">{title}</h2>
            <form class="stack" novalidate on:submit=submit>
                <TextField id="webhook-url" label="URL" kind="url" value=url on_input=on_url error=form.error("url")
                    hint=url_hint autocomplete="off" required=true />
                <TextField id="webhook-description" label="Description" value=description on_input=on_description
                    error=form.error("description") hint="Optional: what it is for, e.g. \u{201c}CRM sync\u{201d}." autocomplete="off" />
                <EventTypesField form />
                <CheckField id="webhook-enabled" label="Enabled" checked=enabled on_change=on_enabled error=form.error("enabled")
                    hint=Signal::derive(|| Some("While disabled nothing is sent, and events that happen meanwhile are not sent later.".to_owned())) />
                {move || alert.get().map(|(message, reload)| view! {
                    <div class="form-error" role="alert">
                        <p>{message}</p>
                        {reload.then(|| view! {
                            <button type="button" class="link-button" on:click=|_| { let _ = window().location().reload(); }>"Reload the saved version (your edits here are lost)"</button>
                        })}
                    </div>
                })}
                <div class="form-actions">
                    <button type="submit" class="primary" aria-busy=move || busy.get().to_string()>
                        {move || match (busy.get(), creating) {
                            (true, _) => "Saving…",
                            (false, true) => "Add endpoint",
                            (false, false) => "Save changes",
                        }}
                    </button>
                    <button type="button" class="link-button" on:click=move |_| on_cancel.run(id)>"Cancel"</button>
                </div>
            </form>
        </section>
    }
}

/// "All events", or the types chosen, grouped.
#[component]
fn EventTypesField(form: FormState<Draft>) -> impl IntoView {
    let all = form.read(|d| d.all);
    let error = form.error("event_types");
    view! {
        <fieldset class="event-types" aria-describedby=move || error.get().map(|_| "webhook-events-error")>
            <legend>"Events"</legend>
            <CheckField id="webhook-all-events" label="All events"
                checked=all
                on_change=Callback::new(move |on: bool| form.edit("all_events", |d| d.all = on))
                hint=Signal::derive(|| Some("Every kind of change, including kinds the portal adds later. Untick to choose.".to_owned())) />
            <Show when=move || !all.get()>
                <div class="event-groups">
                    {groups().into_iter().map(|(label, types)| view! {
                        <fieldset class="event-group">
                            <legend>{label}</legend>
                            {types.into_iter().map(|t| view! {
                                <CheckField id=type_input_id(t) label=t.label()
                                    checked=form.read(move |d| d.chosen.contains(&t))
                                    on_change=Callback::new(move |on: bool| form.edit("event_types", |d| d.choose(t, on))) />
                            }).collect_view()}
                        </fieldset>
                    }).collect_view()}
                </div>
            </Show>
            {move || error.get().map(|e| view! { <p class="field-error" id="webhook-events-error">{e}</p> })}
        </fieldset>
    }
}

/// The signing secret, this once, and how receivers check it.
#[component]
fn SecretPanel(shown: Shown, dismiss: Callback<()>) -> impl IntoView {
    let Shown { endpoint, secret, rotated } = shown;
    let title = if rotated { format!("New signing secret for {}", endpoint.url) } else { format!("Endpoint added: {}", endpoint.url) };
    view! {
        <section class="card secret-panel webhook-secret" aria-labelledby="webhook-secret-title">
            <h2 id="webhook-secret-title" tabindex="-1">{title}</h2>
            <p class="secret-warning"><strong>"Copy it now: it is not shown again."</strong>
                " Your system needs it to check that deliveries come from the portal. If it is lost, rotate the secret to get a new one."</p>
            <dl class="secret-values">
                <CopyValue id="webhook-secret" label="Signing secret" value=secret />
            </dl>
            {endpoint.previous_secret_until.clone().filter(|_| rotated).map(|until| view! {
                <p>{format!("The previous secret keeps signing too until {until}: until then every delivery carries both signatures, so switch your system over before that.")}</p>
            })}
            <h3>"Checking a delivery"</h3>
            <p>"Each delivery is a POST with a JSON body (" <code>"type"</code> ", " <code>"timestamp"</code> ", " <code>"data"</code>
                ") and three headers, as the " <a href="https://www.standardwebhooks.com/" rel="external noopener" target="_blank">"Standard Webhooks"</a> " specification describes:"</p>
            <ul class="webhook-headers">
                <li><code>"webhook-id"</code> " — the event's id, the same on every retry and resend: ignore one you have seen."</li>
                <li><code>"webhook-timestamp"</code> " — when it was sent, in seconds since 1970: refuse old ones."</li>
                <li><code>"webhook-signature"</code> " — " <code>"v1,"</code> " and the base64 HMAC-SHA256 of " <code>"id.timestamp.body"</code>
                    ", keyed with the secret (the base64 after " <code>"whsec_"</code> ")."</li>
            </ul>
            <p class="muted">"The Standard Webhooks libraries check all three, e.g. " <code>"new Webhook(secret).verify(body, headers)"</code>
                ". Answer with a 2xx status within 15 seconds; anything else is retried for about a day."</p>
            <div class="form-actions">
                <button type="button" class="link-button" on:click=move |_| dismiss.run(())>"I have stored the secret"</button>
            </div>
        </section>
    }
}

/// What the health of an endpoint says, in order.
fn health_text(h: &Health) -> Vec<(String, &'static str)> {
    let mut parts = Vec::new();
    if let Some(since) = &h.failing_since {
        parts.push((format!("Failing since {since}"), "health-failing"));
    }
    if let Some(rate) = h.success_rate() {
        let total = h.delivered + h.failing;
        let class = if rate == 100 { "health-ok" } else { "health-mixed" };
        parts.push((format!("{rate} % delivered over the last day ({} of {total})", h.delivered), class));
    }
    if h.pending > 0 {
        parts.push((format!("{} waiting", h.pending), "health-waiting"));
    }
    if parts.is_empty() {
        parts.push(("No deliveries in the last day".to_owned(), "muted"));
    }
    parts
}

/// One endpoint: what it is, how its deliveries go, its actions and its delivery log.
#[component]
fn EndpointCard(
    initial: EndpointView,
    endpoints: Endpoints,
    editing: RwSignal<Option<(Editing, Draft)>>,
    to_delete: RwSignal<Option<EndpointView>>,
    to_rotate: RwSignal<Option<EndpointView>>,
) -> impl IntoView {
    let id = initial.id;
    let current = Memo::new(move |_| endpoints.list.with(|list| list.iter().find(|e| e.id == id).cloned()).unwrap_or_else(|| initial.clone()));
    let enabled = Signal::derive(move || current.with(|e| e.enabled));
    let url = move || current.with(|e| e.url.clone());
    // The outcome of this card's last action: Ok for a notice, Err for a refusal.
    let message = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    let log_open = RwSignal::new(false);
    let log_reload = RwSignal::new(0u64);

    let toggle = move |_| {
        if busy.get_untracked() {
            return;
        }
        let e = current.get_untracked();
        let mut draft = Draft::of(&e);
        draft.enabled = !e.enabled;
        busy.set(true);
        message.set(None);
        spawn_local(async move {
            let result = update_webhook(e.id, e.version, draft.form()).await;
            busy.set(false);
            match result {
                Ok(view) => {
                    message.set(Some(Ok(if view.enabled {
                        "Enabled: it receives the events that happen from now on.".to_owned()
                    } else {
                        "Disabled: nothing is sent to it until you enable it again.".to_owned()
                    })));
                    endpoints.put(view);
                }
                Err(AppError::Invalid(errors)) => message.set(Some(Err(errors.0.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" ")))),
                Err(e) => message.set(Some(Err(e.to_string()))),
            }
        });
    };
    let send_test = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        message.set(None);
        spawn_local(async move {
            let result = send_test_webhook(id).await;
            busy.set(false);
            match result {
                Ok(_) => {
                    message.set(Some(Ok("Test event queued: the delivery log below shows how it went.".to_owned())));
                    log_open.set(true);
                    log_reload.update(|n| *n += 1);
                }
                Err(e) => message.set(Some(Err(e.to_string()))),
            }
        });
    };
    let edit = move |_| {
        message.set(None);
        let e = current.get_untracked();
        editing.set(Some((Editing { id: Some(e.id), version: e.version, url: e.url.clone() }, Draft::of(&e))));
    };
    let hidden_url = move || format!(" {}", url());

    view! {
        <li class="card webhook">
            {move || {
                let e = current.get();
                let status = if e.enabled { ("Enabled", "status status-active") } else { ("Disabled", "status status-disabled") };
                let events = if e.event_types.is_empty() {
                    view! { <span>"All events"</span> }.into_any()
                } else {
                    view! {
                        <ul class="event-tags">
                            {e.event_types.iter().map(|t| view! { <li class="tag">{event_label(t)}</li> }).collect_view()}
                        </ul>
                    }.into_any()
                };
                view! {
                    <div class="webhook-head">
                        <h3 id=format!("webhook-{id}-title") class="webhook-url" tabindex="-1">{e.url.clone()}</h3>
                        <span class=status.1>{status.0}</span>
                    </div>
                    {(!e.description.is_empty()).then(|| view! { <p class="webhook-description">{e.description.clone()}</p> })}
                    {e.disabled_reason.clone().filter(|_| !e.enabled).map(|reason| view! {
                        <p class="notice warning webhook-disabled-reason">
                            <strong>"The portal disabled this endpoint: "</strong>{reason}
                            " Enable it again once your system accepts deliveries."
                        </p>
                    })}
                    <dl class="webhook-facts">
                        <div><dt>"Events"</dt><dd>{events}</dd></div>
                        <div><dt>"Deliveries"</dt><dd class="health">
                            {health_text(&e.health).into_iter().map(|(text, class)| view! { <span class=class>{text}</span> }).collect_view()}
                        </dd></div>
                        <div><dt>"Added"</dt><dd>{e.created_at.clone()}</dd></div>
                        {e.previous_secret_until.clone().map(|until| view! {
                            <div><dt>"Previous secret"</dt><dd>{format!("Also signs until {until}")}</dd></div>
                        })}
                    </dl>
                }
            }}
            <div class="webhook-actions">
                <button type="button" id=format!("webhook-{id}-edit") class="link-button" on:pointerenter=preload_editor on:focus=preload_editor on:click=edit>
                    "Edit"<span class="visually-hidden">{hidden_url}</span>
                </button>
                <button type="button" class="link-button" disabled=move || busy.get() on:click=toggle>
                    {move || if enabled.get() { "Disable" } else { "Enable" }}<span class="visually-hidden">{hidden_url}</span>
                </button>
                <Show when=move || enabled.get()>
                    <button type="button" class="link-button" disabled=move || busy.get() on:pointerenter=preload_log on:focus=preload_log on:click=send_test>
                        "Send test event"<span class="visually-hidden">{move || format!(" to {}", url())}</span>
                    </button>
                </Show>
                <button type="button" class="link-button" on:click=move |_| { message.set(None); to_rotate.set(Some(current.get_untracked())) }>
                    "Rotate secret"<span class="visually-hidden">{move || format!(" of {}", url())}</span>
                </button>
                <button type="button" class="link-button danger" on:click=move |_| { message.set(None); to_delete.set(Some(current.get_untracked())) }>
                    "Delete"<span class="visually-hidden">{hidden_url}</span>
                </button>
            </div>
            <Outcome message />
            <div class="webhook-log">
                <button type="button" class="link-button log-toggle" aria-expanded=move || log_open.get().to_string()
                    aria-controls=format!("webhook-{id}-log") on:pointerenter=preload_log on:focus=preload_log on:click=move |_| log_open.update(|o| *o = !*o)>
                    {move || if log_open.get() { "Hide delivery log" } else { "Show delivery log" }}
                    <span class="visually-hidden">{move || format!(" of {}", url())}</span>
                </button>
                <div id=format!("webhook-{id}-log")>
                    {move || log_open.get().then(|| on_demand(move || delivery_log(id, Signal::derive(url), enabled, log_reload, endpoints)))}
                </div>
            </div>
        </li>
    }
}

/// The delivery log's state, shared by its loads (some of which outlive the log: `alive`).
#[derive(Clone)]
struct Log {
    id: i64,
    rows: RwSignal<Vec<DeliveryView>>,
    older: RwSignal<Option<String>>,
    /// How many pages are shown: a refresh reloads that many.
    pages: Arc<AtomicU32>,
    loading: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    /// Only the newest load's answer is shown.
    seq: Arc<AtomicU64>,
    /// Automatic reloads left while a delivery waits for its first attempt.
    polls: Arc<AtomicU32>,
    alive: Arc<AtomicBool>,
    endpoints: Endpoints,
}

/// Reloads the pages shown, newest first; with `manual`, the automatic reloads start over.
/// While a delivery waits for its first attempt (just sent, resent or tested), it reloads again
/// shortly, up to 20 times, and re-reads the endpoints' health when something changed.
fn reload_log(log: Log, manual: bool) {
    if manual {
        // Only what the user asked for shows as loading; the automatic reloads stay quiet.
        log.polls.store(20, Ordering::Relaxed);
        log.loading.set(true);
    }
    let n = log.seq.fetch_add(1, Ordering::Relaxed) + 1;
    spawn_local(async move {
        let pages = log.pages.load(Ordering::Relaxed).max(1);
        let mut rows = Vec::new();
        let mut older = None;
        let mut failed = None;
        for page in 0..pages {
            if page > 0 && older.is_none() {
                break;
            }
            match webhook_deliveries(log.id, older.clone()).await {
                Ok(p) => {
                    rows.extend(p.deliveries);
                    older = p.older;
                }
                Err(e) => {
                    failed = Some(e.to_string());
                    break;
                }
            }
        }
        if !log.alive.load(Ordering::Relaxed) || log.seq.load(Ordering::Relaxed) != n {
            return;
        }
        log.loading.set(false);
        if let Some(e) = failed {
            log.error.set(Some(e));
            return;
        }
        log.error.set(None);
        let waiting = rows.iter().any(|d| d.status == DeliveryStatus::Pending && d.attempts == 0);
        let changed = log.rows.with_untracked(|shown| *shown != rows);
        log.rows.set(rows);
        log.older.set(older);
        if changed {
            let start = log.endpoints.listing();
            if let Ok(list) = list_webhooks().await
                && log.alive.load(Ordering::Relaxed)
            {
                log.endpoints.listed(start, list);
            }
        }
        if waiting && log.polls.load(Ordering::Relaxed) > 0 {
            log.polls.fetch_sub(1, Ordering::Relaxed);
            let again = log.clone();
            set_timeout(
                move || {
                    if again.alive.load(Ordering::Relaxed) && again.seq.load(Ordering::Relaxed) == n {
                        reload_log(again, false);
                    }
                },
                Duration::from_millis(1500),
            );
        }
    });
}

/// An endpoint's deliveries, newest first, with "Resend", "Show older" and "Refresh".
/// It exists only in the browser (opened by a click), so it loads in effects and tasks.
#[component]
fn DeliveryLog(id: i64, url: Signal<String>, enabled: Signal<bool>, reload: RwSignal<u64>, endpoints: Endpoints) -> impl IntoView {
    let log = Log {
        id,
        rows: RwSignal::new(Vec::new()),
        older: RwSignal::new(None),
        pages: Arc::new(AtomicU32::new(1)),
        loading: RwSignal::new(true),
        error: RwSignal::new(None),
        seq: Arc::new(AtomicU64::new(0)),
        polls: Arc::new(AtomicU32::new(0)),
        alive: Arc::new(AtomicBool::new(true)),
        endpoints,
    };
    let alive = log.alive.clone();
    on_cleanup(move || alive.store(false, Ordering::Relaxed));
    let loading_older = RwSignal::new(false);
    let message = RwSignal::new(None::<Result<String, String>>);
    let (rows, older, loading, error) = (log.rows, log.older, log.loading, log.error);
    // Which delivery is being resent.
    let resending = RwSignal::new(None::<i64>);
    {
        let log = log.clone();
        // On opening, and whenever the card asks (a test event was queued).
        Effect::new(move |_| {
            reload.track();
            message.set(None);
            reload_log(log.clone(), true);
        });
    }
    let refresh = {
        let log = log.clone();
        move |_| {
            message.set(None);
            reload_log(log.clone(), true);
        }
    };
    let show_older = {
        let log = log.clone();
        move |_| {
            let Some(cursor) = older.get_untracked() else { return };
            if loading_older.get_untracked() {
                return;
            }
            loading_older.set(true);
            let log = log.clone();
            let n = log.seq.load(Ordering::Relaxed);
            spawn_local(async move {
                let result = webhook_deliveries(log.id, Some(cursor)).await;
                if !log.alive.load(Ordering::Relaxed) {
                    return;
                }
                loading_older.set(false);
                // A reload started meanwhile shows the pages afresh.
                if log.seq.load(Ordering::Relaxed) != n {
                    return;
                }
                match result {
                    Ok(page) => {
                        log.pages.fetch_add(1, Ordering::Relaxed);
                        log.rows.update(|r| r.extend(page.deliveries));
                        log.older.set(page.older);
                    }
                    Err(e) => log.error.set(Some(e.to_string())),
                }
            });
        }
    };
    let resend = {
        let log = log.clone();
        Callback::new(move |delivery: DeliveryView| {
            if resending.get_untracked().is_some() {
                return;
            }
            message.set(None);
            resending.set(Some(delivery.id));
            let log = log.clone();
            spawn_local(async move {
                let result = resend_webhook_delivery(log.id, delivery.id).await;
                if !log.alive.load(Ordering::Relaxed) {
                    return;
                }
                resending.set(None);
                match result {
                    Ok(view) => {
                        let label = event_label(&view.event_type);
                        log.rows.update(|r| {
                            if let Some(slot) = r.iter_mut().find(|d| d.id == view.id) {
                                *slot = view;
                            }
                        });
                        message.set(Some(Ok(format!("\u{201c}{label}\u{201d} is being sent again, with the same webhook-id."))));
                        reload_log(log, true);
                    }
                    Err(e) => message.set(Some(Err(e.to_string()))),
                }
            });
        })
    };

    view! {
        <section class="delivery-log" aria-label=move || format!("Delivery log of {}", url.get())>
            <div class="delivery-log-tools">
                <h4>"Delivery log"</h4>
                <button type="button" class="link-button" aria-busy=move || loading.get().to_string() on:click=refresh>
                    {move || if loading.get() { "Refreshing…" } else { "Refresh" }}
                </button>
            </div>
            <Outcome message />
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            {move || (!enabled.get()).then(|| view! { <p class="hint">"The endpoint is disabled: enable it to resend deliveries or send a test event."</p> })}
            {move || {
                if rows.with(Vec::is_empty) {
                    return if loading.get() {
                        view! { <p class="page-loading" role="status">"Loading deliveries…"</p> }.into_any()
                    } else {
                        view! {
                            <p class="muted delivery-empty">"No deliveries yet. Events of the types it receives appear here as they happen; "
                                "\u{201c}Send test event\u{201d} sends one now."</p>
                        }.into_any()
                    };
                }
                view! {
                    <div class="table-wrap" aria-busy=move || loading.get().to_string()>
                        <table class="grid stack-table deliveries-table">
                            <caption class="visually-hidden">{move || format!("Deliveries to {}, newest first", url.get())}</caption>
                            <thead>
                                <tr>
                                    <th scope="col">"Event"</th>
                                    <th scope="col">"Status"</th>
                                    <th scope="col" class="number">"Attempts"</th>
                                    <th scope="col" class="number">"Status code"</th>
                                    <th scope="col" class="number">"Response time"</th>
                                    <th scope="col">"Last error"</th>
                                    <th scope="col">"Created"</th>
                                    <th scope="col">"Last attempt"</th>
                                    <th scope="col">"Next retry"</th>
                                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                <For
                                    each=move || rows.get()
                                    key=|d| (d.id, d.status.as_str(), d.attempts, d.last_attempt_at.clone(), d.next_attempt_at.clone(), d.last_status_code)
                                    let:delivery
                                >
                                    <DeliveryRow delivery enabled resend resending />
                                </For>
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            {move || older.with(Option::is_some).then(|| view! {
                <button type="button" class="secondary show-older" disabled=move || loading_older.get() on:click=show_older.clone()>
                    {move || if loading_older.get() { "Loading…" } else { "Show older" }}
                </button>
            })}
        </section>
    }
}

/// "—" for a value there is none of, read out as "none".
fn none() -> AnyView {
    view! { <span class="muted" aria-hidden="true">"—"</span><span class="visually-hidden">"none"</span> }.into_any()
}

#[component]
fn DeliveryRow(delivery: DeliveryView, enabled: Signal<bool>, resend: Callback<DeliveryView>, resending: RwSignal<Option<i64>>) -> impl IntoView {
    let label = event_label(&delivery.event_type);
    let status_class = match delivery.status {
        DeliveryStatus::Pending => "status status-pending",
        DeliveryStatus::Delivered => "status status-delivered",
        DeliveryStatus::Failed => "status status-failed",
    };
    let text = |value: Option<String>| value.map_or_else(none, |v| view! { <span>{v}</span> }.into_any());
    // `2026-12-01 09:14` breaks between the day and the time only.
    let time = |value: Option<String>| {
        value.map_or_else(none, |v| match v.split_once(' ') {
            Some((day, rest)) => view! { <span class="when"><span>{day.to_owned()}</span> " " <span>{rest.to_owned()}</span></span> }.into_any(),
            None => view! { <span>{v}</span> }.into_any(),
        })
    };
    let id = delivery.id;
    let row = StoredValue::new(delivery.clone());
    let hidden = format!(" {label} of {}", delivery.created_at);
    view! {
        <tr data-event-id=delivery.event_id.clone()>
            <td class="name" data-label="Event">{label.clone()}</td>
            <td data-label="Status"><span class=status_class>{delivery.status.label()}</span></td>
            <td data-label="Attempts" class="number">{delivery.attempts}</td>
            <td data-label="Status code" class="number">{text(delivery.last_status_code.map(|c| c.to_string()))}</td>
            <td data-label="Response time" class="number">{text(delivery.last_response_ms.map(|ms| format!("{ms} ms")))}</td>
            <td data-label="Last error" class="wrap delivery-error">{text(delivery.last_error.clone())}</td>
            <td data-label="Created" class="time">{time(Some(delivery.created_at.clone()))}</td>
            <td data-label="Last attempt" class="time">{time(delivery.last_attempt_at.clone())}</td>
            <td data-label="Next retry" class="time">{time(delivery.next_attempt_at.clone())}</td>
            <td class="row-actions-cell">
                <Show when=move || enabled.get()>
                    <button type="button" class="link-button" disabled=move || resending.get() == Some(id)
                        on:click=move |_| resend.run(row.get_value())>
                        "Resend"<span class="visually-hidden">{hidden.clone()}</span>
                    </button>
                </Show>
            </td>
        </tr>
    }
}

/// What the last action on an endpoint came to: done (a notice) or refused (an alert).
#[component]
fn Outcome(message: RwSignal<Option<Result<String, String>>>) -> impl IntoView {
    view! {
        <div class="webhook-message" role="status">
            {move || message.get().map(|m| match m {
                Ok(text) => view! { <p class="notice success">{text}</p> }.into_any(),
                Err(text) => view! { <p class="form-error" role="alert">{text}</p> }.into_any(),
            })}
        </div>
    }
}
