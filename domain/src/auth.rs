//! Signing in and out, server-side sessions and brute-force throttling.

use crate::activity::Actor;
use crate::entity::{reseller, reseller_user, session, sign_in_failure};
use crate::{password, Error, Result};
use chrono::{DateTime, Utc};
use model::{field, CurrentUser, Permission, Permissions};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// How long sessions live and how hard guessing is made.
#[derive(Clone, Debug)]
pub struct AuthPolicy {
    /// A session unused for this long is over.
    pub idle_timeout: Duration,
    /// A session is over this long after sign-in, however busy.
    pub absolute_timeout: Duration,
    pub throttle: ThrottlePolicy,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        AuthPolicy {
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(12 * 60 * 60),
            throttle: ThrottlePolicy::default(),
        }
    }
}

/// Failed sign-ins (and current-password checks) are counted over a sliding window per
/// account *and* client address, per account alone, and per address alone.
///
/// - Per account and address: past `pair_delay_after` each attempt waits, doubling; at
///   `pair_lock_after` that address is refused for that account until the oldest failure
///   leaves the window. Someone guessing from one address locks out only that address: the
///   account's owner, elsewhere, still signs in.
/// - Per account, from every address: the softer `account_lock_after` (≤ 100 an hour with the
///   defaults), against guessing spread over many addresses.
/// - Per address, over every account: delay after `addr_delay_after`, refuse at
///   `addr_lock_after` (a scan of many accounts from one address).
///
/// An attempt is recorded as a failure *before* its password is checked (and the record
/// removed when it was right), so a burst of parallel guesses counts every one of them.
#[derive(Clone, Debug)]
pub struct ThrottlePolicy {
    pub window: Duration,
    pub pair_delay_after: u64,
    pub pair_lock_after: u64,
    pub account_lock_after: u64,
    pub addr_delay_after: u64,
    pub addr_lock_after: u64,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            window: Duration::from_secs(15 * 60),
            pair_delay_after: 3,
            pair_lock_after: 10,
            account_lock_after: 25,
            addr_delay_after: 20,
            addr_lock_after: 100,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl ThrottlePolicy {
    /// The pause before checking a password, given the failures already in the window.
    pub fn delay(&self, pair_failures: u64, addr_failures: u64) -> Duration {
        let steps = pair_failures
            .saturating_sub(self.pair_delay_after - 1)
            .max(addr_failures.saturating_sub(self.addr_delay_after - 1));
        if steps == 0 {
            return Duration::ZERO;
        }
        let factor = 1u32 << (steps - 1).min(16) as u32;
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// A successful sign-in: the raw token goes into the cookie and is never stored.
pub struct SignedIn {
    pub token: String,
    pub user: CurrentUser,
}

/// An attempt at a password, recorded as a failure until it turns out right.
struct Attempt {
    failure_id: i64,
}

/// Records an attempt for `email_key` from `client_addr` and decides whether it may go on:
/// refused (and not counted) when a limit is reached, else after the delay the failures so far
/// call for. The failure is already recorded when this returns `Ok`.
async fn begin_attempt(db: &DatabaseConnection, throttle: &ThrottlePolicy, email_key: &str, client_addr: &str) -> Result<Attempt> {
    let now = Utc::now();
    let client_addr = throttle_key(client_addr);
    let failure = sign_in_failure::ActiveModel {
        email_key: Set(email_key.to_owned()),
        client_addr: Set(client_addr.clone()),
        failed_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let since = now - throttle.window;
    // The counts include this attempt, and every parallel one recorded before it.
    let (pair, account, addr) = tokio::try_join!(
        count_failures(db, Some(email_key), Some(&client_addr), since),
        count_failures(db, Some(email_key), None, since),
        count_failures(db, None, Some(&client_addr), since),
    )?;
    let refused = if pair > throttle.pair_lock_after {
        Some((Some(email_key), Some(client_addr.as_str()), throttle.pair_lock_after))
    } else if account > throttle.account_lock_after {
        Some((Some(email_key), None, throttle.account_lock_after))
    } else if addr > throttle.addr_lock_after {
        Some((None, Some(client_addr.as_str()), throttle.addr_lock_after))
    } else {
        None
    };
    if let Some((email, addr, limit)) = refused {
        // A refused attempt checked nothing, so it is no failure: waiting out the window works.
        sign_in_failure::Entity::delete_by_id(failure.id).exec(db).await?;
        let retry_after = retry_after(db, email, addr, since, limit, throttle).await?;
        tracing::warn!(client_addr, "sign-in refused: too many failures");
        return Err(Error::Throttled { retry_after });
    }
    let delay = throttle.delay(pair.saturating_sub(1), addr.saturating_sub(1));
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    Ok(Attempt { failure_id: failure.id })
}

impl Attempt {
    /// The password was right: the attempt is no failure.
    async fn succeeded(self, db: &DatabaseConnection) -> Result<()> {
        sign_in_failure::Entity::delete_by_id(self.failure_id).exec(db).await?;
        Ok(())
    }
}

pub async fn sign_in(
    db: &DatabaseConnection,
    policy: &AuthPolicy,
    email: &str,
    password_attempt: &str,
    client_addr: &str,
) -> Result<SignedIn> {
    let email_key = field::email_key(email);
    // Bound what we store and hash: an over-long input is simply wrong credentials.
    if email_key.is_empty() || email_key.chars().count() > field::EMAIL_MAX || password_attempt.len() > 1024 {
        return Err(Error::InvalidCredentials);
    }
    let attempt = begin_attempt(db, &policy.throttle, &email_key, client_addr).await?;

    let found = reseller_user::Entity::find()
        .filter(reseller_user::Column::EmailKey.eq(&email_key))
        .find_also_related(reseller::Entity)
        .one(db)
        .await?;
    let stored_hash = found.as_ref().and_then(|(u, _)| u.password_hash.as_deref());
    let matches = password::verify(password_attempt, stored_hash).await?;

    // Unknown account, wrong password, deactivated, or without Website Access: one answer,
    // and each counts as a failure.
    let (user, reseller) = match found {
        Some((user, Some(reseller))) if matches && user.active && permissions_of(&user).contains(Permission::WebsiteAccess) => (user, reseller),
        _ => {
            tracing::info!(client_addr, "sign-in failed");
            return Err(Error::InvalidCredentials);
        }
    };
    attempt.succeeded(db).await?;
    let current = current_user(&user, &reseller);

    let token = new_token();
    // The clock is read again: checking the password took time the session must not lose.
    let now = Utc::now();
    session::ActiveModel {
        token_hash: Set(token_hash(&token)),
        user_id: Set(user.id),
        created_at: Set(now),
        last_seen_at: Set(now),
        client_addr: Set(client_addr.chars().take(64).collect()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    tracing::info!(user_id = user.id, reseller_id = reseller.id, "signed in");
    Ok(SignedIn { token, user: current })
}

/// Checks a signed-in user's current password (before a password change) under the same
/// throttling as sign-in: a stolen session cannot be used to guess the password quickly.
pub async fn check_current_password(db: &DatabaseConnection, policy: &AuthPolicy, user: &reseller_user::Model, password_attempt: &str, client_addr: &str) -> Result<bool> {
    if password_attempt.len() > 1024 {
        return Ok(false);
    }
    let attempt = begin_attempt(db, &policy.throttle, &user.email_key, client_addr).await?;
    let matches = password::verify(password_attempt, user.password_hash.as_deref()).await?;
    if matches {
        attempt.succeeded(db).await?;
    }
    Ok(matches)
}

fn permissions_of(user: &reseller_user::Model) -> Permissions {
    Permissions::from_bits(user.permissions as u32)
}

/// A resolved session: the user as the browser is told about them, and the [`Actor`] the
/// services take (the only way a browser request gets a reseller to act for).
#[derive(Clone, Debug)]
pub struct Caller {
    pub user: CurrentUser,
    pub actor: Actor,
}

/// Resolves a cookie token to its user, or None when the session is unknown, expired, or its
/// user lost access. Expired sessions are deleted; an active one has its idle clock reset.
pub async fn resolve_session(db: &DatabaseConnection, policy: &AuthPolicy, token: &str) -> Result<Option<Caller>> {
    if token.len() != 64 {
        return Ok(None);
    }
    let Some(found) = session::Entity::find()
        .filter(session::Column::TokenHash.eq(token_hash(token)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    if is_expired(&found, policy, now) {
        session::Entity::delete_by_id(found.id).exec(db).await?;
        return Ok(None);
    }
    let Some((user, Some(reseller))) = reseller_user::Entity::find_by_id(found.user_id)
        .find_also_related(reseller::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let current = current_user(&user, &reseller);
    if !user.active || !current.permissions.contains(Permission::WebsiteAccess) {
        return Ok(None);
    }
    // Refresh the idle clock, but not on every request: a write per page view is waste.
    let touch_every = (policy.idle_timeout / 4).min(Duration::from_secs(60));
    if elapsed(found.last_seen_at, now) > touch_every {
        let id = found.id;
        let mut active: session::ActiveModel = found.into();
        active.last_seen_at = Set(now);
        active.update(db).await?;
        tracing::trace!(session_id = id, "session touched");
    }
    Ok(Some(Caller { actor: Actor::of_user(&user), user: current }))
}

/// Ends the session behind `token` on the server; the cookie alone is then worthless.
pub async fn sign_out(db: &DatabaseConnection, token: &str) -> Result<()> {
    session::Entity::delete_many()
        .filter(session::Column::TokenHash.eq(token_hash(token)))
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of one user (after a password reset, for example).
pub async fn sign_out_everywhere(db: &DatabaseConnection, user_id: i64) -> Result<u64> {
    let res = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id)).exec(db).await?;
    Ok(res.rows_affected)
}

fn is_expired(s: &session::Model, policy: &AuthPolicy, now: DateTime<Utc>) -> bool {
    elapsed(s.last_seen_at, now) >= policy.idle_timeout || elapsed(s.created_at, now) >= policy.absolute_timeout
}

/// Time from `since` to `now`; zero if the clock went backwards.
fn elapsed(since: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (now - since).to_std().unwrap_or(Duration::ZERO)
}

fn current_user(user: &reseller_user::Model, reseller: &reseller::Model) -> CurrentUser {
    CurrentUser {
        user_id: user.id,
        reseller_id: reseller.id,
        reseller_name: reseller.name.clone(),
        display_name: user.display_name.clone(),
        email: user.email.clone(),
        permissions: Permissions::from_bits(user.permissions as u32),
    }
}

/// Failures since `since` for the email, the address, or both.
async fn count_failures(db: &DatabaseConnection, email_key: Option<&str>, client_addr: Option<&str>, since: DateTime<Utc>) -> Result<u64> {
    let mut select = sign_in_failure::Entity::find().filter(sign_in_failure::Column::FailedAt.gt(since));
    if let Some(email) = email_key {
        select = select.filter(sign_in_failure::Column::EmailKey.eq(email));
    }
    if let Some(addr) = client_addr {
        select = select.filter(sign_in_failure::Column::ClientAddr.eq(addr));
    }
    Ok(select.count(db).await?)
}

/// How long until enough failures have left the window for the count to drop below `limit`.
async fn retry_after(
    db: &DatabaseConnection,
    email_key: Option<&str>,
    client_addr: Option<&str>,
    since: DateTime<Utc>,
    limit: u64,
    throttle: &ThrottlePolicy,
) -> Result<Duration> {
    let mut select = sign_in_failure::Entity::find().filter(sign_in_failure::Column::FailedAt.gt(since));
    if let Some(email) = email_key {
        select = select.filter(sign_in_failure::Column::EmailKey.eq(email));
    }
    if let Some(addr) = client_addr {
        select = select.filter(sign_in_failure::Column::ClientAddr.eq(addr));
    }
    // The failures in the window, newest first: once the `limit`-th newest leaves, one more
    // attempt fits.
    let nth = select
        .order_by_desc(sign_in_failure::Column::FailedAt)
        .offset(limit.saturating_sub(1))
        .one(db)
        .await?;
    let until = nth.map(|f| f.failed_at + throttle.window).unwrap_or_else(Utc::now);
    Ok((until - Utc::now()).to_std().unwrap_or(Duration::ZERO).max(Duration::from_secs(1)))
}

/// The address failures are counted under: an IPv6 client by its /64 (one subscriber's
/// network; rotating through it must not dodge the limit), anything else as it is.
fn throttle_key(client_addr: &str) -> String {
    match client_addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(std::net::IpAddr::V6(v6)) => v6.to_ipv4_mapped().map(|v4| v4.to_string()).unwrap_or_default(),
        _ => client_addr.chars().take(64).collect(),
    }
}

/// 256 random bits, hex-encoded.
/// A random 128-bit key, hex (e.g. a request key when the client sent none).
pub fn random_key() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub(crate) fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        assert_eq!(throttle_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(throttle_key("2001:db8:1:2:bbbb::9"), throttle_key("2001:db8:1:2:aaaa::1"));
        assert_ne!(throttle_key("2001:db8:1:3::1"), throttle_key("2001:db8:1:2::1"));
        assert_eq!(throttle_key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(throttle_key("203.0.113.7"), "203.0.113.7");
    }

    #[test]
    fn one_address_cannot_lock_an_account_for_everyone() {
        let p = ThrottlePolicy::default();
        assert!(p.account_lock_after > p.pair_lock_after * 2, "it takes several addresses to reach the account-wide limit");
    }

    #[test]
    fn no_delay_below_the_threshold_then_doubling_up_to_the_cap() {
        let p = ThrottlePolicy::default();
        assert_eq!(p.delay(0, 0), Duration::ZERO);
        assert_eq!(p.delay(2, 0), Duration::ZERO);
        assert_eq!(p.delay(3, 0), Duration::from_millis(500));
        assert_eq!(p.delay(4, 0), Duration::from_secs(1));
        assert_eq!(p.delay(5, 0), Duration::from_secs(2));
        assert_eq!(p.delay(9, 0), Duration::from_secs(8));
        assert_eq!(p.delay(0, 20), Duration::from_millis(500));
    }

    #[test]
    fn an_account_sees_at_most_100_failures_an_hour() {
        let p = ThrottlePolicy::default();
        let windows_per_hour = 3600 / p.window.as_secs();
        assert!(p.account_lock_after * windows_per_hour <= 100);
        assert!(p.pair_lock_after <= p.account_lock_after);
    }

    #[test]
    fn tokens_are_256_bit_and_unique_and_stored_only_as_hashes() {
        let a = new_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_token());
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a).len(), 64);
    }
}
