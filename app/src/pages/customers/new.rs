//! `/customers/new`: the four-step create wizard. Every field is checked as the user types by
//! the same `model` rules the server applies; the draft lives in sessionStorage, so a reload
//! or a lost connection loses nothing; "Create Customer" sends one request whose key makes a
//! second click harmless.

use crate::api::customers::{create_customer, customer_name_available, load_wizard_options};
use crate::components::error_panel::ErrorPanel;
use crate::components::form::{CheckField, SelectField, TextField};
use crate::components::roles::RolesEditor;
use crate::AppError;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;
use model::country::{self, COUNTRIES};
use model::customer_form::{NewCustomer, WizardOptions};
use model::pbx::{ConnectionForm, PbxKind};
use model::roles::Roles;
use model::FieldErrors;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

const STEPS: [&str; 4] = ["Customer Details", "Primary User", "PBX Details", "Role Assignment"];
const DRAFT_KEY: &str = "portal.create-customer.draft";

/// What survives a reload.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Draft {
    step: usize,
    customer: NewCustomer,
    country_text: String,
}

fn storage() -> Option<web_sys::Storage> {
    window().session_storage().ok().flatten()
}

fn load_draft() -> Option<Draft> {
    storage()?.get_item(DRAFT_KEY).ok().flatten().and_then(|json| serde_json::from_str(&json).ok())
}

fn save_draft(draft: &Draft) {
    if let (Some(s), Ok(json)) = (storage(), serde_json::to_string(draft)) {
        let _ = s.set_item(DRAFT_KEY, &json);
    }
}

fn clear_draft() {
    if let Some(s) = storage() {
        let _ = s.remove_item(DRAFT_KEY);
    }
}

/// "United Kingdom (GB)": how a country reads in the Country input.
fn country_label(code: &str) -> String {
    country::find(code).map(|c| format!("{} ({})", c.name, c.code)).unwrap_or_default()
}

/// The country code the user's text names: "United Kingdom (GB)", "united kingdom" or "GB".
pub(super) fn resolve_country(text: &str) -> String {
    let text = text.trim();
    if let Some(code) = text.strip_suffix(')').and_then(|t| t.rsplit_once('(')).map(|(_, c)| c)
        && let Some(c) = country::find(code)
    {
        return c.code.to_owned();
    }
    COUNTRIES
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(text) || c.code.eq_ignore_ascii_case(text))
        .map(|c| c.code.to_owned())
        .unwrap_or_default()
}

/// Which wizard step a server-reported field belongs to.
fn step_of(field: &str) -> usize {
    if field.starts_with("primary_user.") {
        1
    } else if field.starts_with("connection.") {
        2
    } else if field == "roles" {
        3
    } else {
        0
    }
}

#[component]
pub fn CreateCustomerPage() -> impl IntoView {
    let options = Resource::new(|| (), |_| load_wizard_options());
    view! {
        <Title text="Create New Customer" />
        <div class="page-header">
            <h1>"Create New Customer"</h1>
            <a class="link-button" href="/customers">"Cancel"</a>
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
    let options = StoredValue::new(options);
    let fresh = NewCustomer {
        request_key: options.with_value(|o| o.request_key.clone()),
        connection: ConnectionForm { template_id: default_template, ..ConnectionForm::default() },
        roles: Roles::primary_default(),
        ..NewCustomer::default()
    };
    let draft = RwSignal::new(fresh);
    let roles = RwSignal::new(Roles::primary_default());
    let step = RwSignal::new(0usize);
    let country_text = RwSignal::new(String::new());
    let touched = RwSignal::new(HashSet::<&'static str>::new());
    let attempted = RwSignal::new([false; 4]);
    let server_errors = RwSignal::new(FieldErrors::new());
    let form_error = RwSignal::new(None::<String>);
    let checking_name = RwSignal::new(false);

    // Restore a half-filled wizard once in the browser, then keep saving it.
    Effect::new(move |restored: Option<bool>| {
        if restored.is_none()
            && let Some(saved) = load_draft()
        {
            let mut customer = saved.customer;
            // The rules may have changed since the draft was saved: no template that is gone,
            // no trial the reseller may no longer give (its checkbox would not even show).
            if options.with_value(|o| o.template(customer.connection.template_id).is_none()) {
                customer.connection.template_id = default_template;
            }
            if !options.with_value(|o| o.rules.trials_allowed) {
                customer.details.trial = false;
            }
            roles.set(customer.roles);
            country_text.set(saved.country_text);
            step.set(saved.step.min(STEPS.len() - 1));
            draft.set(customer);
        }
        // Reading the signals here also subscribes this effect to every later change.
        let mut customer = draft.get();
        customer.roles = roles.get();
        save_draft(&Draft { step: step.get(), customer, country_text: country_text.get() });
        true
    });

    // The client-side verdict per step, recomputed as the user types.
    let errors = Memo::new(move |_| {
        let d = draft.get();
        options.with_value(|o| {
            let mut role_errors = FieldErrors::new();
            role_errors.check("roles", roles.get().validate());
            [
                d.details.validate(&o.rules, true),
                d.primary_user.validate(),
                d.connection.validate(o.template_kind(d.connection.template_id)),
                role_errors,
            ]
        })
    });
    // A field shows its problem once touched (or after "Next"); the server's verdict otherwise.
    let error_for = move |s: usize, key: &'static str, server_key: &'static str| {
        Signal::derive(move || {
            let visible = touched.with(|t| t.contains(server_key)) || attempted.get()[s];
            let client = visible.then(|| errors.with(|e| e[s].get(key).map(str::to_owned))).flatten();
            client.or_else(|| server_errors.with(|e| e.get(server_key).map(str::to_owned)))
        })
    };
    let edit = move |key: &'static str, change: Box<dyn FnOnce(&mut NewCustomer)>| {
        draft.update(change);
        touched.update(|t| {
            t.insert(key);
        });
        server_errors.update(|e| e.0.retain(|f| f.field != key));
        form_error.set(None);
    };
    let text = move |key: &'static str, get: fn(&NewCustomer) -> &String, set: fn(&mut NewCustomer) -> &mut String| {
        (
            Signal::derive(move || draft.with(|d| get(d).clone())),
            Callback::new(move |value: String| edit(key, Box::new(move |d| *set(d) = value))),
        )
    };
    let check = move |key: &'static str, get: fn(&NewCustomer) -> bool, set: fn(&mut NewCustomer) -> &mut bool| {
        (
            Signal::derive(move || draft.with(get)),
            Callback::new(move |value: bool| edit(key, Box::new(move |d| *set(d) = value))),
        )
    };

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
        attempted.update(|a| a[s] = true);
        if !errors.with_untracked(|e| e[s].is_empty()) {
            focus_first_problem();
            return;
        }
        if s == 0 {
            // Name uniqueness is settled before the user goes further.
            let name = draft.with_untracked(|d| d.details.name.clone());
            checking_name.set(true);
            leptos::task::spawn_local(async move {
                let outcome = customer_name_available(name.clone(), None).await;
                checking_name.set(false);
                match outcome {
                    Ok(true) => step.set(1),
                    Ok(false) => {
                        server_errors.update(|e| e.add("name", format!("A customer named \u{201c}{}\u{201d} already exists.", name.trim())));
                        focus_first_problem();
                    }
                    Err(e) => form_error.set(Some(e.to_string())),
                }
            });
        } else {
            step.set(s + 1);
        }
    };

    let navigate = use_navigate();
    let create = Action::new(move |customer: &NewCustomer| create_customer(customer.clone()));
    Effect::new(move |_| match create.value().get() {
        Some(Ok(id)) => {
            clear_draft();
            navigate(&format!("/customers/{id}?created=1"), Default::default());
        }
        Some(Err(AppError::Invalid(found))) => {
            let first = found.0.iter().map(|f| step_of(&f.field)).min().unwrap_or(0);
            server_errors.set(found);
            step.set(first);
            focus_first_problem();
        }
        Some(Err(e)) => form_error.set(Some(e.to_string())),
        None => {}
    });
    let submit = move || {
        attempted.update(|a| *a = [true; 4]);
        if let Some(first) = errors.with_untracked(|e| e.iter().position(|s| !s.is_empty())) {
            step.set(first);
            focus_first_problem();
            return;
        }
        let mut customer = draft.get_untracked();
        customer.roles = roles.get_untracked();
        create.dispatch(customer);
    };
    let busy = move || create.pending().get() || checking_name.get();

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
            <h2 class="step-heading">{move || STEPS[step.get()]}</h2>
            <div class="stack" hidden=move || step.get() != 0>
                <DetailsStep options draft country_text text check edit error_for />
            </div>
            <div class="stack" hidden=move || step.get() != 1>
                {
                    let (name, on_name) = text("primary_user.display_name", |d| &d.primary_user.display_name, |d| &mut d.primary_user.display_name);
                    let (email, on_email) = text("primary_user.email", |d| &d.primary_user.email, |d| &mut d.primary_user.email);
                    view! {
                        <p class="muted">"Every customer needs an administrator. They are invited by email as soon as the customer is created."</p>
                        <TextField id="primary-display-name" label="Display Name" value=name on_input=on_name required=true
                            autocomplete="off" error=error_for(1, "display_name", "primary_user.display_name") />
                        <TextField id="primary-email" label="Email" kind="email" value=email on_input=on_email required=true
                            autocomplete="off" hint="Use the same email address as on the PBX."
                            error=error_for(1, "email", "primary_user.email") />
                    }
                }
            </div>
            <div class="stack" hidden=move || step.get() != 2>
                <PbxStep options draft text check edit error_for />
            </div>
            <div class="stack" hidden=move || step.get() != 3>
                <p class="muted">"Roles for the primary user. Users found on the PBX get their roles later, on the customer's Users tab."</p>
                <RolesEditor id="primary-roles" roles admin_locked=true error=error_for(3, "roles", "roles") />
                <Summary draft options />
            </div>
            {move || form_error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <div class="wizard-actions">
                <button type="button" class="link-button" hidden=move || step.get() == 0 on:click=move |_| step.update(|s| *s = s.saturating_sub(1))>
                    "Back"
                </button>
                <span class="muted step-count">{move || format!("Step {} of {}", step.get() + 1, STEPS.len())}</span>
                {move || if step.get() + 1 == STEPS.len() {
                    Either::Left(view! {
                        <button type="submit" class="primary" disabled=busy aria-busy=move || busy().to_string()>
                            {move || if create.pending().get() { "Creating…" } else { "Create Customer" }}
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

type TextLens = fn(&NewCustomer) -> &String;
type TextLensMut = fn(&mut NewCustomer) -> &mut String;
type FlagLens = fn(&NewCustomer) -> bool;
type FlagLensMut = fn(&mut NewCustomer) -> &mut bool;

#[component]
fn DetailsStep(
    options: StoredValue<WizardOptions>,
    draft: RwSignal<NewCustomer>,
    country_text: RwSignal<String>,
    text: impl Fn(&'static str, TextLens, TextLensMut) -> (Signal<String>, Callback<String>) + Copy + 'static,
    check: impl Fn(&'static str, FlagLens, FlagLensMut) -> (Signal<bool>, Callback<bool>) + Copy + 'static,
    edit: impl Fn(&'static str, Box<dyn FnOnce(&mut NewCustomer)>) + Copy + Send + Sync + 'static,
    error_for: impl Fn(usize, &'static str, &'static str) -> Signal<Option<String>> + Copy + 'static,
) -> impl IntoView {
    let rules = options.with_value(|o| o.rules.clone());
    let (name, on_name) = text("name", |d| &d.details.name, |d| &mut d.details.name);
    let (product_type, on_product_type) = text("product_type", |d| &d.details.product_type, |d| &mut d.details.product_type);
    let (reference, on_reference) = text("reference", |d| &d.details.reference, |d| &mut d.details.reference);
    let (notes, on_notes) = text("notes", |d| &d.details.notes, |d| &mut d.details.notes);
    let (trial_end, on_trial_end) = text("trial_expires_on", |d| &d.details.trial_expires_on, |d| &mut d.details.trial_expires_on);
    let (in_house, on_in_house) = check("in_house", |d| d.details.in_house, |d| &mut d.details.in_house);
    let trial = Signal::derive(move || draft.with(|d| d.details.trial));
    let latest = rules.latest_trial_end.clone();
    let on_trial = Callback::new(move |on: bool| {
        let latest = latest.clone();
        edit(
            "trial",
            Box::new(move |d| {
                d.details.trial = on;
                // The longest trial allowed, unless the user already chose a day.
                if on && d.details.trial_expires_on.is_empty() {
                    d.details.trial_expires_on = latest;
                }
            }),
        )
    });
    let on_country = Callback::new(move |value: String| {
        let code = resolve_country(&value);
        country_text.set(value);
        edit("country", Box::new(move |d| d.details.country = code));
    });
    let country_info = move || {
        draft.with(|d| country::find(&d.details.country)).map(|c| {
            format!("Time zone {} · numbers written {}", c.time_zone, c.number_format.example())
        })
    };
    let types: Vec<(String, String)> = rules
        .product_types
        .iter()
        .map(|p| (p.code.clone(), if p.locked { format!("{} (locked once chosen)", p.name) } else { p.name.clone() }))
        .collect();
    let in_house_reason = rules.in_house_unavailable();
    let in_house_blocked = in_house_reason.is_some();
    let in_house_hint = Signal::derive({
        let reason = in_house_reason.clone();
        move || {
            Some(match &reason {
                Some(r) => r.clone(),
                None => "A demonstration account for your own use. It is never charged.".into(),
            })
        }
    });
    let today = rules.today.clone();
    let latest_end = rules.latest_trial_end.clone();
    view! {
        <TextField id="customer-name" label="Name" value=name on_input=on_name required=true autocomplete="off"
            error=error_for(0, "name", "name") />
        <SelectField id="customer-product-type" label="Product Type" value=product_type on_change=on_product_type
            options=Signal::derive(move || types.clone()) placeholder="Choose a product type" required=true
            error=error_for(0, "product_type", "product_type") />
        <TextField id="customer-reference" label="Reference" value=reference on_input=on_reference
            hint="Your own reference, shown in billing. Optional." error=error_for(0, "reference", "reference") />
        <TextField id="customer-country" label="Country" list="country-list" autocomplete="off" required=true
            value=Signal::derive(move || {
                let typed = country_text.get();
                if typed.is_empty() { draft.with(|d| country_label(&d.details.country)) } else { typed }
            })
            on_input=on_country error=error_for(0, "country", "country") />
        <datalist id="country-list">
            {COUNTRIES.iter().map(|c| view! { <option value=format!("{} ({})", c.name, c.code)></option> }).collect_view()}
        </datalist>
        <p class="hint country-info" aria-live="polite">{country_info}</p>
        <TextField id="customer-notes" label="Notes" multiline=true value=notes on_input=on_notes
            hint="For your support staff. Optional." error=error_for(0, "notes", "notes") />
        {rules.trials_allowed.then(|| view! {
            <CheckField id="customer-trial" label="Enable Trial Period" checked=trial on_change=on_trial
                hint=Signal::derive(|| Some("Trial days are free. The account becomes a paying one when the trial ends.".to_string()))
                error=error_for(0, "trial", "trial") />
            <div hidden=move || !trial.get()>
                <TextField id="customer-trial-end" label="Trial Expiration Date" kind="date" value=trial_end on_input=on_trial_end
                    min=Signal::stored(today.clone()) max=Signal::stored(latest_end.clone())
                    hint=format!("At most until {}.", latest_end) error=error_for(0, "trial_expires_on", "trial_expires_on") />
            </div>
        })}
        <CheckField id="customer-in-house" label="In-house System" checked=in_house on_change=on_in_house
            disabled=Signal::derive(move || in_house_blocked && !in_house.get()) hint=in_house_hint
            error=error_for(0, "in_house", "in_house") />
    }
}

#[component]
fn PbxStep(
    options: StoredValue<WizardOptions>,
    draft: RwSignal<NewCustomer>,
    text: impl Fn(&'static str, TextLens, TextLensMut) -> (Signal<String>, Callback<String>) + Copy + 'static,
    check: impl Fn(&'static str, FlagLens, FlagLensMut) -> (Signal<bool>, Callback<bool>) + Copy + 'static,
    edit: impl Fn(&'static str, Box<dyn FnOnce(&mut NewCustomer)>) + Copy + Send + Sync + 'static,
    error_for: impl Fn(usize, &'static str, &'static str) -> Signal<Option<String>> + Copy + 'static,
) -> impl IntoView {
    let templates = options.with_value(|o| o.templates.clone());
    if templates.is_empty() {
        return Either::Left(view! {
            <div class="notice" role="status">
                <p>"There are no PBX templates yet. A template holds your PBX platform's shared settings; create one, then come back: this wizard keeps what you entered."</p>
                <a class="primary button" href="/pbx-templates">"Create a PBX template"</a>
            </div>
        });
    }
    let template_options: Vec<(String, String)> = templates
        .iter()
        .map(|t| (t.id.to_string(), format!("{} ({}){}", t.name, t.kind.label(), if t.is_default { " — default" } else { "" })))
        .collect();
    let kind = Memo::new(move |_| options.with_value(|o| o.template_kind(draft.with(|d| d.connection.template_id))));
    let template_value = Signal::derive(move || draft.with(|d| d.connection.template_id.map(|i| i.to_string()).unwrap_or_default()));
    let on_template = Callback::new(move |value: String| {
        edit("connection.template_id", Box::new(move |d| d.connection.template_id = value.parse().ok()))
    });
    let (account, on_account) = text("connection.account_id", |d| &d.connection.account_id, |d| &mut d.connection.account_id);
    let (tenant, on_tenant) =
        text("connection.directory_tenant_id", |d| &d.connection.directory_tenant_id, |d| &mut d.connection.directory_tenant_id);
    let (sub_accounts, on_sub_accounts) =
        check("connection.auto_provision_sub_accounts", |d| d.connection.auto_provision_sub_accounts, |d| &mut d.connection.auto_provision_sub_accounts);
    let (agent, on_agent) = check("connection.auto_agent_addon", |d| d.connection.auto_agent_addon, |d| &mut d.connection.auto_agent_addon);
    let (disabled, on_disabled) = check("connection.create_disabled", |d| d.connection.create_disabled, |d| &mut d.connection.create_disabled);
    Either::Right(view! {
        <SelectField id="pbx-template" label="PBX Template" value=template_value on_change=on_template
            options=Signal::derive(move || template_options.clone()) placeholder="Choose a PBX template" required=true
            error=error_for(2, "template_id", "connection.template_id") />
        <div hidden=move || kind.get() != Some(PbxKind::Kazoo)>
            <TextField id="pbx-account-id" label="Account ID" value=account on_input=on_account autocomplete="off" required=true
                hint="The customer's account id on the Kazoo platform (32 hexadecimal characters)."
                error=error_for(2, "account_id", "connection.account_id") />
        </div>
        <div hidden=move || kind.get() != Some(PbxKind::Teams)>
            <TextField id="pbx-tenant-id" label="Directory Tenant ID" value=tenant on_input=on_tenant autocomplete="off" required=true
                hint="The customer's Microsoft Entra directory (tenant) id."
                error=error_for(2, "directory_tenant_id", "connection.directory_tenant_id") />
        </div>
        <p class="hint" hidden=move || kind.get() != Some(PbxKind::ThreeCx)>"3CX needs nothing customer-specific: the template's server and credentials are used."</p>
        <CheckField id="pbx-sub-accounts" label="Auto provision sub accounts" checked=sub_accounts on_change=on_sub_accounts
            hint=Signal::derive(|| Some("Monitor all of the account's sub-accounts too. Only settable now, at creation.".to_string())) />
        <CheckField id="pbx-agent-addon" label="Give PBX agents the Agent add-on" checked=agent on_change=on_agent
            hint=Signal::derive(|| Some("Call-centre agents found on the PBX get the Agent add-on automatically.".to_string())) />
        <CheckField id="pbx-create-disabled" label="Create connection disabled" checked=disabled on_change=on_disabled
            hint=Signal::derive(|| Some("Store the settings without connecting or importing users until you enable the connection.".to_string())) />
    })
}

/// What "Create Customer" will create, for a last look.
#[component]
fn Summary(draft: RwSignal<NewCustomer>, options: StoredValue<WizardOptions>) -> impl IntoView {
    view! {
        <section class="summary" aria-label="Summary">
            <h3>"You are about to create"</h3>
            {move || draft.with(|d| {
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
