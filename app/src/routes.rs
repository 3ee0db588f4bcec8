//! The pages that load on demand. The shell and the customer grid are in the main wasm bundle
//! (what a reseller's day is spent in, and what a signed-in visit opens); each page here,
//! sign-in included, is a lazy route whose code is a separate chunk, fetched when the
//! page is first visited (or earlier, by [`preload`], when a link to it is hovered or focused).
//! A server-rendered lazy page hydrates once its chunk has arrived: the server names the chunks
//! in `<link rel=preload>` tags, so the browser fetches them alongside the main bundle.
//!
//! The site must be built with `cargo leptos build --split` (every script here does): without
//! it the bundle imports a placeholder module and nothing hydrates.
//!
//! Each impl is written out, not generated: a chunk's name comes from its macro call site.

use crate::pages::{
    account::{AccountPage, ActivatePage},
    activity::ActivityPage,
    api_access::ApiAccessPage,
    billing::BillingPage,
    customers::{edit::CustomerPage, new::CreateCustomerPage},
    login::LoginPage,
    outbox::OutboxPage,
    pbx_templates::PbxTemplatesPage,
    users::ResellerUsersPage,
    webhooks::WebhooksPage,
};
use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

/// Sign-in is visited once per session, the grid all day: the grid's first load is the one kept
/// small, and a session's first visit pays for this chunk instead.
pub struct LoginRoute;
#[lazy_route]
impl LazyRoute for LoginRoute {
    fn data() -> Self {
        LoginRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <LoginPage /> }.into_any()
    }
}

pub struct ActivateRoute;
#[lazy_route]
impl LazyRoute for ActivateRoute {
    fn data() -> Self {
        ActivateRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <ActivatePage /> }.into_any()
    }
}

pub struct NewCustomerRoute;
#[lazy_route]
impl LazyRoute for NewCustomerRoute {
    fn data() -> Self {
        NewCustomerRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <CreateCustomerPage /> }.into_any()
    }
}

pub struct CustomerRoute;
#[lazy_route]
impl LazyRoute for CustomerRoute {
    fn data() -> Self {
        CustomerRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <CustomerPage /> }.into_any()
    }
}

pub struct PbxTemplatesRoute;
#[lazy_route]
impl LazyRoute for PbxTemplatesRoute {
    fn data() -> Self {
        PbxTemplatesRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <PbxTemplatesPage /> }.into_any()
    }
}

pub struct UsersRoute;
#[lazy_route]
impl LazyRoute for UsersRoute {
    fn data() -> Self {
        UsersRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <ResellerUsersPage /> }.into_any()
    }
}

pub struct AccountRoute;
#[lazy_route]
impl LazyRoute for AccountRoute {
    fn data() -> Self {
        AccountRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <AccountPage /> }.into_any()
    }
}

pub struct BillingRoute;
#[lazy_route]
impl LazyRoute for BillingRoute {
    fn data() -> Self {
        BillingRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <BillingPage /> }.into_any()
    }
}

pub struct ActivityRoute;
#[lazy_route]
impl LazyRoute for ActivityRoute {
    fn data() -> Self {
        ActivityRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <ActivityPage /> }.into_any()
    }
}

pub struct ApiAccessRoute;
#[lazy_route]
impl LazyRoute for ApiAccessRoute {
    fn data() -> Self {
        ApiAccessRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <ApiAccessPage /> }.into_any()
    }
}

pub struct WebhooksRoute;
#[lazy_route]
impl LazyRoute for WebhooksRoute {
    fn data() -> Self {
        WebhooksRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <WebhooksPage /> }.into_any()
    }
}

pub struct OutboxRoute;
#[lazy_route]
impl LazyRoute for OutboxRoute {
    fn data() -> Self {
        OutboxRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <OutboxPage /> }.into_any()
    }
}

/// Every link fetches its page's code when the pointer moves onto it or it gets focus, so the
/// click finds it loaded: one listener on the window for the whole app (set up once, when it
/// hydrates), rather than a handler on each link, which would be code of its own in the bundle.
pub fn preload_linked_pages() {
    #[cfg(feature = "hydrate")]
    {
        fn on_event(ev: leptos::web_sys::Event) {
            let Some(link) = link_of(&ev) else {
                return;
            };
            if !link.has_attribute("download") && link.origin() == window().location().origin().unwrap_or_default() {
                preload(&format!("{}{}", link.pathname(), link.search()));
            }
        }
        for event in ["mouseover", "focusin"] {
            // Kept for the page's lifetime: the app never unmounts.
            std::mem::forget(window_event_listener_untyped(event, on_event));
        }
    }
}

/// The link an event happened on or inside, if any.
pub(crate) fn link_of(event: &leptos::web_sys::Event) -> Option<leptos::web_sys::HtmlAnchorElement> {
    use leptos::wasm_bindgen::JsCast;
    event
        .target()
        .and_then(|target| target.dyn_into::<leptos::web_sys::Element>().ok())
        .and_then(|element| element.closest("a[href]").ok().flatten())
        .and_then(|element| element.dyn_into().ok())
}

/// Starts fetching the code of the page at `path` (a link about to be followed), and of the
/// customer page's tab it names, so the click finds it loaded. Does nothing on the server, for
/// pages in the main bundle, or twice.
pub fn preload(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::task::spawn_local;
        let path = path.split('#').next().unwrap_or_default();
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        match path {
            "/customers/new" => spawn_local(NewCustomerRoute::preload()),
            "/pbx-templates" => spawn_local(PbxTemplatesRoute::preload()),
            "/users" => spawn_local(UsersRoute::preload()),
            "/account" => spawn_local(AccountRoute::preload()),
            "/billing" => spawn_local(BillingRoute::preload()),
            "/activity" => spawn_local(ActivityRoute::preload()),
            "/api-access" => spawn_local(ApiAccessRoute::preload()),
            "/outbox" => spawn_local(OutboxRoute::preload()),
            "/webhooks" => spawn_local(WebhooksRoute::preload()),
            p if p.starts_with("/customers/") && p != "/customers/export" => {
                spawn_local(CustomerRoute::preload());
                if let Some(tab) = query.split('&').find_map(|pair| pair.strip_prefix("tab=")) {
                    crate::pages::customers::edit::preload_tab(tab);
                }
            }
            _ => {}
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}
