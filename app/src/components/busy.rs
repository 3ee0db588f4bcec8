//! `aria-busy` for a list that a `<Transition>` reloads in place.

use leptos::prelude::*;

/// The `aria-busy` value of a list whose Transition writes `pending`.
///
/// The server never reads the signal and always says "false": the Transition sets it from an
/// isomorphic effect, which on the server may run on another worker thread at the moment the
/// streamed page renders the attribute, and a read that meets that write panics inside
/// reactive_graph even through `try_get` (its guard is taken with `try_read`). A page the
/// server renders is never busy anyway; in the browser the value follows the signal.
pub fn aria_busy(pending: ReadSignal<bool>) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    move || {
        if cfg!(feature = "ssr") {
            return "false";
        }
        if pending.get() { "true" } else { "false" }
    }
}
