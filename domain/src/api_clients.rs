//! Client credentials for the REST provisioning API (the API Access page) and the OAuth 2.0
//! client-credentials exchange behind `POST /api/v1/oauth/token`.
//!
//! A REST API Administrator creates credentials: a public client id (`rp_` and 24 hex digits)
//! and a secret of 256 random bits, shown once and stored only as its SHA-256. A client trades
//! them for a bearer token that works for [`TOKEN_LIFETIME`] seconds; tokens, too, are stored
//! only as hashes. Revoking credentials deletes their tokens at once.
//!
//! Why SHA-256 and not argon2 as for passwords: secrets and tokens are random 256-bit values,
//! not something a person chose, so there is no dictionary to try and a slow hash would only
//! cost every API request time without making a guess any less hopeless.

use crate::scope::ResellerId;
use crate::activity::{self, Actor, local_time};
use crate::auth::{new_token, token_hash};
use crate::entity::{api_client, api_token, reseller, reseller_user};
use crate::{Error, Result};
use chrono::{DateTime, Duration, Utc};
use model::events::EventType;
use model::api::{ApiClientView, NewApiClient, client_name};
use model::{Permission, Permissions};
use rand::RngCore;
use std::collections::HashMap;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};

/// How long an issued bearer token works, in seconds.
pub const TOKEN_LIFETIME: i64 = 3600;

/// `last_used_at` is written at most this often (seconds) while a token is in use, so a busy
/// client does not cost a database write per request.
const TOUCH_EVERY: i64 = 60;

/// A token issued by [`issue_token`], as the OAuth token response carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedToken {
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
}

/// Who is calling the REST API: the client's reseller as an [`Actor`] for the services.
#[derive(Clone, Debug)]
pub struct ApiCaller {
    /// The reseller's id, no user, named `API client rp_…` in the activity log, with the
    /// credentials' permissions (no more than their creator still holds).
    pub actor: Actor,
    pub client_id: String,
    pub api_client_id: i64,
}

/// What API clients can be given at most: provisioning (Customer Administrator), billing
/// data (Billing Administrator) and webhook endpoints (Webhooks Administrator), plus Website Access, which the other permissions presuppose.
/// Never Manage Users or REST API Administrator: a client cannot change portal users or mint
/// credentials.
pub fn api_permissions() -> Permissions {
    model::api::API_PERMISSIONS.into_iter().fold(Permissions::default().with(Permission::WebsiteAccess), Permissions::with)
}

/// `wanted` as credentials may hold it: within [`api_permissions`], with Website Access, and
/// only what `actor` holds; an error names what the actor may not give.
fn grantable(actor: &Actor, wanted: Permissions) -> Result<Permissions> {
    let offered = api_permissions();
    let mut granted = Permissions::default().with(Permission::WebsiteAccess);
    let mut beyond = Vec::new();
    for p in wanted.iter().filter(|p| *p != Permission::WebsiteAccess) {
        if !offered.contains(p) {
            return Err(Error::invalid("permissions", format!("API credentials cannot have {}.", p.label())));
        }
        if !actor.permissions.contains(p) {
            beyond.push(p.label());
        }
        granted = granted.with(p);
    }
    if !beyond.is_empty() {
        return Err(Error::invalid("permissions", format!("You can only give credentials permissions you hold yourself (not {}).", beyond.join(", "))));
    }
    if granted == Permissions::default().with(Permission::WebsiteAccess) {
        return Err(Error::invalid("permissions", "Choose what the credentials may do: Customer Administrator, Billing Administrator or both."));
    }
    Ok(granted)
}

/// The permissions of two sets both hold.
fn both(a: Permissions, b: Permissions) -> Permissions {
    Permissions::from_bits(a.bits() & b.bits())
}

/// The reseller's credentials, newest first. Never includes a secret.
pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> Result<Vec<ApiClientView>> {
    actor.require(Permission::RestApiAdministrator)?;
    let zone = time_zone(db, actor.reseller_id).await?;
    let rows = api_client::Entity::find()
        .filter(api_client::Column::ResellerId.eq(actor.reseller_id))
        .order_by_desc(api_client::Column::CreatedAt)
        .order_by_desc(api_client::Column::Id)
        .all(db)
        .await?;
    let creators: HashMap<i64, reseller_user::Model> = reseller_user::Entity::find()
        .filter(reseller_user::Column::ResellerId.eq(actor.reseller_id))
        .filter(reseller_user::Column::Id.is_in(rows.iter().filter_map(|c| c.created_by_user_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    Ok(rows
        .into_iter()
        .map(|c| {
            let stopped = standing(&c, c.created_by_user_id.and_then(|id| creators.get(&id))).err();
            view(c, &zone, stopped)
        })
        .collect())
}

/// Creates credentials named `name` (required, ≤ 100 characters, unique among the reseller's
/// credentials that are not revoked, ignoring case) that may do what `permissions` says — no
/// more than the creator holds. The secret is in the answer and nowhere else: only its hash is
/// stored.
/// `{"apiClient": …}`, the subject of an API credential's event (never its secret).
fn about(client: &api_client::Model) -> serde_json::Value {
    serde_json::json!({ "apiClient": { "clientId": client.client_id, "name": client.name } })
}

pub async fn create(db: &DatabaseConnection, actor: &Actor, name: &str, permissions: Permissions) -> Result<NewApiClient> {
    actor.require(Permission::RestApiAdministrator)?;
    client_name(name).map_err(|m| Error::invalid("name", m))?;
    let permissions = grantable(actor, permissions)?;
    let name = name.trim();
    let txn = crate::db::Work::begin(db).await?;
    // Two creates with one name queue up here, so the uniqueness check below cannot race.
    crate::scope::lock_reseller(&txn, actor.reseller_id).await?;
    let active = api_client::Entity::find()
        .filter(api_client::Column::ResellerId.eq(actor.reseller_id))
        .filter(api_client::Column::RevokedAt.is_null())
        .all(&txn)
        .await?;
    let key = name.to_lowercase();
    if active.iter().any(|c| c.name.to_lowercase() == key) {
        return Err(Error::invalid("name", format!("Credentials named \u{201c}{name}\u{201d} already exist. Choose another name, or revoke those first.")));
    }
    let secret = new_token();
    let client = api_client::ActiveModel {
        reseller_id: Set(actor.reseller_id.get()),
        name: Set(name.to_owned()),
        client_id: Set(new_client_id()),
        secret_hash: Set(token_hash(&secret)),
        created_at: Set(Utc::now()),
        created_by: Set(actor.name.chars().take(200).collect()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        permissions: Set(permissions.bits() as i32),
        created_by_user_id: Set(actor.user_id),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let labels: Vec<&str> = permissions.iter().filter(|p| *p != Permission::WebsiteAccess).map(Permission::label).collect();
    activity::record_about(
        &txn,
        actor,
        None,
        EventType::ApiClientCreated,
        format!("Created the REST API credentials \u{201c}{}\u{201d} ({}) as {}.", client.name, client.client_id, labels.join(" and ")),
        about(&client),
    )
    .await?;
    let zone = time_zone(&txn, actor.reseller_id).await?;
    txn.commit().await?;
    Ok(NewApiClient { client: view(client, &zone, None), secret })
}

/// Revokes credentials: no more tokens are issued for them and their current tokens stop
/// working at once. Revoking revoked credentials changes nothing.
pub async fn revoke(db: &DatabaseConnection, actor: &Actor, id: i64) -> Result<()> {
    actor.require(Permission::RestApiAdministrator)?;
    let txn = crate::db::Work::begin(db).await?;
    let client = api_client::Entity::find_by_id(id)
        .filter(api_client::Column::ResellerId.eq(actor.reseller_id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    // The conditional update is the claim: of two simultaneous revokes one records it.
    let revoked = api_client::Entity::update_many()
        .col_expr(api_client::Column::RevokedAt, Expr::value(Some(Utc::now())))
        .filter(api_client::Column::Id.eq(client.id))
        .filter(api_client::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if revoked.rows_affected == 0 {
        return Ok(());
    }
    api_token::Entity::delete_many().filter(api_token::Column::ApiClientId.eq(client.id)).exec(&txn).await?;
    let summary = format!("Revoked the REST API credentials \u{201c}{}\u{201d} ({}).", client.name, client.client_id);
    activity::record_about(&txn, actor, None, EventType::ApiClientRevoked, summary, about(&client)).await?;
    txn.commit().await?;
    Ok(())
}

/// The client-credentials grant: a new bearer token for the right client id and secret.
/// Unknown client, wrong secret and revoked credentials all give [`Error::Unauthenticated`].
pub async fn issue_token(db: &DatabaseConnection, client_id: &str, secret: &str) -> Result<IssuedToken> {
    let client = api_client::Entity::find().filter(api_client::Column::ClientId.eq(client_id)).one(db).await?;
    let presented = token_hash(secret);
    // Compared without an early exit, and against a stand-in when the client is unknown, so
    // the answer's timing says nothing about how much of the secret was right or whether the
    // client exists.
    let stored = client.as_ref().map_or(UNKNOWN_CLIENT_HASH, |c| c.secret_hash.as_str());
    let matches = same_digest(&presented, stored);
    let client = match client {
        Some(c) if matches && c.revoked_at.is_none() => c,
        _ => return Err(Error::Unauthenticated),
    };
    if effective_permissions(db, &client).await?.is_none() {
        return Err(Error::Unauthenticated);
    }
    let token = new_token();
    let now = Utc::now();
    let txn = crate::db::Work::begin(db).await?;
    // Housekeeping: the client's expired tokens are of no use to anyone.
    api_token::Entity::delete_many()
        .filter(api_token::Column::ApiClientId.eq(client.id))
        .filter(api_token::Column::ExpiresAt.lte(now))
        .exec(&txn)
        .await?;
    api_token::ActiveModel {
        api_client_id: Set(client.id),
        token_hash: Set(token_hash(&token)),
        expires_at: Set(now + Duration::seconds(TOKEN_LIFETIME)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    // Only while not revoked: a revoke that slipped in since the check above wins.
    let touched = api_client::Entity::update_many()
        .col_expr(api_client::Column::LastUsedAt, Expr::value(Some(now)))
        .filter(api_client::Column::Id.eq(client.id))
        .filter(api_client::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if touched.rows_affected != 1 {
        return Err(Error::Unauthenticated);
    }
    txn.commit().await?;
    tracing::info!(client_id = %client.client_id, reseller_id = client.reseller_id, "API token issued");
    Ok(IssuedToken { access_token: token, expires_in: TOKEN_LIFETIME })
}

/// The caller behind a bearer token, or None when the token is unknown, expired or its
/// credentials were revoked.
///
/// The token is looked up by its hash, so how long the lookup takes depends on the hash, not on
/// the token: it tells an attacker nothing useful about a valid token.
pub async fn resolve_token(db: &DatabaseConnection, token: &str) -> Result<Option<ApiCaller>> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let Some(found) = api_token::Entity::find().filter(api_token::Column::TokenHash.eq(token_hash(token))).one(db).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    if found.expires_at <= now {
        return Ok(None);
    }
    let Some(client) = api_client::Entity::find_by_id(found.api_client_id).one(db).await? else {
        return Ok(None);
    };
    if client.revoked_at.is_some() {
        return Ok(None);
    }
    let Some(permissions) = effective_permissions(db, &client).await? else {
        return Ok(None);
    };
    if needs_touch(client.last_used_at, now) {
        api_client::Entity::update_many()
            .col_expr(api_client::Column::LastUsedAt, Expr::value(Some(now)))
            .filter(api_client::Column::Id.eq(client.id))
            .exec(db)
            .await?;
    }
    Ok(Some(ApiCaller {
        actor: Actor { reseller_id: ResellerId::of_row(client.reseller_id), user_id: None, name: format!("API client {}", client.client_id), permissions },
        client_id: client.client_id,
        api_client_id: client.id,
    }))
}

/// What calls with `client` may do now: its own permissions (within [`api_permissions`]), no
/// more than its creator still holds; `None` when the credentials do not work (see [`standing`]).
async fn effective_permissions(db: &impl ConnectionTrait, client: &api_client::Model) -> Result<Option<Permissions>> {
    let creator = match client.created_by_user_id {
        Some(id) => reseller_user::Entity::find_by_id(id).filter(reseller_user::Column::ResellerId.eq(client.reseller_id)).one(db).await?,
        None => None,
    };
    Ok(standing(client, creator.as_ref()).ok())
}

/// Whether credentials work, given their creator (as found in the credentials' reseller): the
/// permissions their calls have, or why they stopped.
///
/// Credentials act for the person who made them, so they stop when that person cannot act:
/// deactivated, deleted, or without Website Access. Credentials with no creator on record (made
/// before creators were recorded, whose creator's name matched no user) cannot be held to anyone,
/// so they do not work either; API Access says so, and new credentials replace them.
fn standing(client: &api_client::Model, creator: Option<&reseller_user::Model>) -> std::result::Result<Permissions, String> {
    let own = both(Permissions::from_bits(client.permissions as u32), api_permissions());
    if client.created_by_user_id.is_none() {
        return Err("Stopped: no creator is on record for these credentials. Create new ones to replace them.".into());
    }
    let Some(creator) = creator.filter(|u| u.active) else {
        return Err(format!("Stopped: {} was deactivated or removed. Create new credentials to replace these.", client.created_by));
    };
    let permissions = both(own, Permissions::from_bits(creator.permissions as u32));
    if !permissions.contains(Permission::WebsiteAccess) {
        return Err(format!("Stopped: {} no longer has Website Access.", creator.display_name));
    }
    Ok(permissions)
}

/// The hash an unknown client's secret is compared with: no secret has it (it is not even hex).
const UNKNOWN_CLIENT_HASH: &str = "----------------------------------------------------------------";

/// Whether two hex digests are equal, looking at every byte whatever the first difference.
/// (Both sides are SHA-256 digests, so even a plain `==` would only reveal how much of a hash
/// matched, not of the secret; the fold costs nothing and leaves no doubt.)
fn same_digest(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

fn needs_touch(last_used_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_used_at.is_none_or(|at| now - at >= Duration::seconds(TOUCH_EVERY))
}

/// `rp_` and 96 random bits in hex.
fn new_client_id() -> String {
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    format!("rp_{}", hex::encode(bytes))
}

async fn time_zone(db: &impl ConnectionTrait, reseller_id: ResellerId) -> Result<String> {
    Ok(reseller::Entity::find_by_id(reseller_id).one(db).await?.ok_or(Error::NotFound)?.time_zone)
}

fn view(c: api_client::Model, zone: &str, stopped: Option<String>) -> ApiClientView {
    ApiClientView {
        stopped: if c.revoked_at.is_some() { None } else { stopped },
        id: c.id,
        created_at: local_time(c.created_at, zone),
        last_used_at: c.last_used_at.map(|at| local_time(at, zone)),
        revoked: c.revoked_at.is_some(),
        permissions: Permissions::from_bits(c.permissions as u32),
        name: c.name,
        client_id: c.client_id,
        created_by: c.created_by,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_compare_equal_only_when_identical() {
        let a = token_hash("secret");
        assert!(same_digest(&a, &token_hash("secret")));
        assert!(!same_digest(&a, &token_hash("secreT")));
        assert!(!same_digest(&a, &a[..63]));
        assert!(!same_digest(&a, UNKNOWN_CLIENT_HASH));
    }

    #[test]
    fn client_ids_are_prefixed_random_hex() {
        let id = new_client_id();
        assert_eq!(id.len(), 27);
        assert!(id.starts_with("rp_") && id[3..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(id, new_client_id());
    }

    #[test]
    fn last_used_is_written_at_most_once_a_minute() {
        let now = Utc::now();
        assert!(needs_touch(None, now));
        assert!(!needs_touch(Some(now - Duration::seconds(59)), now));
        assert!(needs_touch(Some(now - Duration::seconds(60)), now));
    }

    #[test]
    fn api_clients_provision_but_never_administer() {
        let p = api_permissions();
        assert!(p.contains(Permission::CustomerAdministrator) && p.contains(Permission::BillingAdministrator));
        assert!(!p.contains(Permission::ManageUsers) && !p.contains(Permission::RestApiAdministrator));
    }
}
