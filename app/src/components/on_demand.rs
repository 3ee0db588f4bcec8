//! A part of a page whose code is a chunk of its own (a `#[lazy]` function, built with
//! `cargo leptos build --split`): "Loading…" in its place until the chunk has arrived, then the
//! part. Used for what a page shows only on request (a customer's tabs, a webhook's form and
//! delivery log), so a cold load of the page does not download it.

use leptos::prelude::*;

/// `load` calls the `#[lazy]` function; it runs again whenever the view is rebuilt.
pub fn on_demand<F>(load: impl Fn() -> F + Send + Sync + 'static) -> AnyView
where
    F: std::future::Future<Output = AnyView> + 'static,
{
    view! {
        <Suspense fallback=|| view! { <p class="page-loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(send_wrapper::SendWrapper::new(load()))}
        </Suspense>
    }
    .into_any()
}
