//! The customer life cycle over the server functions: disable / re-enable, terminate now or on
//! a date (confirmed by the customer's name), trials converted, extended and run out, the
//! warning email — and the scheduler doing dated work exactly once, also when two processes
//! race for it.

use crate::support::*;
use app::api::customers::*;
use chrono::{Duration, Utc};
use domain::entity::{activity, customer, outbox, pbx_connection, reseller_user};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{json, Value};

async fn call<S: WireFn>(portal: &TestPortal, session: &str, body: Value) -> (StatusCode, Value) {
    call_fn::<S>(portal, Some(session), body).await
}

fn fields(body: &Value) -> Vec<String> {
    invalid_fields(body)
}

async fn row(portal: &TestPortal, name: &str) -> customer::Model {
    customer::Entity::find().filter(customer::Column::Name.eq(name)).one(&portal.database().await).await.unwrap().unwrap()
}

async fn actions(portal: &TestPortal, id: uuid::Uuid, action: &str) -> Vec<activity::Model> {
    activity::Entity::find()
        .filter(activity::Column::CustomerId.eq(id))
        .filter(activity::Column::Action.eq(action))
        .all(&portal.database().await)
        .await
        .unwrap()
}

/// Today in the demo reseller's time zone.
fn today() -> chrono::NaiveDate {
    domain::common::local_date(Utc::now(), "Europe/London")
}

#[tokio::test]
async fn disable_and_reenable_change_the_status_everywhere_and_are_logged() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let acme = row(&portal, "Acme Logistics").await;
    let id = acme.id.to_string();
    let (code, body) = call::<DisableCustomer>(&portal, &s, json!({ "id": id })).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let after = row(&portal, "Acme Logistics").await;
    assert_eq!(after.status, domain::entity::customer::Status::Disabled);
    assert!(after.search_text.contains("disabled"), "the grid finds it by its new status");
    assert_eq!(after.version, acme.version + 1);
    // Disabling again changes nothing.
    let (code, _) = call::<DisableCustomer>(&portal, &s, json!({ "id": id })).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(actions(&portal, acme.id, "customer.disabled").await.len(), 1);

    let (code, body) = call::<ReenableCustomer>(&portal, &s, json!({ "id": id })).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let again = row(&portal, "Acme Logistics").await;
    assert_eq!(again.status, domain::entity::customer::Status::Active);
    assert!(again.search_text.contains("active"));
    assert_eq!(actions(&portal, acme.id, "customer.reenabled").await[0].actor, "Dana Demo");

    // Another reseller's customer is like a missing one; no permission, no change.
    let other = portal.sign_in(OTHER_EMAIL, DEMO_PASSWORD).await;
    for call_it in [
        call::<DisableCustomer>(&portal, &other, json!({ "id": id })).await,
        call::<TerminateCustomer>(&portal, &other, json!({ "id": id, "confirm_name": "Acme Logistics", "on": null })).await,
        call::<ConvertTrial>(&portal, &other, json!({ "id": id })).await,
    ] {
        assert_eq!(call_it.0, StatusCode::NOT_FOUND, "{:?}", call_it.1);
    }
    let db = portal.database().await;
    let user = reseller_user::Entity::find().filter(reseller_user::Column::EmailKey.eq(DEMO_EMAIL)).one(&db).await.unwrap().unwrap();
    let mut user: reseller_user::ActiveModel = user.into();
    user.permissions = Set(model::Permissions::from_iter([model::Permission::WebsiteAccess]).bits() as i32);
    user.update(&db).await.unwrap();
    let (code, _) = call::<DisableCustomer>(&portal, &s, json!({ "id": id })).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    assert_eq!(row(&portal, "Acme Logistics").await.status, domain::entity::customer::Status::Active);
}

#[tokio::test]
async fn terminating_now_needs_the_name_and_makes_the_customer_read_only() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let acme = row(&portal, "Acme Logistics").await;
    let id = acme.id.to_string();
    let (code, body) = call::<TerminateCustomer>(&portal, &s, json!({ "id": id, "confirm_name": "Acme", "on": null })).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["confirm_name"]);
    assert_eq!(row(&portal, "Acme Logistics").await, acme, "a refused termination changes nothing");

    let (code, body) = call::<TerminateCustomer>(&portal, &s, json!({ "id": id, "confirm_name": "  acme LOGISTICS ", "on": null })).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let gone = row(&portal, "Acme Logistics").await;
    assert_eq!((gone.status, gone.terminate_on), (domain::entity::customer::Status::Terminated, Some(today())));
    let db = portal.database().await;
    let conn = pbx_connection::Entity::find().filter(pbx_connection::Column::CustomerId.eq(acme.id)).one(&db).await.unwrap().unwrap();
    assert_eq!(conn.sync_due_at, None, "its PBX sync stops");

    // Read-only, and nothing reinstates it.
    for (code, body) in [
        call::<ReenableCustomer>(&portal, &s, json!({ "id": id })).await,
        call::<DisableCustomer>(&portal, &s, json!({ "id": id })).await,
        call::<TerminateCustomer>(&portal, &s, json!({ "id": id, "confirm_name": "Acme Logistics", "on": null })).await,
        call::<SyncCustomerNow>(&portal, &s, json!({ "id": id })).await,
        call::<CancelTermination>(&portal, &s, json!({ "id": id })).await,
    ] {
        assert_eq!(code, StatusCode::CONFLICT, "{body}");
        assert!(body.to_string().contains("terminated"), "{body}");
    }
    assert_eq!(row(&portal, "Acme Logistics").await, gone);
}

#[tokio::test]
async fn a_scheduled_termination_can_be_cancelled_and_otherwise_happens_once_on_its_day() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let acme = row(&portal, "Acme Logistics").await;
    let id = acme.id.to_string();
    for (day, why) in [(today().to_string(), "today"), ("2020-01-01".into(), "past"), ("01/12/2030".into(), "format"), ((today() + Duration::days(2000)).to_string(), "far")] {
        let (code, body) = call::<TerminateCustomer>(&portal, &s, json!({ "id": id, "confirm_name": "Acme Logistics", "on": day })).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {body}");
        assert_eq!(fields(&body), ["terminate_on"], "{why}");
    }
    let day = today() + Duration::days(10);
    let (code, body) = call::<TerminateCustomer>(&portal, &s, json!({ "id": id, "confirm_name": "Acme Logistics", "on": day.to_string() })).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let scheduled = row(&portal, "Acme Logistics").await;
    assert_eq!((scheduled.status, scheduled.terminate_on), (domain::entity::customer::Status::Active, Some(day)));
    let (_, detail) = call::<LoadCustomer>(&portal, &s, json!({ "id": id })).await;
    assert_eq!(detail["terminate_on"], json!(day.to_string()));

    let (code, _) = call::<CancelTermination>(&portal, &s, json!({ "id": id })).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(row(&portal, "Acme Logistics").await.terminate_on, None);
    assert_eq!(actions(&portal, acme.id, "customer.termination_cancelled").await.len(), 1);

    // Scheduled again; its day comes (the row is moved back, as if time had passed) and two
    // server processes' schedulers race for it: it is terminated once.
    let (code, _) = call::<TerminateCustomer>(&portal, &s, json!({ "id": id, "confirm_name": "Acme Logistics", "on": day.to_string() })).await;
    assert_eq!(code, StatusCode::OK);
    let db = portal.database().await;
    customer::Entity::update_many().col_expr(customer::Column::TerminateOn, Expr::value(Some(today()))).filter(customer::Column::Id.eq(acme.id)).exec(&db).await.unwrap();
    let other = portal.database().await;
    let (a, b) = tokio::join!(domain::lifecycle::run_due(&db), domain::lifecycle::run_due(&other));
    assert_eq!(a.unwrap().terminated + b.unwrap().terminated, 1);
    let done = row(&portal, "Acme Logistics").await;
    assert_eq!((done.status, done.terminate_on), (domain::entity::customer::Status::Terminated, Some(today())));
    let log = actions(&portal, acme.id, "customer.terminated").await;
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].actor.as_str(), log[0].summary.clone()), ("System", format!("Terminated as scheduled for {}.", today())));
    assert_eq!(domain::lifecycle::run_due(&db).await.unwrap().terminated, 0, "nothing is left to do");
}

#[tokio::test]
async fn trials_are_converted_extended_warned_about_and_run_out_once() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let delta = row(&portal, "Delta Insurance Brokers").await;
    let id = delta.id.to_string();
    let end = delta.trial_expires_on.expect("Delta is on a trial");
    let db = portal.database().await;
    let latest = domain::common::local_date(delta.created_at, "Europe/London") + Duration::days(60);

    // The grid announces it (it ends within a week).
    let (_, page) = call::<ListCustomers>(&portal, &s, json!({ "query": model::customer::GridQuery::default() })).await;
    assert_eq!(page["trials_ending_soon"], json!(1));

    // The scheduler emails the customer administrators once per end date.
    let done = domain::lifecycle::run_due(&db).await.unwrap();
    assert_eq!(done.warned, 1);
    let warnings = || async { outbox::Entity::find().filter(outbox::Column::Kind.eq("trial_ending")).all(&portal.database().await).await.unwrap() };
    let mail = warnings().await;
    assert_eq!(mail.len(), 1, "the demo reseller has one customer administrator");
    assert_eq!(mail[0].to_address, DEMO_EMAIL);
    assert_eq!(mail[0].subject, format!("The trial of Delta Insurance Brokers ends on {end}"));
    assert_eq!(domain::lifecycle::run_due(&db).await.unwrap().warned, 0);

    // Extending: later than now, within 60 days of its first day.
    for (day, field) in [(end.to_string(), "trial_expires_on"), ((latest + Duration::days(1)).to_string(), "trial_expires_on")] {
        let (code, body) = call::<ExtendTrial>(&portal, &s, json!({ "id": id, "until": day })).await;
        assert_eq!((code, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec![field.to_owned()]), "{body}");
    }
    let new_end = end + Duration::days(1);
    let (code, body) = call::<ExtendTrial>(&portal, &s, json!({ "id": id, "until": new_end.to_string() })).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(row(&portal, "Delta Insurance Brokers").await.trial_expires_on, Some(new_end));
    assert_eq!(domain::lifecycle::run_due(&db).await.unwrap().warned, 1, "the new end date is announced too");
    assert_eq!(warnings().await.len(), 2);

    // Its last day passes: two schedulers race, it becomes a paying account once.
    let yesterday = today() - Duration::days(1);
    customer::Entity::update_many().col_expr(customer::Column::TrialExpiresOn, Expr::value(Some(yesterday))).filter(customer::Column::Id.eq(delta.id)).exec(&db).await.unwrap();
    let other = portal.database().await;
    let (a, b) = tokio::join!(domain::lifecycle::run_due(&db), domain::lifecycle::run_due(&other));
    assert_eq!(a.unwrap().converted + b.unwrap().converted, 1);
    let paid = row(&portal, "Delta Insurance Brokers").await;
    assert_eq!((paid.trial_expires_on, paid.trial_ended_on), (None, Some(yesterday)), "billing still knows the trial's days");
    let log = actions(&portal, delta.id, "customer.trial_converted").await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].summary, format!("The trial ended on {yesterday}: now a paying account."));
    let (code, body) = call::<ConvertTrial>(&portal, &s, json!({ "id": id })).await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
}

#[tokio::test]
async fn convert_to_paid_now_ends_the_trial_yesterday() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let delta = row(&portal, "Delta Insurance Brokers").await;
    let (code, body) = call::<ConvertTrial>(&portal, &s, json!({ "id": delta.id.to_string() })).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let paid = row(&portal, "Delta Insurance Brokers").await;
    assert_eq!((paid.trial_expires_on, paid.trial_ended_on), (None, Some(today() - Duration::days(1))));
    assert_eq!(actions(&portal, delta.id, "customer.trial_converted").await[0].actor, "Dana Demo");
    let (_, page) = call::<ListCustomers>(&portal, &s, json!({ "query": model::customer::GridQuery::default() })).await;
    assert_eq!(page["trials_ending_soon"], json!(0));
}

#[tokio::test]
async fn the_running_scheduler_does_the_work_on_its_own() {
    let portal = spawn_with(&[], |p| p.scheduler = Some(server::scheduler::Scheduler { interval: std::time::Duration::from_millis(100) })).await;
    let db = portal.database().await;
    for _ in 0..100 {
        if outbox::Entity::find().filter(outbox::Column::Kind.eq("trial_ending")).count(&db).await.unwrap() == 1 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the scheduler did not announce Delta's trial");
}

/// The query plan of `select` on SQLite, one step a line.
async fn sqlite_plan(db: &sea_orm::DatabaseConnection, select: sea_orm::Select<customer::Entity>) -> String {
    use sea_orm::{ConnectionTrait, QueryTrait};
    let mut statement = select.build(sea_orm::DbBackend::Sqlite);
    statement.sql = format!("EXPLAIN QUERY PLAN {}", statement.sql);
    let rows = db.query_all_raw(statement).await.unwrap();
    rows.iter().map(|r| r.try_get::<String>("", "detail").unwrap()).collect::<Vec<_>>().join("\n")
}

/// Dated work and the grid's "trials ending soon" count read the partial indexes on due days,
/// so they are bounded by what is due, not by the number of customers. Checked on SQLite's
/// plan; PostgreSQL rightly scans a test-sized table whole, so its plan would prove nothing.
#[tokio::test]
async fn dated_work_and_the_trial_count_read_the_due_day_indexes() {
    let portal = spawn().await;
    let db = portal.database().await;
    if db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return;
    }
    // Enough customers for the planner to have a real choice between the reseller's indexes and
    // the day's: 3,000 in the demo reseller, one in ten on a trial, some due for termination.
    let acme = row(&portal, "Acme Logistics").await;
    let today = Utc::now().date_naive();
    let rows: Vec<customer::ActiveModel> = (0..3000)
        .map(|i| {
            let name = format!("Planner Test {i:04}");
            customer::ActiveModel {
                id: Set(uuid::Uuid::new_v4()),
                name_key: Set(name.to_lowercase()),
                search_text: Set(name.to_lowercase()),
                name: Set(name),
                trial_expires_on: Set((i % 10 == 0).then(|| today + Duration::days(i % 60))),
                terminate_on: Set((i % 97 == 0).then(|| today + Duration::days(30))),
                // Most trials ending soon were warned about already: the scheduler must not read them.
                trial_warned_for: Set((i % 10 == 0 && i % 30 != 0).then(|| today + Duration::days(i % 60))),
                request_key: Set(None),
                ..acme.clone().into()
            }
        })
        .collect();
    for chunk in rows.chunks(500) {
        customer::Entity::insert_many(chunk.to_vec()).exec(&db).await.unwrap();
    }
    domain::db::optimize(&db).await.unwrap();

    let demo = domain::operator::act_as(&db, DEMO_EMAIL).await.unwrap().reseller_id;
    // Either trial index bounds the work by the day (across resellers SQLite may skip-scan the
    // per-reseller one: a seek per reseller, still not a read per customer).
    let trial_indexes: &[&str] = &["customers_due_trial", "customers_trials_of_reseller"];
    for (what, select, indexes) in [
        ("terminations due", domain::lifecycle::terminations_due(today), &["customers_due_termination"][..]),
        ("trials ended", domain::lifecycle::trials_ended(today), trial_indexes),
        ("trials ending", domain::lifecycle::trials_ending(today, today), &["customers_trials_to_warn"][..]),
        ("the grid's trial count", domain::customers::trials_ending_soon_query(demo, today), &["customers_trials_of_reseller"][..]),
    ] {
        let plan = sqlite_plan(&db, select).await;
        let bounded = plan.lines().count() == 1
            && plan.starts_with("SEARCH customers USING ")
            && indexes.iter().any(|index| plan.contains(&format!("INDEX {index} (")))
            && (plan.contains("trial_expires_on<") || plan.contains("terminate_on<"));
        assert!(bounded, "{what} reads one of {indexes:?}, bounded by the day:\n{plan}");
    }
}
