//! Syncing a customer's users from its PBX.
//!
//! **Scheduling.** Each connection has a due time (`sync_due_at`): set to now when the customer
//! is created with an enabled connection, when a connection is enabled or its settings change,
//! and on "Sync now"; cleared when it is disabled. After a run the next one is due an interval
//! later (15 minutes by default), or — after a failure — after a backoff that doubles with each
//! consecutive failure (30 s, 1 min, 2 min, … capped at the interval).
//!
//! **One at a time.** A worker [`claim_due`]s a connection by writing a random claim and a
//! lease end in one conditional update, so across any number of server processes on one
//! database only one holds it; the running sync renews the lease as it reports progress, and a
//! claim whose worker died runs out with its lease.
//!
//! **A run** ([`run`]) tests the connection, lists the users of the customer's account (and of
//! its sub-accounts when asked), and only after the whole listing arrived applies it in one
//! transaction under the customer's row lock — so a failure halfway (timeout, 5xx, a malformed
//! page) changes no user. Users are matched by PBX id, then by email; a new one is imported
//! without login access (or with the Agent add-on when the customer's setting says so and the
//! PBX marks it an agent); users the reseller created are never deleted, and imported users are
//! removed only when the PBX no longer lists them and nobody gave them a role. A run's counts
//! and error are kept in `pbx_sync_runs` for the PBX tab.

use crate::activity::{self, Actor};
use crate::entity::{customer, customer_user, pbx_connection, pbx_sync_run, pbx_template, reseller};
use crate::pbx::{Connector, Pbx, PbxError, PbxUser, Progress, Settings};
use crate::scope::{ensure_changeable, lock_owned, owned};
use crate::secret::SecretBox;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use model::events::EventType;
use model::Permission;
use model::pbx::PbxKind;
use model::roles::{Invitation, Role, Roles};
use model::sync::{Counts, Outcome, Phase, Reason, SyncRun, SyncState, SyncStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use uuid::Uuid;

/// How runs are timed. The defaults suit production; tests shorten them.
#[derive(Clone, Debug)]
pub struct SyncSettings {
    /// The periodic re-sync after a successful run.
    pub interval: Duration,
    /// How long a claim keeps other workers off a connection without being renewed.
    pub lease: Duration,
    /// How often a running sync saves its progress (and renews its lease).
    pub heartbeat: Duration,
    /// The first retry's delay after a failure; it doubles per consecutive failure.
    pub retry_base: Duration,
    /// The limit of each request to the PBX.
    pub request_timeout: Duration,
    /// The limit of a whole run's talking to the PBX (every page of every listing): a slow or
    /// hostile PBX holds a worker at most this long.
    pub run_deadline: Duration,
}

impl Default for SyncSettings {
    fn default() -> Self {
        SyncSettings {
            interval: Duration::from_secs(15 * 60),
            lease: Duration::from_secs(120),
            heartbeat: Duration::from_secs(1),
            retry_base: Duration::from_secs(30),
            request_timeout: crate::pbx::DEFAULT_TIMEOUT,
            run_deadline: Duration::from_secs(10 * 60),
        }
    }
}

impl SyncSettings {
    /// The delay before retrying after `failures` consecutive failed runs (at least 1).
    pub fn backoff(&self, failures: i32) -> Duration {
        let doublings = failures.clamp(1, 20) as u32 - 1;
        self.retry_base.saturating_mul(1 << doublings.min(16)).min(self.interval)
    }
}

pub use crate::egress::HttpClient;

fn after(now: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::days(1))
}

/// Asks for a sync of `connection_id` as soon as a worker is free (inside the caller's
/// transaction). A disabled connection is not scheduled.
pub(crate) async fn schedule(db: &impl ConnectionTrait, connection_id: i64, reason: Reason) -> Result<()> {
    schedule_where(db, pbx_connection::Column::Id.eq(connection_id), reason).await
}

/// Makes the enabled connections matching `which` due now, for `reason`.
async fn schedule_where(db: &impl ConnectionTrait, which: impl sea_orm::sea_query::IntoCondition, reason: Reason) -> Result<()> {
    pbx_connection::Entity::update_many()
        .col_expr(pbx_connection::Column::SyncDueAt, Expr::value(Utc::now()))
        .col_expr(pbx_connection::Column::SyncReason, Expr::value(reason))
        .col_expr(pbx_connection::Column::SyncFailures, Expr::value(0))
        .filter(which)
        .filter(pbx_connection::Column::Enabled.eq(true))
        .exec(db)
        .await?;
    Ok(())
}

/// Asks for a sync of every enabled connection through template `template_id` (its addresses
/// or credentials changed), inside the caller's transaction.
pub(crate) async fn schedule_template(db: &impl ConnectionTrait, template_id: i64, reason: Reason) -> Result<()> {
    schedule_where(db, pbx_connection::Column::TemplateId.eq(template_id), reason).await
}

/// Stops scheduling syncs of `connection_id` (it was disabled). A running sync notices at its end.
pub(crate) async fn unschedule(db: &impl ConnectionTrait, connection_id: i64) -> Result<()> {
    pbx_connection::Entity::update_many()
        .col_expr(pbx_connection::Column::SyncDueAt, Expr::value(None::<DateTime<Utc>>))
        .filter(pbx_connection::Column::Id.eq(connection_id))
        .exec(db)
        .await?;
    Ok(())
}

/// "Sync now" on the PBX tab: schedules the customer's connection at once.
pub async fn sync_now(db: &DatabaseConnection, actor: &Actor, customer_id: &str) -> Result<()> {
    actor.require(Permission::CustomerAdministrator)?;
    let txn = crate::db::Work::begin(db).await?;
    let c = lock_owned(&txn, actor.reseller_id, customer_id).await?;
    ensure_changeable(&c)?;
    let conn = pbx_connection::Entity::find()
        .filter(pbx_connection::Column::CustomerId.eq(c.id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    if !conn.enabled {
        return Err(Error::Conflict("The PBX connection is disabled: enable it to sync its users.".into()));
    }
    if is_running(&conn, Utc::now()) {
        return Ok(());
    }
    schedule(&txn, conn.id, Reason::Manual).await?;
    activity::record(&txn, actor, Some(c.id), EventType::PbxSyncRequested, "Asked for a sync of the PBX users.").await?;
    txn.commit().await?;
    Ok(())
}

fn is_running(conn: &pbx_connection::Model, now: DateTime<Utc>) -> bool {
    conn.sync_claim.is_some() && conn.sync_lease_until.is_some_and(|until| until > now)
}

/// A connection a worker holds until it finishes (or its lease runs out).
#[derive(Clone, Debug)]
pub struct Claim {
    pub connection_id: i64,
    pub customer_id: Uuid,
    /// The customer's reseller (the syncer counts running syncs per reseller).
    pub reseller_id: i64,
    pub reason: Reason,
    /// The connection's version when claimed: a change during the run discards its results.
    pub version: i32,
    /// The due time it was claimed at: if it differs at the end, someone asked for another
    /// sync meanwhile, and that request stands.
    due_at: Option<DateTime<Utc>>,
    token: String,
}

/// How many syncs of one reseller's customers run at once in one process, so one reseller's
/// slow PBXs cannot hold every worker while other resellers' syncs wait.
#[derive(Clone, Debug, Default)]
pub struct Fairness {
    /// Syncs running now, per reseller.
    pub running: HashMap<i64, usize>,
    /// The most syncs of one reseller at once.
    pub per_reseller: usize,
}

impl Fairness {
    fn full(&self, reseller_id: i64) -> bool {
        self.per_reseller > 0 && self.running.get(&reseller_id).copied().unwrap_or(0) >= self.per_reseller
    }
}

/// Claims up to `limit` connections whose sync is due, each for `lease`, leaving out resellers
/// that already run [`Fairness::per_reseller`] syncs (counting the ones claimed here).
pub async fn claim_due(db: &impl ConnectionTrait, now: DateTime<Utc>, lease: Duration, limit: u64, fairness: &Fairness) -> Result<Vec<Claim>> {
    let unclaimed = || {
        Condition::any().add(pbx_connection::Column::SyncLeaseUntil.is_null()).add(pbx_connection::Column::SyncLeaseUntil.lt(now))
    };
    let mut running = fairness.clone();
    let busy: Vec<i64> = running.running.keys().copied().filter(|r| running.full(*r)).collect();
    let mut candidates = pbx_connection::Entity::find()
        .filter(pbx_connection::Column::Enabled.eq(true))
        .filter(pbx_connection::Column::SyncDueAt.lte(now))
        .filter(unclaimed());
    if !busy.is_empty() {
        candidates = candidates.filter(
            pbx_connection::Column::CustomerId.not_in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(customer::Column::Id)
                    .from(customer::Entity)
                    .and_where(customer::Column::ResellerId.is_in(busy))
                    .to_owned(),
            ),
        );
    }
    // A few more than needed: some may belong to a reseller that fills up in this round.
    let candidates = candidates
        .order_by_asc(pbx_connection::Column::SyncDueAt)
        .order_by_asc(pbx_connection::Column::Id)
        .limit(limit.saturating_mul(4))
        .all(db)
        .await?;
    let owners: HashMap<Uuid, i64> = if candidates.is_empty() {
        HashMap::new()
    } else {
        customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .column(customer::Column::ResellerId)
            .filter(customer::Column::Id.is_in(candidates.iter().map(|c| c.customer_id)))
            .into_tuple::<(Uuid, i64)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    let until = after(now, lease);
    let mut claims = Vec::with_capacity(candidates.len());
    for row in candidates {
        if claims.len() as u64 >= limit {
            break;
        }
        let Some(&reseller_id) = owners.get(&row.customer_id) else { continue };
        if running.full(reseller_id) {
            continue;
        }
        let token = Uuid::new_v4().simple().to_string();
        let result = pbx_connection::Entity::update_many()
            .col_expr(pbx_connection::Column::SyncClaim, Expr::value(token.clone()))
            .col_expr(pbx_connection::Column::SyncLeaseUntil, Expr::value(until))
            .filter(pbx_connection::Column::Id.eq(row.id))
            .filter(pbx_connection::Column::Enabled.eq(true))
            .filter(pbx_connection::Column::SyncDueAt.lte(now))
            .filter(unclaimed())
            .exec(db)
            .await?;
        if result.rows_affected == 1 {
            *running.running.entry(reseller_id).or_default() += 1;
            claims.push(Claim {
                connection_id: row.id,
                customer_id: row.customer_id,
                reseller_id,
                reason: row.sync_reason,
                version: row.version,
                due_at: row.sync_due_at,
                token,
            });
        }
    }
    Ok(claims)
}

/// What [`run`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunResult {
    Succeeded(Counts),
    /// The PBX (or the portal) failed; the message is the one the PBX tab shows.
    Failed(String),
    /// Nothing to do: the customer was terminated, or the connection disabled or gone.
    Skipped,
}

/// Runs one claimed sync to its end and releases the claim.
pub async fn run(db: &DatabaseConnection, secrets: &SecretBox, http: &HttpClient, settings: &SyncSettings, claim: &Claim) -> Result<RunResult> {
    let now = Utc::now();
    let Some(conn) = pbx_connection::Entity::find_by_id(claim.connection_id).one(db).await? else {
        return Ok(RunResult::Skipped);
    };
    let customer = customer::Entity::find_by_id(conn.customer_id).one(db).await?.ok_or(Error::NotFound)?;
    if customer.status == customer::Status::Terminated || !conn.enabled {
        pbx_connection::Entity::update_many()
            .col_expr(pbx_connection::Column::SyncDueAt, Expr::value(None::<DateTime<Utc>>))
            .col_expr(pbx_connection::Column::SyncClaim, Expr::value(None::<String>))
            .col_expr(pbx_connection::Column::SyncLeaseUntil, Expr::value(None::<DateTime<Utc>>))
            .filter(pbx_connection::Column::Id.eq(conn.id))
            .filter(pbx_connection::Column::SyncClaim.eq(claim.token.as_str()))
            .exec(db)
            .await?;
        return Ok(RunResult::Skipped);
    }
    // A run left "running" by a worker that stopped midway.
    pbx_sync_run::Entity::update_many()
        .col_expr(pbx_sync_run::Column::Outcome, Expr::value(Outcome::Failed))
        .col_expr(pbx_sync_run::Column::FinishedAt, Expr::value(now))
        .col_expr(pbx_sync_run::Column::Error, Expr::value("The sync was interrupted (the server stopped before it finished)."))
        .filter(pbx_sync_run::Column::ConnectionId.eq(conn.id))
        .filter(pbx_sync_run::Column::Outcome.eq(Outcome::Running))
        .exec(db)
        .await?;
    let run_row = pbx_sync_run::ActiveModel {
        connection_id: Set(conn.id),
        customer_id: Set(conn.customer_id),
        reason: Set(claim.reason),
        started_at: Set(now),
        finished_at: Set(None),
        outcome: Set(Outcome::Running),
        phase: Set(Phase::Connecting),
        found: Set(0),
        added: Set(0),
        updated: Set(0),
        unchanged: Set(0),
        failed: Set(0),
        removed: Set(0),
        sub_accounts: Set(0),
        error: Set(String::new()),
        ..Default::default()
    }
    .insert(db)
    .await?;

    let progress = Progress::default();
    let phase = std::sync::Mutex::new(Phase::Connecting);
    let listing = async {
        match tokio::time::timeout(settings.run_deadline, discover(db, secrets, http, settings, &conn, &progress, &phase)).await {
            Ok(listed) => listed,
            Err(_) => Err(Failure::Deadline(settings.run_deadline)),
        }
    };
    tokio::pin!(listing);
    let mut ticker = tokio::time::interval(settings.heartbeat);
    ticker.tick().await;
    let listed = loop {
        tokio::select! {
            listed = &mut listing => break listed,
            _ = ticker.tick() => {
                let current = *phase.lock().unwrap_or_else(|e| e.into_inner());
                heartbeat(db, settings, claim, run_row.id, current, progress.get()).await;
            }
        }
    };
    let result = match listed {
        Ok(found) => {
            heartbeat(db, settings, claim, run_row.id, Phase::Saving, found.users.len()).await;
            match apply(db, settings, claim, &conn, run_row.id, found).await {
                Ok(result) => return Ok(result),
                Err(e) => {
                    tracing::error!(error = %e, connection = conn.id, "storing synced PBX users failed");
                    "The portal could not store the users it found; the details are in the server log.".to_string()
                }
            }
        }
        Err(Failure::Pbx(e)) => e.to_string(),
        Err(Failure::Deadline(limit)) => {
            let minutes = limit.as_secs().div_ceil(60);
            format!(
                "The PBX took longer than {minutes} minute{} to list its users; the sync was stopped and nothing was changed.",
                if minutes == 1 { "" } else { "s" }
            )
        }
        Err(Failure::Portal(e)) => {
            tracing::error!(error = %e, connection = conn.id, "preparing a PBX sync failed");
            "The portal could not prepare the sync; the details are in the server log.".to_string()
        }
    };
    fail(db, settings, claim, &conn, run_row.id, &result).await?;
    Ok(RunResult::Failed(result))
}

enum Failure {
    Pbx(PbxError),
    /// The run's listing went past [`SyncSettings::run_deadline`].
    Deadline(Duration),
    Portal(Error),
}

impl From<PbxError> for Failure {
    fn from(e: PbxError) -> Self {
        Failure::Pbx(e)
    }
}

impl From<sea_orm::DbErr> for Failure {
    fn from(e: sea_orm::DbErr) -> Self {
        Failure::Portal(e.into())
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Portal(e)
    }
}

/// What the PBX listed.
struct Found {
    users: Vec<PbxUser>,
    sub_accounts: usize,
}

/// Connects and lists every user of the connection's account (and sub-accounts when asked).
async fn discover(
    db: &DatabaseConnection,
    secrets: &SecretBox,
    http: &HttpClient,
    settings: &SyncSettings,
    conn: &pbx_connection::Model,
    progress: &Progress,
    phase: &std::sync::Mutex<Phase>,
) -> std::result::Result<Found, Failure> {
    let template = pbx_template::Entity::find_by_id(conn.template_id).one(db).await?.ok_or(Error::NotFound)?;
    let secret = secrets.open_template(&template)?;
    let kind = template.kind;
    let tenant = if conn.directory_tenant_id.is_empty() { template.directory_tenant_id.as_str() } else { conn.directory_tenant_id.as_str() };
    let connector = Connector::new(
        &Settings {
            kind,
            api_url: &template.api_url,
            websocket_url: &template.websocket_url,
            client_id: &template.client_id,
            tenant_id: tenant,
            secret: &secret,
        },
        http.clone(),
        settings.request_timeout,
    )?;
    let account = connector.test().await?;
    let root = if kind == PbxKind::Kazoo && !conn.account_id.is_empty() { conn.account_id.clone() } else { account.id };
    *phase.lock().unwrap_or_else(|e| e.into_inner()) = Phase::Listing;
    let mut users = connector.list_users(&root, progress).await?;
    let mut sub_accounts = 0;
    if conn.auto_provision_sub_accounts {
        for sub in connector.list_sub_accounts(&root).await? {
            sub_accounts += 1;
            users.extend(connector.list_users(&sub.id, progress).await?);
            if users.len() > crate::pbx::MAX_RECORDS {
                return Err(PbxError::TooMany("users").into());
            }
        }
    }
    Ok(Found { users, sub_accounts })
}

/// Saves progress and renews the lease (only while the claim is still ours).
async fn heartbeat(db: &DatabaseConnection, settings: &SyncSettings, claim: &Claim, run_id: i64, phase: Phase, found: usize) {
    let renewed = pbx_connection::Entity::update_many()
        .col_expr(pbx_connection::Column::SyncLeaseUntil, Expr::value(after(Utc::now(), settings.lease)))
        .filter(pbx_connection::Column::Id.eq(claim.connection_id))
        .filter(pbx_connection::Column::SyncClaim.eq(claim.token.as_str()))
        .exec(db)
        .await;
    let saved = pbx_sync_run::Entity::update_many()
        .col_expr(pbx_sync_run::Column::Phase, Expr::value(phase))
        .col_expr(pbx_sync_run::Column::Found, Expr::value(found.min(i32::MAX as usize) as i32))
        .filter(pbx_sync_run::Column::Id.eq(run_id))
        .exec(db)
        .await;
    if let Err(e) = renewed.and(saved) {
        tracing::warn!(error = %e, connection = claim.connection_id, "could not save sync progress");
    }
}

/// The connection as it is now, if the claim is still ours and nothing about it changed since
/// the claim; otherwise why the run's results must be discarded.
async fn still_ours(db: &impl ConnectionTrait, claim: &Claim) -> Result<std::result::Result<pbx_connection::Model, &'static str>> {
    let conn = pbx_connection::Entity::find_by_id(claim.connection_id).one(db).await?;
    Ok(match conn {
        None => Err("The connection was removed during the sync."),
        Some(c) if c.sync_claim.as_deref() != Some(claim.token.as_str()) => Err("Another worker took over this sync."),
        Some(c) if !c.enabled => Err("The connection was disabled during the sync; nothing was changed."),
        Some(c) if c.version != claim.version => Err("The connection's settings changed during the sync; a new sync follows."),
        Some(c) => Ok(c),
    })
}

/// Records a failed run and schedules the retry.
async fn fail(db: &DatabaseConnection, settings: &SyncSettings, claim: &Claim, conn: &pbx_connection::Model, run_id: i64, error: &str) -> Result<()> {
    let now = Utc::now();
    let txn = crate::db::Work::begin(db).await?;
    finish_run(&txn, run_id, Outcome::Failed, Counts::default(), error, now).await?;
    match still_ours(&txn, claim).await? {
        Ok(current) => {
            let failures = current.sync_failures.saturating_add(1);
            if current.sync_due_at == claim.due_at {
                release(&txn, claim, Some(after(now, settings.backoff(failures))), Reason::Retry, failures).await?;
            } else {
                release_claim_only(&txn, claim).await?;
            }
            // One log entry per streak of failures, not one per retry.
            if current.sync_failures == 0 {
                let actor = system_actor(&txn, conn.customer_id).await?;
                activity::record(&txn, &actor, Some(conn.customer_id), EventType::PbxSyncFailed, format!("PBX sync failed: {error}")).await?;
            }
        }
        Err(_) => release_claim_only(&txn, claim).await?,
    }
    txn.commit().await?;
    Ok(())
}

async fn finish_run(db: &impl ConnectionTrait, run_id: i64, outcome: Outcome, counts: Counts, error: &str, now: DateTime<Utc>) -> Result<()> {
    let n = |v: u32| v.min(i32::MAX as u32) as i32;
    pbx_sync_run::Entity::update_many()
        .col_expr(pbx_sync_run::Column::Outcome, Expr::value(outcome))
        .col_expr(pbx_sync_run::Column::FinishedAt, Expr::value(now))
        .col_expr(pbx_sync_run::Column::Found, Expr::value(n(counts.found)))
        .col_expr(pbx_sync_run::Column::Added, Expr::value(n(counts.added)))
        .col_expr(pbx_sync_run::Column::Updated, Expr::value(n(counts.updated)))
        .col_expr(pbx_sync_run::Column::Unchanged, Expr::value(n(counts.unchanged)))
        .col_expr(pbx_sync_run::Column::Failed, Expr::value(n(counts.failed)))
        .col_expr(pbx_sync_run::Column::Removed, Expr::value(n(counts.removed)))
        .col_expr(pbx_sync_run::Column::SubAccounts, Expr::value(n(counts.sub_accounts)))
        .col_expr(pbx_sync_run::Column::Error, Expr::value(error.chars().take(2000).collect::<String>()))
        .filter(pbx_sync_run::Column::Id.eq(run_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Gives the claim up and sets the next run.
async fn release(db: &impl ConnectionTrait, claim: &Claim, next: Option<DateTime<Utc>>, reason: Reason, failures: i32) -> Result<()> {
    pbx_connection::Entity::update_many()
        .col_expr(pbx_connection::Column::SyncClaim, Expr::value(None::<String>))
        .col_expr(pbx_connection::Column::SyncLeaseUntil, Expr::value(None::<DateTime<Utc>>))
        .col_expr(pbx_connection::Column::SyncDueAt, Expr::value(next))
        .col_expr(pbx_connection::Column::SyncReason, Expr::value(reason))
        .col_expr(pbx_connection::Column::SyncFailures, Expr::value(failures))
        .filter(pbx_connection::Column::Id.eq(claim.connection_id))
        .filter(pbx_connection::Column::SyncClaim.eq(claim.token.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Gives the claim up and leaves the schedule as whoever changed the connection set it.
async fn release_claim_only(db: &impl ConnectionTrait, claim: &Claim) -> Result<()> {
    pbx_connection::Entity::update_many()
        .col_expr(pbx_connection::Column::SyncClaim, Expr::value(None::<String>))
        .col_expr(pbx_connection::Column::SyncLeaseUntil, Expr::value(None::<DateTime<Utc>>))
        .filter(pbx_connection::Column::Id.eq(claim.connection_id))
        .filter(pbx_connection::Column::SyncClaim.eq(claim.token.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

async fn system_actor(db: &impl ConnectionTrait, customer_id: Uuid) -> Result<Actor> {
    let c = customer::Entity::find_by_id(customer_id).one(db).await?.ok_or(Error::NotFound)?;
    Ok(Actor::system(c.reseller_id, "PBX sync"))
}

/// A PBX user as it would be stored, or why it cannot be.
fn cleaned(user: &PbxUser) -> std::result::Result<(String, String), String> {
    let name: String = user.display_name.chars().filter(|c| !c.is_control()).collect::<String>().trim().chars().take(model::field::DISPLAY_NAME_MAX).collect();
    let name = if name.is_empty() { user.pbx_id.chars().take(model::field::DISPLAY_NAME_MAX).collect() } else { name };
    let Some(email) = user.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) else {
        return Err(format!("{name} has no email address"));
    };
    model::field::email(email).map_err(|_| format!("{name} has an email address the portal cannot use ({email})"))?;
    Ok((name, email.to_owned()))
}

/// Stores what the PBX listed: one transaction, under the customer's row lock.
async fn apply(db: &DatabaseConnection, settings: &SyncSettings, claim: &Claim, conn: &pbx_connection::Model, run_id: i64, found: Found) -> Result<RunResult> {
    let now = Utc::now();
    let txn = crate::db::Work::begin(db).await?;
    // The customer's row lock first (a write before any read: see `scope::lock_owned`),
    // so edits on the Users tab and this sync run one after the other.
    customer::Entity::update_many()
        .col_expr(customer::Column::Version, Expr::col(customer::Column::Version))
        .filter(customer::Column::Id.eq(conn.customer_id))
        .exec(&txn)
        .await?;
    let c = customer::Entity::find_by_id(conn.customer_id).one(&txn).await?.ok_or(Error::NotFound)?;
    let conn = match still_ours(&txn, claim).await? {
        Ok(conn) => conn,
        Err(why) => {
            finish_run(&txn, run_id, Outcome::Failed, Counts::default(), why, now).await?;
            release_claim_only(&txn, claim).await?;
            txn.commit().await?;
            return Ok(RunResult::Failed(why.into()));
        }
    };
    let existing = customer_user::Entity::find().filter(customer_user::Column::CustomerId.eq(c.id)).all(&txn).await?;
    let mut by_pbx_id: HashMap<String, usize> = HashMap::new();
    let mut by_email: HashMap<String, usize> = HashMap::new();
    for (i, u) in existing.iter().enumerate() {
        if let Some(id) = &u.pbx_id {
            by_pbx_id.insert(id.clone(), i);
        }
        by_email.insert(u.email_key.clone(), i);
    }

    // Users the reseller removed are not imported again (`customer_users::remove`).
    let ignored: HashSet<String> = crate::entity::ignored_pbx_user::Entity::find()
        .filter(crate::entity::ignored_pbx_user::Column::CustomerId.eq(c.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|r| r.pbx_id)
        .collect();
    let mut counts = Counts { found: found.users.len() as u32, sub_accounts: found.sub_accounts as u32, ..Counts::default() };
    let mut problems: Vec<String> = Vec::new();
    let mut listed: HashSet<String> = HashSet::new();
    let mut claimed_emails: HashSet<String> = HashSet::new();
    let mut inserts = Vec::new();
    for user in &found.users {
        if !listed.insert(user.pbx_id.clone()) || ignored.contains(&user.pbx_id) {
            counts.found -= 1;
            continue;
        }
        let (name, email) = match cleaned(user) {
            Ok(v) => v,
            Err(problem) => {
                counts.failed += 1;
                problems.push(problem);
                continue;
            }
        };
        let key = model::field::email_key(&email);
        if !claimed_emails.insert(key.clone()) {
            counts.failed += 1;
            problems.push(format!("{name} shares the email address {email} with another user on the PBX"));
            continue;
        }
        let give_agent = conn.auto_agent_addon && user.is_agent;
        let matched = by_pbx_id.get(&user.pbx_id).copied().or_else(|| by_email.get(&key).copied().filter(|&i| existing[i].pbx_id.is_none()));
        match matched {
            Some(i) => {
                let u = &existing[i];
                let from_pbx = u.source == customer_user::Source::Pbx;
                let mut change = customer_user::Entity::update_many().filter(customer_user::Column::Id.eq(u.id));
                let mut changed = false;
                if u.pbx_id.as_deref() != Some(user.pbx_id.as_str()) {
                    change = change.col_expr(customer_user::Column::PbxId, Expr::value(user.pbx_id.clone()));
                    changed = true;
                }
                // The PBX is the source of an imported user's name and email; a user the
                // reseller created keeps what the reseller typed.
                if from_pbx && u.display_name != name {
                    change = change.col_expr(customer_user::Column::DisplayName, Expr::value(name.clone()));
                    changed = true;
                }
                if from_pbx && u.email != email {
                    if by_email.get(&key).is_some_and(|&j| j != i) {
                        counts.failed += 1;
                        problems.push(format!("{name}'s new email address {email} belongs to another user of this customer"));
                        continue;
                    }
                    change = change
                        .col_expr(customer_user::Column::Email, Expr::value(email.clone()))
                        .col_expr(customer_user::Column::EmailKey, Expr::value(key.clone()));
                    changed = true;
                }
                if give_agent && !u.agent {
                    let roles = crate::common::roles_of(u).with(Role::Agent, true);
                    change = change
                        .col_expr(customer_user::Column::Agent, Expr::value(roles.agent))
                        .col_expr(customer_user::Column::Essential, Expr::value(roles.essential));
                    changed = true;
                }
                if changed {
                    change.col_expr(customer_user::Column::Version, Expr::value(u.version + 1)).exec(&txn).await?;
                    counts.updated += 1;
                } else {
                    counts.unchanged += 1;
                }
            }
            None => {
                if by_email.contains_key(&key) {
                    counts.failed += 1;
                    problems.push(format!("{name}'s email address {email} belongs to another user of this customer"));
                    continue;
                }
                let roles = if give_agent { Roles::default().with(Role::Agent, true) } else { Roles::default() };
                inserts.push(customer_user::ActiveModel {
                    customer_id: Set(c.id),
                    display_name: Set(name),
                    email: Set(email),
                    email_key: Set(key),
                    essential: Set(roles.essential),
                    professional: Set(roles.professional),
                    real_time: Set(roles.real_time),
                    agent: Set(roles.agent),
                    supervisor: Set(roles.supervisor),
                    user_admin: Set(roles.user_admin),
                    source: Set(customer_user::Source::Pbx),
                    pbx_id: Set(Some(user.pbx_id.clone())),
                    invitation: Set(Invitation::NotInvited),
                    invited_at: Set(None),
                    created_at: Set(now),
                    version: Set(1),
                    ..Default::default()
                });
                counts.added += 1;
            }
        }
    }
    // 500 rows of 17 columns stay well inside SQLite's limit of bound parameters.
    let mut rows = inserts.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(500).collect();
        customer_user::Entity::insert_many(chunk).exec_without_returning(&txn).await?;
    }
    // Imported users the PBX no longer lists go, unless somebody gave them a role.
    let gone: Vec<i64> = existing
        .iter()
        .filter(|u| u.source == customer_user::Source::Pbx && u.pbx_id.as_ref().is_some_and(|id| !listed.contains(id)) && crate::common::roles_of(u) == Roles::default())
        .map(|u| u.id)
        .collect();
    for chunk in gone.chunks(500) {
        customer_user::Entity::delete_many().filter(customer_user::Column::Id.is_in(chunk.to_vec())).exec(&txn).await?;
    }
    counts.removed = gone.len() as u32;

    let note = summarize_problems(&problems);
    finish_run(&txn, run_id, Outcome::Succeeded, counts, &note, now).await?;
    if conn.sync_due_at == claim.due_at {
        release(&txn, claim, Some(after(now, settings.interval)), Reason::Schedule, 0).await?;
    } else {
        // Asked for again while it ran (e.g. the template's key changed): that sync follows.
        release_claim_only(&txn, claim).await?;
    }
    if counts.added + counts.updated + counts.removed > 0 || conn.sync_failures > 0 {
        let actor = system_actor(&txn, c.id).await?;
        // A sync that changed nothing is no event, unless it ends a streak of failures.
        let event = if conn.sync_failures > 0 { EventType::PbxSyncRecovered } else { EventType::PbxSyncSucceeded };
        let subject = serde_json::json!({ "sync": { "added": counts.added, "updated": counts.updated, "removed": counts.removed } });
        activity::record_about(&txn, &actor, Some(c.id), event, format!("PBX sync: {}.", counts.describe()), subject).await?;
    }
    txn.commit().await?;
    Ok(RunResult::Succeeded(counts))
}

/// "3 users could not be imported: A has no email address; B …; and 1 more."
fn summarize_problems(problems: &[String]) -> String {
    const SHOWN: usize = 5;
    match problems.len() {
        0 => String::new(),
        n => {
            let mut text = format!("{n} {} could not be imported: ", if n == 1 { "user" } else { "users" });
            text.push_str(&problems.iter().take(SHOWN).cloned().collect::<Vec<_>>().join("; "));
            if n > SHOWN {
                text.push_str(&format!("; and {} more", n - SHOWN));
            }
            text.push('.');
            text
        }
    }
}

/// After how long a "running" run without a live claim is shown as interrupted.
const STALE_RUN_MINUTES: i64 = 10;

/// The sync state of a customer's connection (the PBX tab, the REST API's connection), with
/// times as the door shows them, or `None` without a connection.
pub async fn status(db: &impl ConnectionTrait, actor: &Actor, customer_id: &str, times: activity::Times) -> Result<Option<SyncStatus>> {
    let c = owned(db, actor.reseller_id, customer_id).await?;
    let zone = reseller::Entity::find_by_id(c.reseller_id).one(db).await?.map(|r| r.time_zone).unwrap_or_default();
    status_of(db, &c, |at| times.show(at, &zone)).await
}

async fn status_of(db: &impl ConnectionTrait, c: &customer::Model, time: impl Fn(DateTime<Utc>) -> String) -> Result<Option<SyncStatus>> {
    let Some(conn) = pbx_connection::Entity::find().filter(pbx_connection::Column::CustomerId.eq(c.id)).one(db).await? else {
        return Ok(None);
    };
    let rows = pbx_sync_run::Entity::find()
        .filter(pbx_sync_run::Column::ConnectionId.eq(conn.id))
        .order_by_desc(pbx_sync_run::Column::Id)
        .limit(10)
        .all(db)
        .await?;
    // The schedule and claim are read after the runs: a run finishes in the transaction that
    // releases its claim, so a finished run is never paired with its stale claim (which showed
    // a just-synced connection as busy, with no next sync).
    let conn = pbx_connection::Entity::find_by_id(conn.id).one(db).await?.unwrap_or(conn);
    let now = Utc::now();
    let running = is_running(&conn, now);
    let runs: Vec<SyncRun> = rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let mut outcome = r.outcome;
            let mut error = r.error;
            // Only the newest run can be running. One whose worker holds no claim is shown as
            // interrupted, but only once it is clearly stale: the claim and the run row are
            // read one after the other, so a run that has just started may not show its claim
            // yet (the next run marks a really interrupted one failed in any case).
            let stale = now - r.started_at > chrono::Duration::minutes(STALE_RUN_MINUTES);
            if outcome == Outcome::Running && (i != 0 || (!running && stale)) {
                outcome = Outcome::Failed;
                error = "The sync was interrupted (the server stopped before it finished).".into();
            }
            let end = r.finished_at.unwrap_or(now);
            SyncRun {
                id: r.id,
                reason: r.reason,
                started_at: time(r.started_at),
                finished_at: r.finished_at.map(&time),
                duration_ms: (end - r.started_at).num_milliseconds().max(0),
                outcome,
                phase: r.phase,
                counts: Counts {
                    found: r.found.max(0) as u32,
                    added: r.added.max(0) as u32,
                    updated: r.updated.max(0) as u32,
                    unchanged: r.unchanged.max(0) as u32,
                    failed: r.failed.max(0) as u32,
                    removed: r.removed.max(0) as u32,
                    sub_accounts: r.sub_accounts.max(0) as u32,
                },
                error,
            }
        })
        .collect();
    let state = match runs.first() {
        Some(r) if r.outcome == Outcome::Running => SyncState::Syncing { phase: r.phase, found: r.counts.found },
        _ if !conn.enabled => SyncState::Disabled,
        None => SyncState::NeverSynced,
        Some(r) if r.outcome == Outcome::Succeeded => SyncState::Synced { at: r.finished_at.clone().unwrap_or_default() },
        Some(r) => SyncState::Failed { at: r.finished_at.clone().unwrap_or_default(), error: r.error.clone() },
    };
    let terminated = c.status == customer::Status::Terminated;
    let scheduled = conn.enabled && !terminated && !running;
    Ok(Some(SyncStatus {
        next_at: conn.sync_due_at.filter(|_| scheduled).map(|at| time(at.max(now))),
        due_now: scheduled && conn.sync_due_at.is_some_and(|at| at <= now),
        can_sync_now: scheduled,
        state,
        runs,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_interval() {
        let s = SyncSettings::default();
        let secs: Vec<u64> = (1..=7).map(|n| s.backoff(n).as_secs()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 900, 900]);
        assert_eq!(s.backoff(0).as_secs(), 30);
        assert_eq!(s.backoff(i32::MAX).as_secs(), 900);
    }

    #[test]
    fn counts_read_as_a_sentence() {
        let c = Counts { found: 36, added: 30, updated: 2, unchanged: 4, ..Counts::default() };
        assert_eq!(c.describe(), "36 users found: 30 added, 2 updated, 4 unchanged");
        assert_eq!(Counts { found: 1, unchanged: 1, ..Counts::default() }.describe(), "1 user found: 1 unchanged");
    }

    #[test]
    fn users_without_a_usable_email_are_refused_with_their_name() {
        let user = |name: &str, email: Option<&str>| PbxUser {
            pbx_id: "p1".into(),
            display_name: name.into(),
            email: email.map(Into::into),
            is_agent: false,
            account_id: "a".into(),
        };
        assert_eq!(cleaned(&user("Front Desk", None)).unwrap_err(), "Front Desk has no email address");
        assert!(cleaned(&user("Ada", Some("not an email"))).unwrap_err().contains("cannot use"));
        assert_eq!(cleaned(&user(" Ada\u{7} ", Some(" ada@x.example "))).unwrap(), ("Ada".into(), "ada@x.example".into()));
        assert_eq!(cleaned(&user("", Some("a@x.example"))).unwrap().0, "p1");
        assert_eq!(cleaned(&user(&"n".repeat(300), Some("a@x.example"))).unwrap().0.len(), 100);
        let many: Vec<String> = (0..7).map(|i| format!("u{i} has no email address")).collect();
        assert_eq!(
            summarize_problems(&many),
            "7 users could not be imported: u0 has no email address; u1 has no email address; u2 has no email address; \
             u3 has no email address; u4 has no email address; and 2 more."
        );
    }
}
