//! Billing runs over the server functions and the download routes: a past month billed by day
//! with the operator's prices; only ended months; a month runs once and every download of it is
//! byte for byte the same; other resellers and users without Billing Administrator get nothing;
//! concurrent runs of one month store one record.

use crate::support::*;
use app::api::billing::{BillingRuns, FetchBillingRun, RunBilling};
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use domain::entity::{activity, billing_run, customer, product_type, reseller, reseller_user};
use model::billing::{BillingOverview, BillingRun, Period};
use model::customer::CustomerStatus;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{json, Value};

/// Calls a JSON server function; returns the status and the raw body.
async fn call<S: WireFn>(portal: &TestPortal, session: &str, body: Value) -> (StatusCode, String) {
    call_fn_text::<S>(portal, Some(session), body).await
}

async fn run(portal: &TestPortal, session: &str, period: &str) -> (BillingRun, String) {
    let (status, body) = call::<RunBilling>(portal, session, json!({ "period": period })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}")), body)
}

/// The fields a refusal names.
fn fields(body: &str) -> Vec<String> {
    let value: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    value["Invalid"].as_array().map(|a| a.iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect()).unwrap_or_default()
}

/// A download: status, headers of interest and the exact bytes.
async fn download(portal: &TestPortal, session: &str, path: &str) -> (StatusCode, String, String, Vec<u8>) {
    let res = portal.get(path, Some(session)).await;
    let header = |name| res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let (content_type, disposition) = (header(CONTENT_TYPE), header(CONTENT_DISPOSITION));
    (res.status(), content_type, disposition, res.bytes().await.unwrap().to_vec())
}

/// Sets a price with the operator's command line, as the operator would.
fn set_price(portal: &TestPortal, code: &str, monthly: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["--database-url", &portal.database_url, "product-types", "set-price", "--code", code, "--monthly", monthly])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "set-price {code} {monthly}: {text}");
    text
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

async fn demo_reseller(portal: &TestPortal) -> reseller::Model {
    let db = portal.database().await;
    reseller::Entity::find().filter(reseller::Column::NameKey.eq("demo reseller")).one(&db).await.unwrap().unwrap()
}

/// A customer of the demo reseller with exact dates.
struct NewCustomer<'a> {
    name: &'a str,
    product_type: &'a str,
    reference: &'a str,
    created_at: DateTime<Utc>,
    status: CustomerStatus,
    in_house: bool,
    trial_ended_on: Option<NaiveDate>,
    terminate_on: Option<NaiveDate>,
}

impl NewCustomer<'_> {
    fn paying<'a>(name: &'a str, product_type: &'a str, created_at: DateTime<Utc>) -> NewCustomer<'a> {
        NewCustomer {
            name,
            product_type,
            reference: "",
            created_at,
            status: CustomerStatus::Active,
            in_house: false,
            trial_ended_on: None,
            terminate_on: None,
        }
    }
}

async fn insert(portal: &TestPortal, c: NewCustomer<'_>) -> uuid::Uuid {
    let db = portal.database().await;
    let owner = demo_reseller(portal).await;
    let pt = product_type::Entity::find().filter(product_type::Column::Code.eq(c.product_type)).one(&db).await.unwrap().unwrap();
    let created_on = domain::common::local_date(c.created_at, &owner.time_zone);
    let id = uuid::Uuid::new_v4();
    customer::ActiveModel {
        id: Set(id),
        reseller_id: Set(owner.id),
        name: Set(c.name.to_owned()),
        name_key: Set(c.name.to_lowercase()),
        product_type_id: Set(pt.id),
        reference: Set(c.reference.to_owned()),
        country: Set("GB".into()),
        time_zone: Set("Europe/London".into()),
        notes: Set(String::new()),
        trial_expires_on: Set(None),
        in_house: Set(c.in_house),
        status: Set(c.status.into()),
        terminate_on: Set(c.terminate_on),
        created_at: Set(c.created_at),
        created_by: Set(None),
        version: Set(1),
        search_text: Set(domain::common::search_text(c.name, created_on, c.status, c.reference, &pt.name, "GB")),
        request_key: Set(None),
        trial_ended_on: Set(c.trial_ended_on),
        trial_warned_for: Set(None),
    }
    .insert(&db)
    .await
    .unwrap();
    id
}

/// The demo reseller's previous month (London): always ended.
fn previous_month() -> Period {
    let today = domain::common::local_date(Utc::now(), "Europe/London");
    Period::new(today.year(), today.month()).unwrap().previous()
}

async fn stored_runs(portal: &TestPortal, period: &str) -> u64 {
    let db = portal.database().await;
    billing_run::Entity::find().filter(billing_run::Column::Period.eq(period)).count(&db).await.unwrap()
}

async fn run_entries(portal: &TestPortal) -> u64 {
    let db = portal.database().await;
    activity::Entity::find().filter(activity::Column::Action.eq("billing.run")).count(&db).await.unwrap()
}

#[tokio::test]
async fn a_past_month_is_billed_by_day_with_the_operators_prices() {
    let portal = spawn().await;
    assert!(set_price(&portal, "essentials", "30").contains("30.00 a month"));
    set_price(&portal, "professional", "12.10");
    let listing = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["--database-url", &portal.database_url, "product-types"])
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout).to_string();
    assert!(listing.lines().any(|l| l.starts_with("professional") && l.contains("12.10/month")), "{listing}");

    // June 2025 (30 days; London is on UTC+1).
    let at = |y, m, d, h, min| Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap();
    insert(&portal, NewCustomer { reference: "AUR-1", ..NewCustomer::paying("Aurora Bakery", "essentials", at(2025, 5, 20, 10, 0)) }).await;
    let birch = insert(&portal, NewCustomer::paying("Birch Dental", "professional", at(2025, 6, 16, 9, 0))).await;
    insert(&portal, NewCustomer { trial_ended_on: Some(day("2025-06-10")), ..NewCustomer::paying("Cedar Trial", "professional", at(2025, 6, 1, 8, 0)) }).await;
    insert(&portal, NewCustomer { in_house: true, ..NewCustomer::paying("Dune In-house", "essentials", at(2025, 5, 1, 8, 0)) }).await;
    insert(
        &portal,
        NewCustomer {
            status: CustomerStatus::Terminated,
            terminate_on: Some(day("2025-06-11")),
            ..NewCustomer::paying("Elm Terminated", "essentials", at(2025, 1, 1, 8, 0))
        },
    )
    .await;
    // 23:30 UTC on 30 June is already 1 July in London: not a June customer.
    insert(&portal, NewCustomer::paying("Fir Late", "essentials", at(2025, 6, 30, 23, 30))).await;
    insert(&portal, NewCustomer { status: CustomerStatus::Disabled, ..NewCustomer::paying("Gale Disabled", "essentials", at(2025, 6, 21, 12, 0)) }).await;

    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let (june, _) = run(&portal, &s, "2025-06").await;
    let got: Vec<(&str, u32, u32, &str, &str, &str, &str)> = june
        .lines
        .iter()
        .map(|l| (l.customer_name.as_str(), l.quantity, l.days_in_period, l.from.as_str(), l.to.as_str(), l.unit_price.as_str(), l.value.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("Aurora Bakery", 30, 30, "2025-06-01", "2025-06-30", "30.00", "30.00"),
            // Prorated: 12.10 × 15 / 30.
            ("Birch Dental", 15, 30, "2025-06-16", "2025-06-30", "12.10", "6.05"),
            // Ten trial days zero-rated: 12.10 × 20 / 30 = 8.0666… → 8.07.
            ("Cedar Trial", 20, 30, "2025-06-01", "2025-06-30", "12.10", "8.07"),
            ("Dune In-house", 0, 30, "2025-06-01", "2025-06-30", "30.00", "0.00"),
            // Terminated on the 11th: billed to the 10th.
            ("Elm Terminated", 10, 30, "2025-06-01", "2025-06-10", "30.00", "10.00"),
            // Disabled customers are billed.
            ("Gale Disabled", 10, 30, "2025-06-21", "2025-06-30", "30.00", "10.00"),
        ]
    );
    // The Reference, or the Tenant ID when there is none.
    assert_eq!(june.lines[0].tenant_code, "AUR-1");
    assert_eq!(june.lines[1].tenant_code, birch.to_string());
    assert_eq!(june.lines[0].product_type, "Call Analytics Essentials");
    assert_eq!(june.lines[0].part_number, "CA-ESS-01");
    assert_eq!(june.total, "64.12");
    assert_eq!((june.period.as_str(), june.created_by.as_str()), ("2025-06", "Dana Demo"));

    // The activity log and the list of runs know it.
    let db = portal.database().await;
    let entry = activity::Entity::find().filter(activity::Column::Action.eq("billing.run")).one(&db).await.unwrap().unwrap();
    assert!(entry.summary.contains("June 2025"), "{}", entry.summary);
    let (status, body) = call::<BillingRuns>(&portal, &s, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let overview: BillingOverview = serde_json::from_str(&body).unwrap();
    assert_eq!(overview.months.len(), 24);
    assert_eq!(overview.months[0], previous_month().to_string(), "newest ended month first");
    let summary = &overview.runs[0];
    assert_eq!((summary.period.as_str(), summary.lines, summary.total.as_str(), summary.created_by.as_str()), ("2025-06", 6, "64.12", "Dana Demo"));
}

#[tokio::test]
async fn only_ended_months_can_be_run() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let today = domain::common::local_date(Utc::now(), "Europe/London");
    let current = Period::new(today.year(), today.month()).unwrap();
    let next = Period::new(today.year() + 1, 1).unwrap();
    for period in [current.to_string(), next.to_string(), "2025-6".into(), "June 2025".into(), "2025-13".into(), String::new()] {
        let (status, body) = call::<RunBilling>(&portal, &s, json!({ "period": period })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{period}: {body}");
        assert_eq!(fields(&body), ["period"], "{period}: {body}");
    }
    let (_, body) = call::<RunBilling>(&portal, &s, json!({ "period": current.to_string() })).await;
    assert!(body.contains("has not ended yet"), "{body}");
    let db = portal.database().await;
    assert_eq!(billing_run::Entity::find().count(&db).await.unwrap(), 0, "a refused run stores nothing");
    assert_eq!(run_entries(&portal).await, 0);
}

#[tokio::test]
async fn a_month_runs_once_and_every_download_of_it_is_the_same() {
    let portal = spawn().await;
    set_price(&portal, "essentials", "19.99");
    set_price(&portal, "professional", "31.00");
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let month = previous_month();
    let period = month.to_string();

    // A month not run yet has no downloads.
    assert_eq!(download(&portal, &s, &format!("/billing/{period}.csv")).await.0, StatusCode::NOT_FOUND);
    let (status, body) = call::<FetchBillingRun>(&portal, &s, json!({ "period": period })).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "null"));

    let (first, first_body) = run(&portal, &s, &period).await;
    // Every demo customer that existed during the month has exactly one line (reconciliation).
    let owner = demo_reseller(&portal).await;
    let db = portal.database().await;
    let first_day = NaiveDate::from_ymd_opt(month.year(), month.month(), 1).unwrap();
    let mut expected: Vec<String> = customer::Entity::find()
        .filter(customer::Column::ResellerId.eq(owner.id))
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| {
            let created = domain::common::local_date(c.created_at, &owner.time_zone);
            let created_month = Period::new(created.year(), created.month()).unwrap();
            created_month <= month && c.terminate_on.is_none_or(|t| t > first_day)
        })
        .map(|c| c.name)
        .collect();
    expected.sort_by_key(|n| n.to_lowercase());
    let names: Vec<String> = first.lines.iter().map(|l| l.customer_name.clone()).collect();
    assert_eq!(names, expected);
    assert!(!names.is_empty(), "the demo has customers in the previous month");
    if let Some(in_house) = first.lines.iter().find(|l| l.customer_name == "Demo Reseller (in-house)") {
        assert_eq!((in_house.quantity, in_house.value.as_str()), (0, "0.00"));
    }

    let (status, content_type, disposition, csv) = download(&portal, &s, &format!("/billing/{period}.csv")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "text/csv; charset=utf-8");
    assert_eq!(disposition, format!("attachment; filename=\"billing-demo-reseller-{period}.csv\""));
    let text = String::from_utf8(csv.clone()).unwrap();
    assert_eq!(text.lines().next(), Some("tenant_code,customer_name,product_type,part_number,quantity,days_in_period,from,to,unit_price,value"));
    assert_eq!(text.lines().count(), first.lines.len() + 1);
    let (status, content_type, disposition, json_bytes) = download(&portal, &s, &format!("/billing/{period}.json")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/json");
    assert_eq!(disposition, format!("attachment; filename=\"billing-demo-reseller-{period}.json\""));
    assert_eq!(serde_json::from_slice::<BillingRun>(&json_bytes).unwrap(), first);

    // The world changes: a new customer in that month, new prices, a later time zone change.
    insert(&portal, NewCustomer::paying("Zephyr Late Entry", "essentials", Utc.from_utc_datetime(&first_day.and_hms_opt(12, 0, 0).unwrap()))).await;
    set_price(&portal, "essentials", "99.00");
    let mut tz: reseller::ActiveModel = owner.into();
    tz.time_zone = Set("Pacific/Auckland".into());
    tz.update(&db).await.unwrap();

    // Running again returns the record, unchanged; nothing new is stored or logged.
    let (again, again_body) = run(&portal, &s, &period).await;
    assert_eq!(again_body, first_body);
    assert_eq!(again, first);
    assert_eq!(stored_runs(&portal, &period).await, 1);
    assert_eq!(run_entries(&portal).await, 1);
    let (status, body) = call::<FetchBillingRun>(&portal, &s, json!({ "period": period })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(serde_json::from_str::<Option<BillingRun>>(&body).unwrap(), Some(first));
    assert_eq!(download(&portal, &s, &format!("/billing/{period}.csv")).await.3, csv, "the CSV is byte for byte the same");
    assert_eq!(download(&portal, &s, &format!("/billing/{period}.json")).await.3, json_bytes, "the JSON is byte for byte the same");

    // Unknown formats and malformed months are simply not there.
    for path in [format!("/billing/{period}.xlsx"), "/billing/2025-6.csv".into(), "/billing/latest.json".into()] {
        assert_eq!(download(&portal, &s, &path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn other_resellers_and_users_without_billing_administrator_get_nothing() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let period = previous_month().to_string();
    run(&portal, &s, &period).await;
    let csv = format!("/billing/{period}.csv");
    assert_eq!(download(&portal, &s, &csv).await.0, StatusCode::OK);

    // Another reseller: the month is "not run", exactly like a missing one.
    let other = portal.sign_in(OTHER_EMAIL, DEMO_PASSWORD).await;
    for path in [csv.clone(), format!("/billing/{period}.json")] {
        let (status, _, _, body) = download(&portal, &other, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!String::from_utf8_lossy(&body).contains("Acme"), "{path}");
    }
    let (status, body) = call::<FetchBillingRun>(&portal, &other, json!({ "period": period })).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "null"));
    let (_, body) = call::<BillingRuns>(&portal, &other, json!({})).await;
    assert!(serde_json::from_str::<BillingOverview>(&body).unwrap().runs.is_empty(), "{body}");

    // Signed out: the download sends the browser to sign in.
    let res = portal.get(&csv, None).await;
    assert!(res.status().is_redirection(), "{}", res.status());
    assert!(location(&res).unwrap().starts_with("/login?next="));

    // Without Billing Administrator: 403 everywhere, and the month is not run for them.
    let db = portal.database().await;
    let user = reseller_user::Entity::find().filter(reseller_user::Column::EmailKey.eq(DEMO_EMAIL)).one(&db).await.unwrap().unwrap();
    let mut user: reseller_user::ActiveModel = user.into();
    user.permissions = Set(model::Permissions::from_iter([model::Permission::WebsiteAccess, model::Permission::CustomerAdministrator]).bits() as i32);
    user.update(&db).await.unwrap();
    assert_eq!(download(&portal, &s, &csv).await.0, StatusCode::FORBIDDEN);
    let earlier = previous_month().previous().to_string();
    for (status, body) in [
        call::<BillingRuns>(&portal, &s, json!({})).await,
        call::<FetchBillingRun>(&portal, &s, json!({ "period": period })).await,
        call::<RunBilling>(&portal, &s, json!({ "period": earlier })).await,
    ] {
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    assert_eq!(stored_runs(&portal, &earlier).await, 0);
}

#[tokio::test]
async fn concurrent_runs_of_one_month_store_one_run() {
    let portal = spawn().await;
    set_price(&portal, "professional", "12.50");
    let sessions = [portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await, portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await];
    let period = previous_month().to_string();
    let racers = (0..4).map(|i| {
        let (portal, session, period) = (&portal, sessions[i % 2].as_str(), period.as_str());
        async move { call::<RunBilling>(portal, session, json!({ "period": period })).await }
    });
    let answers = futures::future::join_all(racers).await;
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::OK, "{body}");
        assert_eq!(body, &answers[0].1, "every caller gets the one stored run");
    }
    assert_eq!(stored_runs(&portal, &period).await, 1);
    assert_eq!(run_entries(&portal).await, 1);
}
