//! The frame around every signed-in page: header, navigation, account menu.

use crate::api::auth::{signed_in_user, SignOut};
use crate::api::outbox::demo_mode;
use crate::components::error_panel::ErrorPanel;
use crate::AppError;
use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_location;
use model::{CurrentUser, Permission};

/// The signed-in user, for pages that need it (e.g. to show what a permission allows).
pub type UserResource = crate::wire::Loaded<Result<CurrentUser, AppError>>;

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
    // Demo mode adds the outbox to the navigation.
    let demo = crate::wire::resource(|| (), |_| demo_mode());
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
                    Ok(user) => EitherOf3::A(view! { <Header user demo=demo.await.unwrap_or(false) /> }),
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

#[component]
fn Header(user: CurrentUser, demo: bool) -> impl IntoView {
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
                        .map(|(href, label)| view! {
                            <li on:mouseenter=move |_| crate::routes::preload(href) on:focusin=move |_| crate::routes::preload(href)>
                                <A href=href>{label}</A>
                            </li>
                        })
                        .collect_view()}
                    // Only its administrators have any use for the Webhooks page (it holds
                    // nothing else); whoever opens its address anyway is told what it needs.
                    {user.permissions.contains(Permission::WebhooksAdministrator).then(|| view! {
                        <li on:mouseenter=|_| crate::routes::preload("/webhooks") on:focusin=|_| crate::routes::preload("/webhooks")>
                            <A href="/webhooks">"Webhooks"</A>
                        </li>
                    })}
                    {demo.then(|| view! { <li on:mouseenter=|_| crate::routes::preload("/outbox")><A href="/outbox">"Outbox (demo)"</A></li> })}
                </ul>
            </nav>
            <div class="account">
                <a class="user-name" href="/account" on:mouseenter=|_| crate::routes::preload("/account") title=format!("Your account ({})", user.email)>{user.display_name.clone()}</a>
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
