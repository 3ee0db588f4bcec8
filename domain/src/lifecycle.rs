//! A customer's life cycle: disable and re-enable, terminate now or on a date (and cancel a
//! scheduled termination), and trials — converted to a paying account by hand or when they run
//! out, extended within the reseller's maximum, and announced to the reseller's customer
//! administrators seven days before they end.
//!
//! Dates are calendar days in the reseller's time zone. A trial's `trial_expires_on` is its last
//! day; when it has ended, that day is kept in `trial_ended_on` (billing zero-rates the trial's
//! days after the fact). A termination date is the first day the customer no longer has the
//! service (and is not billed); "Terminate now" uses today.
//!
//! [`run_due`] does the dated work — scheduled terminations, trials that ran out, warnings —
//! each through a conditional `UPDATE` whose affected-row count says whether this caller did
//! it, inside the transaction that records it: with any number of server processes on one
//! database, each item is done exactly once, and a restart simply finds what is still due.

use crate::activity::{self, Actor};
use crate::common::{local_date, search_text};
use crate::entity::{customer, pbx_connection, product_type, reseller, reseller_user};
use crate::scope::{ensure_changeable, lock_owned, ResellerId};
use crate::{Error, Result, outbox};
use chrono::{Duration, NaiveDate, Utc};
use model::events::EventType;
use model::Permission;
use model::customer::CustomerStatus;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Select};

pub use model::customer::TRIAL_WARNING_DAYS;

/// "Not terminated", written out as SQL so every planner can match it against the partial
/// indexes on due days (migration `m20261201_000014_dated_work_indexes`): SQLite would also
/// match a bound value (it re-plans with it), but a PostgreSQL generic plan cannot.
pub(crate) fn not_terminated() -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::ActiveEnum;
    Expr::cust(format!("status <> '{}'", customer::Status::Terminated.to_value()))
}

/// "Not terminated, and not yet warned about this trial end", in the words of the partial index
/// `customers_trials_to_warn` (migration `m20261201_000016_trials_to_warn`, which says why
/// "live" is spelled differently there).
pub(crate) fn live_and_not_yet_warned() -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::ActiveEnum;
    Expr::cust(format!(
        "status IN ('{}', '{}') AND (trial_warned_for IS NULL OR trial_warned_for <> trial_expires_on)",
        customer::Status::Active.to_value(),
        customer::Status::Disabled.to_value()
    ))
}

/// How far ahead a termination can be scheduled.
pub const LONGEST_SCHEDULE_DAYS: i64 = 3 * 366;

/// The reseller's today.
async fn today(db: &impl ConnectionTrait, reseller_id: ResellerId) -> Result<(NaiveDate, reseller::Model)> {
    let owner = reseller::Entity::find_by_id(reseller_id).one(db).await?.ok_or(Error::NotFound)?;
    Ok((local_date(Utc::now(), &owner.time_zone), owner))
}

/// Writes a new status (and the grid's search text, which shows it) and bumps the version.
async fn set_status(db: &impl ConnectionTrait, c: &customer::Model, zone: &str, status: CustomerStatus, terminate_on: Option<NaiveDate>) -> Result<i32> {
    let pt = product_type::Entity::find_by_id(c.product_type_id).one(db).await?.ok_or(Error::NotFound)?;
    let text = search_text(&c.name, local_date(c.created_at, zone), status, &c.reference, &pt.name, &c.country);
    customer::Entity::update_many()
        .col_expr(customer::Column::Status, Expr::value(customer::Status::from(status)))
        .col_expr(customer::Column::TerminateOn, Expr::value(terminate_on))
        .col_expr(customer::Column::SearchText, Expr::value(text))
        .col_expr(customer::Column::Version, Expr::value(c.version + 1))
        .filter(customer::Column::Id.eq(c.id))
        .exec(db)
        .await?;
    Ok(c.version + 1)
}

fn status_of(c: &customer::Model) -> CustomerStatus {
    c.status.into()
}

/// Disables an active customer: its users are locked out of the analytics service, its data is
/// still collected and it is still billed. Returns the new version.
pub async fn disable(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<i32> {
    actor.require(Permission::CustomerAdministrator)?;
    let txn = crate::db::Work::begin(db).await?;
    let c = lock_owned(&txn, actor.reseller_id, id).await?;
    ensure_changeable(&c)?;
    let version = set_active(&txn, actor, &c, false).await?;
    txn.commit().await?;
    Ok(version)
}

/// Disables (`active` false) or re-enables the locked, changeable customer `c` inside the
/// caller's transaction, with its activity entry. Returns the new version (the same when
/// nothing changed).
pub(crate) async fn set_active(txn: &impl ConnectionTrait, actor: &Actor, c: &customer::Model, active: bool) -> Result<i32> {
    let (target, action, summary) = if active {
        (CustomerStatus::Active, EventType::CustomerReenabled, "Re-enabled the customer.")
    } else {
        (CustomerStatus::Disabled, EventType::CustomerDisabled, "Disabled the customer: its users cannot sign in; data is still collected and billed.")
    };
    if status_of(c) == target {
        return Ok(c.version);
    }
    let (_, owner) = today(txn, actor.reseller_id).await?;
    let version = set_status(txn, c, &owner.time_zone, target, c.terminate_on).await?;
    activity::record(txn, actor, Some(c.id), action, summary).await?;
    Ok(version)
}

/// Re-enables a disabled customer.
pub async fn reenable(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<i32> {
    actor.require(Permission::CustomerAdministrator)?;
    let txn = crate::db::Work::begin(db).await?;
    let c = lock_owned(&txn, actor.reseller_id, id).await?;
    ensure_changeable(&c)?;
    let version = set_active(&txn, actor, &c, true).await?;
    txn.commit().await?;
    Ok(version)
}

/// The typed name must be the customer's (ignoring case and surrounding spaces).
fn check_confirmation(c: &customer::Model, confirm_name: &str) -> Result<()> {
    if confirm_name.trim().to_lowercase() != c.name_key {
        return Err(Error::invalid("confirm_name", format!("Type the customer's name, \u{201c}{}\u{201d}, to confirm.", c.name)));
    }
    Ok(())
}

/// Terminates now (`on` is `None`) or schedules the termination for a later day (`YYYY-MM-DD`,
/// after today in the reseller's time zone). Either way the customer's name must be typed to
/// confirm. A terminated customer is read-only, its PBX sync stops, and nothing reinstates it.
pub async fn terminate(db: &DatabaseConnection, actor: &Actor, id: &str, confirm_name: &str, on: Option<&str>) -> Result<i32> {
    actor.require(Permission::CustomerAdministrator)?;
    let txn = crate::db::Work::begin(db).await?;
    let c = lock_owned(&txn, actor.reseller_id, id).await?;
    ensure_changeable(&c)?;
    let (today, owner) = today(&txn, actor.reseller_id).await?;
    let day = match on.map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(text) => Some(termination_day(text, today)?),
    };
    check_confirmation(&c, confirm_name)?;
    let version = match day {
        None => terminate_now(&txn, actor, &c, &owner.time_zone, today).await?,
        Some(day) => schedule_termination(&txn, actor, &c, day).await?,
    };
    txn.commit().await?;
    Ok(version)
}

/// Terminates the locked customer `c` today, inside the caller's transaction, with its activity
/// entry. Returns the new version.
pub(crate) async fn terminate_now(txn: &impl ConnectionTrait, actor: &Actor, c: &customer::Model, zone: &str, today: NaiveDate) -> Result<i32> {
    let version = terminate_row(txn, c, zone, today).await?;
    activity::record(txn, actor, Some(c.id), EventType::CustomerTerminated, "Terminated the customer.").await?;
    Ok(version)
}

/// The reseller's today and time zone.
pub(crate) async fn reseller_day(db: &impl ConnectionTrait, reseller_id: ResellerId) -> Result<(NaiveDate, String)> {
    let (day, owner) = today(db, reseller_id).await?;
    Ok((day, owner.time_zone))
}

/// `text` as a day a termination can be scheduled for: after `today`, at most
/// [`LONGEST_SCHEDULE_DAYS`] ahead.
pub(crate) fn termination_day(text: &str, today: NaiveDate) -> Result<NaiveDate> {
    let day = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| Error::invalid("terminate_on", "Enter the date as YYYY-MM-DD."))?;
    if day <= today {
        return Err(Error::invalid("terminate_on", format!("Choose a day after today ({today}), or terminate now.")));
    }
    if day > today + Duration::days(LONGEST_SCHEDULE_DAYS) {
        return Err(Error::invalid("terminate_on", "A termination can be scheduled at most three years ahead."));
    }
    Ok(day)
}

/// Schedules (or moves) the termination of the locked customer `c` to `day`, inside the
/// caller's transaction, with its activity entry. Returns the new version.
pub(crate) async fn schedule_termination(txn: &impl ConnectionTrait, actor: &Actor, c: &customer::Model, day: NaiveDate) -> Result<i32> {
    if c.terminate_on == Some(day) {
        return Ok(c.version);
    }
    customer::Entity::update_many()
        .col_expr(customer::Column::TerminateOn, Expr::value(Some(day)))
        .col_expr(customer::Column::Version, Expr::value(c.version + 1))
        .filter(customer::Column::Id.eq(c.id))
        .exec(txn)
        .await?;
    let summary = match c.terminate_on {
        Some(old) => format!("Moved the scheduled termination from {old} to {day}."),
        None => format!("Scheduled the termination for {day}."),
    };
    activity::record(txn, actor, Some(c.id), EventType::CustomerTerminationScheduled, summary).await?;
    Ok(c.version + 1)
}

/// Terminates the customer's row on `day` and stops its PBX sync.
async fn terminate_row(db: &impl ConnectionTrait, c: &customer::Model, zone: &str, day: NaiveDate) -> Result<i32> {
    let version = set_status(db, c, zone, CustomerStatus::Terminated, Some(day)).await?;
    pbx_connection::Entity::update_many()
        .col_expr(pbx_connection::Column::SyncDueAt, Expr::value(None::<chrono::DateTime<Utc>>))
        .filter(pbx_connection::Column::CustomerId.eq(c.id))
        .exec(db)
        .await?;
    Ok(version)
}

/// Cancels a scheduled termination (before its day).
pub async fn cancel_termination(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<i32> {
    actor.require(Permission::CustomerAdministrator)?;
    let txn = crate::db::Work::begin(db).await?;
    let c = lock_owned(&txn, actor.reseller_id, id).await?;
    ensure_changeable(&c)?;
    let version = cancel_scheduled(&txn, actor, &c).await?;
    txn.commit().await?;
    Ok(version)
}

/// Cancels the locked customer's scheduled termination, if any, inside the caller's
/// transaction. Returns the new version (the same when none was scheduled).
pub(crate) async fn cancel_scheduled(txn: &impl ConnectionTrait, actor: &Actor, c: &customer::Model) -> Result<i32> {
    let Some(day) = c.terminate_on else {
        return Ok(c.version);
    };
    customer::Entity::update_many()
        .col_expr(customer::Column::TerminateOn, Expr::value(None::<NaiveDate>))
        .col_expr(customer::Column::Version, Expr::value(c.version + 1))
        .filter(customer::Column::Id.eq(c.id))
        .exec(txn)
        .await?;
    activity::record(txn, actor, Some(c.id), EventType::CustomerTerminationCancelled, format!("Cancelled the termination scheduled for {day}.")).await?;
    Ok(c.version + 1)
}

/// Ends a running trial: from today the customer is a paying account.
pub async fn convert_trial(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<i32> {
    actor.require(Permission::CustomerAdministrator)?;
    let txn = crate::db::Work::begin(db).await?;
    let c = lock_owned(&txn, actor.reseller_id, id).await?;
    ensure_changeable(&c)?;
    if c.trial_expires_on.is_none() {
        return Err(Error::Conflict(format!("{} is not on a trial.", c.name)));
    }
    let (today, _) = today(&txn, actor.reseller_id).await?;
    end_trial(&txn, &c, today - Duration::days(1)).await?;
    activity::record(&txn, actor, Some(c.id), EventType::CustomerTrialConverted, "Converted the trial to a paying account.").await?;
    txn.commit().await?;
    Ok(c.version + 1)
}

/// Records that the trial's last day was `last_day` (yesterday for a conversion by hand; a
/// trial that began today and is converted today has no trial days).
async fn end_trial(db: &impl ConnectionTrait, c: &customer::Model, last_day: NaiveDate) -> Result<()> {
    customer::Entity::update_many()
        .col_expr(customer::Column::TrialExpiresOn, Expr::value(None::<NaiveDate>))
        .col_expr(customer::Column::TrialEndedOn, Expr::value(Some(last_day)))
        .col_expr(customer::Column::Version, Expr::value(c.version + 1))
        .filter(customer::Column::Id.eq(c.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Moves a running trial's end later: at most the reseller's longest trial counted from the
/// customer's first day.
pub async fn extend_trial(db: &DatabaseConnection, actor: &Actor, id: &str, until: &str) -> Result<i32> {
    actor.require(Permission::CustomerAdministrator)?;
    let txn = crate::db::Work::begin(db).await?;
    let c = lock_owned(&txn, actor.reseller_id, id).await?;
    ensure_changeable(&c)?;
    let Some(current) = c.trial_expires_on else {
        return Err(Error::Conflict(format!("{} is not on a trial.", c.name)));
    };
    let (_, owner) = today(&txn, actor.reseller_id).await?;
    let latest = latest_trial_end(&c, &owner);
    let day = NaiveDate::parse_from_str(until.trim(), "%Y-%m-%d").map_err(|_| Error::invalid("trial_expires_on", "Enter the date as YYYY-MM-DD."))?;
    if day <= current {
        return Err(Error::invalid("trial_expires_on", format!("Choose a day after the current end ({current}).")));
    }
    if day > latest {
        return Err(Error::invalid(
            "trial_expires_on",
            format!("A trial can last at most {} days: {latest} is the latest end for this customer.", owner.max_trial_days),
        ));
    }
    customer::Entity::update_many()
        .col_expr(customer::Column::TrialExpiresOn, Expr::value(Some(day)))
        .col_expr(customer::Column::Version, Expr::value(c.version + 1))
        .filter(customer::Column::Id.eq(c.id))
        .exec(&txn)
        .await?;
    activity::record(&txn, actor, Some(c.id), EventType::CustomerTrialExtended, format!("Extended the trial from {current} to {day}.")).await?;
    txn.commit().await?;
    Ok(c.version + 1)
}

/// The latest day a trial of `c` may end: its first day plus the reseller's longest trial.
pub fn latest_trial_end(c: &customer::Model, owner: &reseller::Model) -> NaiveDate {
    local_date(c.created_at, &owner.time_zone) + Duration::days(i64::from(std::cmp::max(owner.max_trial_days, 0)))
}

/// What [`run_due`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DueWork {
    pub terminated: usize,
    pub converted: usize,
    pub warned: usize,
}

/// Does the dated work that is due now: scheduled terminations whose day has come, trials whose
/// last day has passed, and warnings for trials ending within seven days. Safe to run in every
/// server process at once: each item is done by exactly one caller.
///
/// Each kind is found with one query over all resellers by its due day (the
/// `customers_by_trial_end` / `customers_by_termination` indexes, day first), up to the latest
/// "today" of any reseller's zone; each row is then held against its own reseller's today. A
/// pass with nothing due reads nothing but the resellers, however many customers there are.
pub async fn run_due(db: &DatabaseConnection) -> Result<DueWork> {
    let mut done = DueWork::default();
    let now = Utc::now();
    let owners: std::collections::HashMap<i64, (reseller::Model, NaiveDate)> = reseller::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| {
            let today = local_date(now, &r.time_zone);
            (r.id, (r, today))
        })
        .collect();
    let (Some(earliest), Some(latest)) = (owners.values().map(|(_, t)| *t).min(), owners.values().map(|(_, t)| *t).max()) else {
        return Ok(done);
    };

    let due = terminations_due(latest).all(db).await?;
    for c in due {
        let (Some(day), Some((owner, today))) = (c.terminate_on, owners.get(&c.reseller_id)) else { continue };
        if day > *today {
            continue;
        }
        let txn = crate::db::Work::begin(db).await?;
        // The claim: only the caller whose update changes the row does the rest.
        let claimed = customer::Entity::update_many()
            .col_expr(customer::Column::Version, Expr::col(customer::Column::Version))
            .filter(customer::Column::Id.eq(c.id))
            .filter(customer::Column::Status.ne(customer::Status::Terminated))
            .filter(customer::Column::TerminateOn.eq(day))
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let current = customer::Entity::find_by_id(c.id).one(&txn).await?.ok_or(Error::NotFound)?;
        terminate_row(&txn, &current, &owner.time_zone, day).await?;
        let system = Actor::system(owner.id, "System");
        activity::record(&txn, &system, Some(c.id), EventType::CustomerTerminated, format!("Terminated as scheduled for {day}.")).await?;
        txn.commit().await?;
        done.terminated += 1;
    }

    let ended = trials_ended(latest).all(db).await?;
    for c in ended {
        let (Some(last_day), Some((owner, today))) = (c.trial_expires_on, owners.get(&c.reseller_id)) else { continue };
        if last_day >= *today {
            continue;
        }
        let txn = crate::db::Work::begin(db).await?;
        let claimed = customer::Entity::update_many()
            .col_expr(customer::Column::TrialExpiresOn, Expr::value(None::<NaiveDate>))
            .col_expr(customer::Column::TrialEndedOn, Expr::value(Some(last_day)))
            .col_expr(customer::Column::Version, Expr::col(customer::Column::Version).add(1))
            .filter(customer::Column::Id.eq(c.id))
            .filter(customer::Column::TrialExpiresOn.eq(last_day))
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let system = Actor::system(owner.id, "System");
        activity::record(&txn, &system, Some(c.id), EventType::CustomerTrialConverted, format!("The trial ended on {last_day}: now a paying account."))
            .await?;
        txn.commit().await?;
        done.converted += 1;
    }

    let ending = trials_ending(earliest, latest).all(db).await?;
    // Each reseller's customer administrators, read once per pass and only if needed.
    let mut admins_of: std::collections::HashMap<i64, Vec<reseller_user::Model>> = Default::default();
    for c in ending {
        let (Some(last_day), Some((owner, today))) = (c.trial_expires_on, owners.get(&c.reseller_id)) else { continue };
        if last_day < *today || last_day > *today + Duration::days(TRIAL_WARNING_DAYS) || c.trial_warned_for == Some(last_day) {
            continue;
        }
        if !admins_of.contains_key(&owner.id) {
            admins_of.insert(owner.id, customer_administrators(db, owner.id).await?);
        }
        let admins = &admins_of[&owner.id];
        let txn = crate::db::Work::begin(db).await?;
        let claimed = customer::Entity::update_many()
            .col_expr(customer::Column::TrialWarnedFor, Expr::value(Some(last_day)))
            .filter(customer::Column::Id.eq(c.id))
            .filter(customer::Column::TrialExpiresOn.eq(last_day))
            .filter(
                sea_orm::Condition::any()
                    .add(customer::Column::TrialWarnedFor.is_null())
                    .add(customer::Column::TrialWarnedFor.ne(last_day)),
            )
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        for admin in admins {
            outbox::queue(&txn, trial_warning(&owner.name, &c.name, last_day, admin)).await?;
        }
        let days = (last_day - *today).num_days();
        let system = Actor::system(owner.id, "System");
        activity::record(
            &txn,
            &system,
            Some(c.id),
            EventType::CustomerTrialEnding,
            format!("The trial ends on {last_day} ({days} {} left); {} customer administrator(s) were emailed.", if days == 1 { "day" } else { "days" }, admins.len()),
        )
        .await?;
        txn.commit().await?;
        done.warned += 1;
    }
    Ok(done)
}

/// Live customers whose termination day is `latest` or earlier.
pub fn terminations_due(latest: NaiveDate) -> Select<customer::Entity> {
    customer::Entity::find().filter(customer::Column::TerminateOn.lte(latest)).filter(not_terminated())
}

/// Live customers whose trial's last day is before `latest`.
pub fn trials_ended(latest: NaiveDate) -> Select<customer::Entity> {
    customer::Entity::find().filter(customer::Column::TrialExpiresOn.lt(latest)).filter(not_terminated())
}

/// Live customers not yet warned about their trial's end, which is between `earliest` and a
/// warning period after `latest`.
pub fn trials_ending(earliest: NaiveDate, latest: NaiveDate) -> Select<customer::Entity> {
    customer::Entity::find()
        .filter(customer::Column::TrialExpiresOn.gte(earliest))
        .filter(customer::Column::TrialExpiresOn.lte(latest + Duration::days(TRIAL_WARNING_DAYS)))
        .filter(live_and_not_yet_warned())
}

/// The reseller's active users who may administer customers: who hears of ending trials.
async fn customer_administrators(db: &DatabaseConnection, reseller_id: i64) -> Result<Vec<reseller_user::Model>> {
    Ok(reseller_user::Entity::find()
        .filter(reseller_user::Column::ResellerId.eq(reseller_id))
        .filter(reseller_user::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .filter(|u| {
            let p = model::Permissions::from_bits(u.permissions as u32);
            p.contains(Permission::WebsiteAccess) && p.contains(Permission::CustomerAdministrator)
        })
        .collect())
}

fn trial_warning(reseller_name: &str, customer_name: &str, last_day: NaiveDate, to: &reseller_user::Model) -> outbox::Email {
    outbox::Email {
        reseller_id: Some(to.reseller_id),
        customer_user_id: None,
        kind: "trial_ending",
        to_address: to.email.clone(),
        to_name: to.display_name.clone(),
        subject: format!("The trial of {customer_name} ends on {last_day}"),
        body: format!(
            "Hello {},\n\n\
             The trial of {customer_name} ends on {last_day}. From the next day it is a paying account \
             and appears in {reseller_name}'s billing.\n\n\
             To give it more time, open the customer in the Reseller Portal and choose \"Extend trial\"; \
             to end it, terminate the customer before that day.\n",
            to.display_name
        ),
    }
}
