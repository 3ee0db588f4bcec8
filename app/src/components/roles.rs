//! The roles editor: licences, supervisor access and User Administrator, with the dependencies
//! between them applied as the user clicks (the same `model::roles` rules the server checks).

use leptos::prelude::*;
use model::roles::{Role, Roles, Supervisor};

/// Edits `roles` in place. `admin_locked` keeps User Administrator on (a customer's primary user).
#[component]
pub fn RolesEditor(
    #[prop(into)] id: String,
    roles: RwSignal<Roles>,
    #[prop(optional)] admin_locked: bool,
    #[prop(into, optional)] error: Signal<Option<String>>,
) -> impl IntoView {
    let licence = {
        let id = id.clone();
        move |role: Role| {
            let input_id = format!("{id}-{}", role.label().to_lowercase().replace([' ', '-'], "_"));
            let note_id = format!("{input_id}-note");
            let note = move || roles.get().locked_reason(role);
            view! {
                <div class="check-row">
                    <input
                        id=input_id.clone()
                        type="checkbox"
                        prop:checked=move || roles.get().has(role)
                        aria-describedby=move || note().map(|_| note_id.clone())
                        on:change=move |ev| roles.update(|r| *r = r.with(role, event_target_checked(&ev)))
                    />
                    <label for=input_id.clone()>{role.label()}</label>
                    {move || note().map(|n| view! { <span class="hint inline-hint" id=format!("{input_id}-note")>{n}</span> })}
                </div>
            }
        }
    };
    let supervisor_name = format!("{id}-supervisor");
    let admin_id = format!("{id}-user_admin");
    view! {
        <div class="roles-editor" id=id.clone()>
            <fieldset>
                <legend>"Licences"</legend>
                {[Role::Essential, Role::Professional, Role::RealTime, Role::Agent].into_iter().map(licence.clone()).collect_view()}
                <p class="hint">"The Real-Time and Agent add-ons need the Essential User licence."</p>
            </fieldset>
            <fieldset>
                <legend>"Supervisor access"</legend>
                {Supervisor::ALL
                    .into_iter()
                    .map(|level| {
                        let input_id = format!("{supervisor_name}-{}", level.as_str());
                        view! {
                            <div class="check-row">
                                <input
                                    id=input_id.clone()
                                    type="radio"
                                    name=supervisor_name.clone()
                                    prop:checked=move || roles.get().supervisor == level
                                    on:change=move |_| roles.update(|r| *r = r.with_supervisor(level))
                                />
                                <label for=input_id>{level.label()}</label>
                            </div>
                        }
                    })
                    .collect_view()}
                <p class="hint">"Each level includes the ones above it. Live Analytics and Contact Centre add Real-Time."</p>
            </fieldset>
            <fieldset>
                <legend>"Administration"</legend>
                <div class="check-row">
                    <input
                        id=admin_id.clone()
                        type="checkbox"
                        prop:checked=move || roles.get().user_admin
                        disabled=admin_locked
                        on:change=move |ev| roles.update(|r| *r = r.with(Role::UserAdmin, event_target_checked(&ev)))
                    />
                    <label for=admin_id>{Role::UserAdmin.label()}</label>
                </div>
                {admin_locked.then_some(view! { <p class="hint">"The primary user is the customer's administrator."</p> })}
            </fieldset>
            // Not an error (it may be meant), but never without a word.
            {move || {
                let r = roles.get();
                let licensed = r.essential || r.professional || r.supervisor != Supervisor::None;
                (!licensed).then(|| view! {
                    <p class="notice warning roles-without-licence" role="status">
                        {if r.user_admin {
                            "No licence is chosen: this user can manage the customer's users but sees no analytics."
                        } else {
                            "No licence or role is chosen: this user cannot sign in to the analytics service."
                        }}
                    </p>
                })
            }}
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </div>
    }
}
