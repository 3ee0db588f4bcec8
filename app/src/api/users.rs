//! Reseller users (the Users page), account activation and the signed-in user's own password.

use crate::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Postcard;
use model::users::{ResellerUserView, UserForm};
use serde::{Deserialize, Serialize};

#[server(input = Postcard, output = Postcard)]
pub async fn list_reseller_users() -> Result<Vec<ResellerUserView>, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::reseller_users::list(&ctx.db, &actor).await?)
}

/// "+ New User": creates the user and emails them an activation link.
#[server(input = Postcard, output = Postcard)]
pub async fn create_reseller_user(form: UserForm) -> Result<ResellerUserView, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    let user = domain::reseller_users::create(&ctx.db, &actor, &ctx.public_url, &form).await?;
    Ok(user)
}

#[server(input = Postcard, output = Postcard)]
pub async fn update_reseller_user(id: i64, form: UserForm) -> Result<ResellerUserView, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::reseller_users::update(&ctx.db, &actor, id, &form).await?)
}

/// Deactivates (`active` false) or reactivates a user.
#[server(input = Postcard, output = Postcard)]
pub async fn set_reseller_user_active(id: i64, active: bool) -> Result<ResellerUserView, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::reseller_users::set_active(&ctx.db, &actor, id, active).await?)
}

#[server(input = Postcard, output = Postcard)]
pub async fn resend_activation(id: i64) -> Result<(), AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    domain::reseller_users::resend_activation(&ctx.db, &actor, &ctx.public_url, id).await?;
    Ok(())
}

/// Whose account an activation link opens (no session needed: the link is the credential).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivationAccount {
    pub display_name: String,
    pub email: String,
}

#[server(input = Postcard, output = Postcard)]
pub async fn load_activation(token: String) -> Result<ActivationAccount, AppError> {
    let ctx = crate::ssr::context()?;
    let user = domain::reseller_users::activation_for(&ctx.db, &token).await?;
    Ok(ActivationAccount { display_name: user.display_name, email: user.email })
}

/// Sets the password through an activation link; returns the email to sign in with.
#[server(input = Postcard, output = Postcard)]
pub async fn activate_account(token: String, password: String) -> Result<String, AppError> {
    let ctx = crate::ssr::context()?;
    Ok(domain::reseller_users::activate(&ctx.db, &token, &password).await?)
}

/// Changes the signed-in user's password; their other sessions end. Returns how many ended.
#[server(input = Postcard, output = Postcard)]
pub async fn change_my_password(current_password: String, new_password: String) -> Result<u64, AppError> {
    let user = crate::ssr::require_user()?;
    let ctx = crate::ssr::context()?;
    let session = crate::ssr::session().ok_or(AppError::Unauthorized)?;
    Ok(domain::reseller_users::change_password(&ctx.db, &ctx.auth, &crate::ssr::client_addr(), user.user_id, &current_password, &new_password, &session.token).await?)
}

/// Signs the user out everywhere but here; returns how many sessions ended.
#[server(input = Postcard, output = Postcard)]
pub async fn sign_out_other_sessions() -> Result<u64, AppError> {
    let user = crate::ssr::require_user()?;
    let ctx = crate::ssr::context()?;
    let session = crate::ssr::session().ok_or(AppError::Unauthorized)?;
    Ok(domain::reseller_users::sign_out_other_sessions(&ctx.db, user.user_id, &session.token).await?)
}
