//! The email outbox: emails are written in the same transaction as the change that causes
//! them, so none is lost and none is sent for a change that was rolled back. A worker (in the
//! server crate) delivers them.

use model::outbox::OutboxEmail;
use sea_orm::ActiveEnum;
use crate::activity::Actor;
use crate::entity::{customer_user, outbox, reseller, reseller_user};
use model::Permissions;
use std::collections::HashMap;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use model::roles::Invitation;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::time::Duration;

/// An email to queue.
#[derive(Clone, Debug)]
pub struct Email {
    pub reseller_id: Option<i64>,
    pub customer_user_id: Option<i64>,
    pub kind: &'static str,
    pub to_address: String,
    pub to_name: String,
    pub subject: String,
    pub body: String,
}

/// Queues `email` for the worker; returns its outbox id.
pub async fn queue(db: &impl ConnectionTrait, email: Email) -> Result<i64> {
    let now = Utc::now();
    let row = outbox::ActiveModel {
        reseller_id: Set(email.reseller_id),
        customer_user_id: Set(email.customer_user_id),
        kind: Set(email.kind.to_owned()),
        to_address: Set(email.to_address),
        to_name: Set(email.to_name.chars().take(100).collect()),
        subject: Set(email.subject.chars().take(200).collect()),
        body: Set(email.body),
        status: Set(outbox::Status::Queued),
        attempts: Set(0),
        next_attempt_at: Set(now),
        claimed_until: Set(None),
        last_error: Set(String::new()),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

/// The invitation a new customer user receives.
pub fn invitation(reseller_name: &str, customer_name: &str, user_id: i64, display_name: &str, email: &str, reseller_id: i64) -> Email {
    Email {
        reseller_id: Some(reseller_id),
        customer_user_id: Some(user_id),
        kind: "invitation",
        to_address: email.to_owned(),
        to_name: display_name.to_owned(),
        subject: format!("Your call analytics account for {customer_name}"),
        body: format!(
            "Hello {display_name},\n\n\
             {reseller_name} has set up call analytics for {customer_name} and given you access.\n\n\
             Sign in with this email address ({email}) to choose your password and get started.\n\n\
             If you did not expect this email, you can ignore it.\n"
        ),
    }
}

/// How often, and how patiently, an email the SMTP server did not take is tried again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; after the last one the email is `failed`.
    pub max_attempts: i32,
    /// The wait after the first failure; it doubles with every further failure…
    pub first_delay: Duration,
    /// …up to this.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 8 attempts: waits of 30 s, 1, 2, 4, 8, 16 and 32 minutes (about an hour in all), never
    /// more than an hour apart.
    fn default() -> Self {
        RetryPolicy { max_attempts: 8, first_delay: Duration::from_secs(30), max_delay: Duration::from_secs(3600) }
    }
}

impl RetryPolicy {
    /// The wait before the next attempt after `failures` failed ones (`failures` ≥ 1).
    pub fn delay_after(&self, failures: i32) -> Duration {
        let doublings = u32::try_from(failures.saturating_sub(1)).unwrap_or(0).min(30);
        self.first_delay.saturating_mul(1u32 << doublings).min(self.max_delay)
    }
}

/// What happens to an email after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterFailure {
    /// Still queued; tried again from this time on.
    RetryAt(DateTime<Utc>),
    /// That was the last attempt: the email is `failed` (and so is the invitation it carried).
    GaveUp,
    /// The row had already left this worker's hands (its claim ran out and another worker
    /// finished it): nothing was changed.
    Stale,
}

fn chrono_duration(d: Duration) -> Result<chrono::Duration> {
    chrono::Duration::from_std(d).map_err(|e| Error::Internal(format!("duration out of range: {e}")))
}

/// Rows nobody holds a live claim on at `now`.
fn unclaimed(now: DateTime<Utc>) -> Condition {
    Condition::any().add(outbox::Column::ClaimedUntil.is_null()).add(outbox::Column::ClaimedUntil.lt(now))
}

/// Claims up to `limit` queued emails that are due at `now` and that no one else holds, for
/// `lease`: until then no other worker (in this or another process on the same database)
/// claims them. An email claimed by a worker that stopped before finishing it becomes claimable
/// again when the lease runs out, so nothing is lost (it may, rarely, be sent twice: when the
/// process stopped after the SMTP server took the email but before it was marked sent).
///
/// Each row is claimed by its own conditional `UPDATE`; only the worker whose update changed
/// the row has it, whatever the database's isolation level.
pub async fn claim_due(db: &impl ConnectionTrait, now: DateTime<Utc>, lease: Duration, limit: u64) -> Result<Vec<outbox::Model>> {
    let until = now + chrono_duration(lease)?;
    let candidates = outbox::Entity::find()
        .filter(outbox::Column::Status.eq(outbox::Status::Queued))
        .filter(outbox::Column::NextAttemptAt.lte(now))
        .filter(unclaimed(now))
        .order_by_asc(outbox::Column::NextAttemptAt)
        .order_by_asc(outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut claimed = Vec::with_capacity(candidates.len());
    for row in candidates {
        let result = outbox::Entity::update_many()
            .col_expr(outbox::Column::ClaimedUntil, Expr::value(until))
            .filter(outbox::Column::Id.eq(row.id))
            .filter(outbox::Column::Status.eq(outbox::Status::Queued))
            .filter(outbox::Column::NextAttemptAt.lte(now))
            .filter(unclaimed(now))
            .exec(db)
            .await?;
        if result.rows_affected == 1 {
            claimed.push(outbox::Model { claimed_until: Some(until), ..row });
        }
    }
    Ok(claimed)
}

/// Records that the SMTP server took the email; an invitation's user becomes `sent`.
pub async fn mark_sent(db: &DatabaseConnection, id: i64) -> Result<()> {
    use sea_orm::ExprTrait as _;
    let now = Utc::now();
    let txn = crate::db::Work::begin(db).await?;
    let Some(row) = outbox::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(());
    };
    let result = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(outbox::Status::Sent))
        .col_expr(outbox::Column::SentAt, Expr::value(now))
        .col_expr(outbox::Column::ClaimedUntil, Expr::value(None::<DateTime<Utc>>))
        .col_expr(outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1))
        .col_expr(outbox::Column::LastError, Expr::value(""))
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.eq(outbox::Status::Queued))
        .exec(&txn)
        .await?;
    if result.rows_affected == 1
        && let Some(user_id) = invitee(&row)
    {
        customer_user::Entity::update_many()
            .col_expr(customer_user::Column::Invitation, Expr::value(Invitation::Sent))
            .col_expr(customer_user::Column::InvitedAt, Expr::value(now))
            .filter(customer_user::Column::Id.eq(user_id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Records a failed attempt at `now` with its `error` (no secrets, no body: it is shown in demo
/// mode and logged). The email waits for its next attempt with exponential backoff, or, after
/// the policy's last attempt, is `failed` — and so is the invitation it carried, unless
/// another invitation to that user is still queued.
pub async fn mark_failed_attempt(db: &DatabaseConnection, id: i64, error: &str, now: DateTime<Utc>, policy: &RetryPolicy) -> Result<AfterFailure> {
    failed_attempt(db, id, error, now, policy, false).await
}

/// Gives up on the email at once: it can never be delivered (e.g. its address is malformed).
pub async fn mark_undeliverable(db: &DatabaseConnection, id: i64, error: &str, now: DateTime<Utc>) -> Result<AfterFailure> {
    failed_attempt(db, id, error, now, &RetryPolicy::default(), true).await
}

async fn failed_attempt(db: &DatabaseConnection, id: i64, error: &str, now: DateTime<Utc>, policy: &RetryPolicy, permanent: bool) -> Result<AfterFailure> {
    let txn = crate::db::Work::begin(db).await?;
    let Some(row) = outbox::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(AfterFailure::Stale);
    };
    let attempts = row.attempts.saturating_add(1);
    let give_up = permanent || attempts >= policy.max_attempts;
    let outcome = if give_up { AfterFailure::GaveUp } else { AfterFailure::RetryAt(now + chrono_duration(policy.delay_after(attempts))?) };
    let error: String = error.chars().take(2000).collect();
    let mut update = outbox::Entity::update_many()
        .col_expr(outbox::Column::Attempts, Expr::value(attempts))
        .col_expr(outbox::Column::LastError, Expr::value(error))
        .col_expr(outbox::Column::ClaimedUntil, Expr::value(None::<DateTime<Utc>>));
    update = match outcome {
        AfterFailure::RetryAt(at) => update.col_expr(outbox::Column::NextAttemptAt, Expr::value(at)),
        _ => update.col_expr(outbox::Column::Status, Expr::value(outbox::Status::Failed)),
    };
    // The attempts guard makes a late report from a worker whose claim ran out harmless.
    let result = update
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.eq(outbox::Status::Queued))
        .filter(outbox::Column::Attempts.eq(row.attempts))
        .exec(&txn)
        .await?;
    if result.rows_affected != 1 {
        return Ok(AfterFailure::Stale);
    }
    if give_up && let Some(user_id) = invitee(&row) {
        let still_queued = outbox::Entity::find()
            .filter(outbox::Column::CustomerUserId.eq(user_id))
            .filter(outbox::Column::Kind.eq(row.kind.as_str()))
            .filter(outbox::Column::Status.eq(outbox::Status::Queued))
            .count(&txn)
            .await?;
        if still_queued == 0 {
            customer_user::Entity::update_many()
                .col_expr(customer_user::Column::Invitation, Expr::value(Invitation::Failed))
                .filter(customer_user::Column::Id.eq(user_id))
                .exec(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    Ok(outcome)
}

/// The customer user an invitation email was for.
fn invitee(row: &outbox::Model) -> Option<i64> {
    (row.kind == "invitation").then_some(row.customer_user_id).flatten()
}

/// The newest `limit` emails of `viewer`'s reseller, newest first (demo mode shows them instead
/// of sending them), with times in the reseller's zone.
///
/// An activation email carries a link that sets the recipient's password. Whoever opens it
/// acts with the recipient's permissions, so the link is shown only to a viewer who holds every
/// one of them; for anyone else (and when the recipient cannot be found any more) the link is
/// replaced by a sentence saying why.
pub async fn list_for_demo(db: &impl ConnectionTrait, viewer: &Actor, limit: u64) -> Result<Vec<OutboxEmail>> {
    let zone = reseller::Entity::find_by_id(viewer.reseller_id).one(db).await?.map(|r| r.time_zone).unwrap_or_default();
    let rows = outbox::Entity::find()
        .filter(outbox::Column::ResellerId.eq(viewer.reseller_id))
        .order_by_desc(outbox::Column::CreatedAt)
        .order_by_desc(outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let activation_addresses: Vec<String> =
        rows.iter().filter(|r| r.kind == ACTIVATION).map(|r| r.to_address.to_lowercase()).collect();
    let recipients: HashMap<String, Permissions> = if activation_addresses.is_empty() {
        HashMap::new()
    } else {
        reseller_user::Entity::find()
            .filter(reseller_user::Column::ResellerId.eq(viewer.reseller_id))
            .filter(reseller_user::Column::EmailKey.is_in(activation_addresses))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.email_key, Permissions::from_bits(u.permissions as u32)))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|email| {
            let body = if email.kind == ACTIVATION {
                let viewer_holds_theirs = recipients
                    .get(&email.to_address.to_lowercase())
                    .is_some_and(|theirs| theirs.iter().all(|p| viewer.permissions.contains(p)));
                if viewer_holds_theirs { email.body } else { hide_links(&email.body) }
            } else {
                email.body
            };
            OutboxEmail {
                id: email.id,
                to_name: email.to_name,
                to_address: email.to_address,
                subject: email.subject,
                body,
                status: email.status.to_value(),
                queued_at: crate::activity::local_time(email.created_at, &zone),
                sent_at: email.sent_at.map(|at| crate::activity::local_time(at, &zone)),
            }
        })
        .collect())
}

/// The kind of the email that carries a reseller user's activation link.
pub(crate) const ACTIVATION: &str = "activation";

/// What an activation link is replaced by for a viewer who may not use it.
pub const HIDDEN_LINK: &str = "(The activation link is hidden: the recipient holds permissions you do not.)";

/// `body` with every line that holds a link replaced by [`HIDDEN_LINK`].
fn hide_links(body: &str) -> String {
    body.lines()
        .map(|line| if line.contains("://") { HIDDEN_LINK } else { line })
        .collect::<Vec<_>>()
        .join("\n")
        + if body.ends_with('\n') { "\n" } else { "" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_first_delay_up_to_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay_after(1), Duration::from_secs(30));
        assert_eq!(policy.delay_after(2), Duration::from_secs(60));
        assert_eq!(policy.delay_after(7), Duration::from_secs(30 * 64));
        assert_eq!(policy.delay_after(8), Duration::from_secs(3600));
        assert_eq!(policy.delay_after(i32::MAX), Duration::from_secs(3600));
        assert_eq!(policy.delay_after(0), Duration::from_secs(30));
    }

    #[test]
    fn hidden_links_leave_the_rest_of_the_email() {
        let body = "Hello Bea,\n\nChoose your password here:\n\nhttp://portal.example/activate?token=abc\n\nThen sign in.\n";
        let hidden = hide_links(body);
        assert_eq!(hidden, format!("Hello Bea,\n\nChoose your password here:\n\n{HIDDEN_LINK}\n\nThen sign in.\n"));
        assert!(!hidden.contains("token"));
    }
}
