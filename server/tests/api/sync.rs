//! Syncing customers' users from their PBX: the real sync worker, over HTTP, against the Kazoo
//! simulator on a free port — imports, matching, removals, failures and retries, one sync at a
//! time across two server processes, and who may see or start a sync.

use crate::support::*;
use app::api::customers::*;
use app::api::pbx_templates::{CreatePbxTemplate, UpdatePbxTemplate};
use domain::entity::{activity, customer, customer_user, pbx_connection, pbx_sync_run, reseller_user};
use leptos::server_fn::ServerFn;
use model::customer_form::{DetailsForm, NewCustomer, PrimaryUserForm};
use model::pbx::{ConnectionForm, PbxKind, TemplateForm, TemplateSummary};
use model::roles::Roles;
use model::sync::{Outcome, Reason, SyncState, SyncStatus};
use reqwest::header::ORIGIN;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{json, Value};
use server::simulator::{SimulatorState, serve_kazoo};
use std::time::Duration;

const KEY: &str = "sync-test-key";
const ACCOUNT: &str = "c0ffee00000000000000000000000001";

async fn call<S: WireFn>(portal: &TestPortal, session: &str, body: Value) -> (StatusCode, Value) {
    call_fn::<S>(portal, Some(session), body).await
}

/// The simulator on a free port; returns its REST API URL.
async fn simulator(state: SimulatorState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v2", listener.local_addr().unwrap());
    tokio::spawn(serve_kazoo(listener, state));
    url
}

/// A portal whose sync worker runs.
async fn syncing_portal() -> TestPortal {
    spawn_with(&[], |p| p.syncer = Some(sync_worker(p))).await
}

async fn template(portal: &TestPortal, s: &str, name: &str, api_url: &str, key: &str) -> TemplateSummary {
    let form = TemplateForm {
        name: name.into(),
        kind: PbxKind::Kazoo,
        api_url: api_url.into(),
        websocket_url: "wss://kazoo.example.com:5443".into(),
        secret: key.into(),
        ..TemplateForm::default()
    };
    let (status, body) = call::<CreatePbxTemplate>(portal, s, json!({ "form": form })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).unwrap()
}

/// Creates a customer on `template_id`; returns its Tenant ID.
async fn create_customer(portal: &TestPortal, s: &str, name: &str, template_id: i64, account: &str, sub_accounts: bool, agents: bool) -> String {
    let c = NewCustomer {
        request_key: uuid::Uuid::new_v4().simple().to_string(),
        details: DetailsForm { name: name.into(), product_type: "professional".into(), country: "GB".into(), ..DetailsForm::default() },
        primary_user: PrimaryUserForm { display_name: "Pat Primary".into(), email: "pat@primary.example".into() },
        connection: ConnectionForm {
            template_id: Some(template_id),
            account_id: account.into(),
            auto_provision_sub_accounts: sub_accounts,
            auto_agent_addon: agents,
            ..ConnectionForm::default()
        },
        roles: Roles::primary_default(),
    };
    let (status, body) = call::<CreateCustomer>(portal, s, json!({ "customer": c })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_str().unwrap().to_owned()
}

async fn status(portal: &TestPortal, s: &str, id: &str) -> SyncStatus {
    let (code, body) = call::<CustomerSyncStatus>(portal, s, json!({ "id": id })).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    serde_json::from_value::<Option<SyncStatus>>(body).unwrap().expect("the customer has a connection")
}

/// Waits until the newest run is finished and at least `runs` runs exist.
async fn settled(portal: &TestPortal, s: &str, id: &str, runs: usize) -> SyncStatus {
    for _ in 0..300 {
        let st = status(portal, s, id).await;
        if st.runs.len() >= runs && st.runs.first().is_some_and(|r| r.outcome != Outcome::Running) {
            return st;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no finished sync run #{runs} after 15 s: {:?}", status(portal, s, id).await);
}

async fn users_of(portal: &TestPortal, id: &str) -> Vec<customer_user::Model> {
    let id: uuid::Uuid = id.parse().unwrap();
    customer_user::Entity::find()
        .filter(customer_user::Column::CustomerId.eq(id))
        .order_by_asc(customer_user::Column::Id)
        .all(&portal.database().await)
        .await
        .unwrap()
}

async fn sync_now(portal: &TestPortal, s: &str, id: &str) {
    let (code, body) = call::<SyncCustomerNow>(portal, s, json!({ "id": id })).await;
    assert_eq!(code, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_new_customer_gets_its_pbx_users_with_sub_accounts_and_agents() {
    let sim = SimulatorState::new(KEY, ACCOUNT, "Acme Corp", 120);
    let url = simulator(sim.clone()).await;
    let portal = syncing_portal().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let t = template(&portal, &s, "Acme Kazoo", &url, KEY).await;
    let id = create_customer(&portal, &s, "Acme Corp", t.id, ACCOUNT, true, true).await;

    let st = settled(&portal, &s, &id, 1).await;
    let run = &st.runs[0];
    assert_eq!(run.outcome, Outcome::Succeeded, "{run:?}");
    assert_eq!(run.reason, Reason::Created);
    assert_eq!((run.counts.found, run.counts.added, run.counts.updated, run.counts.failed), (128, 128, 0, 0));
    assert_eq!(run.counts.sub_accounts, 2);
    assert!(matches!(st.state, SyncState::Synced { .. }), "{:?}", st.state);
    assert!(st.next_at.is_some() && !st.due_now && st.can_sync_now);

    let users = users_of(&portal, &id).await;
    assert_eq!(users.len(), 129, "the primary user and 120 + 5 + 3 from the PBX");
    let imported: Vec<_> = users.iter().filter(|u| u.source == domain::entity::customer_user::Source::Pbx).collect();
    assert_eq!(imported.len(), 128);
    assert!(imported.iter().all(|u| u.pbx_id.is_some() && u.invitation == model::roles::Invitation::NotInvited && !u.user_admin && !u.professional));
    // Every 7th simulated user is in an ACDc queue: those get the Agent add-on (and the
    // Essential licence it needs); the others no access at all.
    let agents: Vec<_> = imported.iter().filter(|u| u.agent).collect();
    assert_eq!(agents.len(), 17, "users 7, 14, … 119 of the top account; the sub-accounts have fewer than 7");
    assert!(agents.iter().all(|u| u.essential));
    assert!(imported.iter().filter(|u| !u.agent).all(|u| !u.essential && !u.real_time && u.supervisor == model::roles::Supervisor::None));
    assert!(users.iter().any(|u| u.email == "ada.adams@acme-corp-east.example"), "sub-account users are imported");

    // A second sync finds the same users and changes nothing; no duplicates ever.
    sync_now(&portal, &s, &id).await;
    let st = settled(&portal, &s, &id, 2).await;
    let run = &st.runs[0];
    assert_eq!((run.reason, run.outcome), (Reason::Manual, Outcome::Succeeded), "{run:?}");
    assert_eq!((run.counts.found, run.counts.added, run.counts.unchanged), (128, 0, 128));
    assert_eq!(users_of(&portal, &id).await.len(), 129);

    // The Users tab pages and searches on the server.
    let page = |search: &str, page: u32| {
        let body = json!({ "id": id, "query": { "search": search, "page": page } });
        let portal = &portal;
        let s = &s;
        async move {
            let (code, body) = call::<CustomerUsers>(portal, s, body).await;
            assert_eq!(code, StatusCode::OK, "{body}");
            serde_json::from_value::<model::customer_form::UserPage>(body).unwrap()
        }
    };
    let first = page("", 1).await;
    assert_eq!((first.users.len(), first.matching, first.total, first.pages()), (50, 129, 129, 3));
    let last = page("", 99).await;
    assert_eq!((last.page, last.users.len()), (3, 29), "a page past the end shows the last one");
    let found = page("ADA ADAMS", 1).await;
    assert_eq!((found.matching, found.total), (3, 129), "Ada Adams of the account and of both sub-accounts");
    assert!(found.users.iter().all(|u| u.display_name == "Ada Adams" && u.from_pbx));
    assert_eq!(page("@acme-corp-west.example", 1).await.matching, 3, "emails match too");
    assert_eq!(page("100%", 1).await.matching, 0, "wildcards match literally");

    let db = portal.database().await;
    let customer_id: uuid::Uuid = id.parse().unwrap();
    let log = activity::Entity::find()
        .filter(activity::Column::Action.eq("pbx.sync_succeeded"))
        .filter(activity::Column::CustomerId.eq(customer_id))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(log.len(), 1, "only a sync that changed something is logged");
    assert_eq!(log[0].summary, "PBX sync: 128 users found: 128 added.");
    assert_eq!(log[0].actor, "PBX sync");
}

#[tokio::test]
async fn users_are_matched_by_pbx_id_then_email_and_reseller_users_are_never_deleted() {
    let sim = SimulatorState::new(KEY, ACCOUNT, "Acme Corp", 10);
    let url = simulator(sim.clone()).await;
    let portal = syncing_portal().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let t = template(&portal, &s, "Acme Kazoo", &url, KEY).await;
    // Created disabled, so the reseller's own user exists before the first sync.
    let c = NewCustomer {
        request_key: uuid::Uuid::new_v4().simple().to_string(),
        details: DetailsForm { name: "Acme Corp".into(), product_type: "professional".into(), country: "GB".into(), ..DetailsForm::default() },
        primary_user: PrimaryUserForm { display_name: "Ada (our contact)".into(), email: "ADA.ADAMS@acme-corp.example".into() },
        connection: ConnectionForm { template_id: Some(t.id), account_id: ACCOUNT.into(), create_disabled: true, ..ConnectionForm::default() },
        roles: Roles::primary_default(),
    };
    let (code, body) = call::<CreateCustomer>(&portal, &s, json!({ "customer": c })).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let id = body.as_str().unwrap().to_owned();
    let st = status(&portal, &s, &id).await;
    assert_eq!(st.state, SyncState::Disabled);
    assert!(!st.can_sync_now && st.next_at.is_none());
    let (code, body) = call::<SyncCustomerNow>(&portal, &s, json!({ "id": id })).await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
    assert!(body.to_string().contains("enable it to sync"), "{body}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(status(&portal, &s, &id).await.runs.len(), 0, "a disabled connection never syncs");

    // Enabling the connection schedules a sync.
    let (_, view) = call::<CustomerConnection>(&portal, &s, json!({ "id": id })).await;
    let form: ConnectionForm = serde_json::from_value(view["form"].clone()).unwrap();
    let (code, body) = call::<UpdateConnection>(&portal, &s, json!({ "id": id, "version": view["version"], "form": form, "enabled": true })).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let st = settled(&portal, &s, &id, 1).await;
    assert_eq!(st.runs[0].reason, Reason::Enabled);
    let counts = st.runs[0].counts;
    assert_eq!((counts.found, counts.added, counts.updated), (10, 9, 1), "Ada is matched by email, not added again");
    let users = users_of(&portal, &id).await;
    assert_eq!(users.len(), 10);
    let ada = users.iter().find(|u| u.email_key == "ada.adams@acme-corp.example").unwrap();
    assert_eq!(ada.source, domain::entity::customer_user::Source::Portal);
    assert_eq!(ada.display_name, "Ada (our contact)", "the reseller's name for their own user is kept");
    let ada_pbx_id = ada.pbx_id.clone().expect("linked to the PBX user");

    // The PBX renames a user and drops most others; one of those was given a role meanwhile.
    let imported: Vec<_> = users.iter().filter(|u| u.source == domain::entity::customer_user::Source::Pbx).cloned().collect();
    let renamed = imported[0].pbx_id.clone().unwrap();
    sim.rename_user(ACCOUNT, &renamed, "Benedict", "Brooks");
    let kept_with_role = imported.last().unwrap().clone();
    let (code, body) = call::<SetCustomerUserRoles>(
        &portal,
        &s,
        json!({ "id": id, "user_id": kept_with_role.id, "version": kept_with_role.version, "roles": Roles::default().with(model::roles::Role::Essential, true) }),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    sim.keep_users(ACCOUNT, 3);
    sync_now(&portal, &s, &id).await;
    let st = settled(&portal, &s, &id, 2).await;
    let counts = st.runs[0].counts;
    assert_eq!((counts.found, counts.updated, counts.unchanged, counts.removed), (3, 1, 2, 6), "{:?}", st.runs[0]);
    let users = users_of(&portal, &id).await;
    assert!(users.iter().any(|u| u.pbx_id.as_deref() == Some(renamed.as_str()) && u.display_name == "Benedict Brooks"));
    assert!(users.iter().any(|u| u.id == kept_with_role.id), "a user with a role stays although the PBX dropped them");
    assert!(users.iter().any(|u| u.pbx_id.as_deref() == Some(ada_pbx_id.as_str())), "the reseller's user stays");
    assert_eq!(users.len(), 4, "Ada, the renamed user, the third listed user, and the one with a role");
}

#[tokio::test]
async fn a_wrong_key_fails_clearly_retries_with_backoff_and_recovers_when_fixed() {
    let sim = SimulatorState::new(KEY, ACCOUNT, "Acme Corp", 5);
    let url = simulator(sim.clone()).await;
    let portal = syncing_portal().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let t = template(&portal, &s, "Acme Kazoo", &url, "not-the-key").await;
    let id = create_customer(&portal, &s, "Acme Corp", t.id, ACCOUNT, false, false).await;

    let st = settled(&portal, &s, &id, 1).await;
    assert_eq!(st.state, SyncState::Failed { at: st.runs[0].finished_at.clone().unwrap(), error: "The PBX rejected the API key".into() });
    assert_eq!(users_of(&portal, &id).await.len(), 1);
    // Retries follow (300 ms, 600 ms, … in the tests' timing), each marked as a retry.
    let st = settled(&portal, &s, &id, 3).await;
    assert!(st.runs.iter().take(2).all(|r| r.reason == Reason::Retry && r.outcome == Outcome::Failed));
    let db = portal.database().await;
    let conn = pbx_connection::Entity::find().filter(pbx_connection::Column::TemplateId.eq(t.id)).one(&db).await.unwrap().unwrap();
    assert!(conn.sync_failures >= 3);
    let failures = activity::Entity::find().filter(activity::Column::Action.eq("pbx.sync_failed")).all(&db).await.unwrap();
    assert_eq!(failures.len(), 1, "one log entry per streak of failures");
    assert_eq!(failures[0].summary, "PBX sync failed: The PBX rejected the API key");

    // Fixing the template's key: the next retry imports the users.
    let form = TemplateForm {
        name: "Acme Kazoo".into(),
        kind: PbxKind::Kazoo,
        api_url: url.clone(),
        websocket_url: "wss://kazoo.example.com:5443".into(),
        secret: KEY.into(),
        ..TemplateForm::default()
    };
    let (code, body) = call::<UpdatePbxTemplate>(&portal, &s, json!({ "id": t.id, "version": t.version, "form": form })).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    // Changing the template's key schedules its customers' syncs at once.
    for _ in 0..100 {
        if matches!(status(&portal, &s, &id).await.state, SyncState::Synced { .. }) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let st = status(&portal, &s, &id).await;
    assert!(matches!(st.state, SyncState::Synced { .. }), "{st:?}");
    assert_eq!(st.runs[0].reason, Reason::Changed);
    assert_eq!(users_of(&portal, &id).await.len(), 6);
}

#[tokio::test]
async fn a_pbx_failing_midway_changes_no_user_and_the_retry_completes() {
    let sim = SimulatorState::new(KEY, ACCOUNT, "Acme Corp", 120);
    let url = simulator(sim.clone()).await;
    let portal = syncing_portal().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let t = template(&portal, &s, "Acme Kazoo", &url, KEY).await;
    let id = create_customer(&portal, &s, "Acme Corp", t.id, ACCOUNT, false, false).await;
    settled(&portal, &s, &id, 1).await;
    let before = users_of(&portal, &id).await;
    assert_eq!(before.len(), 121);

    // The PBX drops most users but its second page comes back as HTML: nothing may change.
    sim.keep_users(ACCOUNT, 60);
    sim.garble_after(2);
    sync_now(&portal, &s, &id).await;
    let st = settled(&portal, &s, &id, 2).await;
    let run = &st.runs[0];
    assert_eq!(run.outcome, Outcome::Failed);
    assert_eq!(run.error, "The PBX sent a response the portal could not read: the answer is not JSON");
    assert_eq!(users_of(&portal, &id).await, before, "a failed listing leaves every user as it was");

    // A slow PBX times out (2 s in the tests' timing) and is retried too.
    sim.repair();
    sim.set_delay(Duration::from_millis(2500));
    let st = settled(&portal, &s, &id, 3).await;
    assert_eq!(st.runs[0].error, "The PBX did not answer in time");
    assert_eq!(st.runs[0].reason, Reason::Retry);
    sim.set_delay(Duration::ZERO);
    for _ in 0..100 {
        if matches!(status(&portal, &s, &id).await.state, SyncState::Synced { .. }) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let st = status(&portal, &s, &id).await;
    assert!(matches!(st.state, SyncState::Synced { .. }), "{st:?}");
    assert_eq!(st.runs[0].counts.removed, 60);
    assert_eq!(users_of(&portal, &id).await.len(), 61);
}

#[tokio::test]
async fn two_server_processes_never_sync_one_connection_at_once() {
    let sim = SimulatorState::new(KEY, ACCOUNT, "Acme Corp", 300);
    sim.set_delay(Duration::from_millis(40));
    let url = simulator(sim.clone()).await;
    let first = syncing_portal().await;
    let second = spawn_sharing(&first, |p| p.syncer = Some(sync_worker(p))).await;
    let s1 = first.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let s2 = second.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let t = template(&first, &s1, "Acme Kazoo", &url, KEY).await;
    let id = create_customer(&first, &s1, "Acme Corp", t.id, ACCOUNT, true, false).await;
    // Both processes are asked again and again while runs go on.
    for round in 0..6 {
        let (portal, s) = if round % 2 == 0 { (&first, &s1) } else { (&second, &s2) };
        let _ = call::<SyncCustomerNow>(portal, s, json!({ "id": id })).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    settled(&first, &s1, &id, 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let st = settled(&second, &s2, &id, 2).await;

    let db = first.database().await;
    let runs = pbx_sync_run::Entity::find().order_by_asc(pbx_sync_run::Column::Id).all(&db).await.unwrap();
    let runs: Vec<_> = runs.into_iter().filter(|r| r.customer_id.to_string() == id).collect();
    assert!(runs.len() >= 2, "{runs:?}");
    for pair in runs.windows(2) {
        let finished = pair[0].finished_at.expect("finished");
        assert!(pair[1].started_at >= finished, "run {} started before run {} finished", pair[1].id, pair[0].id);
    }
    assert!(runs.iter().all(|r| r.outcome == model::sync::Outcome::Succeeded), "{runs:?}");
    assert_eq!(users_of(&first, &id).await.len(), 309);
    assert!(matches!(st.state, SyncState::Synced { .. }));
}

#[tokio::test]
async fn another_resellers_customer_is_like_a_missing_one_and_sync_now_needs_the_permission() {
    use model::{Permission, Permissions};
    let portal = spawn().await;
    let demo = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let other = portal.sign_in(OTHER_EMAIL, DEMO_PASSWORD).await;
    let db = portal.database().await;
    let acme = customer::Entity::find().filter(customer::Column::Name.eq("Acme Logistics")).one(&db).await.unwrap().unwrap();
    let id = acme.id.to_string();
    let st = status(&portal, &demo, &id).await;
    assert_eq!(st.state, SyncState::NeverSynced, "the demo's customers are due for a first sync");
    assert!(st.due_now);

    let missing = uuid::Uuid::new_v4().to_string();
    for target in [&id, &missing] {
        let (code, body) = call::<CustomerSyncStatus>(&portal, &other, json!({ "id": target })).await;
        assert_eq!(code, StatusCode::NOT_FOUND, "{body}");
        let (code, body) = call::<SyncCustomerNow>(&portal, &other, json!({ "id": target })).await;
        assert_eq!(code, StatusCode::NOT_FOUND, "{body}");
    }
    let res = portal.client.post(portal.url(SyncCustomerNow::PATH)).header(ORIGIN, &portal.base).body(wire_args::<SyncCustomerNow>(&json!({ "id": id }))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let user = reseller_user::Entity::find().filter(reseller_user::Column::EmailKey.eq(DEMO_EMAIL)).one(&db).await.unwrap().unwrap();
    let website_only: Permissions = [Permission::WebsiteAccess].into_iter().collect();
    let mut user: reseller_user::ActiveModel = user.into();
    user.permissions = Set(website_only.bits() as i32);
    user.update(&db).await.unwrap();
    let (code, _) = call::<SyncCustomerNow>(&portal, &demo, json!({ "id": id })).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    assert_eq!(status(&portal, &demo, &id).await.state, SyncState::NeverSynced, "viewing needs no more than signing in");
}

#[tokio::test]
async fn concurrent_claims_take_each_connection_once() {
    use domain::sync::claim_due;
    let portal = spawn().await;
    let db = portal.database().await;
    let due = pbx_connection::Entity::find().filter(pbx_connection::Column::Enabled.eq(true)).all(&db).await.unwrap().len();
    assert!(due >= 5, "the demo's enabled connections are due");
    let other = portal.database().await;
    let now = chrono::Utc::now();
    let fair = domain::sync::Fairness::default();
    let (a, b) = tokio::join!(claim_due(&db, now, Duration::from_secs(60), 100, &fair), claim_due(&other, now, Duration::from_secs(60), 100, &fair));
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut ids: Vec<i64> = a.iter().chain(b.iter()).map(|c| c.connection_id).collect();
    ids.sort();
    let total = ids.len();
    ids.dedup();
    assert_eq!((total, ids.len()), (due, due), "every due connection claimed exactly once");
    assert!(claim_due(&db, now, Duration::from_secs(60), 100, &Default::default()).await.unwrap().is_empty(), "claimed ones wait for their lease");
    let later = now + chrono::Duration::seconds(61);
    assert_eq!(claim_due(&db, later, Duration::from_secs(60), 100, &Default::default()).await.unwrap().len(), due, "an expired lease can be claimed again");
}

#[tokio::test]
async fn the_demo_customers_sync_from_the_built_in_simulator() {
    let portal = syncing_portal().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let db = portal.database().await;
    let by_name = |name: &'static str| {
        let db = db.clone();
        async move { customer::Entity::find().filter(customer::Column::Name.eq(name)).one(&db).await.unwrap().unwrap().id.to_string() }
    };
    let acme = by_name("Acme Logistics").await;
    let st = settled(&portal, &s, &acme, 1).await;
    assert!(matches!(st.state, SyncState::Synced { .. }), "{st:?}");
    let counts = st.runs[0].counts;
    assert_eq!((counts.found, counts.added, counts.sub_accounts), (44, 44, 2), "36 users and two sub-accounts of 5 and 3");
    let users = users_of(&portal, &acme).await;
    assert_eq!(users.len(), 45);
    assert!(users.iter().any(|u| u.agent && u.source == domain::entity::customer_user::Source::Pbx), "Acme gives agents the Agent add-on");

    // A terminated customer is never synced; a disabled connection shows as such.
    let granite = by_name("Granite Legal LLP").await;
    let fjord = by_name("Fjord Shipping AS").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let st = status(&portal, &s, &granite).await;
    assert!(st.runs.is_empty() && !st.can_sync_now && st.next_at.is_none(), "{st:?}");
    assert_eq!(status(&portal, &s, &fjord).await.state, SyncState::Disabled);
    assert_eq!(users_of(&portal, &granite).await.len(), 1);
}

/// A small Microsoft Entra token endpoint and Graph `/v1.0/users` for one directory, speaking
/// their documented JSON (10 users a page, linked by `@odata.nextLink`). Returns its URL.
async fn graph(tenant: &'static str, secret: &'static str, users: usize) -> String {
    use axum::extract::{Form, Path, Query};
    use axum::http::HeaderMap;
    use axum::routing::{get, post};
    use std::collections::HashMap;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let link_base = base.clone();
    let app = axum::Router::new()
        .route(
            "/{tenant}/oauth2/v2.0/token",
            post(move |Path(t): Path<String>, Form(form): Form<HashMap<String, String>>| async move {
                if t != tenant {
                    let body = json!({ "error": "invalid_request", "error_description": format!("AADSTS90002: Tenant '{t}' not found.") });
                    return (StatusCode::BAD_REQUEST, axum::Json(body));
                }
                if form.get("client_secret").map(String::as_str) != Some(secret) || form.get("grant_type").map(String::as_str) != Some("client_credentials") {
                    let body = json!({ "error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided." });
                    return (StatusCode::UNAUTHORIZED, axum::Json(body));
                }
                (StatusCode::OK, axum::Json(json!({ "token_type": "Bearer", "expires_in": 3599, "access_token": "graph-token" })))
            }),
        )
        .route(
            "/v1.0/users",
            get(move |headers: HeaderMap, Query(q): Query<HashMap<String, String>>| {
                let base = link_base.clone();
                async move {
                    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer graph-token") {
                        return (StatusCode::UNAUTHORIZED, axum::Json(json!({ "error": { "code": "InvalidAuthenticationToken", "message": "Access token is empty." } })));
                    }
                    let start: usize = q.get("$skiptoken").and_then(|v| v.parse().ok()).unwrap_or(0);
                    let top: usize = q.get("$top").and_then(|v| v.parse().ok()).unwrap_or(100).min(10);
                    let value: Vec<Value> = (start..users.min(start + top))
                        .map(|i| {
                            // The last user is a guest without a mailbox: no usable email.
                            if i + 1 == users {
                                json!({ "id": format!("guest-{i}"), "displayName": "Guest Without Mail", "mail": null, "userPrincipalName": "guest_x.example#EXT#@contoso.onmicrosoft.com" })
                            } else {
                                json!({ "id": format!("00000000-0000-4000-8000-{i:012}"), "displayName": format!("Member {i}"), "mail": format!("member{i}@contoso.example"), "userPrincipalName": format!("member{i}@contoso.example") })
                            }
                        })
                        .collect();
                    let mut body = json!({ "@odata.context": format!("{base}/v1.0/$metadata#users"), "value": value });
                    if start + top < users {
                        body["@odata.nextLink"] = json!(format!("{base}/v1.0/users?$top={top}&$skiptoken={}", start + top));
                    }
                    (StatusCode::OK, axum::Json(body))
                }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

#[tokio::test]
async fn a_teams_connection_syncs_the_customers_own_directory() {
    const CUSTOMER_TENANT: &str = "0b7c9a52-6a4e-4d5a-9c0e-1f2e3d4c5b6a";
    let url = graph(CUSTOMER_TENANT, "teams-secret", 26).await;
    let portal = syncing_portal().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let form = TemplateForm {
        name: "Contoso Teams".into(),
        kind: PbxKind::Teams,
        api_url: url.clone(),
        websocket_url: url.clone(),
        client_id: "5e3ce6c0-2b1f-4285-8d4b-75ee78787346".into(),
        // The reseller's own directory, where the app is registered: not the customer's.
        directory_tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
        secret: "teams-secret".into(),
        ..TemplateForm::default()
    };
    let (code, body) = call::<CreatePbxTemplate>(&portal, &s, json!({ "form": form })).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let t: TemplateSummary = serde_json::from_value(body).unwrap();
    let c = NewCustomer {
        request_key: uuid::Uuid::new_v4().simple().to_string(),
        details: DetailsForm { name: "Contoso".into(), product_type: "professional".into(), country: "US".into(), ..DetailsForm::default() },
        primary_user: PrimaryUserForm { display_name: "Cara Contoso".into(), email: "cara@contoso.example".into() },
        connection: ConnectionForm { template_id: Some(t.id), directory_tenant_id: CUSTOMER_TENANT.into(), ..ConnectionForm::default() },
        roles: Roles::primary_default(),
    };
    let (code, body) = call::<CreateCustomer>(&portal, &s, json!({ "customer": c })).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let id = body.as_str().unwrap().to_owned();

    let st = settled(&portal, &s, &id, 1).await;
    let run = &st.runs[0];
    assert_eq!(run.outcome, Outcome::Succeeded, "{run:?}");
    assert_eq!((run.counts.found, run.counts.added, run.counts.failed), (26, 25, 1));
    assert_eq!(run.error, "1 user could not be imported: Guest Without Mail has no email address.");
    let users = users_of(&portal, &id).await;
    assert_eq!(users.len(), 26);
    assert!(users.iter().any(|u| u.display_name == "Member 12" && u.email == "member12@contoso.example" && u.source == domain::entity::customer_user::Source::Pbx));
}

#[tokio::test]
async fn a_run_without_its_claim_is_shown_running_until_it_is_clearly_stale() {
    use sea_orm::ActiveModelTrait;
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let db = portal.database().await;
    let acme = customer::Entity::find().filter(customer::Column::Name.eq("Acme Logistics")).one(&db).await.unwrap().unwrap();
    let conn = pbx_connection::Entity::find().filter(pbx_connection::Column::CustomerId.eq(acme.id)).one(&db).await.unwrap().unwrap();
    let insert = |started: chrono::DateTime<chrono::Utc>| pbx_sync_run::ActiveModel {
        connection_id: sea_orm::Set(conn.id),
        customer_id: sea_orm::Set(acme.id),
        reason: sea_orm::Set(model::sync::Reason::Manual),
        started_at: sea_orm::Set(started),
        finished_at: sea_orm::Set(None),
        outcome: sea_orm::Set(model::sync::Outcome::Running),
        phase: sea_orm::Set(model::sync::Phase::Listing),
        found: sea_orm::Set(7),
        added: sea_orm::Set(0),
        updated: sea_orm::Set(0),
        unchanged: sea_orm::Set(0),
        failed: sea_orm::Set(0),
        removed: sea_orm::Set(0),
        sub_accounts: sea_orm::Set(0),
        error: sea_orm::Set(String::new()),
        ..Default::default()
    };
    // Just started: its worker's claim may not be visible yet in the same read. Still running.
    let fresh = insert(chrono::Utc::now()).insert(&db).await.unwrap();
    let st = status(&portal, &s, &acme.id.to_string()).await;
    assert_eq!(st.state, SyncState::Syncing { phase: model::sync::Phase::Listing, found: 7 });
    // Started long ago and nobody holds the connection: its worker stopped.
    pbx_sync_run::Entity::delete_by_id(fresh.id).exec(&db).await.unwrap();
    insert(chrono::Utc::now() - chrono::Duration::minutes(11)).insert(&db).await.unwrap();
    let st = status(&portal, &s, &acme.id.to_string()).await;
    assert!(matches!(&st.state, SyncState::Failed { error, .. } if error.contains("interrupted")), "{st:?}");
}

#[tokio::test]
async fn a_sync_never_reaches_loopback_without_an_exception() {
    let state = SimulatorState::new("strict-key", "0123456789abcdef0123456789abcdef", "Internal", 10);
    let url = simulator(state.clone()).await;
    let portal = spawn_strict_with(&[], |p| p.syncer = Some(sync_worker(p))).await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let t = template(&portal, &s, "Internal PBX", &url, "strict-key").await;
    let id = create_customer(&portal, &s, "Strictly Public", t.id, "0123456789abcdef0123456789abcdef", false, false).await;
    let st = settled(&portal, &s, &id, 1).await;
    assert_eq!(st.runs[0].outcome, Outcome::Failed);
    assert!(st.runs[0].error.starts_with("That address is not allowed"), "{:?}", st.runs[0].error);
    assert_eq!(state.requests(), 0, "the simulator on 127.0.0.1 received no request");
}

#[tokio::test]
async fn a_hostile_pbx_cannot_fill_memory_with_one_huge_answer() {
    use axum::routing::{get, put};
    let huge = format!("{{\"data\":[{}]}}", "{\"id\":\"x\"},".repeat(1_100_000).trim_end_matches(','));
    let router = axum::Router::new()
        .route("/v2/api_auth", put(|| async { (axum::http::StatusCode::CREATED, axum::Json(json!({"auth_token": "t", "data": {"account_id": "0123456789abcdef0123456789abcdef"}}))) }))
        .route("/v2/accounts/{account}/users", get(move || {
            let huge = huge.clone();
            async move { huge }
        }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v2", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let portal = syncing_portal().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let t = template(&portal, &s, "Hostile", &url, "any-key").await;
    let id = create_customer(&portal, &s, "Hostile PBX Ltd", t.id, "0123456789abcdef0123456789abcdef", false, false).await;
    let st = settled(&portal, &s, &id, 1).await;
    assert_eq!(st.runs[0].outcome, Outcome::Failed);
    assert_eq!(st.runs[0].error, "The PBX sent an answer larger than 10 MiB");
    assert_eq!(users_of(&portal, &id).await.len(), 1, "only the primary user: nothing was applied");
}

#[tokio::test]
async fn one_resellers_syncs_take_at_most_their_share_of_the_workers() {
    use domain::sync::{Fairness, claim_due};
    let portal = spawn().await;
    let db = portal.database().await;
    let now = chrono::Utc::now();
    let owner = |customer_id: uuid::Uuid| {
        let db = db.clone();
        async move { customer::Entity::find_by_id(customer_id).one(&db).await.unwrap().unwrap().reseller_id }
    };
    let demo = owner(pbx_connection::Entity::find().one(&db).await.unwrap().unwrap().customer_id).await;
    // The demo reseller already runs its share: only other resellers' connections are claimed.
    let busy = Fairness { running: [(demo, 2)].into_iter().collect(), per_reseller: 2 };
    let claims = claim_due(&db, now, Duration::from_secs(60), 100, &busy).await.unwrap();
    assert!(claims.iter().all(|c| c.reseller_id != demo), "{claims:?}");
    // With one slot left, it gets one more, however many of its connections are due.
    let one_left = Fairness { running: [(demo, 1)].into_iter().collect(), per_reseller: 2 };
    let claims = claim_due(&db, now, Duration::from_secs(60), 100, &one_left).await.unwrap();
    assert_eq!(claims.iter().filter(|c| c.reseller_id == demo).count(), 1, "{claims:?}");
    // Nothing running: the rest are claimed.
    let rest = claim_due(&db, now, Duration::from_secs(60), 100, &Fairness::default()).await.unwrap();
    assert!(rest.iter().filter(|c| c.reseller_id == demo).count() >= 3, "the demo has several due connections: {rest:?}");
}

/// A PBX that answers, but slowly, page after page, cannot hold a sync worker past the run's
/// deadline: the run stops, says so in the product's words, and changes no user.
#[tokio::test]
async fn a_slow_pbx_is_stopped_at_the_runs_deadline_and_nothing_changes() {
    let sim = SimulatorState::new(KEY, ACCOUNT, "Acme Corp", 120);
    let url = simulator(sim.clone()).await;
    let portal = spawn_with(&[], |p| {
        let mut worker = sync_worker(p);
        worker.settings.sync.run_deadline = Duration::from_secs(1);
        p.syncer = Some(worker);
    })
    .await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    // Each answer well inside the request timeout (2 s), the listing as a whole past 1 s.
    sim.set_delay(Duration::from_millis(400));
    let t = template(&portal, &s, "Acme Kazoo", &url, KEY).await;
    let id = create_customer(&portal, &s, "Acme Corp", t.id, ACCOUNT, false, false).await;
    let st = settled(&portal, &s, &id, 1).await;
    assert_eq!(st.runs[0].outcome, Outcome::Failed);
    assert_eq!(st.runs[0].error, "The PBX took longer than 1 minute to list its users; the sync was stopped and nothing was changed.");
    assert_eq!(users_of(&portal, &id).await.len(), 1, "only the primary user: nothing was imported");
}
