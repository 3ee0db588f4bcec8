#![recursion_limit = "256"]
//! The wasm entry point: takes over the server-rendered page.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // What `leptos::mount::hydrate_lazy` does (lazy routes, app::routes, need the hydration
    // that waits for the page's code), and then the page says it is hydrated: only now does
    // every handler exist, a lazy page's included, whose code may still have been on its way
    // when the shell's effects ran.
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::prelude::document().body().expect("the page has a body");
        leptos::mount::hydrate_from_async(body, app::App).await.forget();
        app::hydrated();
    });
}
