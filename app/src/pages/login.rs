use crate::api::auth::{demo_sign_in, SignIn};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `/login`: email and password. One generic message for any wrong credentials.
#[component]
pub fn LoginPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let demo = crate::wire::resource(|| (), |_| demo_sign_in());
    let error = move || sign_in.value().get().and_then(Result::err);
    let pending = sign_in.pending();

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
                <ActionForm action=sign_in attr:class="stack">
                    <input type="hidden" name="next" value=next />
                    <div class="field">
                        <label for="login-email">"Email"</label>
                        <input id="login-email" name="email" type="email" autocomplete="username" required maxlength="200" />
                    </div>
                    <div class="field">
                        <label for="login-password">"Password"</label>
                        <input id="login-password" name="password" type="password" autocomplete="current-password" required maxlength="1024" />
                    </div>
                    {move || error().map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
                    <button type="submit" class="primary" aria-busy=move || pending.get().to_string()>
                        {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
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
