#![recursion_limit = "256"]
//! The portal's UI and its typed server functions. Compiled twice: into the wasm bundle
//! (`hydrate`) and into the server (`ssr`). Server-only code sits behind `ssr`.

pub mod api;
pub mod components;
pub mod error;
pub mod pages;
pub mod routes;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod wire;

use components::shell::AppShell;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{ParentRoute, Redirect, Route, Router, Routes},
    path, Lazy,
};
use pages::{customers::list::CustomerList, not_found::NotFound};
use routes::*;

pub use error::AppError;

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    ssr::send_content_security_policy(&options);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HashedStylesheet options=options.clone() id="leptos" />
                <AutoReload options=options.clone() />
                <ChunkLoaderPreload options=options.clone() />
                <HydrationScripts options />
                <BundleWatch />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The split bundle's chunk loader (`__wasm_split.<hash>.js`) is a static import of the main
/// script, so the browser only asks for it once that script has arrived and been parsed; named
/// here, it is fetched and compiled alongside the main script and the wasm instead.
#[component]
fn ChunkLoaderPreload(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let href = ssr::chunk_loader(&options).map(|name| format!("/{}/{name}", options.site_pkg_dir));
    #[cfg(not(feature = "ssr"))]
    let href: Option<String> = { let _ = options; None };
    href.map(|href| view! { <link rel="modulepreload" href=href /> })
}

/// If the application's scripts fail to load or start, the server-rendered page would look
/// usable but do nothing: this says so, with "Reload". It runs before the bundle (inline, with
/// the page's CSP nonce) and puts its notice outside `<body>`, which the bundle hydrates.
#[component]
fn BundleWatch() -> impl IntoView {
    const SCRIPT: &str = r#"(function () {
  var shown = false;
  function failed() {
    if (shown || (document.body && document.body.getAttribute('data-hydrated') === 'true')) return;
    shown = true;
    var box = document.createElement('div');
    box.className = 'bundle-failed';
    box.setAttribute('role', 'alert');
    var text = document.createElement('p');
    text.textContent = 'This page could not finish loading, so its buttons and links do not work yet. Check your connection, then reload.';
    var button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Reload';
    button.addEventListener('click', function () { location.reload(); });
    box.appendChild(text);
    box.appendChild(button);
    document.documentElement.appendChild(box);
    button.focus();
  }
  window.addEventListener('error', function (e) {
    var t = e.target;
    if (t === window || (t && (t.tagName === 'SCRIPT' || t.tagName === 'LINK'))) failed();
  }, true);
  window.addEventListener('unhandledrejection', failed);
})();"#;
    // `inner_html`: a script's text must reach the browser unescaped.
    view! { <script nonce=leptos::nonce::use_nonce() inner_html=SCRIPT></script> }
}

/// Marks the page as hydrated, once the whole page is (the frontend calls it when hydration,
/// a lazy page's included, has finished). Browser tests wait for this attribute before they
/// type or click: before it, input can land on server-rendered HTML that has no handlers yet.
pub fn hydrated() {
    if let Some(body) = document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
    // A slow start that tripped the bundle watch did start after all.
    if let Ok(Some(notice)) = document().query_selector(".bundle-failed") {
        notice.remove();
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    Effect::new(|| routes::preload_linked_pages());
    view! {
        <Title formatter=|page: String| {
            if page.is_empty() { "Reseller Portal".to_string() } else { format!("{page} · Reseller Portal") }
        } />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view={Lazy::<LoginRoute>::new()} />
                <Route path=path!("/activate") view={Lazy::<ActivateRoute>::new()} />
                <ParentRoute path=path!("") view=AppShell>
                    <Route path=path!("") view=|| view! { <Redirect path="/customers" /> } />
                    <Route path=path!("customers") view=CustomerList />
                    <Route path=path!("customers/new") view={Lazy::<NewCustomerRoute>::new()} />
                    <Route path=path!("customers/:id") view={Lazy::<CustomerRoute>::new()} />
                    <Route path=path!("pbx-templates") view={Lazy::<PbxTemplatesRoute>::new()} />
                    <Route path=path!("users") view={Lazy::<UsersRoute>::new()} />
                    <Route path=path!("account") view={Lazy::<AccountRoute>::new()} />
                    <Route path=path!("billing") view={Lazy::<BillingRoute>::new()} />
                    <Route path=path!("activity") view={Lazy::<ActivityRoute>::new()} />
                    <Route path=path!("api-access") view={Lazy::<ApiAccessRoute>::new()} />
                    <Route path=path!("outbox") view={Lazy::<OutboxRoute>::new()} />
                    <Route path=path!("webhooks") view={Lazy::<WebhooksRoute>::new()} />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
