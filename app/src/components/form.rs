//! Form fields with their label, hint and error in one place, so every input in the portal is
//! labelled, describes its error to assistive technology, and looks the same.

use leptos::prelude::*;

/// The ids of the hint and error paragraphs, for `aria-describedby`.
fn described_by(id: &str, has_hint: bool, has_error: bool) -> Option<String> {
    let mut ids = Vec::new();
    if has_hint {
        ids.push(format!("{id}-hint"));
    }
    if has_error {
        ids.push(format!("{id}-error"));
    }
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// A labelled single-line (or, with `multiline`, multi-line) text input.
#[component]
pub fn TextField(
    #[prop(into)] id: String,
    label: &'static str,
    #[prop(into)] value: Signal<String>,
    #[prop(into)] on_input: Callback<String>,
    #[prop(into, optional)] error: Signal<Option<String>>,
    #[prop(into, optional)] hint: Option<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] multiline: bool,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(into, optional)] list: Option<String>,
    #[prop(into, optional)] min: Option<Signal<String>>,
    #[prop(into, optional)] max: Option<Signal<String>>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let has_hint = hint.is_some();
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let describe = {
        let id = id.clone();
        move || described_by(&id, has_hint, error.get().is_some())
    };
    let invalid = move || error.get().is_some().to_string();
    let input = if multiline {
        view! {
            <textarea
                id=id.clone()
                rows="4"
                prop:value=move || value.get()
                aria-invalid=invalid
                aria-describedby=describe
                on:input=move |ev| on_input.run(event_target_value(&ev))
            ></textarea>
        }
        .into_any()
    } else {
        view! {
            <input
                id=id.clone()
                type=kind
                autocomplete=autocomplete
                list=list
                min=move || min.map(|m| m.get())
                max=move || max.map(|m| m.get())
                required=required
                prop:value=move || value.get()
                aria-invalid=invalid
                aria-describedby=describe
                on:input=move |ev| on_input.run(event_target_value(&ev))
            />
        }
        .into_any()
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            {input}
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            {move || error.get().map(|e| view! { <p class="field-error" id=error_id.clone()>{e}</p> })}
        </div>
    }
}

/// A labelled checkbox with an optional explanation below it.
#[component]
pub fn CheckField(
    #[prop(into)] id: String,
    label: &'static str,
    #[prop(into)] checked: Signal<bool>,
    #[prop(into)] on_change: Callback<bool>,
    #[prop(into, optional)] disabled: Signal<bool>,
    #[prop(into, optional)] hint: Signal<Option<String>>,
    #[prop(into, optional)] error: Signal<Option<String>>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let describe = {
        let id = id.clone();
        move || described_by(&id, hint.get().is_some(), error.get().is_some())
    };
    view! {
        <div class="field check">
            <div class="check-row">
                <input
                    id=id.clone()
                    type="checkbox"
                    prop:checked=move || checked.get()
                    disabled=move || disabled.get()
                    aria-describedby=describe
                    aria-invalid=move || error.get().is_some().to_string()
                    on:change=move |ev| on_change.run(event_target_checked(&ev))
                />
                <label for=id.clone()>{label}</label>
            </div>
            {move || hint.get().map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            {move || error.get().map(|e| view! { <p class="field-error" id=error_id.clone()>{e}</p> })}
        </div>
    }
}

/// A labelled select over `(value, label)` options.
#[component]
pub fn SelectField(
    #[prop(into)] id: String,
    label: &'static str,
    #[prop(into)] value: Signal<String>,
    #[prop(into)] on_change: Callback<String>,
    #[prop(into)] options: Signal<Vec<(String, String)>>,
    #[prop(optional_no_strip)] placeholder: Option<&'static str>,
    #[prop(into, optional)] disabled: Signal<bool>,
    #[prop(into, optional)] hint: Signal<Option<String>>,
    #[prop(into, optional)] error: Signal<Option<String>>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let describe = {
        let id = id.clone();
        move || described_by(&id, hint.get().is_some(), error.get().is_some())
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select
                id=id.clone()
                required=required
                disabled=move || disabled.get()
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=describe
                prop:value=move || value.get()
                on:change=move |ev| on_change.run(event_target_value(&ev))
            >
                {placeholder.map(|p| view! { <option value="">{p}</option> })}
                {move || {
                    let current = value.get();
                    options
                        .get()
                        .into_iter()
                        .map(|(v, l)| {
                            let selected = v == current;
                            view! { <option value=v selected=selected>{l}</option> }
                        })
                        .collect_view()
                }}
            </select>
            {move || hint.get().map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            {move || error.get().map(|e| view! { <p class="field-error" id=error_id.clone()>{e}</p> })}
        </div>
    }
}
