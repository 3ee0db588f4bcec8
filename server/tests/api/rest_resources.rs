//! The REST API's customer users, PBX connections and billing, over HTTP. Every answer is also
//! checked against the OpenAPI document ([`crate::contract::Api`]).

use crate::contract::{Api, tenant_named};
use crate::support::*;
use domain::entity::{activity, customer, customer_user, outbox};
use reqwest::{Method, StatusCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::Value;
use std::time::Duration;

async fn user_count(portal: &TestPortal, tenant: &str) -> u64 {
    let id: uuid::Uuid = tenant.parse().unwrap();
    customer_user::Entity::find().filter(customer_user::Column::CustomerId.eq(id)).count(&portal.database().await).await.unwrap()
}

async fn logged_by(portal: &TestPortal, tenant: &str, actor: &str) -> Vec<String> {
    let id: uuid::Uuid = tenant.parse().unwrap();
    activity::Entity::find()
        .filter(activity::Column::CustomerId.eq(id))
        .filter(activity::Column::Actor.eq(actor))
        .all(&portal.database().await)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect()
}

fn names(page: &Value) -> Vec<String> {
    page["data"]["items"].as_array().unwrap().iter().map(|u| u["displayName"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn customer_users_are_listed_added_given_roles_and_removed_by_the_portals_rules() {
    let portal = spawn().await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let tenant = tenant_named(&portal, "Acme Logistics").await;
    let users = format!("/api/v1/customers/{tenant}/users");
    let before = user_count(&portal, &tenant).await;

    // Refused bodies store nothing and name the field.
    let long = format!("{}@example.com", "a".repeat(250));
    for (body, status, field) in [
        (r#"{"displayName": "", "email": "zoe@acme.example"}"#.to_owned(), StatusCode::UNPROCESSABLE_ENTITY, "displayName"),
        (format!(r#"{{"displayName": "Zoe", "email": "{long}"}}"#), StatusCode::UNPROCESSABLE_ENTITY, "email"),
        (r#"{"displayName": "Zoe", "email": "not-an-email"}"#.to_owned(), StatusCode::UNPROCESSABLE_ENTITY, "email"),
        (r#"{"displayName": "Zoe", "email": "zoe@acme.example", "roles": {"realTime": "yes"}}"#.to_owned(), StatusCode::BAD_REQUEST, "roles.realTime"),
        (r#"{"displayName": "Zoe"}"#.to_owned(), StatusCode::BAD_REQUEST, "body"),
        (r#"{"displayName": "Zoe", "email": "zoe@acme.example""#.to_owned(), StatusCode::BAD_REQUEST, "body"),
    ] {
        let (got, answer) = api.post(&users, &body).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert!(answer["fields"][field].is_string(), "{body}: {answer}");
    }
    assert_eq!(user_count(&portal, &tenant).await, before);

    // A user with a role is invited; one without is listed only.
    let key = [("idempotency-key", "add-zoe")];
    let body = r#"{"displayName": "Zoe Quinn", "email": "zoe@acme.example", "roles": {"essential": true, "realTime": true, "agent": true, "supervisor": "live_analytics"}}"#;
    let first = api.send(Method::POST, &users, Some(body), &key).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let zoe = &first.body["data"];
    assert_eq!((zoe["invitation"].as_str(), zoe["roles"]["supervisor"].as_str(), zoe["roles"]["agent"].as_bool(), zoe["fromPbx"].as_bool()), (Some("queued"), Some("live_analytics"), Some(true), Some(false)));
    let zoe_id = zoe["id"].as_i64().unwrap();
    assert_eq!(first.headers["location"].to_str().unwrap(), format!("{users}/{zoe_id}"));
    let queued = outbox::Entity::find().filter(outbox::Column::CustomerUserId.eq(zoe_id)).count(&portal.database().await).await.unwrap();
    assert_eq!(queued, 1, "the invitation is queued");
    // The same key and body: the first answer again, nothing added; another body: refused.
    let again = api.send(Method::POST, &users, Some(body), &key).await;
    assert_eq!((again.status, &again.body), (StatusCode::CREATED, &first.body));
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.headers["location"], first.headers["location"], "the replay points at the same user");
    let other = api.send(Method::POST, &users, Some(r#"{"displayName": "Yan", "email": "yan@acme.example"}"#), &key).await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The same key for another customer's users is another request too.
    let globex = tenant_named(&portal, "Brightwater Dental").await;
    let elsewhere = api.send(Method::POST, &format!("/api/v1/customers/{globex}/users"), Some(body), &key).await;
    assert_eq!(elsewhere.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", elsewhere.body);
    let (status, yan) = api.post(&users, r#"{"displayName": "Yan Park", "email": "yan@acme.example"}"#).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(yan["data"]["invitation"], "not_invited");
    assert_eq!(user_count(&portal, &tenant).await, before + 2);
    let (status, duplicate) = api.post(&users, r#"{"displayName": "Zoe Again", "email": "ZOE@acme.example"}"#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(duplicate["fields"]["email"].is_string(), "{duplicate}");

    // Listing: by display name, paged from 0, filtered on name or email.
    let (_, all) = api.get(&format!("{users}?pageSize=1000")).await;
    let total = all["data"]["total"].as_u64().unwrap();
    assert_eq!(total, before + 2);
    let mut sorted = names(&all);
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names(&all).iter().map(|n| n.to_lowercase()).collect::<Vec<_>>(), sorted.iter().map(|n| n.to_lowercase()).collect::<Vec<_>>());
    let (_, second) = api.get(&format!("{users}?pageSize=1&pageIndex=1")).await;
    assert_eq!(names(&second), names(&all)[1..2]);
    let (_, past) = api.get(&format!("{users}?pageSize=10&pageIndex=99")).await;
    assert_eq!((past["data"]["items"].as_array().unwrap().len(), past["data"]["total"].as_u64()), (0, Some(total)));
    let (_, found) = api.get(&format!("{users}?filter=ZOE@ACME")).await;
    assert_eq!((names(&found), found["data"]["total"].as_u64()), (vec!["Zoe Quinn".to_owned()], Some(1)));

    // Roles are replaced as a whole; giving Yan a role invites them.
    let (status, changed) = api.patch(&format!("{users}/{}", yan["data"]["id"]), r#"{"roles": {"professional": true, "userAdministrator": true}}"#).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!((changed["data"]["roles"]["professional"].as_bool(), changed["data"]["roles"]["essential"].as_bool(), changed["data"]["invitation"].as_str()), (Some(true), Some(false), Some("queued")));
    let (_, fetched) = api.get(&format!("{users}/{}", yan["data"]["id"])).await;
    assert_eq!(fetched["data"], changed["data"]);
    let (status, refused) = api.patch(&format!("{users}/{zoe_id}"), r#"{"roles": {"agent": true}}"#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the Agent add-on needs the Essential User licence: {refused}");
    assert!(refused["fields"]["roles"].is_string());

    // Removing.
    let (status, _) = api.delete(&format!("{users}/{zoe_id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(user_count(&portal, &tenant).await, before + 1);
    let log = logged_by(&portal, &tenant, &format!("API client {}", api.client_id)).await;
    for action in ["customer_user.added", "customer_user.updated", "customer_user.removed"] {
        assert!(log.iter().any(|a| a == action), "{action} in {log:?}");
    }

    // Another reseller's client: every id of this customer is missing.
    let other = Api::open(&portal, OTHER_EMAIL).await;
    let yan_path = format!("{users}/{}", yan["data"]["id"]);
    assert_eq!(other.get(&users).await.0, StatusCode::NOT_FOUND);
    assert_eq!(other.get(&yan_path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(other.patch(&yan_path, r#"{"roles": {}}"#).await.0, StatusCode::NOT_FOUND);
    assert_eq!(other.delete(&yan_path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(other.post(&users, r#"{"displayName": "Mallory", "email": "m@evil.example"}"#).await.0, StatusCode::NOT_FOUND);
    // …and a user of this customer under one of its own customers is missing too.
    let (_, theirs) = other.get("/api/v1/customers").await;
    let their_tenant = theirs["data"]["items"][0]["id"].as_str().unwrap();
    assert_eq!(other.get(&format!("/api/v1/customers/{their_tenant}/users/{}", yan["data"]["id"])).await.0, StatusCode::NOT_FOUND);
    assert_eq!(user_count(&portal, &tenant).await, before + 1);
}

#[tokio::test]
async fn a_pbx_connection_is_read_repointed_disabled_and_synced_over_the_api() {
    let portal = spawn_with(&[], |p| p.syncer = Some(sync_worker(p))).await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let tenant = tenant_named(&portal, "Acme Logistics").await;
    let (status, list) = api.get(&format!("/api/v1/customers/{tenant}/pbxs")).await;
    assert_eq!(status, StatusCode::OK);
    let items = list["data"].as_array().unwrap();
    assert_eq!(items.len(), 1, "a customer has one connection");
    assert_eq!((items[0]["platform"].as_str(), items[0]["enabled"].as_bool()), (Some("kazoo"), Some(true)));
    let pbx = format!("/api/v1/customers/{tenant}/pbxs/{}", items[0]["id"]);

    // The demo's connection syncs from the built-in simulator.
    let synced = wait_for(&api, &pbx, |p| p["sync"]["state"] == "synced").await;
    let run = &synced["sync"]["runs"][0];
    assert_eq!((run["outcome"].as_str(), run["found"].as_u64(), run["reason"].as_str()), (Some("succeeded"), Some(44), Some("created")), "{run}");
    assert!(chrono::DateTime::parse_from_rfc3339(run["startedAt"].as_str().unwrap()).is_ok(), "{run}");

    // Refused patches change nothing.
    for (body, status, field) in [
        (r#"{"accountId": "12345"}"#, StatusCode::UNPROCESSABLE_ENTITY, "accountId"),
        (r#"{"templateId": 999999}"#, StatusCode::UNPROCESSABLE_ENTITY, "templateId"),
        (r#"{"enabled": null}"#, StatusCode::BAD_REQUEST, "enabled"),
        (r#"{"autoProvisionSubAccounts": true}"#, StatusCode::BAD_REQUEST, "autoProvisionSubAccounts"),
    ] {
        let (got, answer) = api.patch(&pbx, body).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert!(answer["fields"][field].is_string(), "{body}: {answer}");
    }
    assert_eq!(api.get(&pbx).await.1["data"]["accountId"], synced["accountId"]);

    // Disabled: no syncing, and "sync now" says why.
    let (status, off) = api.patch(&pbx, r#"{"enabled": false, "autoAgentAddon": false}"#).await;
    assert_eq!(status, StatusCode::OK, "{off}");
    assert_eq!((off["data"]["enabled"].as_bool(), off["data"]["sync"]["state"].as_str(), off["data"]["sync"]["nextAt"].as_str()), (Some(false), Some("disabled"), None));
    let (status, refused) = api.post(&format!("{pbx}/sync"), "").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(refused["message"].as_str().unwrap().contains("disabled"), "{refused}");

    // Repointed and enabled: a new sync runs against the new account.
    let account = "fedcba9876543210fedcba9876543210";
    let (status, on) = api.patch(&pbx, &format!(r#"{{"enabled": true, "accountId": "{}"}}"#, account.to_uppercase())).await;
    assert_eq!(status, StatusCode::OK, "{on}");
    assert_eq!(on["data"]["accountId"], account, "stored the way the portal stores it");
    let resynced = wait_for(&api, &pbx, |p| p["sync"]["runs"].as_array().unwrap().len() >= 2 && p["sync"]["state"] == "synced").await;
    assert_eq!(resynced["sync"]["runs"][0]["reason"], "enabled");

    // Sync now.
    let (status, accepted) = api.post(&format!("{pbx}/sync"), "").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let manual = wait_for(&api, &pbx, |p| p["sync"]["runs"][0]["reason"] == "manual" && p["sync"]["state"] == "synced").await;
    assert_eq!(manual["sync"]["runs"][0]["outcome"], "succeeded");
    let log = logged_by(&portal, &tenant, &format!("API client {}", api.client_id)).await;
    assert!(log.iter().filter(|a| *a == "pbx.updated").count() >= 2 && log.iter().any(|a| a == "pbx.sync_requested"), "{log:?}");

    // Another reseller's client, or another customer's connection id: missing.
    let other = Api::open(&portal, OTHER_EMAIL).await;
    assert_eq!(other.get(&pbx).await.0, StatusCode::NOT_FOUND);
    assert_eq!(other.get(&format!("/api/v1/customers/{tenant}/pbxs")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(other.patch(&pbx, r#"{"enabled": false}"#).await.0, StatusCode::NOT_FOUND);
    assert_eq!(other.post(&format!("{pbx}/sync"), "").await.0, StatusCode::NOT_FOUND);
    let globex = tenant_named(&portal, "Brightwater Dental").await;
    assert_eq!(api.get(&format!("/api/v1/customers/{globex}/pbxs/{}", items[0]["id"])).await.0, StatusCode::NOT_FOUND);
}

/// Polls the connection until `done` holds (at most 20 s).
async fn wait_for(api: &Api<'_>, pbx: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let (status, body) = api.get(pbx).await;
        assert_eq!(status, StatusCode::OK);
        if done(&body["data"]) {
            return body["data"].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{pbx} never got there: {:#}", api.get(pbx).await.1);
}

#[tokio::test]
async fn a_month_is_billed_once_and_reads_the_same_every_time() {
    let portal = spawn().await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let db = portal.database().await;
    // Acme has been a customer for two months.
    let acme: uuid::Uuid = tenant_named(&portal, "Acme Logistics").await.parse().unwrap();
    let mut c: customer::ActiveModel = customer::Entity::find_by_id(acme).one(&db).await.unwrap().unwrap().into();
    c.created_at = Set(chrono::Utc::now() - chrono::Duration::days(70));
    c.update(&db).await.unwrap();
    let month = {
        use chrono::Datelike;
        let last = chrono::Utc::now().date_naive().with_day(1).unwrap() - chrono::Duration::days(3);
        format!("{:04}-{:02}", last.year(), last.month())
    };

    let (status, none) = api.get(&format!("/api/v1/billing/{month}")).await;
    assert_eq!((status, none["error"].as_str()), (StatusCode::NOT_FOUND, Some("not_run")));
    for period in ["2026-7", "2026-07-01", "last"] {
        let (status, refused) = api.post(&format!("/api/v1/billing/{period}"), "").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{period}");
        assert!(refused["fields"]["period"].is_string(), "{refused}");
    }
    let (status, run) = api.post(&format!("/api/v1/billing/{month}"), "").await;
    assert_eq!(status, StatusCode::OK, "{run}");
    let lines = run["data"]["lines"].as_array().unwrap();
    let line = lines.iter().find(|l| l["customerName"] == "Acme Logistics").unwrap_or_else(|| panic!("Acme is billed: {run}"));
    assert_eq!(line["tenantCode"], "ACME-001");
    assert_eq!(line["quantity"], line["daysInPeriod"], "a whole month: {line}");
    assert!(run["data"]["createdBy"].as_str().unwrap().contains(&api.client_id), "{run}");

    // Again, later, by anyone: the stored record, unchanged.
    let (_, again) = api.post(&format!("/api/v1/billing/{month}"), "").await;
    let (_, fetched) = api.get(&format!("/api/v1/billing/{month}")).await;
    assert_eq!((&again, &fetched), (&run, &run));
    let (_, runs) = api.get("/api/v1/billing").await;
    let listed = &runs["data"][0];
    assert_eq!((listed["period"].as_str(), listed["lines"].as_u64(), &listed["total"]), (Some(month.as_str()), Some(lines.len() as u64), &run["data"]["total"]));
    assert!(chrono::DateTime::parse_from_rfc3339(listed["createdAt"].as_str().unwrap()).is_ok());

    // Another reseller sees none of it.
    let other = Api::open(&portal, OTHER_EMAIL).await;
    assert_eq!(other.get(&format!("/api/v1/billing/{month}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(other.get("/api/v1/billing").await.1["data"], serde_json::json!([]));
}

#[tokio::test]
async fn a_name_that_lower_cases_longer_is_still_stored() {
    // "İ" lower-cases to two characters: 100 of them make a 200-character name key, which
    // PostgreSQL once refused.
    let portal = spawn().await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let name = "İ".repeat(100);
    let body = serde_json::json!({
        "name": name, "productType": "essentials", "country": "TR",
        "primaryUser": {"displayName": "Ilkay", "email": "ilkay@istanbul.example"},
        "connection": {"enabled": false, "accountId": "0123456789abcdef0123456789abcdef"}
    });
    let (status, created) = api.post("/api/v1/customers", &body.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["data"]["name"], name);
    let (status, again) = api.post("/api/v1/customers", &body.to_string().replace("ilkay@", "other@")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the same name in another case is taken: {again}");
    assert!(again["fields"]["name"].is_string());
}

#[tokio::test]
async fn a_removed_pbx_user_stays_removed_until_imported_again() {
    use app::api::customers::{IgnoredPbxUsers, ImportPbxUserAgain};
    let portal = spawn_with(&[], |p| p.syncer = Some(sync_worker(p))).await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let session = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let tenant = tenant_named(&portal, "Acme Logistics").await;
    let (_, list) = api.get(&format!("/api/v1/customers/{tenant}/pbxs")).await;
    let pbx = format!("/api/v1/customers/{tenant}/pbxs/{}", list["data"][0]["id"]);
    wait_for(&api, &pbx, |p| p["sync"]["state"] == "synced").await;
    let before = user_count(&portal, &tenant).await;

    // Remove one imported user; a new sync leaves them out.
    let users = format!("/api/v1/customers/{tenant}/users");
    let (_, page) = api.get(&format!("{users}?pageSize=1000")).await;
    let imported = page["data"]["items"].as_array().unwrap().iter().find(|u| u["fromPbx"] == true && u["roles"]["agent"] == false).unwrap().clone();
    let name = imported["displayName"].as_str().unwrap();
    assert_eq!(api.delete(&format!("{users}/{}", imported["id"])).await.0, StatusCode::NO_CONTENT);
    assert_eq!(api.post(&format!("{pbx}/sync"), "").await.0, StatusCode::ACCEPTED);
    let synced = wait_for(&api, &pbx, |p| p["sync"]["runs"][0]["reason"] == "manual" && p["sync"]["state"] == "synced").await;
    assert_eq!((synced["sync"]["runs"][0]["added"].as_u64(), synced["sync"]["runs"][0]["found"].as_u64()), (Some(0), Some(43)), "{synced}");
    assert_eq!(user_count(&portal, &tenant).await, before - 1);
    let (status, ignored) = call_fn::<IgnoredPbxUsers>(&portal, Some(&session), serde_json::json!({ "id": tenant })).await;
    assert_eq!(status, StatusCode::OK, "{ignored}");
    assert_eq!(ignored[0]["display_name"], name);
    assert!(ignored[0]["removed_by"].as_str().unwrap().contains(&api.client_id));
    // The API lists them too.
    let (status, listed) = api.get(&format!("/api/v1/customers/{tenant}/removed-pbx-users")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((listed["data"][0]["displayName"].as_str(), listed["data"][0]["pbxUserId"].as_str()), (Some(name), ignored[0]["pbx_id"].as_str()));

    // Another reseller can neither see nor undo it; a wrong PBX id is missing.
    let other = portal.sign_in(OTHER_EMAIL, DEMO_PASSWORD).await;
    let pbx_id = ignored[0]["pbx_id"].as_str().unwrap().to_owned();
    assert_ne!(call_fn::<IgnoredPbxUsers>(&portal, Some(&other), serde_json::json!({ "id": tenant })).await.0, StatusCode::OK);
    assert_ne!(call_fn::<ImportPbxUserAgain>(&portal, Some(&other), serde_json::json!({ "id": tenant, "pbx_id": pbx_id })).await.0, StatusCode::OK);
    assert_ne!(call_fn::<ImportPbxUserAgain>(&portal, Some(&session), serde_json::json!({ "id": tenant, "pbx_id": "nobody" })).await.0, StatusCode::OK);

    // Imported again: a sync starts by itself and brings them back, without roles.
    let (status, body) = call_fn::<ImportPbxUserAgain>(&portal, Some(&session), serde_json::json!({ "id": tenant, "pbx_id": pbx_id })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let back = wait_for(&api, &pbx, |p| p["sync"]["runs"][0]["reason"] == "changed" && p["sync"]["state"] == "synced").await;
    assert_eq!(back["sync"]["runs"][0]["added"].as_u64(), Some(1), "{back}");
    assert_eq!(user_count(&portal, &tenant).await, before);
    let (_, ignored) = call_fn::<IgnoredPbxUsers>(&portal, Some(&session), serde_json::json!({ "id": tenant })).await;
    assert_eq!(ignored, serde_json::json!([]));

    // The same over the API: remove again, then DELETE the removal.
    let (_, page) = api.get(&format!("{users}?filter={}", imported["email"].as_str().unwrap())).await;
    let again = page["data"]["items"][0]["id"].clone();
    assert_eq!(api.delete(&format!("{users}/{again}")).await.0, StatusCode::NO_CONTENT);
    let removed = format!("/api/v1/customers/{tenant}/removed-pbx-users/{pbx_id}");
    let other_api = Api::open(&portal, OTHER_EMAIL).await;
    assert_eq!(other_api.delete(&removed).await.0, StatusCode::NOT_FOUND);
    assert_eq!(api.delete(&removed).await.0, StatusCode::NO_CONTENT);
    assert_eq!(api.delete(&removed).await.0, StatusCode::NOT_FOUND);
    assert_eq!(api.get(&format!("/api/v1/customers/{tenant}/removed-pbx-users")).await.1["data"], serde_json::json!([]));
}

#[tokio::test]
async fn a_customer_made_in_house_today_is_still_billed_for_last_month() {
    use domain::entity::in_house_change;
    let portal = spawn().await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let db = portal.database().await;
    let acme = tenant_named(&portal, "Acme Logistics").await;
    let month = {
        use chrono::Datelike;
        let last = chrono::Utc::now().date_naive().with_day(1).unwrap() - chrono::Duration::days(1);
        format!("{:04}-{:02}", last.year(), last.month())
    };
    // The demo's in-house customer existed last month too.
    let internal: uuid::Uuid = tenant_named(&portal, "Demo Reseller (in-house)").await.parse().unwrap();
    let mut c: customer::ActiveModel = customer::Entity::find_by_id(internal).one(&db).await.unwrap().unwrap().into();
    c.created_at = Set(chrono::Utc::now() - chrono::Duration::days(70));
    c.update(&db).await.unwrap();
    let (status, patched) = api.patch(&format!("/api/v1/customers/{acme}"), r#"{"inHouse": true}"#).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    let id: uuid::Uuid = acme.parse().unwrap();
    let history: Vec<bool> = in_house_change::Entity::find()
        .filter(in_house_change::Column::CustomerId.eq(id))
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.in_house)
        .collect();
    assert_eq!(history, [false, true], "paying from creation, in-house from today");

    let (status, run) = api.post(&format!("/api/v1/billing/{month}"), "").await;
    assert_eq!(status, StatusCode::OK, "{run}");
    let line = run["data"]["lines"].as_array().unwrap().iter().find(|l| l["customerName"] == "Acme Logistics").unwrap().clone();
    assert!(line["quantity"].as_u64().unwrap() > 0, "last month Acme was a paying customer: {line}");
    // A customer in-house all along (no recorded change) stays free.
    let internal = run["data"]["lines"].as_array().unwrap().iter().find(|l| l["customerName"] == "Demo Reseller (in-house)").unwrap_or_else(|| panic!("{run}"));
    assert_eq!(internal["quantity"], 0, "{internal}");
}
