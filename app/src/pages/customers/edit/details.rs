//! The customer page's Details tab: the customer's details and in-house setting, saved with optimistic concurrency.

use crate::api::customers::update_customer;
use crate::components::form::{CheckField, SelectField, TextField};
use crate::AppError;
use leptos::prelude::*;
use model::country::{self, COUNTRIES};
use model::customer_form::{CustomerDetail, DetailsForm};
use model::FieldErrors;
use std::collections::HashSet;
use super::Problem;

#[component]
pub(super) fn DetailsTab(detail: CustomerDetail, current: RwSignal<CustomerDetail>, name: RwSignal<String>, read_only: bool) -> impl IntoView {
    let id = detail.id.clone();
    let rules = StoredValue::new(detail.rules.clone());
    let form = RwSignal::new(detail.details.clone());
    let version = RwSignal::new(detail.version);
    let country_text = RwSignal::new(country::find(&detail.details.country).map(|c| format!("{} ({})", c.name, c.code)).unwrap_or_default());
    let touched = RwSignal::new(HashSet::<&'static str>::new());
    let server_errors = RwSignal::new(FieldErrors::new());
    let was_in_house = detail.details.in_house;
    let errors = Memo::new(move |_| {
        let mut e = rules.with_value(|r| form.with(|f| f.validate(r, false)));
        if was_in_house {
            e.0.retain(|f| f.field != "in_house");
        }
        e
    });
    let attempted = RwSignal::new(false);
    let error_for = move |key: &'static str| {
        Signal::derive(move || {
            let visible = attempted.get() || touched.with(|t| t.contains(key));
            visible
                .then(|| errors.with(|e| e.get(key).map(str::to_owned)))
                .flatten()
                .or_else(|| server_errors.with(|e| e.get(key).map(str::to_owned)))
        })
    };
    let saved = RwSignal::new(false);
    let edit = move |key: &'static str, change: Box<dyn FnOnce(&mut DetailsForm)>| {
        saved.set(false);
        form.update(change);
        touched.update(|t| {
            t.insert(key);
        });
        server_errors.update(|e| e.0.retain(|f| f.field != key));
    };
    let text = move |key: &'static str, get: fn(&DetailsForm) -> &String, set: fn(&mut DetailsForm) -> &mut String| {
        (
            Signal::derive(move || form.with(|f| get(f).clone())),
            Callback::new(move |v: String| edit(key, Box::new(move |f| *set(f) = v))),
        )
    };
    let (name_value, on_name) = text("name", |f| &f.name, |f| &mut f.name);
    let (product_type, on_product_type) = text("product_type", |f| &f.product_type, |f| &mut f.product_type);
    let (reference, on_reference) = text("reference", |f| &f.reference, |f| &mut f.reference);
    let (notes, on_notes) = text("notes", |f| &f.notes, |f| &mut f.notes);
    let in_house = Signal::derive(move || form.with(|f| f.in_house));
    let on_in_house = Callback::new(move |v: bool| edit("in_house", Box::new(move |f| f.in_house = v)));
    let on_country = Callback::new(move |value: String| {
        let code = super::super::new::resolve_country(&value);
        country_text.set(value);
        edit("country", Box::new(move |f| f.country = code));
    });
    let types: Vec<(String, String)> = detail.rules.product_types.iter().map(|p| (p.code.clone(), p.name.clone())).collect();
    let locked = detail.product_type_locked;
    let in_house_reason = if was_in_house { None } else { detail.rules.in_house_unavailable() };
    let in_house_blocked = in_house_reason.is_some();
    let in_house_hint = Signal::derive(move || {
        Some(in_house_reason.clone().unwrap_or_else(|| "A demonstration account for your own use. It is never charged.".into()))
    });
    let trial = match detail.details.trial {
        true => format!("Trial until {}", detail.details.trial_expires_on),
        false => "No trial".to_string(),
    };
    let save = Action::new(move |(id, version, form): &(String, i32, DetailsForm)| update_customer(id.clone(), *version, form.clone()));
    let problem = RwSignal::new(None::<(String, bool)>);
    Effect::new(move |_| match save.value().get() {
        Some(Ok(v)) => {
            version.set(v);
            let saved_form = form.get_untracked();
            name.set(saved_form.name.trim().to_owned());
            current.update(|d| {
                d.details = saved_form;
                d.version = v;
            });
            touched.set(HashSet::new());
            saved.set(true);
        }
        Some(Err(AppError::Invalid(found))) => server_errors.set(found),
        Some(Err(AppError::Refused(m))) => problem.set(Some((m, true))),
        Some(Err(e)) => problem.set(Some((e.to_string(), false))),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        attempted.set(true);
        saved.set(false);
        problem.set(None);
        if errors.with_untracked(|e| e.is_empty()) {
            save.dispatch((id.clone(), version.get_untracked(), form.get_untracked()));
        }
    };
    let country_info = move || form.with(|f| country::find(&f.country)).map(|c| format!("Time zone {} · numbers written {}", c.time_zone, c.number_format.example()));
    view! {
        <form class="stack details-form" novalidate on:submit=submit>
            <fieldset class="plain" disabled=read_only>
                <div class="stack">
                    <TextField id="detail-name" label="Name" value=name_value on_input=on_name required=true autocomplete="off" error=error_for("name") />
                    <SelectField id="detail-product-type" label="Product Type" value=product_type on_change=on_product_type
                        options=Signal::derive(move || types.clone()) disabled=Signal::stored(locked)
                        hint=Signal::stored(locked.then(|| format!("{} is a locked product type: it cannot be changed.", detail.product_type_name)))
                        error=error_for("product_type") />
                    <TextField id="detail-reference" label="Reference" value=reference on_input=on_reference error=error_for("reference") />
                    <TextField id="detail-country" label="Country" list="detail-country-list" autocomplete="off" required=true
                        value=Signal::derive(move || country_text.get()) on_input=on_country error=error_for("country") />
                    <datalist id="detail-country-list">
                        {COUNTRIES.iter().map(|c| view! { <option value=format!("{} ({})", c.name, c.code)></option> }).collect_view()}
                    </datalist>
                    <p class="hint country-info" aria-live="polite">{country_info}</p>
                    <TextField id="detail-notes" label="Notes" multiline=true value=notes on_input=on_notes error=error_for("notes") />
                    <div class="field">
                        <span class="label">"Trial"</span>
                        <p class="read-only">{trial}</p>
                    </div>
                    <CheckField id="detail-in-house" label="In-house System" checked=in_house on_change=on_in_house
                        disabled=Signal::derive(move || in_house_blocked && !in_house.get()) hint=in_house_hint error=error_for("in_house") />
                </div>
            </fieldset>
            {move || problem.get().map(|(m, reload)| view! { <Problem message=m reload /> })}
            {move || saved.get().then(|| view! { <p class="notice success" role="status">"Saved."</p> })}
            {(!read_only).then(|| view! {
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || save.pending().get() aria-busy=move || save.pending().get().to_string()>
                        {move || if save.pending().get() { "Saving…" } else { "Save" }}
                    </button>
                </div>
            })}
        </form>
    }
}
