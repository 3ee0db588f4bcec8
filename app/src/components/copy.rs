//! A value to copy: a secret shown once, an id. Its "Copy" button puts it on the clipboard;
//! the value stays selectable by hand where the browser offers no clipboard.

use leptos::prelude::*;

/// A labelled value with a "Copy" button.
#[component]
pub fn CopyValue(id: &'static str, label: &'static str, value: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let text = StoredValue::new(value.clone());
    view! {
        <dt id=format!("{id}-label")>{label}</dt>
        <dd>
            <code id=id aria-labelledby=format!("{id}-label")>{value}</code>
            <button type="button" class="link-button" on:click=move |_| copied.set(text.with_value(|t| copy_to_clipboard(t)))>
                {move || if copied.get() { "Copied" } else { "Copy" }}
                <span class="visually-hidden">{format!(" {label}")}</span>
            </button>
        </dd>
    }
}

/// Puts `text` on the clipboard; false when the browser offers no clipboard (the text can
/// still be selected by hand). Goes through `Reflect` because the Clipboard API is not among
/// the web-sys features the app enables.
pub fn copy_to_clipboard(text: &str) -> bool {
    use leptos::wasm_bindgen::closure::Closure;
    use leptos::wasm_bindgen::{JsCast, JsValue};
    use leptos::web_sys::js_sys::{Function, Promise, Reflect};
    let write = || -> Result<Promise, JsValue> {
        let navigator = Reflect::get(&window(), &"navigator".into())?;
        let clipboard = Reflect::get(&navigator, &"clipboard".into())?;
        let write_text: Function = Reflect::get(&clipboard, &"writeText".into())?.dyn_into()?;
        write_text.call1(&clipboard, &text.into())?.dyn_into::<Promise>()
    };
    match write() {
        Ok(promise) => {
            // A refusal (no permission) leaves the text on screen; it must not surface as an
            // unhandled rejection.
            let ignore = Closure::<dyn FnMut(JsValue)>::new(|_: JsValue| {});
            let _ = promise.catch(&ignore);
            // The browser calls it after this function returns; it is tiny, and leaked once per click.
            ignore.forget();
            true
        }
        Err(_) => false,
    }
}
