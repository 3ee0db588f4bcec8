//! Signing in and out, and who is signed in.

use leptos::server_fn::codec::{PostUrl, Postcard};
use crate::AppError;
use leptos::prelude::*;
use model::session::SignedIn;

/// The signed-in reseller user, and whether the portal runs in demo mode: what the shell shows.
/// `Unauthorized` when the session is missing or over.
#[server(input = Postcard, output = Postcard)]
pub async fn signed_in_user() -> Result<SignedIn, AppError> {
    let user = crate::ssr::require_user()?;
    Ok(SignedIn { user, demo: crate::ssr::context()?.demo })
}

/// Checks the credentials, starts a new session (a fresh token every time, so a token planted
/// before sign-in is useless) and sends the browser on to `next`, a path on this site.
// Posted by a plain HTML form the browser sends itself (it works before the wasm has loaded): its arguments come url-encoded.
#[server(input = PostUrl, output = Postcard)]
pub async fn sign_in(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::ssr;
    let ctx = ssr::context()?;
    let signed_in = domain::auth::sign_in(&ctx.db, &ctx.auth, &email, &password, &ssr::client_addr()).await?;
    // A session the browser already had is replaced, not kept alongside.
    if let Some(previous) = ssr::session() {
        domain::auth::sign_out(&ctx.db, &previous.token).await?;
    }
    set_cookie(&ssr::session_cookie(ctx.https, Some(&signed_in.token)))?;
    let next = next.as_deref().and_then(model::field::safe_next_path).unwrap_or("/customers");
    leptos_axum::redirect(next);
    Ok(())
}

/// Ends the session on the server and clears the cookie.
// Posted by a plain HTML form the browser sends itself (it works before the wasm has loaded): its arguments come url-encoded.
#[server(input = PostUrl, output = Postcard)]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::ssr;
    let ctx = ssr::context()?;
    if let Some(session) = ssr::session() {
        domain::auth::sign_out(&ctx.db, &session.token).await?;
        tracing::info!(user_id = session.user.user_id, "signed out");
    }
    set_cookie(&ssr::session_cookie(ctx.https, None))?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Whether the sign-in page should show the demo credentials.
#[server(input = Postcard, output = Postcard)]
pub async fn demo_sign_in() -> Result<Option<(String, String)>, AppError> {
    let ctx = crate::ssr::context()?;
    Ok(ctx.demo.then(|| (domain::seed::DEMO_EMAIL.to_owned(), domain::seed::DEMO_PASSWORD.to_owned())))
}

#[cfg(feature = "ssr")]
fn set_cookie(value: &str) -> Result<(), AppError> {
    let response = expect_context::<leptos_axum::ResponseOptions>();
    let value = http::HeaderValue::from_str(value).map_err(crate::ssr::internal)?;
    response.append_header(http::header::SET_COOKIE, value);
    Ok(())
}
