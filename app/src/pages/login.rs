use crate::api::auth::{demo_sign_in, SignIn};
use crate::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `/login`: email and password. One generic message for any wrong credentials.
///
/// A plain form, posted by the browser itself: it works before (or without) the wasm, and the
/// page carries no form machinery. The server answers with a redirect: to `next` when the
/// credentials are right, otherwise back here with the refusal in the query (`__err`, the
/// `AppError` in the wire format), which this page reads and shows.
#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let demo = crate::wire::resource(|| (), |_| demo_sign_in());
    let error = move || query.read().get("__err").and_then(|e| refusal(&e));
    // Set as the browser posts the form; the answer replaces the page.
    let (pending, set_pending) = signal(false);
    // A refused attempt comes back as a new page: the email typed is kept for it (only the
    // password is asked again), in the tab's storage, and read once.
    let email = NodeRef::<leptos::html::Input>::new();
    Effect::new(move || {
        let typed = crate::components::draft::load::<String>(EMAIL_DRAFT, 0);
        crate::components::draft::clear(EMAIL_DRAFT);
        if let (Some(input), Some(typed), true) = (email.get(), typed, error().is_some()) {
            input.set_value(&typed);
        }
    });
    // The refusal is in the address (`__path`, `__err`): once it shows, the address is the
    // sign-in page's again (with its `next`), so a reload or a bookmark does not show it anew.
    Effect::new(move || {
        if error().is_some()
            && let Ok(url) = window().location().href().and_then(|href| web_sys::Url::new(&href))
        {
            let query = url.search_params();
            query.delete("__path");
            query.delete("__err");
            let clean = format!("{}{}", url.pathname(), url.search());
            let _ = window().history().and_then(|h| h.replace_state_with_url(&leptos::wasm_bindgen::JsValue::NULL, "", Some(&clean)));
        }
    });
    let submit = move |_| {
        set_pending.set(true);
        if let Some(input) = email.get_untracked() {
            crate::components::draft::save(EMAIL_DRAFT, 0, &input.value());
        }
    };

    view! {
        <Title text="Sign in" />
        <main id="main" class="login-page">
            <section class="login-card" aria-labelledby="login-heading">
                <div class="brand login-brand">
                    <span class="brand-mark" aria-hidden="true"></span>
                    <span class="product-name">"Reseller Portal"</span>
                </div>
                <h1 id="login-heading">"Sign in"</h1>
                <p class="muted">"Manage your customers' call-analytics accounts."</p>
                <form method="post" action=SignIn::PATH class="stack" on:submit=submit>
                    <input type="hidden" name="next" value=next />
                    <div class="field">
                        <label for="login-email">"Email"</label>
                        <input id="login-email" node_ref=email name="email" type="email" autocomplete="username" required maxlength="200" />
                    </div>
                    <div class="field">
                        <label for="login-password">"Password"</label>
                        // After a refusal the email is kept: the password is what to type again,
                        // focused as the page loads (with or without the wasm).
                        <input id="login-password" name="password" type="password" autocomplete="current-password" required maxlength="1024"
                            autofocus=move || error().is_some() aria-invalid=move || error().is_some().then_some("true")
                            aria-describedby=move || error().is_some().then_some("login-error") />
                    </div>
                    {move || error().map(|e| view! { <p id="login-error" class="form-error" role="alert">{e.to_string()}</p> })}
                    <button type="submit" class="primary" aria-busy=move || pending.get().to_string()>
                        {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </form>
                <Suspense>
                    {move || Suspend::new(async move {
                        demo.await.ok().flatten().map(|(email, password)| view! {
                            <aside class="demo-hint">
                                <strong>"Demo installation"</strong>
                                <p>"Sign in as " <code>{email}</code> " with the password " <code>{password}</code> "."</p>
                            </aside>
                        })
                    })}
                </Suspense>
            </section>
        </main>
    }
}

const EMAIL_DRAFT: &str = "sign-in-email";

/// The refusal a failed sign-in came back with (see [`LoginPage`]).
fn refusal(encoded: &str) -> Option<AppError> {
    use base64::{engine::general_purpose::URL_SAFE, Engine};
    crate::wire::decode(&URL_SAFE.decode(encoded).ok()?)
}

