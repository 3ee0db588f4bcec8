#![recursion_limit = "256"]
//! The wasm entry point: takes over the server-rendered page.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy routes (app::routes) need the hydration that waits for the page's code chunk.
    leptos::mount::hydrate_lazy(app::App);
}
