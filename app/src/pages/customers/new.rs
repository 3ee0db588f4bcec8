//! `/customers/new`: the four-step create wizard. Every field is checked as the user types by
//! the same `model` rules the server applies; the draft lives in sessionStorage, so a reload
//! or a lost connection loses nothing; "Create Customer" sends one request whose key makes a
//! second click harmless.

use crate::api::customers::{create_customer, customer_name_available, load_wizard_options};
use crate::components::customer_fields::{ConnectionFields, DetailsFields};
use crate::components::draft;
use crate::components::shell::UserResource;
use crate::components::error_panel::ErrorPanel;
use crate::components::form::{CheckField, TextField};
use crate::components::form_state::FormState;
use crate::components::on_demand::on_demand;
use crate::components::request::Request;
use crate::components::roles::RolesEditor;
use crate::AppError;
use leptos::either::Either;
use leptos::lazy;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use model::country;
use model::customer_form::{DetailsForm, NewCustomer, PrimaryUserForm, WizardOptions};
use model::pbx::{ConnectionForm, PbxKind};
use model::roles::Roles;
use model::FieldErrors;
use serde::{Deserialize, Serialize};

const STEPS: [&str; 4] = ["Customer Details", "Primary User", "PBX Details", "Role Assignment"];
/// The draft's name in [`draft`] storage.
const DRAFT: &str = "create-customer";

/// What survives a reload.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Draft {
    step: usize,
    customer: NewCustomer,
    country_text: String,
}

impl Draft {
    /// Whether the user entered anything worth keeping (a fresh wizard saves an empty draft too).
    fn has_content(&self) -> bool {
        let c = &self.customer;
        self.step > 0
            || c.details != DetailsForm::default()
            || c.primary_user != PrimaryUserForm::default()
            || !c.connection.account_id.is_empty()
            || !c.connection.directory_tenant_id.is_empty()
    }
}

/// The signed-in user's id, once the shell knows it (tracked).
fn owner() -> impl Fn() -> Option<i64> + Copy + Send + Sync + 'static {
    let user = use_context::<UserResource>();
    move || user.and_then(|u| u.get()).and_then(Result::ok).map(|signed_in| signed_in.user.user_id)
}

/// The server's verdict on "Create Customer", split by step, with each step's own field
/// names (`primary_user.email` is the primary user step's `email`).
fn by_step(found: FieldErrors) -> [FieldErrors; 4] {
    let mut steps: [FieldErrors; 4] = Default::default();
    for e in found.0 {
        let (step, field) = if let Some(f) = e.field.strip_prefix("primary_user.") {
            (1, f.to_owned())
        } else if let Some(f) = e.field.strip_prefix("connection.") {
            (2, f.to_owned())
        } else if e.field == "roles" {
            (3, e.field)
        } else {
            (0, e.field)
        };
        steps[step].add(&field, e.message);
    }
    steps
}

/// What Cancel asks when something was entered.
const DISCARD: &str = "Discard this new customer? What you entered so far is not kept.";

#[component]
pub fn CreateCustomerPage() -> impl IntoView {
    let owner = owner();
    let options = crate::wire::resource(|| (), |_| load_wizard_options());
    view! {
        <Title text="Create New Customer" />
        <div class="page-header">
            <h1>"Create New Customer"</h1>
            <a class="link-button" href="/customers" on:click=move |ev| {
                // Cancel forgets the new customer; if something was entered, after asking.
                let entered = owner().and_then(|o| draft::load::<Draft>(DRAFT, o)).is_some_and(|d| d.has_content());
                if entered && !window().confirm_with_message(DISCARD).unwrap_or(true) {
                    ev.prevent_default();
                    return;
                }
                draft::clear(DRAFT);
            }>"Cancel"</a>
        </div>
        <Suspense fallback=|| view! { <p class="page-loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match options.await {
                    Ok(options) => Either::Left(view! { <Wizard options /> }),
                    Err(error) => Either::Right(view! { <ErrorPanel error /> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Wizard(options: WizardOptions) -> impl IntoView {
    let default_template = options.default_template().map(|t| t.id);
    let rules = options.rules.clone();
    let options = StoredValue::new(options);
    let request_key = RwSignal::new(options.with_value(|o| o.request_key.clone()));
    let details = FormState::new(DetailsForm::default(), move |d: &DetailsForm| d.validate(&rules, true));
    let primary = FormState::new(PrimaryUserForm::default(), PrimaryUserForm::validate);
    let kind_of = move |template: Option<i64>| options.with_value(|o| o.template_kind(template));
    let connection = FormState::new(ConnectionForm { template_id: default_template, ..ConnectionForm::default() }, move |c: &ConnectionForm| {
        c.validate(kind_of(c.template_id))
    });
    let roles = FormState::new(Roles::primary_default(), |r: &Roles| {
        let mut e = FieldErrors::new();
        e.check("roles", r.validate());
        e
    });
    let step = RwSignal::new(0usize);
    // Each step has its own history entry (`?step=2`), so the browser's Back and Forward move
    // between steps. `step` is what shows; the URL follows it, and a URL changed by the
    // browser moves it (never past a step whose predecessors are incomplete).
    let navigate = use_navigate();
    let url = move |s: usize| if s == 0 { "/customers/new".to_string() } else { format!("/customers/new?step={}", s + 1) };
    let go = {
        let navigate = navigate.clone();
        Callback::new(move |(s, push): (usize, bool)| {
            step.set(s);
            navigate(&url(s), NavigateOptions { replace: !push, scroll: false, ..Default::default() });
        })
    };
    let heading = NodeRef::<leptos::html::H2>::new();
    // Moves focus to the step's heading (after Next, Back or the browser's history), so the
    // next Tab starts in the step and a screen reader reads where the user is.
    let focus_heading = move || {
        request_animation_frame(move || {
            if let Some(h) = heading.get_untracked() {
                let _ = h.focus();
            }
        })
    };
    let query = use_query_map();
    let url_step = Memo::new(move |_| {
        query.with(|q| q.get("step").and_then(|s| s.parse::<usize>().ok())).map_or(0, |s| s.clamp(1, STEPS.len()) - 1)
    });
    let country_text = RwSignal::new(String::new());
    let form_error = RwSignal::new(None::<String>);
    let checking_name = RwSignal::new(false);
    // Everything the wizard holds, as "Create Customer" sends it (tracked).
    let customer = move || NewCustomer {
        request_key: request_key.get(),
        details: details.value().get(),
        primary_user: primary.value().get(),
        connection: connection.value().get(),
        roles: roles.value().get(),
    };

    // Restore a half-filled wizard once in the browser (the user's own), then keep saving it.
    let owner = owner();
    let restored_notice = RwSignal::new(false);
    let fresh_key = StoredValue::new(request_key.get_untracked());
    Effect::new(move |restored: Option<bool>| {
        // Until the shell knows who is signed in, nothing is restored or saved.
        let Some(owner) = owner() else { return false };
        if restored != Some(true)
            && let Some(saved) = draft::load::<Draft>(DRAFT, owner).filter(Draft::has_content)
        {
            let mut draft = saved.customer;
            // The rules may have changed since the draft was saved: no template that is gone,
            // no trial the reseller may no longer give (its checkbox would not even show).
            if options.with_value(|o| o.template(draft.connection.template_id).is_none()) {
                draft.connection.template_id = default_template;
            }
            if !options.with_value(|o| o.rules.trials_allowed) {
                draft.details.trial = false;
            }
            request_key.set(draft.request_key);
            details.reset(draft.details);
            primary.reset(draft.primary_user);
            connection.reset(draft.connection);
            roles.reset(draft.roles);
            country_text.set(saved.country_text);
            go.run((saved.step.min(STEPS.len() - 1), false));
            restored_notice.set(true);
        }
        // Reading the signals here also subscribes this effect to every later change.
        draft::save(DRAFT, owner, &Draft { step: step.get(), customer: customer(), country_text: country_text.get() });
        true
    });
    let start_over = move |_| {
        draft::clear(DRAFT);
        request_key.set(fresh_key.get_value());
        details.reset(DetailsForm::default());
        primary.reset(PrimaryUserForm::default());
        connection.reset(ConnectionForm { template_id: default_template, ..ConnectionForm::default() });
        roles.reset(Roles::primary_default());
        country_text.set(String::new());
        form_error.set(None);
        go.run((0, false));
        restored_notice.set(false);
    };
    // Any edit makes a form-wide error stale.
    Effect::new(move |first: Option<()>| {
        details.value().track();
        primary.value().track();
        connection.value().track();
        if first.is_some() {
            form_error.set(None);
        }
    });
    // A submit of step `s`: its problems show; true when it may go on.
    let attempt = move |s: usize| match s {
        0 => details.attempt(),
        1 => primary.attempt(),
        2 => connection.attempt(),
        _ => roles.attempt(),
    };

    // The browser's Back or Forward changed the step in the URL.
    let complete = move |s: usize| match s {
        0 => details.verdict().with_untracked(FieldErrors::is_empty),
        1 => primary.verdict().with_untracked(FieldErrors::is_empty),
        2 => connection.verdict().with_untracked(FieldErrors::is_empty),
        _ => roles.verdict().with_untracked(FieldErrors::is_empty),
    };
    Effect::new(move |previous: Option<usize>| {
        let wanted = url_step.get();
        if wanted != step.get_untracked() {
            match (0..wanted).find(|s| !complete(*s)) {
                // Not past a step that is not done: that one opens instead.
                Some(incomplete) => go.run((incomplete, false)),
                None => step.set(wanted),
            }
            if previous.is_some() {
                focus_heading();
            }
        }
        wanted
    });
    let focus_first_problem = move || {
        request_animation_frame(|| {
            if let Ok(Some(el)) = document().query_selector(".wizard [aria-invalid=\"true\"]") {
                use leptos::wasm_bindgen::JsCast;
                if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                    let _ = el.focus();
                }
            }
        });
    };
    let next = move || {
        let s = step.get_untracked();
        if !attempt(s) {
            focus_first_problem();
            return;
        }
        if s == 0 {
            // Name uniqueness is settled before the user goes further.
            let name = details.get_untracked().name;
            checking_name.set(true);
            leptos::task::spawn_local(async move {
                let outcome = customer_name_available(name.clone(), None).await;
                checking_name.set(false);
                match outcome {
                    Ok(true) => {
                        go.run((1, true));
                        focus_heading();
                    }
                    Ok(false) => {
                        let mut taken = FieldErrors::new();
                        taken.add("name", format!("A customer named \u{201c}{}\u{201d} already exists.", name.trim()));
                        details.refuse(taken);
                        focus_first_problem();
                    }
                    Err(e) => form_error.set(Some(e.to_string())),
                }
            });
        } else {
            go.run((s + 1, true));
            focus_heading();
        }
    };

    let create = Request::new();
    let created = move |answer: Result<String, AppError>| match answer {
        Ok(id) => {
            draft::clear(DRAFT);
            navigate(&format!("/customers/{id}?created=1"), Default::default());
        }
        Err(AppError::Invalid(found)) => {
            let [d, p, c, r] = by_step(found);
            let first = [&d, &p, &c, &r].iter().position(|e| !e.is_empty()).unwrap_or(0);
            details.refuse(d);
            primary.refuse(p);
            connection.refuse(c);
            roles.refuse(r);
            go.run((first, false));
            focus_first_problem();
        }
        Err(e) => form_error.set(Some(e.to_string())),
    };
    let submit = move || {
        // Every step is checked (and shows its problems); the first with one is opened.
        let valid = (0..STEPS.len()).map(attempt).collect::<Vec<_>>();
        if let Some(first) = valid.iter().position(|ok| !ok) {
            go.run((first, false));
            focus_first_problem();
            return;
        }
        create.send(create_customer(untrack(customer)), created.clone());
    };
    let busy = move || create.pending() || checking_name.get();
    // The PBX and roles steps are a chunk of their own ([`later_steps`]): the wizard opens
    // without them, and fetches them once the user is past the first step (and for good).
    let later = Memo::new(move |was: Option<&bool>| was.copied().unwrap_or(false) || step.get() >= 1);
    let kind = connection.read(move |c| kind_of(c.template_id));
    let summary = Signal::derive(customer);

    view! {
        <form class="wizard card" novalidate on:submit=move |ev| {
            ev.prevent_default();
            if step.get_untracked() + 1 == STEPS.len() { submit() } else { next() }
        }>
            <ol class="stepper" aria-label="Steps">
                {STEPS.iter().enumerate().map(|(i, label)| view! {
                    <li
                        class=move || { if step.get() > i { "done" } else if step.get() == i { "current" } else { "" } }
                        aria-current=move || (step.get() == i).then_some("step")
                    >
                        <span class="step-number" aria-hidden="true">{i + 1}</span>
                        <span class="step-label">{*label}</span>
                    </li>
                }).collect_view()}
            </ol>
            {move || restored_notice.get().then(|| view! {
                <div class="notice restored-draft" role="status">
                    <p>"We kept the customer you started creating earlier: everything you entered is still here."</p>
                    <button type="button" class="link-button" on:click=start_over>"Start over"</button>
                </div>
            })}
            <h2 class="step-heading" tabindex="-1" node_ref=heading>{move || STEPS[step.get()]}</h2>
            <div class="stack" hidden=move || step.get() != 0>
                <DetailsFields form=details rules=options.with_value(|o| o.rules.clone()) country_text id="customer" creating=true
                    in_house_unavailable=options.with_value(|o| o.rules.in_house_unavailable()) />
            </div>
            <div class="stack" hidden=move || step.get() != 1>
                {
                    let (name, on_name) = primary.text("display_name", |p| &p.display_name, |p| &mut p.display_name);
                    let (email, on_email) = primary.text("email", |p| &p.email, |p| &mut p.email);
                    view! {
                        <p class="muted">"Every customer needs an administrator. They are invited by email as soon as the customer is created."</p>
                        <TextField id="primary-display-name" label="Display Name" value=name on_input=on_name required=true
                            autocomplete="off" error=primary.error("display_name") />
                        <TextField id="primary-email" label="Email" kind="email" value=email on_input=on_email required=true
                            autocomplete="off" hint="Use the same email address as on the PBX." error=primary.error("email") />
                    }
                }
            </div>
            {move || later.get().then(|| on_demand(move || later_steps(step, options, connection, kind, roles, summary)))}
            {move || form_error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <div class="wizard-actions">
                <button type="button" class="link-button" hidden=move || step.get() == 0 on:click=move |_| {
                    go.run((step.get_untracked().saturating_sub(1), true));
                    focus_heading();
                }>
                    "Back"
                </button>
                // A live region: a screen reader says which step opened.
                <span class="muted step-count" role="status">{move || format!("Step {} of {}: {}", step.get() + 1, STEPS.len(), STEPS[step.get()])}</span>
                {move || if step.get() + 1 == STEPS.len() {
                    Either::Left(view! {
                        <button type="submit" class="primary" disabled=busy aria-busy=move || busy().to_string()>
                            {move || if create.pending() { "Creating…" } else { "Create Customer" }}
                        </button>
                    })
                } else {
                    Either::Right(view! {
                        <button type="submit" class="primary" disabled=busy aria-busy=move || busy().to_string()>
                            {move || if checking_name.get() { "Checking…" } else { "Next" }}
                        </button>
                    })
                }}
            </div>
        </form>
    }
}

/// The wizard's PBX and roles steps (each shown when it is the current step).
#[lazy]
fn later_steps(
    step: RwSignal<usize>,
    options: StoredValue<WizardOptions>,
    connection: FormState<ConnectionForm>,
    kind: Signal<Option<PbxKind>>,
    roles: FormState<Roles>,
    summary: Signal<NewCustomer>,
) -> AnyView {
    view! {
        <div class="stack" hidden=move || step.get() != 2>
            <PbxStep options connection kind />
        </div>
        <div class="stack" hidden=move || step.get() != 3>
            <p class="muted">"Roles for the primary user. Users found on the PBX get their roles later, on the customer's Users tab."</p>
            <RolesEditor id="primary-roles" roles=roles.signal() admin_locked=true error=roles.error("roles") />
            <Summary customer=summary options />
        </div>
    }
    .into_any()
}

#[component]
fn PbxStep(options: StoredValue<WizardOptions>, connection: FormState<ConnectionForm>, kind: Signal<Option<PbxKind>>) -> impl IntoView {
    let templates = options.with_value(|o| o.templates.clone());
    if templates.is_empty() {
        return Either::Left(view! {
            <div class="notice" role="status">
                <p>"There are no PBX templates yet. A template holds your PBX platform's shared settings; create one, then come back: this wizard keeps what you entered."</p>
                <a class="primary button" href="/pbx-templates">"Create a PBX template"</a>
            </div>
        });
    }
    let (disabled, on_disabled) = connection.flag("create_disabled", |c| c.create_disabled, |c| &mut c.create_disabled);
    Either::Right(view! {
        <ConnectionFields form=connection templates kind id="pbx" creating=true />
        <CheckField id="pbx-create-disabled" label="Create connection disabled" checked=disabled on_change=on_disabled
            hint=Signal::derive(|| Some("Store the settings without connecting or importing users until you enable the connection.".to_string())) />
    })
}

/// What "Create Customer" will create, for a last look.
#[component]
fn Summary(customer: Signal<NewCustomer>, options: StoredValue<WizardOptions>) -> impl IntoView {
    view! {
        <section class="summary" aria-label="Summary">
            <h3>"You are about to create"</h3>
            {move || customer.with(|d| {
                let country = country::find(&d.details.country).map(|c| c.name).unwrap_or("—");
                let product = options.with_value(|o| o.rules.product_types.iter().find(|p| p.code == d.details.product_type).map(|p| p.name.clone())).unwrap_or_else(|| "—".into());
                let template = options.with_value(|o| o.template(d.connection.template_id).map(|t| t.name.clone())).unwrap_or_else(|| "—".into());
                let mut extras = Vec::new();
                if d.details.trial { extras.push(format!("trial until {}", d.details.trial_expires_on)); }
                if d.details.in_house { extras.push("in-house system".to_string()); }
                if d.connection.create_disabled { extras.push("connection disabled".to_string()); }
                view! {
                    <dl>
                        <dt>"Customer"</dt><dd>{format!("{} · {} · {}", d.details.name.trim(), product, country)}</dd>
                        <dt>"Primary user"</dt><dd>{format!("{} <{}>", d.primary_user.display_name.trim(), d.primary_user.email.trim())}</dd>
                        <dt>"PBX template"</dt><dd>{template}</dd>
                        {(!extras.is_empty()).then(|| view! { <dt>"Options"</dt><dd>{extras.join(", ")}</dd> })}
                    </dl>
                }
            })}
        </section>
    }
}
