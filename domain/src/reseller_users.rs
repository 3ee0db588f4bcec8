//! A reseller's own users (the Users page, Manage Users): list, create with an activation
//! email, change permissions, deactivate and reactivate; the activation link that lets a new
//! user set a password; and changing one's own password.
//!
//! Rules: Website Access is needed for every other permission; nobody grants (or takes away) a
//! permission they do not hold themselves, nobody changes their own permissions, and nobody
//! deactivates themselves, so no one raises their own rights and a reseller can never lock
//! itself out.
//! Activation links are single-use, expire after [`ACTIVATION_HOURS`] hours, and only their
//! hash is stored. Passwords are 12–128 characters and refused when easy to guess (zxcvbn:
//! common passwords, dictionary words, keyboard patterns, the user's own name or email).

use crate::scope::ResellerId;
use crate::activity::{self, Actor};
use crate::auth::{new_token, token_hash};
use crate::common::local_date;
use crate::entity::{reseller, reseller_user, session, user_token};
use crate::{Error, Result, outbox, password};
use chrono::{Duration, Utc};
use model::events::EventType;
use model::users::{ResellerUserView, UserForm};
use model::{Permission, Permissions, field};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};

/// How long an activation link works.
pub const ACTIVATION_HOURS: i64 = 72;

fn view(u: reseller_user::Model, me: Option<i64>, zone: &str) -> ResellerUserView {
    ResellerUserView {
        id: u.id,
        is_you: me == Some(u.id),
        activated: u.password_hash.is_some(),
        permissions: Permissions::from_bits(u.permissions as u32),
        active: u.active,
        created_on: local_date(u.created_at, zone).to_string(),
        display_name: u.display_name,
        email: u.email,
    }
}

async fn zone(db: &impl ConnectionTrait, reseller_id: ResellerId) -> Result<reseller::Model> {
    reseller::Entity::find_by_id(reseller_id).one(db).await?.ok_or(Error::NotFound)
}

/// The reseller's users, by name.
pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> Result<Vec<ResellerUserView>> {
    actor.require(Permission::ManageUsers)?;
    let owner = zone(db, actor.reseller_id).await?;
    let users = reseller_user::Entity::find()
        .filter(reseller_user::Column::ResellerId.eq(actor.reseller_id))
        .order_by_asc(reseller_user::Column::DisplayName)
        .order_by_asc(reseller_user::Column::Id)
        .all(db)
        .await?;
    Ok(users.into_iter().map(|u| view(u, actor.user_id, &owner.time_zone)).collect())
}

/// One of the reseller's users; another reseller's behaves like a missing one.
async fn owned(db: &impl ConnectionTrait, actor: &Actor, id: i64) -> Result<reseller_user::Model> {
    reseller_user::Entity::find_by_id(id)
        .filter(reseller_user::Column::ResellerId.eq(actor.reseller_id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

/// Creates a user without a password and emails them an activation link to `portal_url`.
pub async fn create(db: &DatabaseConnection, actor: &Actor, portal_url: &str, form: &UserForm) -> Result<ResellerUserView> {
    actor.require(Permission::ManageUsers)?;
    form.validate(true).into_result()?;
    check_grant(actor, Permissions::default(), form.permissions)?;
    let txn = crate::db::Work::begin(db).await?;
    crate::scope::lock_reseller(&txn, actor.reseller_id).await?;
    let email_key = field::email_key(&form.email);
    if reseller_user::Entity::find().filter(reseller_user::Column::EmailKey.eq(&email_key)).one(&txn).await?.is_some() {
        return Err(Error::invalid("email", "A user with this email already exists."));
    }
    let user = reseller_user::ActiveModel {
        reseller_id: Set(actor.reseller_id.get()),
        display_name: Set(form.display_name.trim().to_owned()),
        email: Set(form.email.trim().to_owned()),
        email_key: Set(email_key),
        password_hash: Set(None),
        permissions: Set(form.permissions.bits() as i32),
        active: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Error::invalid("email", "A user with this email already exists."),
        _ => e.into(),
    })?;
    let owner = zone(&txn, actor.reseller_id).await?;
    send_activation(&txn, &owner, &user, portal_url).await?;
    let granted: Vec<&str> = form.permissions.iter().map(Permission::label).collect();
    activity::record_about(
        &txn,
        actor,
        None,
        EventType::ResellerUserCreated,
        format!("Created the portal user {} <{}> ({}); activation email queued.", user.display_name, user.email, describe(&granted)),
        about(&user),
    )
    .await?;
    txn.commit().await?;
    Ok(view(user, actor.user_id, &owner.time_zone))
}

/// `{"resellerUser": …}`, the subject of a portal user's event.
fn about(user: &reseller_user::Model) -> serde_json::Value {
    let permissions: Vec<&str> = Permissions::from_bits(user.permissions as u32).iter().map(Permission::slug).collect();
    serde_json::json!({
        "resellerUser": { "id": user.id, "displayName": user.display_name, "email": user.email, "permissions": permissions, "active": user.active }
    })
}

/// Refuses a change from `before` to `after` that touches a permission `actor` does not hold.
fn check_grant(actor: &Actor, before: Permissions, after: Permissions) -> Result<()> {
    let beyond: Vec<&str> = Permission::ALL
        .iter()
        .copied()
        .filter(|p| before.contains(*p) != after.contains(*p) && !actor.permissions.contains(*p))
        .map(Permission::label)
        .collect();
    if beyond.is_empty() {
        Ok(())
    } else {
        Err(Error::invalid(
            "permissions",
            format!("You can only grant or remove permissions you hold yourself (not {}).", beyond.join(", ")),
        ))
    }
}

/// Refuses acting on a user who holds a permission `actor` does not (resending their
/// activation link, deactivating or reactivating them): nobody takes over or shuts out someone
/// with more rights.
fn check_outranks(actor: &Actor, target: &reseller_user::Model) -> Result<()> {
    let theirs = Permissions::from_bits(target.permissions as u32);
    let beyond: Vec<&str> = theirs.iter().filter(|p| !actor.permissions.contains(*p)).map(Permission::label).collect();
    if beyond.is_empty() {
        Ok(())
    } else {
        Err(Error::Conflict(format!(
            "{} holds permissions you do not ({}): ask someone who holds them.",
            target.display_name,
            beyond.join(", ")
        )))
    }
}

fn describe(labels: &[&str]) -> String {
    if labels.is_empty() { "no permissions".into() } else { labels.join(", ") }
}

/// Replaces the user's earlier activation links with a new one and queues its email.
async fn send_activation(db: &impl ConnectionTrait, owner: &reseller::Model, user: &reseller_user::Model, portal_url: &str) -> Result<()> {
    user_token::Entity::delete_many()
        .filter(user_token::Column::UserId.eq(user.id))
        .filter(user_token::Column::Purpose.eq(user_token::Purpose::Activation))
        .exec(db)
        .await?;
    let token = new_token();
    let now = Utc::now();
    user_token::ActiveModel {
        user_id: Set(user.id),
        purpose: Set(user_token::Purpose::Activation),
        token_hash: Set(token_hash(&token)),
        expires_at: Set(now + Duration::hours(ACTIVATION_HOURS)),
        used_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let link = format!("{}/activate?token={token}", portal_url.trim_end_matches('/'));
    outbox::queue(
        db,
        outbox::Email {
            reseller_id: Some(owner.id),
            customer_user_id: None,
            kind: outbox::ACTIVATION,
            to_address: user.email.clone(),
            to_name: user.display_name.clone(),
            subject: format!("Activate your Reseller Portal account ({})", owner.name),
            body: format!(
                "Hello {},\n\n\
                 {} has given you an account in its Reseller Portal. Choose your password here \
                 (the link works once, for {ACTIVATION_HOURS} hours):\n\n{link}\n\n\
                 Then sign in with this email address ({}).\n\n\
                 If you did not expect this email, you can ignore it.\n",
                user.display_name, owner.name, user.email
            ),
        },
    )
    .await?;
    Ok(())
}

/// Sends a new activation link to a user who has not set a password yet.
pub async fn resend_activation(db: &DatabaseConnection, actor: &Actor, portal_url: &str, id: i64) -> Result<()> {
    actor.require(Permission::ManageUsers)?;
    let txn = crate::db::Work::begin(db).await?;
    let user = owned(&txn, actor, id).await?;
    check_outranks(actor, &user)?;
    if user.password_hash.is_some() {
        return Err(Error::Conflict(format!("{} has already set a password.", user.display_name)));
    }
    if !user.active {
        return Err(Error::Conflict(format!("{} is deactivated: reactivate them first.", user.display_name)));
    }
    let owner = zone(&txn, actor.reseller_id).await?;
    send_activation(&txn, &owner, &user, portal_url).await?;
    activity::record_about(&txn, actor, None, EventType::ResellerUserActivationSent, format!("Sent {} a new activation link.", user.display_name), about(&user)).await?;
    txn.commit().await?;
    Ok(())
}

/// Changes a user's name and permissions.
pub async fn update(db: &DatabaseConnection, actor: &Actor, id: i64, form: &UserForm) -> Result<ResellerUserView> {
    actor.require(Permission::ManageUsers)?;
    form.validate(false).into_result()?;
    let txn = crate::db::Work::begin(db).await?;
    crate::scope::lock_reseller(&txn, actor.reseller_id).await?;
    let user = owned(&txn, actor, id).await?;
    let before = Permissions::from_bits(user.permissions as u32);
    if actor.user_id == Some(user.id) && before != form.permissions {
        return Err(Error::invalid("permissions", "You cannot change your own permissions: ask another user who may manage users."));
    }
    check_grant(actor, before, form.permissions)?;
    let name = form.display_name.trim().to_owned();
    let mut changes = Vec::new();
    if user.display_name != name {
        changes.push(format!("name to \u{201c}{name}\u{201d}"));
    }
    if before != form.permissions {
        let labels: Vec<&str> = form.permissions.iter().map(Permission::label).collect();
        changes.push(format!("permissions to {}", describe(&labels)));
    }
    let owner = zone(&txn, actor.reseller_id).await?;
    if changes.is_empty() {
        return Ok(view(user, actor.user_id, &owner.time_zone));
    }
    let mut row: reseller_user::ActiveModel = user.clone().into();
    row.display_name = Set(name);
    row.permissions = Set(form.permissions.bits() as i32);
    let saved = row.update(&txn).await?;
    let summary = format!("Changed {}'s {}.", user.display_name, changes.join(" and "));
    activity::record_about(&txn, actor, None, EventType::ResellerUserUpdated, summary, about(&saved)).await?;
    txn.commit().await?;
    Ok(view(saved, actor.user_id, &owner.time_zone))
}

/// Deactivates (`active` false: signed out everywhere, cannot sign in) or reactivates a user.
pub async fn set_active(db: &DatabaseConnection, actor: &Actor, id: i64, active: bool) -> Result<ResellerUserView> {
    actor.require(Permission::ManageUsers)?;
    let txn = crate::db::Work::begin(db).await?;
    crate::scope::lock_reseller(&txn, actor.reseller_id).await?;
    let user = owned(&txn, actor, id).await?;
    if actor.user_id == Some(user.id) && !active {
        return Err(Error::Conflict("You cannot deactivate yourself.".into()));
    }
    check_outranks(actor, &user)?;
    let owner = zone(&txn, actor.reseller_id).await?;
    if user.active == active {
        return Ok(view(user, actor.user_id, &owner.time_zone));
    }
    let mut row: reseller_user::ActiveModel = user.clone().into();
    row.active = Set(active);
    let saved = row.update(&txn).await?;
    if !active {
        session::Entity::delete_many().filter(session::Column::UserId.eq(user.id)).exec(&txn).await?;
    }
    let (action, verb) = if active { (EventType::ResellerUserReactivated, "Reactivated") } else { (EventType::ResellerUserDeactivated, "Deactivated") };
    activity::record_about(&txn, actor, None, action, format!("{verb} the portal user {} <{}>.", user.display_name, user.email), about(&saved)).await?;
    txn.commit().await?;
    Ok(view(saved, actor.user_id, &owner.time_zone))
}

/// The rules of a new password: 12–128 characters, and not easy to guess.
pub fn check_new_password(password: &str, user_inputs: &[&str]) -> std::result::Result<(), String> {
    field::new_password(password)?;
    let estimate = zxcvbn::zxcvbn(password, user_inputs);
    if estimate.score() < zxcvbn::Score::Three {
        let hint = estimate.feedback().and_then(|f| f.warning()).map(|w| format!(" ({w})")).unwrap_or_default();
        return Err(format!(
            "This password is too easy to guess{hint}. Try a phrase of several unrelated words."
        ));
    }
    Ok(())
}

/// What an activation link leads to: whose account, if the link still works.
pub async fn activation_for(db: &impl ConnectionTrait, token: &str) -> Result<reseller_user::Model> {
    let invalid = || Error::Conflict("This activation link is invalid, was already used or has expired. Ask your administrator for a new one.".into());
    if token.len() != 64 {
        return Err(invalid());
    }
    let Some(found) = user_token::Entity::find()
        .filter(user_token::Column::TokenHash.eq(token_hash(token)))
        .filter(user_token::Column::Purpose.eq(user_token::Purpose::Activation))
        .one(db)
        .await?
    else {
        return Err(invalid());
    };
    if found.used_at.is_some() || found.expires_at <= Utc::now() {
        return Err(invalid());
    }
    let user = reseller_user::Entity::find_by_id(found.user_id).one(db).await?.ok_or_else(invalid)?;
    if !user.active {
        return Err(invalid());
    }
    Ok(user)
}

/// Sets the password of the user an activation link belongs to and spends the link. Returns
/// the user's email (for the sign-in form).
pub async fn activate(db: &DatabaseConnection, token: &str, new_password: &str) -> Result<String> {
    let user = activation_for(db, token).await?;
    check_new_password(new_password, &[&user.email, &user.display_name]).map_err(|m| Error::invalid("password", m))?;
    let hash = password::hash(new_password).await?;
    let txn = crate::db::Work::begin(db).await?;
    // Spending the link is the claim: of two simultaneous uses only one changes the row.
    let spent = user_token::Entity::update_many()
        .col_expr(user_token::Column::UsedAt, Expr::value(Utc::now()))
        .filter(user_token::Column::TokenHash.eq(token_hash(token)))
        .filter(user_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        return Err(Error::Conflict("This activation link was already used. Sign in, or ask your administrator for a new one.".into()));
    }
    reseller_user::Entity::update_many()
        .col_expr(reseller_user::Column::PasswordHash, Expr::value(Some(hash)))
        .filter(reseller_user::Column::Id.eq(user.id))
        .exec(&txn)
        .await?;
    let actor = Actor { permissions: Default::default(), ..Actor::of_user(&user) };
    let summary = format!("{} set their password and activated their account.", user.display_name);
    activity::record_about(&txn, &actor, None, EventType::ResellerUserActivated, summary, about(&user)).await?;
    txn.commit().await?;
    Ok(user.email)
}

/// Changes the signed-in user's own password (the current one is required, checked under the
/// sign-in throttling of `policy` for `client_addr`) and ends their other sessions;
/// `keep_session` is the token of the session making the change.
pub async fn change_password(
    db: &DatabaseConnection,
    policy: &crate::auth::AuthPolicy,
    client_addr: &str,
    user_id: i64,
    current: &str,
    new_password: &str,
    keep_session: &str,
) -> Result<u64> {
    let user = reseller_user::Entity::find_by_id(user_id).one(db).await?.ok_or(Error::NotFound)?;
    if !crate::auth::check_current_password(db, policy, &user, current, client_addr).await? {
        return Err(Error::invalid("current_password", "This is not your current password."));
    }
    check_new_password(new_password, &[&user.email, &user.display_name]).map_err(|m| Error::invalid("new_password", m))?;
    let hash = password::hash(new_password).await?;
    let txn = crate::db::Work::begin(db).await?;
    reseller_user::Entity::update_many()
        .col_expr(reseller_user::Column::PasswordHash, Expr::value(Some(hash)))
        .filter(reseller_user::Column::Id.eq(user.id))
        .exec(&txn)
        .await?;
    let ended = end_other_sessions(&txn, user.id, keep_session).await?;
    txn.commit().await?;
    Ok(ended)
}

/// Ends every session of the user but the one making the request.
pub async fn sign_out_other_sessions(db: &DatabaseConnection, user_id: i64, keep_session: &str) -> Result<u64> {
    end_other_sessions(db, user_id, keep_session).await
}

async fn end_other_sessions(db: &impl ConnectionTrait, user_id: i64, keep_session: &str) -> Result<u64> {
    let ended = session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::TokenHash.ne(token_hash(keep_session)))
        .exec(db)
        .await?;
    Ok(ended.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easy_passwords_are_refused_with_a_reason() {
        for easy in ["password1234", "qwertyuiop123", "aaaaaaaaaaaa", "123456789012", "dana.demo@example.com"] {
            assert!(check_new_password(easy, &["dana.demo@example.com", "Dana Demo"]).is_err(), "{easy}");
        }
        assert!(check_new_password("short", &[]).unwrap_err().contains("at least 12"));
        assert!(check_new_password("correct horse battery staple", &[]).is_ok());
        assert!(check_new_password("Lantern-Orbit-Quiche-47", &[]).is_ok());
    }
}
