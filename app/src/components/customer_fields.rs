//! The fields of a customer's details and of its PBX connection, written once and used by the
//! create wizard and by the customer page. What differs between the two is said by props
//! (`creating`, what is locked, why in-house is unavailable), not by a second copy.

use crate::components::form::{CheckField, SelectField, TextField};
use crate::components::form_state::FormState;
use leptos::prelude::*;
use model::country::{self, COUNTRIES};
use model::customer_form::{DetailsForm, DetailsRules};
use model::pbx::{ConnectionForm, PbxKind, TemplateOption};

/// "United Kingdom (GB)": how a country reads in the Country input.
pub fn country_label(code: &str) -> String {
    country::find(code).map(|c| format!("{} ({})", c.name, c.code)).unwrap_or_default()
}

/// The country code the user's text names: "United Kingdom (GB)", "united kingdom" or "GB".
pub fn resolve_country(text: &str) -> String {
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

const IN_HOUSE_HINT: &str = "A demonstration account for your own use. It is never charged.";

/// Name, product type, reference, country, notes, trial and in-house.
///
/// Creating, the product type is chosen from all (locked ones say so) and the trial can be
/// switched on; on an existing customer a locked type cannot change and the trial is shown as
/// it stands (`trial_text`), changed only by the life-cycle actions.
#[component]
pub fn DetailsFields(
    form: FormState<DetailsForm>,
    rules: DetailsRules,
    /// What the user typed into Country (kept by the caller, e.g. in the wizard's draft).
    country_text: RwSignal<String>,
    /// Prefix of the inputs' ids.
    id: &'static str,
    #[prop(optional)] creating: bool,
    /// On an existing customer: the locked product type's name, which cannot change.
    #[prop(optional_no_strip)]
    locked_type: Option<String>,
    /// Why in-house cannot be switched on (switching it off is always possible).
    #[prop(optional_no_strip)]
    in_house_unavailable: Option<String>,
    /// On an existing customer: how its trial stands.
    #[prop(optional)]
    trial_text: Option<String>,
) -> impl IntoView {
    let (name, on_name) = form.text("name", |f| &f.name, |f| &mut f.name);
    let (product_type, on_product_type) = form.text("product_type", |f| &f.product_type, |f| &mut f.product_type);
    let (reference, on_reference) = form.text("reference", |f| &f.reference, |f| &mut f.reference);
    let (notes, on_notes) = form.text("notes", |f| &f.notes, |f| &mut f.notes);
    let (trial_end, on_trial_end) = form.text("trial_expires_on", |f| &f.trial_expires_on, |f| &mut f.trial_expires_on);
    let (in_house, on_in_house) = form.flag("in_house", |f| f.in_house, |f| &mut f.in_house);
    let trial = form.read(|f| f.trial);
    let latest = rules.latest_trial_end.clone();
    let on_trial = Callback::new(move |on: bool| {
        let latest = latest.clone();
        form.edit("trial", move |f| {
            f.trial = on;
            // The longest trial allowed, unless the user already chose a day.
            if on && f.trial_expires_on.is_empty() {
                f.trial_expires_on = latest;
            }
        })
    });
    let on_country = Callback::new(move |value: String| {
        // Text that names no country stays in the form as typed, so the rule names it
        // ("No country in the list is “Narnia”") instead of calling the field empty.
        let code = Some(resolve_country(&value)).filter(|c| !c.is_empty()).unwrap_or_else(|| value.trim().chars().take(100).collect());
        country_text.set(value);
        form.edit("country", move |f| f.country = code);
    });
    let country_value = Signal::derive(move || {
        let typed = country_text.get();
        if typed.is_empty() { form.with_value(|f| country_label(&f.country)) } else { typed }
    });
    let country_info = move || {
        form.with_value(|f| country::find(&f.country)).map(|c| format!("Time zone {} · numbers written {}", c.time_zone, c.number_format.example()))
    };
    let types: Vec<(String, String)> = rules
        .product_types
        .iter()
        .map(|p| (p.code.clone(), if creating && p.locked { format!("{} (locked once chosen)", p.name) } else { p.name.clone() }))
        .collect();
    let type_locked = locked_type.is_some();
    let type_hint = locked_type.map(|name| format!("{name} is a locked product type: it cannot be changed."));
    let in_house_blocked = in_house_unavailable.is_some();
    let in_house_hint = in_house_unavailable.unwrap_or_else(|| IN_HOUSE_HINT.into());
    let list = format!("{id}-country-list");
    let trial_fields = match trial_text {
        Some(text) => Some(
            view! {
                <div class="field">
                    <span class="label">"Trial"</span>
                    <p class="read-only">{text}</p>
                </div>
            }
            .into_any(),
        ),
        None => (creating && rules.trials_allowed).then(|| {
            let today = rules.today.clone();
            let latest_end = rules.latest_trial_end.clone();
            view! {
                <CheckField id=format!("{id}-trial") label="Enable Trial Period" checked=trial on_change=on_trial
                    hint=Signal::derive(|| Some("Trial days are free. The account becomes a paying one when the trial ends.".to_string()))
                    error=form.error("trial") />
                <div hidden=move || !trial.get()>
                    // Dates are written as everywhere in the portal (2027-01-30), not in the
                    // browser's own date format.
                    <TextField id=format!("{id}-trial-end") label="Trial Expiration Date" value=trial_end on_input=on_trial_end
                        autocomplete="off" hint=format!("YYYY-MM-DD, after {today} and at most {latest_end}.") error=form.error("trial_expires_on") />
                </div>
            }
            .into_any()
        }),
    };
    view! {
        <TextField id=format!("{id}-name") label="Name" value=name on_input=on_name required=true autocomplete="off" error=form.error("name") />
        <SelectField id=format!("{id}-product-type") label="Product Type" value=product_type on_change=on_product_type
            options=Signal::stored(types) placeholder=creating.then_some("Choose a product type") required=true
            disabled=Signal::stored(type_locked) hint=Signal::stored(type_hint) error=form.error("product_type") />
        <TextField id=format!("{id}-reference") label="Reference" value=reference on_input=on_reference
            hint="Your own reference, shown in billing. Optional." error=form.error("reference") />
        <TextField id=format!("{id}-country") label="Country" list=list.clone() autocomplete="off" required=true
            value=country_value on_input=on_country error=form.error("country") />
        <datalist id=list>
            {COUNTRIES.iter().map(|c| view! { <option value=format!("{} ({})", c.name, c.code)></option> }).collect_view()}
        </datalist>
        <p class="hint country-info" aria-live="polite">{country_info}</p>
        <TextField id=format!("{id}-notes") label="Notes" multiline=true value=notes on_input=on_notes
            hint="For your support staff. Optional." error=form.error("notes") />
        {trial_fields}
        <CheckField id=format!("{id}-in-house") label="In-house System" checked=in_house on_change=on_in_house
            disabled=Signal::derive(move || in_house_blocked && !in_house.get()) hint=Signal::stored(Some(in_house_hint))
            error=form.error("in_house") />
    }
}

/// The template and the settings a connection has on it: the account (Kazoo), the directory
/// tenant (Teams), sub-accounts and the Agent add-on.
///
/// Creating, every template is offered (the default one says so) and sub-accounts can be
/// chosen; afterwards sub-accounts are fixed and shown as they were set.
#[component]
pub fn ConnectionFields(
    form: FormState<ConnectionForm>,
    templates: Vec<TemplateOption>,
    /// The kind of the chosen template.
    kind: Signal<Option<PbxKind>>,
    /// Prefix of the inputs' ids.
    id: &'static str,
    #[prop(optional)] creating: bool,
) -> impl IntoView {
    let template_options: Vec<(String, String)> = templates
        .iter()
        .map(|t| (t.id.to_string(), format!("{} ({}){}", t.name, t.kind.label(), if creating && t.is_default { " — default" } else { "" })))
        .collect();
    let template_value = form.read(|f| f.template_id.map(|i| i.to_string()).unwrap_or_default());
    let on_template = Callback::new(move |value: String| form.edit("template_id", move |f| f.template_id = value.parse().ok()));
    let (account, on_account) = form.text("account_id", |f| &f.account_id, |f| &mut f.account_id);
    let (tenant, on_tenant) = form.text("directory_tenant_id", |f| &f.directory_tenant_id, |f| &mut f.directory_tenant_id);
    let (sub_accounts, on_sub_accounts) = form.flag("auto_provision_sub_accounts", |f| f.auto_provision_sub_accounts, |f| &mut f.auto_provision_sub_accounts);
    let (agent, on_agent) = form.flag("auto_agent_addon", |f| f.auto_agent_addon, |f| &mut f.auto_agent_addon);
    let sub_accounts_field = if creating {
        view! {
            <CheckField id=format!("{id}-sub-accounts") label="Auto provision sub accounts" checked=sub_accounts on_change=on_sub_accounts
                hint=Signal::derive(|| Some("Monitor all of the account's sub-accounts too. Only settable now, at creation.".to_string())) />
        }
        .into_any()
    } else {
        let set = if sub_accounts.get_untracked() { "Yes (set at creation)" } else { "No (set at creation)" };
        view! { <div class="field"><span class="label">"Auto provision sub accounts"</span><p class="read-only">{set}</p></div> }.into_any()
    };
    view! {
        <SelectField id=format!("{id}-template") label="PBX Template" value=template_value on_change=on_template
            options=Signal::stored(template_options) placeholder=creating.then_some("Choose a PBX template") required=true
            error=form.error("template_id") />
        <div hidden=move || kind.get() != Some(PbxKind::Kazoo)>
            <TextField id=format!("{id}-account-id") label="Account ID" value=account on_input=on_account autocomplete="off" required=true
                hint="The customer's account id on the Kazoo platform (32 hexadecimal characters)." error=form.error("account_id") />
        </div>
        <div hidden=move || kind.get() != Some(PbxKind::Teams)>
            <TextField id=format!("{id}-tenant-id") label="Directory Tenant ID" value=tenant on_input=on_tenant autocomplete="off" required=true
                hint="The customer's Microsoft Entra directory (tenant) id." error=form.error("directory_tenant_id") />
        </div>
        <p class="hint" hidden=move || kind.get() != Some(PbxKind::ThreeCx)>"3CX needs nothing customer-specific: the template's server and credentials are used."</p>
        {sub_accounts_field}
        <CheckField id=format!("{id}-agent-addon") label="Give PBX agents the Agent add-on" checked=agent on_change=on_agent
            hint=Signal::derive(|| Some("Call-centre agents found on the PBX get the Agent add-on automatically.".to_string())) />
    }
}
