//! The customer page's Details tab: the customer's details and in-house setting, saved with optimistic concurrency.

use crate::api::customers::update_customer;
use crate::components::customer_fields::{country_label, DetailsFields};
use crate::components::form_state::FormState;
use crate::components::request::Request;
use crate::AppError;
use leptos::prelude::*;
use model::customer_form::{CustomerDetail, DetailsForm};
use super::Problem;

#[component]
pub(super) fn DetailsTab(detail: CustomerDetail, current: RwSignal<CustomerDetail>, name: RwSignal<String>, read_only: bool) -> impl IntoView {
    let id = detail.id.clone();
    let rules = detail.rules.clone();
    let was_in_house = detail.details.in_house;
    let form = FormState::new(detail.details.clone(), move |f: &DetailsForm| {
        let mut e = f.validate(&rules, false);
        // Keeping an in-house system is always allowed; only switching one on counts.
        if was_in_house {
            e.0.retain(|f| f.field != "in_house");
        }
        e
    });
    form.guard_unsaved();
    let version = RwSignal::new(detail.version);
    let country_text = RwSignal::new(country_label(&detail.details.country));
    let trial = match detail.details.trial {
        true => format!("Trial until {}", detail.details.trial_expires_on),
        false => "No trial".to_string(),
    };
    let save = Request::new();
    let problem = RwSignal::new(None::<(String, bool)>);
    let saved = move |answer: Result<i32, AppError>| match answer {
        Ok(v) => {
            version.set(v);
            let saved_form = form.get_untracked();
            name.set(saved_form.name.trim().to_owned());
            current.update(|d| {
                d.details = saved_form;
                d.version = v;
            });
            form.mark_saved();
        }
        Err(AppError::Invalid(found)) => form.refuse(found),
        Err(AppError::Refused(m)) => problem.set(Some((m, true))),
        Err(e) => problem.set(Some((format!("{e} Your changes are still here: Save again when it works."), false))),
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        problem.set(None);
        if form.attempt() {
            save.send(update_customer(id.clone(), version.get_untracked(), form.get_untracked()), saved);
        }
    };
    let in_house_unavailable = if was_in_house { None } else { detail.rules.in_house_unavailable() };
    let locked_type = detail.product_type_locked.then(|| detail.product_type_name.clone());
    view! {
        <form class="stack details-form" novalidate on:submit=submit>
            <fieldset class="plain" disabled=read_only>
                <div class="stack">
                    <DetailsFields form rules=detail.rules.clone() country_text id="detail"
                        locked_type=locked_type in_house_unavailable=in_house_unavailable trial_text=trial />
                </div>
            </fieldset>
            {move || problem.get().map(|(m, reload)| view! { <Problem message=m reload /> })}
            {move || form.saved().get().then(|| view! { <p class="notice success" role="status">"Saved."</p> })}
            {(!read_only).then(|| view! {
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || save.pending() aria-busy=move || save.pending().to_string()>
                        {move || if save.pending() { "Saving…" } else { "Save" }}
                    </button>
                </div>
            })}
        </form>
    }
}
