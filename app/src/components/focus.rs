//! Moving keyboard focus where the user's next step is (a form that just opened, the button
//! that opened a form that just closed), once the DOM has caught up with the change.

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

/// Focuses the element with `id` on the next animation frame (after the view has rendered).
pub fn focus_later(id: &str) {
    let id = id.to_owned();
    request_animation_frame(move || {
        if let Some(element) = document().get_element_by_id(&id).and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok()) {
            let _ = element.focus();
        }
    });
}
