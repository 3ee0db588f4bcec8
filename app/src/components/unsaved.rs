//! Unsaved changes. A form whose value differs from what was last saved says so with
//! [`guard`]; while any does, following a link inside the portal (another page, another tab of
//! the customer page) first asks "Discard changes?", and leaving the site (reload, closing the
//! tab, another address) gets the browser's own warning.
//!
//! The listeners are installed once per page load and read a count kept per browser thread,
//! so they outlive any one page; on the server nothing is counted.

use leptos::prelude::*;
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// What the portal asks before a link throws edits away.
pub const QUESTION: &str = "Discard changes? What you changed on this page has not been saved.";

thread_local! {
    /// How many forms on the page hold unsaved changes.
    static CHANGED_FORMS: Cell<usize> = const { Cell::new(0) };
    static INSTALLED: Cell<bool> = const { Cell::new(false) };
}

fn count(change: impl FnOnce(usize) -> usize) {
    CHANGED_FORMS.with(|c| c.set(change(c.get())));
}

/// Whether a form on the page holds unsaved changes.
pub fn any() -> bool {
    CHANGED_FORMS.with(Cell::get) > 0
}

/// Counts the calling form as unsaved while `changed` is true (and no longer once it is gone).
pub fn guard(changed: Signal<bool>) {
    let counted = Arc::new(AtomicBool::new(false));
    let flag = counted.clone();
    Effect::new(move |_| {
        install();
        let now = changed.get();
        if flag.swap(now, Ordering::Relaxed) != now {
            count(|c| if now { c + 1 } else { c.saturating_sub(1) });
        }
    });
    on_cleanup(move || {
        if counted.swap(false, Ordering::Relaxed) {
            count(|c| c.saturating_sub(1));
        }
    });
}

/// Installs the click and `beforeunload` listeners (once; browser only).
fn install() {
    if INSTALLED.with(|i| i.replace(true)) {
        return;
    }
    use leptos::wasm_bindgen::{closure::Closure, JsCast};
    use leptos::web_sys::{BeforeUnloadEvent, MouseEvent};
    let window = window();
    // Capture phase on the window: this runs before the router's own click handler, which then
    // sees nothing if the user chose to stay.
    let click = Closure::<dyn Fn(MouseEvent)>::new(move |ev: MouseEvent| {
        if !any() || ev.default_prevented() || ev.button() != 0 || ev.meta_key() || ev.ctrl_key() || ev.shift_key() || ev.alt_key() {
            return;
        }
        let Some(anchor) = crate::routes::link_of(&ev) else {
            return;
        };
        let target = anchor.target();
        if anchor.has_attribute("download") || (!target.is_empty() && target != "_self") {
            return;
        }
        let here = leptos::prelude::window().location();
        let same_place = anchor.pathname() == here.pathname().unwrap_or_default() && anchor.search() == here.search().unwrap_or_default();
        if same_place {
            return; // a jump within the page keeps what was typed
        }
        if !leptos::prelude::window().confirm_with_message(QUESTION).unwrap_or(true) {
            ev.prevent_default();
            ev.stop_immediate_propagation();
        }
    });
    let _ = window.add_event_listener_with_callback_and_bool("click", click.as_ref().unchecked_ref(), true);
    click.forget();
    let leaving = Closure::<dyn Fn(BeforeUnloadEvent)>::new(move |ev: BeforeUnloadEvent| {
        if any() {
            ev.prevent_default();
            ev.set_return_value(QUESTION);
        }
    });
    let _ = window.add_event_listener_with_callback("beforeunload", leaving.as_ref().unchecked_ref());
    leaving.forget();
}
