//! Monthly billing runs: one line per customer that existed during the month, prorated by day.
//!
//! Days are calendar days in the *reseller's* time zone. A customer's first billable day is the
//! day it was created; its last is the day before its termination date (`terminate_on` is the
//! first day without service); disabled customers are billed like active ones. Days of the
//! [`BillableCustomer`]'s trial and every day of an in-house system are zero-rated: they still
//! get a line (with a zero value), so a run reconciles with the customer list — every customer
//! that existed during the month appears exactly once.
//!
//! A line's value is `monthly price × chargeable days ÷ days in the month`, rounded half up to the
//! cent in integer arithmetic; money is integer cents until it is written on a line.
//!
//! A month can be run once it has ended, and only once: the run is stored (its lines as canonical
//! JSON) and running it again returns the stored record unchanged, so every download of a month
//! is byte for byte the same, whatever changed in the customer list since. The unique
//! `(reseller_id, period)` index settles two runs racing: the loser returns the winner's run.

use crate::scope::ResellerId;
use crate::activity::{self, Actor};
use crate::common::local_date;
use crate::entity::{billing_run, customer, in_house_change, product_type, reseller};
use std::collections::HashMap;
use crate::{Error, Result};
use chrono::{DateTime, Datelike, Duration, NaiveDate, SecondsFormat, Utc};
use model::events::EventType;
use model::billing::{format_cents, BillingLine, BillingOverview, BillingRun, BillingRunSummary, BillingStart, Period, MONTHS_OFFERED};
use model::Permission;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    SqlErr,
};
use uuid::Uuid;

/// What billing needs to know about one customer.
#[derive(Clone, Debug)]
pub struct BillableCustomer {
    /// The Tenant ID.
    pub id: Uuid,
    pub name: String,
    /// Empty: the line names the customer by its Tenant ID.
    pub reference: String,
    pub product_type: String,
    pub part_number: String,
    pub monthly_price_cents: i64,
    /// Its day in the reseller's time zone is the first billable day.
    pub created_at: DateTime<Utc>,
    /// In-house now: every day zero-rated, unless `in_house_changes` say otherwise.
    pub in_house: bool,
    /// When the flag changed, oldest first: from each day on, the flag given holds (see
    /// `entity::in_house_change`). Empty: the customer always had `in_house`.
    pub in_house_changes: Vec<(NaiveDate, bool)>,
    /// The trial's last day: a running trial's `trial_expires_on`, or an ended one's
    /// `trial_ended_on`. The trial's days, from the first day, are zero-rated.
    pub trial_last_day: Option<NaiveDate>,
    /// The first day not billed (a termination, done or scheduled).
    pub terminate_on: Option<NaiveDate>,
    /// Terminated. One without a termination date (data from before dates were kept) is not
    /// billed: when it stopped is unknown.
    pub terminated: bool,
}

impl BillableCustomer {
    /// Whether the customer was in-house on `day`.
    fn in_house_on(&self, day: NaiveDate) -> bool {
        match self.in_house_changes.iter().rev().find(|(from, _)| *from <= day) {
            Some((_, in_house)) => *in_house,
            // Before the first recorded change: the opposite of what that change set.
            None => self.in_house_changes.first().map_or(self.in_house, |(_, first)| !first),
        }
    }
}

/// The month's lines for these customers (any that did not exist during the month get none),
/// ordered by customer name (ignoring case), then Tenant ID.
pub fn lines(period: Period, time_zone: &str, customers: &[BillableCustomer]) -> Vec<BillingLine> {
    let (first, last) = month_days(period);
    let days_in_period = (last - first).num_days() + 1;
    let mut billed: Vec<(String, Uuid, BillingLine)> = customers
        .iter()
        .filter_map(|c| {
            if c.terminated && c.terminate_on.is_none() {
                return None;
            }
            let created_on = local_date(c.created_at, time_zone);
            let from = first.max(created_on);
            let to = c.terminate_on.map_or(last, |day| last.min(day - Duration::days(1)));
            if from > to {
                return None;
            }
            let days = (to - from).num_days() + 1;
            // A day is zero-rated when the customer was in-house or on trial that day (the
            // trial runs from the first day, so up to its last day).
            let zero_rated = from.iter_days().take_while(|d| *d <= to).filter(|d| c.in_house_on(*d) || c.trial_last_day.is_some_and(|t| *d <= t)).count() as i64;
            let quantity = days - zero_rated;
            let line = BillingLine {
                tenant_code: if c.reference.trim().is_empty() { c.id.to_string() } else { c.reference.clone() },
                customer_name: c.name.clone(),
                product_type: c.product_type.clone(),
                part_number: c.part_number.clone(),
                quantity: quantity as u32,
                days_in_period: days_in_period as u32,
                from: from.to_string(),
                to: to.to_string(),
                unit_price: format_cents(c.monthly_price_cents),
                value: format_cents(prorated(c.monthly_price_cents, quantity, days_in_period)),
            };
            Some((c.name.to_lowercase(), c.id, line))
        })
        .collect();
    billed.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    billed.into_iter().map(|(_, _, line)| line).collect()
}

/// The sum of the lines' values, in cents.
pub fn total_cents(lines: &[BillingLine]) -> Result<i64> {
    lines.iter().try_fold(0i64, |sum, l| {
        let cents = model::billing::parse_cents(l.value.trim_start_matches('-'))
            .map_err(|e| Error::Internal(format!("a stored billing line has an unreadable value: {e}")))?;
        let cents = if l.value.starts_with('-') { -cents } else { cents };
        sum.checked_add(cents).ok_or_else(|| Error::Internal("the billing total overflows".into()))
    })
}

/// The run as the JSON download: pretty-printed, fields in their declared order, ending in a
/// newline.
pub fn json(run: &BillingRun) -> String {
    let mut text = serde_json::to_string_pretty(run).expect("a billing run always serialises");
    text.push('\n');
    text
}

/// The months the reseller can run (ended ones, newest first) and its stored runs.
pub async fn overview(db: &impl ConnectionTrait, actor: &Actor) -> Result<BillingOverview> {
    actor.require(Permission::BillingAdministrator)?;
    let owner = owner(db, actor).await?;
    let mut months = Vec::with_capacity(MONTHS_OFFERED);
    let mut month = current_period(&owner.time_zone);
    for _ in 0..MONTHS_OFFERED {
        month = month.previous();
        months.push(month.to_string());
    }
    Ok(BillingOverview { months, runs: summaries(db, &owner).await? })
}

/// What the billing page opens with: the overview and the stored run of `wanted` (when it is a
/// month the page offers or one that was run), else of the newest ended month.
pub async fn start(db: &impl ConnectionTrait, actor: &Actor, wanted: Option<String>) -> Result<BillingStart> {
    let overview = overview(db, actor).await?;
    let known = |m: &String| overview.months.contains(m) || overview.runs.iter().any(|r| &r.period == m);
    let month = wanted.filter(known).or_else(|| overview.months.first().cloned());
    let run = match &month {
        Some(m) => get(db, actor, m).await?,
        None => None,
    };
    Ok(BillingStart { reseller_name: owner(db, actor).await?.name, overview, month, run })
}

/// The reseller's stored runs, newest month first.
pub async fn list(db: &impl ConnectionTrait, actor: &Actor, times: activity::Times) -> Result<Vec<BillingRunSummary>> {
    actor.require(Permission::BillingAdministrator)?;
    let owner = owner(db, actor).await?;
    summaries_with(db, &owner, |at| times.show(at, &owner.time_zone)).await
}

/// The stored run of `period`, if the month was run.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, period: &str) -> Result<Option<BillingRun>> {
    actor.require(Permission::BillingAdministrator)?;
    let period = Period::parse(period).map_err(|m| Error::invalid("period", m))?;
    stored(db, actor.reseller_id, period).await
}

/// Runs the billing of `period`, an ended month, or returns its stored run if it was run before.
pub async fn run(db: &DatabaseConnection, actor: &Actor, period: &str) -> Result<BillingRun> {
    actor.require(Permission::BillingAdministrator)?;
    let owner = owner(db, actor).await?;
    let period = Period::parse(period).map_err(|m| Error::invalid("period", m))?;
    let current = current_period(&owner.time_zone);
    if period >= current {
        return Err(Error::invalid(
            "period",
            format!("{} has not ended yet. A month can be billed from the first day of the next month.", period.label()),
        ));
    }
    if let Some(done) = stored(db, ResellerId::of_row(owner.id), period).await? {
        return Ok(done);
    }
    let lines = lines(period, &owner.time_zone, &billable_customers(db, ResellerId::of_row(owner.id), period).await?);
    let total = format_cents(total_cents(&lines)?);
    let encoded = serde_json::to_string(&lines).map_err(|e| Error::Internal(format!("encoding billing lines: {e}")))?;

    let txn = crate::db::Work::begin(db).await?;
    let inserted = billing_run::ActiveModel {
        reseller_id: Set(owner.id),
        period: Set(period.to_string()),
        created_at: Set(Utc::now()),
        created_by: Set(actor.name.chars().take(200).collect()),
        lines: Set(encoded),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let row = match inserted {
        Ok(row) => row,
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            // Another run of this month committed first: its record is the month's.
            drop(txn);
            return stored(db, ResellerId::of_row(owner.id), period).await?.ok_or_else(|| Error::Internal(format!("the billing run of {period} vanished")));
        }
        Err(e) => return Err(e.into()),
    };
    let summary = format!("Ran billing for {}: {} line(s), total {total}.", period.label(), lines.len());
    let subject = serde_json::json!({ "billingRun": { "period": period.to_string(), "lines": lines.len(), "total": total.to_string() } });
    activity::record_about(&txn, actor, None, EventType::BillingRun, summary, subject).await?;
    txn.commit().await?;
    tracing::info!(reseller_id = owner.id, %period, lines = lines.len(), "billing run stored");
    record(&row)
}

/// The first and last day of the month.
fn month_days(period: Period) -> (NaiveDate, NaiveDate) {
    let first = NaiveDate::from_ymd_opt(period.year(), period.month(), 1).expect("a period is a valid month");
    let next = if period.month() == 12 {
        NaiveDate::from_ymd_opt(period.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(period.year(), period.month() + 1, 1)
    }
    .expect("a period is a valid month");
    (first, next - Duration::days(1))
}

/// `price × quantity ÷ days`, rounded half up, in integer arithmetic.
fn prorated(price_cents: i64, quantity: i64, days: i64) -> i64 {
    let numerator = i128::from(price_cents) * i128::from(quantity);
    let days = i128::from(days);
    let rounded = (2 * numerator + days).div_euclid(2 * days);
    i64::try_from(rounded).expect("a prorated price is at most the monthly price")
}

/// The month the reseller is in now.
fn current_period(time_zone: &str) -> Period {
    let today = local_date(Utc::now(), time_zone);
    Period::new(today.year(), today.month()).expect("today is a valid month")
}

async fn owner(db: &impl ConnectionTrait, actor: &Actor) -> Result<reseller::Model> {
    reseller::Entity::find_by_id(actor.reseller_id).one(db).await?.ok_or(Error::NotFound)
}

async fn stored(db: &impl ConnectionTrait, reseller_id: ResellerId, period: Period) -> Result<Option<BillingRun>> {
    billing_run::Entity::find()
        .filter(billing_run::Column::ResellerId.eq(reseller_id))
        .filter(billing_run::Column::Period.eq(period.to_string()))
        .one(db)
        .await?
        .map(|row| record(&row))
        .transpose()
}

/// A stored run as its record. Only stored values go in, so it reads the same every time.
fn record(row: &billing_run::Model) -> Result<BillingRun> {
    let lines: Vec<BillingLine> =
        serde_json::from_str(&row.lines).map_err(|e| Error::Internal(format!("billing run {} has unreadable lines: {e}", row.id)))?;
    Ok(BillingRun {
        period: row.period.clone(),
        created_at: row.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        created_by: row.created_by.clone(),
        total: format_cents(total_cents(&lines)?),
        lines,
    })
}

async fn summaries(db: &impl ConnectionTrait, owner: &reseller::Model) -> Result<Vec<BillingRunSummary>> {
    summaries_with(db, owner, |at| activity::local_time(at, &owner.time_zone)).await
}

async fn summaries_with(db: &impl ConnectionTrait, owner: &reseller::Model, time: impl Fn(chrono::DateTime<Utc>) -> String) -> Result<Vec<BillingRunSummary>> {
    let rows = billing_run::Entity::find()
        .filter(billing_run::Column::ResellerId.eq(owner.id))
        .order_by_desc(billing_run::Column::Period)
        .all(db)
        .await?;
    rows.iter()
        .map(|row| {
            let run = record(row)?;
            Ok(BillingRunSummary {
                period: run.period,
                created_at: time(row.created_at),
                created_by: run.created_by,
                lines: run.lines.len(),
                total: run.total,
            })
        })
        .collect()
}

/// The reseller's customers that may have existed during the month. Narrowed generously in SQL
/// (no time zone is more than a day from UTC); [`lines`] decides by the reseller's calendar day.
async fn billable_customers(db: &impl ConnectionTrait, reseller_id: ResellerId, period: Period) -> Result<Vec<BillableCustomer>> {
    let (first, last) = month_days(period);
    let created_before = (last + Duration::days(2)).and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
    let rows = customer::Entity::find()
        .find_also_related(product_type::Entity)
        .filter(customer::Column::ResellerId.eq(reseller_id))
        .filter(customer::Column::CreatedAt.lt(created_before))
        .filter(Condition::any().add(customer::Column::TerminateOn.is_null()).add(customer::Column::TerminateOn.gt(first)))
        .all(db)
        .await?;
    let mut changes: HashMap<Uuid, Vec<(NaiveDate, bool)>> = HashMap::new();
    let of_reseller = sea_orm::sea_query::Query::select().column(customer::Column::Id).from(customer::Entity).and_where(customer::Column::ResellerId.eq(reseller_id)).to_owned();
    for row in in_house_change::Entity::find()
        .filter(in_house_change::Column::CustomerId.in_subquery(of_reseller))
        .order_by_asc(in_house_change::Column::FromDay)
        .all(db)
        .await?
    {
        changes.entry(row.customer_id).or_default().push((row.from_day, row.in_house));
    }
    rows.into_iter()
        .map(|(c, pt)| {
            let pt = pt.ok_or_else(|| Error::Internal(format!("customer {} has no product type", c.id)))?;
            Ok(BillableCustomer {
                in_house_changes: changes.remove(&c.id).unwrap_or_default(),
                id: c.id,
                terminated: c.status == customer::Status::Terminated,
                trial_last_day: c.trial_expires_on.or(c.trial_ended_on),
                name: c.name,
                reference: c.reference,
                product_type: pt.name,
                part_number: pt.part_number,
                monthly_price_cents: pt.monthly_price_cents,
                created_at: c.created_at,
                in_house: c.in_house,
                terminate_on: c.terminate_on,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const LONDON: &str = "Europe/London";

    fn month(text: &str) -> Period {
        Period::parse(text).unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    /// Noon UTC on `date`: the same calendar day in London.
    fn noon(date: &str) -> DateTime<Utc> {
        day(date).and_hms_opt(12, 0, 0).unwrap().and_utc()
    }

    /// A paying customer at 31.00 a month, created long before.
    fn customer(name: &str) -> BillableCustomer {
        BillableCustomer {
            id: Uuid::new_v4(),
            name: name.into(),
            reference: format!("REF-{name}"),
            product_type: "Call Analytics Professional".into(),
            part_number: "CA-PRO-01".into(),
            monthly_price_cents: 3100,
            created_at: noon("2025-01-15"),
            in_house: false,
            in_house_changes: Vec::new(),
            trial_last_day: None,
            terminate_on: None,
            terminated: false,
        }
    }

    fn one(period: &str, c: BillableCustomer) -> BillingLine {
        let mut all = lines(month(period), LONDON, &[c]);
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    fn summary(l: &BillingLine) -> (u32, u32, &str, &str, &str) {
        (l.quantity, l.days_in_period, l.from.as_str(), l.to.as_str(), l.value.as_str())
    }

    #[test]
    fn a_full_month_is_billed_at_the_monthly_price() {
        let l = one("2026-10", customer("Acme"));
        assert_eq!(summary(&l), (31, 31, "2026-10-01", "2026-10-31", "31.00"));
        assert_eq!((l.tenant_code.as_str(), l.customer_name.as_str(), l.unit_price.as_str()), ("REF-Acme", "Acme", "31.00"));
        assert_eq!((l.product_type.as_str(), l.part_number.as_str()), ("Call Analytics Professional", "CA-PRO-01"));
    }

    #[test]
    fn a_customer_created_mid_month_is_prorated_by_day() {
        let c = BillableCustomer { created_at: noon("2026-09-11"), monthly_price_cents: 3000, ..customer("Acme") };
        // 11th..30th: 20 of 30 days.
        assert_eq!(summary(&one("2026-09", c)), (20, 30, "2026-09-11", "2026-09-30", "20.00"));
    }

    #[test]
    fn the_termination_day_is_not_billed() {
        let c = BillableCustomer { terminate_on: Some(day("2026-10-11")), terminated: true, ..customer("Acme") };
        assert_eq!(summary(&one("2026-10", c.clone())), (10, 31, "2026-10-01", "2026-10-10", "10.00"));
        // Nothing in the months after; a termination on the 1st leaves that month unbilled.
        assert!(lines(month("2026-11"), LONDON, std::slice::from_ref(&c)).is_empty());
        let first = BillableCustomer { terminate_on: Some(day("2026-11-01")), ..c };
        assert!(lines(month("2026-11"), LONDON, std::slice::from_ref(&first)).is_empty());
        assert_eq!(one("2026-10", first).to, "2026-10-31");
    }

    #[test]
    fn a_scheduled_termination_and_a_disabled_status_change_nothing_before_the_date() {
        let c = BillableCustomer { terminate_on: Some(day("2026-12-15")), ..customer("Acme") };
        assert_eq!(summary(&one("2026-10", c)), (31, 31, "2026-10-01", "2026-10-31", "31.00"));
    }

    #[test]
    fn a_terminated_customer_without_a_date_is_not_billed() {
        let c = BillableCustomer { terminated: true, ..customer("Acme") };
        assert!(lines(month("2026-10"), LONDON, &[c]).is_empty());
    }

    #[test]
    fn in_house_days_are_all_zero_rated_but_listed() {
        let c = BillableCustomer { in_house: true, created_at: noon("2026-10-05"), ..customer("Acme") };
        assert_eq!(summary(&one("2026-10", c)), (0, 31, "2026-10-05", "2026-10-31", "0.00"));
    }

    #[test]
    fn only_the_days_a_customer_was_in_house_are_zero_rated() {
        // Paying until 14 October, in-house from the 15th: 14 chargeable days of 31.
        let c = BillableCustomer {
            in_house: true,
            in_house_changes: vec![(day("2026-09-01"), false), (day("2026-10-15"), true)],
            created_at: noon("2026-09-01"),
            monthly_price_cents: 3100,
            ..customer("Acme")
        };
        assert_eq!(summary(&one("2026-10", c.clone())), (14, 31, "2026-10-01", "2026-10-31", "14.00"));
        // Billed today for last month, a customer that became in-house since is still charged.
        let september = one("2026-09", c.clone());
        assert_eq!((september.quantity, september.days_in_period), (30, 30));
        // And back: in-house until 9 October (a change recorded without its starting day).
        let back = BillableCustomer { in_house: false, in_house_changes: vec![(day("2026-10-10"), false)], ..c };
        assert_eq!(summary(&one("2026-10", back)).0, 22);
    }

    #[test]
    fn a_day_in_house_and_on_trial_is_zero_rated_once() {
        let c = BillableCustomer {
            in_house_changes: vec![(day("2026-10-01"), false), (day("2026-10-06"), true), (day("2026-10-11"), false)],
            trial_last_day: Some(day("2026-10-08")),
            created_at: noon("2026-10-01"),
            ..customer("Acme")
        };
        // Trial 1–8, in-house 6–10: days 1–10 are free, 21 charged.
        assert_eq!(summary(&one("2026-10", c)).0, 21);
    }

    #[test]
    fn a_trial_spanning_the_month_start_zero_rates_its_days_in_the_month() {
        // Trial from 20 September to 5 October: 1..5 October free, 26 of 31 days billed.
        let c = BillableCustomer { created_at: noon("2026-09-20"), trial_last_day: Some(day("2026-10-05")), ..customer("Acme") };
        assert_eq!(summary(&one("2026-10", c.clone())), (26, 31, "2026-10-01", "2026-10-31", "26.00"));
        assert_eq!(summary(&one("2026-09", c)), (0, 30, "2026-09-20", "2026-09-30", "0.00"));
    }

    #[test]
    fn a_trial_ending_mid_month_bills_the_days_after_it_whether_running_or_ended() {
        // Created 3 October, trial to 12 October: 13..31 billed (19 days). Billing cannot tell a
        // running trial (trial_expires_on) from an ended one (trial_ended_on): both are the last
        // trial day, and `billable_customers` takes whichever is set.
        let running = BillableCustomer { created_at: noon("2026-10-03"), trial_last_day: Some(day("2026-10-12")), ..customer("Acme") };
        assert_eq!(summary(&one("2026-10", running.clone())), (19, 31, "2026-10-03", "2026-10-31", "19.00"));
        // Converted by hand on the 8th: the 7th was its last trial day.
        let converted = BillableCustomer { trial_last_day: Some(day("2026-10-07")), ..running.clone() };
        assert_eq!(summary(&one("2026-10", converted)), (24, 31, "2026-10-03", "2026-10-31", "24.00"));
        // Converted on its first day: no trial days at all.
        let at_once = BillableCustomer { trial_last_day: Some(day("2026-10-02")), ..running.clone() };
        assert_eq!(summary(&one("2026-10", at_once)), (29, 31, "2026-10-03", "2026-10-31", "29.00"));
        // Terminated during the trial: everything it was billed for is free.
        let gone = BillableCustomer { terminate_on: Some(day("2026-10-10")), terminated: true, ..running };
        assert_eq!(summary(&one("2026-10", gone)), (0, 31, "2026-10-03", "2026-10-09", "0.00"));
    }

    #[test]
    fn february_has_29_days_in_a_leap_year_and_28_otherwise() {
        let c = BillableCustomer { created_at: noon("2028-02-15"), monthly_price_cents: 2900, ..customer("Acme") };
        assert_eq!(summary(&one("2028-02", c)), (15, 29, "2028-02-15", "2028-02-29", "15.00"));
        let c = BillableCustomer { created_at: noon("2027-02-15"), monthly_price_cents: 2800, ..customer("Acme") };
        assert_eq!(summary(&one("2027-02", c)), (14, 28, "2027-02-15", "2027-02-28", "14.00"));
    }

    #[test]
    fn a_31_day_month_divides_by_31() {
        let c = BillableCustomer { created_at: noon("2026-12-31"), monthly_price_cents: 3100, ..customer("Acme") };
        assert_eq!(summary(&one("2026-12", c)), (1, 31, "2026-12-31", "2026-12-31", "1.00"));
    }

    #[test]
    fn the_created_day_is_the_resellers_calendar_day() {
        // 31 October 23:30 UTC is 1 November 12:30 in Auckland.
        let created_at = Utc.with_ymd_and_hms(2026, 10, 31, 23, 30, 0).unwrap();
        let c = BillableCustomer { created_at, ..customer("Kiwi") };
        assert!(lines(month("2026-10"), "Pacific/Auckland", std::slice::from_ref(&c)).is_empty());
        let november = lines(month("2026-11"), "Pacific/Auckland", std::slice::from_ref(&c));
        assert_eq!(summary(&november[0]), (30, 30, "2026-11-01", "2026-11-30", "31.00"));
        // For a London reseller the same moment is still 31 October.
        assert_eq!(summary(&one("2026-10", c)), (1, 31, "2026-10-31", "2026-10-31", "1.00"));
    }

    #[test]
    fn values_round_half_up_to_the_cent() {
        let priced = |cents, created| BillableCustomer { monthly_price_cents: cents, created_at: noon(created), ..customer("Acme") };
        // 1.01 × 15 / 30 = 0.505 → 0.51.
        assert_eq!(one("2026-09", priced(101, "2026-09-16")).value, "0.51");
        // 1.01 × 1 / 30 = 0.0336… → 0.03.
        assert_eq!(one("2026-09", priced(101, "2026-09-30")).value, "0.03");
        // 12.10 × 15 / 30 = 6.05 exactly.
        assert_eq!(one("2026-09", priced(1210, "2026-09-16")).value, "6.05");
        // 10.00 × 2 / 30 = 0.666… → 0.67.
        assert_eq!(one("2026-09", priced(1000, "2026-09-29")).value, "0.67");
        assert_eq!(prorated(1, 1, 2), 1);
        assert_eq!(prorated(1, 1, 3), 0);
    }

    #[test]
    fn lines_are_ordered_by_name_ignoring_case_then_tenant_id_and_totalled() {
        let mut twins = [customer("beta"), customer("Beta")];
        twins[0].id = Uuid::from_u128(2);
        twins[1].id = Uuid::from_u128(1);
        let mut no_reference = customer("alpha");
        no_reference.reference = String::new();
        let all = [customer("Charlie"), twins[0].clone(), no_reference.clone(), twins[1].clone()];
        let got = lines(month("2026-10"), LONDON, &all);
        let names: Vec<&str> = got.iter().map(|l| l.customer_name.as_str()).collect();
        assert_eq!(names, ["alpha", "Beta", "beta", "Charlie"]);
        assert_eq!(got[0].tenant_code, no_reference.id.to_string(), "no reference: the Tenant ID");
        assert_eq!(total_cents(&got).unwrap(), 4 * 3100);
    }

    #[test]
    fn customers_created_after_the_month_get_no_line() {
        let c = BillableCustomer { created_at: noon("2026-11-01"), ..customer("Acme") };
        assert!(lines(month("2026-10"), LONDON, &[c]).is_empty());
    }

    #[test]
    fn the_json_document_keeps_its_field_order() {
        let run = BillingRun {
            period: "2026-10".into(),
            created_at: "2026-11-01T09:14:03Z".into(),
            created_by: "Dana Demo".into(),
            lines: lines(month("2026-10"), LONDON, &[customer("Acme")]),
            total: "31.00".into(),
        };
        let text = json(&run);
        let keys = ["\"period\"", "\"created_at\"", "\"created_by\"", "\"lines\"", "\"tenant_code\"", "\"value\"", "\"total\""];
        let positions: Vec<usize> = keys.iter().map(|k| text.find(k).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert_eq!(serde_json::from_str::<BillingRun>(&text).unwrap(), run);
    }
}
