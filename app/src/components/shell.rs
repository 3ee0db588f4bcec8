//! The frame around every signed-in page: header, navigation, account menu.

use crate::api::auth::{signed_in_user, SignOut};
use crate::components::error_panel::ErrorPanel;
use crate::AppError;
use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect};
use leptos_router::hooks::use_location;
use model::session::SignedIn;
use model::{CurrentUser, Permission};

/// The signed-in user (and demo mode), for pages that need it (e.g. to show what a permission
/// allows). One resource for the whole shell: each resource is code of its own in the bundle,
/// and a request of its own.
pub type UserResource = crate::wire::Loaded<Result<SignedIn, AppError>>;

const NAVIGATION: [(&str, &str); 6] = [
    ("/customers", "Customers"),
    ("/pbx-templates", "PBX Templates"),
    ("/users", "Users"),
    ("/billing", "Billing"),
    ("/activity", "Activity"),
    ("/api-access", "API Access"),
];

#[component]
pub fn AppShell() -> impl IntoView {
    let user: UserResource = crate::wire::resource(|| (), |_| signed_in_user());
    provide_context(user);
    let location = use_location();

    // Only the header waits for the user here. The page is outside this Suspense on purpose:
    // Suspense re-runs its children until settled, so a page inside it would be built two or
    // three times on the server, each time creating its resources and loading its data again
    // (and a discarded build's answer could differ from the one rendered). Pages that need the
    // user read `UserResource` inside their own Suspense. A request without a session never
    // gets here: the server redirects it to the sign-in page.
    view! {
        // The router would treat "#main" as a navigation: move focus to the page itself, so
        // the next Tab starts inside it.
        <a class="skip-link" href="#main" on:click=|ev| {
            ev.prevent_default();
            if let Some(main) = document().get_element_by_id("main") {
                use leptos::wasm_bindgen::JsCast;
                if let Ok(main) = main.dyn_into::<leptos::web_sys::HtmlElement>() {
                    let _ = main.focus();
                }
            }
        }>"Skip to content"</a>
        <Suspense fallback=|| view! { <header class="topbar" aria-busy="true"></header> }>
            {move || Suspend::new(async move {
                match user.await {
                    // Demo mode adds the outbox to the navigation.
                    Ok(SignedIn { user, demo }) => EitherOf3::A(view! { <Header user demo /> }),
                    Err(AppError::Unauthorized) => {
                        let here = format!("{}{}", location.pathname.get_untracked(), location.search.get_untracked());
                        let target = format!("/login?next={}", model::url::encode_query_value(&here));
                        EitherOf3::B(view! { <Redirect path=target /> })
                    }
                    Err(error) => EitherOf3::C(view! { <ErrorPanel error /> }),
                }
            })}
        </Suspense>
        <main id="main" class="page" tabindex="-1">
            <Outlet />
        </main>
    }
}

/// Whether `path` is the page `section` or one below it (`/customers/42` is in `/customers`).
fn in_section(path: &str, section: &str) -> bool {
    path.strip_prefix(section).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[component]
fn Header(user: CurrentUser, demo: bool) -> impl IntoView {
    let location = use_location();
    view! {
        <header class="topbar">
            <div class="brand">
                <span class="brand-mark" aria-hidden="true"></span>
                <span class="brand-text">
                    <span class="reseller-name">{user.reseller_name.clone()}</span>
                    <span class="product-name">"Reseller Portal"</span>
                </span>
            </div>
            <nav class="main-nav" aria-label="Main">
                <ul>
                    {NAVIGATION
                        .into_iter()
                        // Only its administrators have any use for the Webhooks page (it holds
                        // nothing else); whoever opens its address anyway is told what it needs.
                        .chain(user.permissions.contains(Permission::WebhooksAdministrator).then_some(("/webhooks", "Webhooks")))
                        .chain(demo.then_some(("/outbox", "Outbox (demo)")))
                        // Plain links (the router follows them): `aria-current` marks the section
                        // the page is in.
                        .map(|(href, label)| view! {
                            <li><a href=href aria-current=move || location.pathname.with(|path| in_section(path, href)).then_some("page")>{label}</a></li>
                        })
                        .collect_view()}
                </ul>
            </nav>
            <div class="account">
                <a class="user-name" href="/account" title=format!("Your account ({})", user.email)>{user.display_name.clone()}</a>
                // A plain form: the browser posts it and follows the answer's redirect to the
                // sign-in page, which also drops everything this page held in memory.
                <form method="post" action={<SignOut as leptos::server_fn::ServerFn>::PATH} class="inline-form">
                    // The next person at this browser sees none of this user's drafts.
                    <button type="submit" class="link-button" on:click=|_| super::draft::clear_all()>"Sign out"</button>
                </form>
            </div>
        </header>
    }
}
