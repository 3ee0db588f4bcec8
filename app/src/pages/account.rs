//! `/activate?token=…` (a new user chooses their password through the emailed link; no
//! session) and `/account` (the signed-in user changes their password and signs out their
//! other sessions).

use crate::api::users::{activate_account, change_my_password, load_activation, sign_out_other_sessions};
use crate::components::form::TextField;
use crate::AppError;
use leptos::either::Either;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use model::FieldErrors;

/// The rule the browser can check as the user types; the server adds the strength check.
fn length_rule(value: &str) -> Option<String> {
    model::field::new_password(value).err()
}

#[component]
pub fn ActivatePage() -> impl IntoView {
    let query = use_query_map();
    let token = Memo::new(move |_| query.read().get("token").unwrap_or_default());
    let account = crate::wire::resource(move || token.get(), load_activation);
    view! {
        <Title text="Choose your password" />
        <main id="main" class="login-page">
            <section class="login-card" aria-labelledby="activate-heading">
                <div class="brand login-brand">
                    <span class="brand-mark" aria-hidden="true"></span>
                    <span class="product-name">"Reseller Portal"</span>
                </div>
                <h1 id="activate-heading">"Choose your password"</h1>
                <Suspense fallback=|| view! { <p class="page-loading" role="status">"Checking your link…"</p> }>
                    {move || Suspend::new(async move {
                        match account.await {
                            Ok(who) => Either::Left(view! { <ActivateForm token=token.get_untracked() email=who.email name=who.display_name /> }),
                            Err(e) => Either::Right(view! {
                                <p class="form-error" role="alert">{e.to_string()}</p>
                                <p><a href="/login">"Go to sign in"</a></p>
                            }),
                        }
                    })}
                </Suspense>
            </section>
        </main>
    }
}

#[component]
fn ActivateForm(token: String, email: String, name: String) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let errors = RwSignal::new(FieldErrors::new());
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let done = RwSignal::new(None::<String>);
    let token = StoredValue::new(token);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut found = FieldErrors::new();
        if let Some(e) = length_rule(&password.get_untracked()) {
            found.add("password", e);
        }
        if password.get_untracked() != repeat.get_untracked() {
            found.add("repeat", "The two passwords differ.");
        }
        errors.set(found.clone());
        if !found.is_empty() || busy.get_untracked() {
            return;
        }
        busy.set(true);
        problem.set(None);
        spawn_local(async move {
            let result = activate_account(token.get_value(), password.get_untracked()).await;
            busy.set(false);
            match result {
                Ok(email) => done.set(Some(email)),
                Err(AppError::Invalid(found)) => errors.set(found),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    view! {
        {move || match done.get() {
            Some(email) => Either::Left(view! {
                <p class="notice success" role="status">"Your password is set. Sign in with " <code>{email}</code> "."</p>
                <p><a class="primary button" href="/login">"Sign in"</a></p>
            }),
            None => Either::Right(view! {
                <p class="muted">{format!("Welcome, {name}. Choose the password you will sign in with as {email}.")}</p>
                <form class="stack" novalidate on:submit=submit>
                    <TextField id="new-password" label="New password" kind="password" autocomplete="new-password" required=true
                        value=password on_input=Callback::new(move |v| password.set(v))
                        error=Signal::derive(move || errors.with(|e| e.get("password").map(str::to_owned)))
                        hint="12 to 128 characters. A phrase of several unrelated words is easy to remember and hard to guess." />
                    <TextField id="repeat-password" label="Repeat the password" kind="password" autocomplete="new-password" required=true
                        value=repeat on_input=Callback::new(move |v| repeat.set(v))
                        error=Signal::derive(move || errors.with(|e| e.get("repeat").map(str::to_owned))) />
                    {move || problem.get().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
                    <button type="submit" class="primary" aria-busy=move || busy.get().to_string()>"Set password"</button>
                </form>
            }),
        }}
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let current = RwSignal::new(String::new());
    let fresh = RwSignal::new(String::new());
    let errors = RwSignal::new(FieldErrors::new());
    let notice = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut found = FieldErrors::new();
        if current.with_untracked(String::is_empty) {
            found.add("current_password", "Enter your current password.");
        }
        if let Some(e) = length_rule(&fresh.get_untracked()) {
            found.add("new_password", e);
        }
        errors.set(found.clone());
        if !found.is_empty() || busy.get_untracked() {
            return;
        }
        busy.set(true);
        notice.set(None);
        problem.set(None);
        spawn_local(async move {
            let result = change_my_password(current.get_untracked(), fresh.get_untracked()).await;
            busy.set(false);
            match result {
                Ok(ended) => {
                    current.set(String::new());
                    fresh.set(String::new());
                    notice.set(Some(format!("Your password was changed; {ended} other session(s) were signed out.")));
                }
                Err(AppError::Invalid(found)) => errors.set(found),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let sign_out_others = move |_| {
        notice.set(None);
        problem.set(None);
        spawn_local(async move {
            match sign_out_other_sessions().await {
                Ok(ended) => notice.set(Some(format!("{ended} other session(s) were signed out."))),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <Title text="Your account" />
        <div class="page-header"><h1>"Your account"</h1></div>
        {move || notice.get().map(|n| view! { <p class="notice success" role="status">{n}</p> })}
        {move || problem.get().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
        <section class="card narrow-card" aria-labelledby="password-heading">
            <h2 id="password-heading">"Change password"</h2>
            <form class="stack" novalidate on:submit=submit>
                <TextField id="current-password" label="Current password" kind="password" autocomplete="current-password" required=true
                    value=current on_input=Callback::new(move |v| current.set(v))
                    error=Signal::derive(move || errors.with(|e| e.get("current_password").map(str::to_owned))) />
                <TextField id="new-password" label="New password" kind="password" autocomplete="new-password" required=true
                    value=fresh on_input=Callback::new(move |v| fresh.set(v))
                    error=Signal::derive(move || errors.with(|e| e.get("new_password").map(str::to_owned)))
                    hint="12 to 128 characters, not easy to guess. Your other sessions are signed out." />
                <div class="form-actions"><button type="submit" class="primary" aria-busy=move || busy.get().to_string()>"Change password"</button></div>
            </form>
        </section>
        <section class="card narrow-card" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Sessions"</h2>
            <p>"Signed in on another computer, or forgot to sign out somewhere? End every session but this one."</p>
            <button type="button" class="link-button" on:click=sign_out_others>"Sign out other sessions"</button>
        </section>
    }
}
