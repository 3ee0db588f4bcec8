//! One customer-change service behind both doors: the Details tab's save and REST
//! `PATCH /customers/{id}` refuse and accept the same inputs, a refused change writes nothing
//! (all of it or none of it), and `If-Match` makes a change from a stale read a 412.

use crate::contract::{Answer, Api, tenant_named};
use crate::support::*;
use app::api::customers::{LoadCustomer, UpdateCustomer};
use domain::entity::{activity, customer};
use model::customer_form::{CustomerDetail, DetailsForm};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

/// The customer's row and its activity count: what "nothing changed" compares. The demo's
/// background PBX sync may log `pbx.*` entries at any moment; no customer change writes those.
async fn snapshot(portal: &TestPortal, tenant: &str) -> (customer::Model, u64) {
    let db = portal.database().await;
    let id: uuid::Uuid = tenant.parse().unwrap();
    let row = customer::Entity::find_by_id(id).one(&db).await.unwrap().unwrap();
    let entries = activity::Entity::find()
        .filter(activity::Column::CustomerId.eq(id))
        .filter(activity::Column::Action.not_like("pbx.%"))
        .count(&db)
        .await
        .unwrap();
    (row, entries)
}

async fn detail(portal: &TestPortal, s: &str, tenant: &str) -> CustomerDetail {
    let (status, body) = call_fn::<LoadCustomer>(portal, Some(s), json!({ "id": tenant })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).unwrap()
}

#[tokio::test]
async fn a_refused_patch_leaves_the_customer_exactly_as_it_was() {
    let portal = spawn().await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let tenant = tenant_named(&portal, "Acme Logistics").await;
    let nine_years = (chrono::Utc::now() + chrono::Duration::days(9 * 366)).format("%Y-%m-%d").to_string();
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    // Each refusable member, beside members that alone would be accepted.
    let refused = [
        (json!({ "reference": "X-1", "terminateOn": nine_years }), "terminateOn"),
        (json!({ "reference": "X-2", "terminateOn": yesterday }), "terminateOn"),
        (json!({ "reference": "X-3", "status": "disabled", "name": "Brightwater Dental" }), "name"),
        (json!({ "status": "disabled", "name": "   " }), "name"),
        (json!({ "reference": "X-4", "country": "ZZ" }), "country"),
        (json!({ "notes": "fine", "productType": "no-such-type" }), "productType"),
        (json!({ "reference": "X-5", "status": "disabled", "productType": "" }), "productType"),
        (json!({ "reference": "x".repeat(201), "status": "disabled" }), "reference"),
    ];
    for (patch, field) in refused {
        let before = snapshot(&portal, &tenant).await;
        let answer = api.send(Method::PATCH, &format!("/api/v1/customers/{tenant}"), Some(&patch.to_string()), &[("content-type", "application/merge-patch+json")]).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{patch}: {}", answer.body);
        assert!(answer.body["fields"][field].is_string(), "{patch}: names {field}: {}", answer.body);
        assert_eq!(snapshot(&portal, &tenant).await, before, "{patch}: nothing written, no activity entry");
    }
}

#[tokio::test]
async fn if_match_with_a_stale_etag_is_a_412_and_changes_nothing() {
    let portal = spawn().await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let tenant = tenant_named(&portal, "Acme Logistics").await;
    let path = format!("/api/v1/customers/{tenant}");
    let read = api.send(Method::GET, &path, None, &[]).await;
    let etag = read.headers["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");

    // Someone else changes it in between.
    let (status, _) = api.patch(&path, r#"{"reference":"THEIRS"}"#).await;
    assert_eq!(status, StatusCode::OK);
    let before = snapshot(&portal, &tenant).await;
    for (method, body) in [(Method::PATCH, Some(r#"{"reference":"MINE"}"#)), (Method::DELETE, None)] {
        let answer = api.send(method.clone(), &path, body, &[("if-match", &etag), ("content-type", "application/merge-patch+json")]).await;
        assert_eq!(answer.status, StatusCode::PRECONDITION_FAILED, "{method}: {}", answer.body);
        assert_eq!(answer.body["error"], "precondition_failed");
        assert_eq!(snapshot(&portal, &tenant).await, before, "{method}: nothing changed");
    }

    // With the current ETag it applies, and answers the next one.
    let fresh = api.send(Method::GET, &path, None, &[]).await.headers["etag"].to_str().unwrap().to_owned();
    let answer = api.send(Method::PATCH, &path, Some(r#"{"reference":"MINE"}"#), &[("if-match", &fresh), ("content-type", "application/merge-patch+json")]).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["data"]["reference"], "MINE");
    let next = answer.headers["etag"].to_str().unwrap();
    assert_ne!(next, fresh, "a change makes a new ETag");
    // `*` matches any version; without If-Match the last writer wins, as before.
    let answer = api.send(Method::PATCH, &path, Some(r#"{"reference":"ANY"}"#), &[("if-match", "*"), ("content-type", "application/merge-patch+json")]).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

/// The Details tab's save of `change` applied to the customer's current details.
async fn through_details_tab(portal: &TestPortal, s: &str, tenant: &str, change: &Value) -> StatusCode {
    let d = detail(portal, s, tenant).await;
    let mut form: Value = serde_json::to_value(&d.details).unwrap();
    for (key, value) in change.as_object().unwrap() {
        let snake = match key.as_str() {
            "productType" => "product_type",
            "inHouse" => "in_house",
            other => other,
        };
        form[snake] = value.clone();
    }
    let form: DetailsForm = serde_json::from_value(form).unwrap();
    call_fn::<UpdateCustomer>(portal, Some(s), json!({ "id": tenant, "version": d.version, "details": form })).await.0
}

#[tokio::test]
async fn the_details_tab_and_patch_refuse_and_accept_the_same_inputs() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    // Two customers in the same state, one changed through each door.
    let cases = [
        (json!({ "name": "" }), false),
        (json!({ "name": "Brightwater Dental" }), false),
        (json!({ "name": "x".repeat(101) }), false),
        (json!({ "country": "ZZ" }), false),
        (json!({ "productType": "no-such-type" }), false),
        (json!({ "reference": "line\u{0007}bell" }), false),
        (json!({ "notes": "x".repeat(2001) }), false),
        (json!({ "reference": "ACME-7" }), true),
        (json!({ "country": "DE", "notes": "Moved to Berlin." }), true),
        (json!({ "inHouse": true }), true),
        (json!({ "notes": "", "reference": "  padded  " }), true),
    ];
    for (i, (change, accepted)) in cases.iter().enumerate() {
        // Fresh twins for each case, so earlier cases cannot decide later ones.
        let twins = twins(&portal, &api, i).await;
        // An accepted in-house change is undone at once, so the one free slot of the
        // allowance is there for the other door too.
        let undo = |tenant: String| {
            let api = &api;
            async move {
                if change.get("inHouse").is_some() {
                    assert_eq!(api.patch(&format!("/api/v1/customers/{tenant}"), r#"{"inHouse":false}"#).await.0, StatusCode::OK);
                }
            }
        };
        let tab = through_details_tab(&portal, &s, &twins.0, change).await;
        if tab == StatusCode::OK {
            undo(twins.0.clone()).await;
        }
        let (rest, body) = api.patch(&format!("/api/v1/customers/{}", twins.1), &change.to_string()).await;
        if rest == StatusCode::OK {
            undo(twins.1.clone()).await;
        }
        let ok = |status: StatusCode| status == StatusCode::OK;
        assert_eq!((ok(tab), ok(rest)), (*accepted, *accepted), "{change}: Details tab {tab}, PATCH {rest} {body}");
        if !accepted {
            assert_eq!((tab, rest), (StatusCode::UNPROCESSABLE_ENTITY, StatusCode::UNPROCESSABLE_ENTITY), "{change}");
        }
    }
}

/// Two new customers alike but for their names; returns their Tenant IDs.
async fn twins(_portal: &TestPortal, api: &Api<'_>, n: usize) -> (String, String) {
    let mut ids = Vec::new();
    for side in ["tab", "rest"] {
        let body = json!({
            "name": format!("Twin {n} {side}"), "productType": "professional", "country": "GB",
            "primaryUser": { "displayName": "Tess Twin", "email": format!("tess.{n}.{side}@twin.example") },
            "connection": { "accountId": "0123456789abcdef0123456789abcdef", "enabled": false },
        });
        let (status, answer) = api.post("/api/v1/customers", &body.to_string()).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        ids.push(answer["data"]["id"].as_str().unwrap().to_owned());
    }
    (ids[0].clone(), ids[1].clone())
}

#[tokio::test]
async fn a_lowered_allowance_refuses_new_in_house_customers_on_both_doors_but_not_other_edits_of_one() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let db = portal.database().await;
    let in_house = customer::Entity::find().filter(customer::Column::InHouse.eq(true)).filter(customer::Column::ResellerId.eq(1)).one(&db).await.unwrap().unwrap();
    let tenant = in_house.id.to_string();
    // The operator lowers the allowance below what is used.
    domain::operator::update_reseller(&db, "Demo Reseller", domain::operator::ResellerChanges { in_house_allowance: Some(0), ..Default::default() }).await.unwrap();
    assert_eq!(through_details_tab(&portal, &s, &tenant, &json!({ "reference": "KEEP-1" })).await, StatusCode::OK);
    let (status, body) = api.patch(&format!("/api/v1/customers/{tenant}"), r#"{"reference":"KEEP-2"}"#).await;
    assert_eq!(status, StatusCode::OK, "the API no longer refuses a plain reference change: {body}");
    // A customer that is not in-house cannot become one on either door.
    let other = tenant_named(&portal, "Brightwater Dental").await;
    assert_eq!(through_details_tab(&portal, &s, &other, &json!({ "inHouse": true })).await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.patch(&format!("/api/v1/customers/{other}"), r#"{"inHouse":true}"#).await.0, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn concurrent_retries_of_a_user_create_with_one_key_all_get_the_first_answer() {
    let portal = spawn().await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let tenant = tenant_named(&portal, "Acme Logistics").await;
    let path = format!("/api/v1/customers/{tenant}/users");
    let body = r#"{"displayName":"Riley Retry","email":"riley@retry.example","roles":{"essential":true}}"#;
    // A client whose first answer was lost sends the same request again, several times at once.
    let sends = (0..5).map(|_| api.send(Method::POST, &path, Some(body), &[("idempotency-key", "add-riley-1")]));
    let answers = futures::future::join_all(sends).await;
    let first = &answers[0].body;
    for a in &answers {
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        assert_eq!(&a.body, first, "every retry gets the same answer");
    }
    assert_eq!(answers.iter().filter(|a| a.headers.get("idempotent-replayed").is_some()).count(), 4, "one did the work, four replayed");
    let db = portal.database().await;
    let riley = domain::entity::customer_user::Entity::find()
        .filter(domain::entity::customer_user::Column::EmailKey.eq("riley@retry.example"))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(riley, 1, "one user");
    // The answer was stored with the user: there is exactly one record for the key.
    assert_eq!(domain::entity::api_idempotency::Entity::find().count(&db).await.unwrap(), 1);
}

#[tokio::test]
async fn users_and_pbx_connections_carry_etags_and_honour_if_match() {
    let portal = spawn().await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let tenant = tenant_named(&portal, "Acme Logistics").await;
    let (_, users) = api.get(&format!("/api/v1/customers/{tenant}/users")).await;
    let user_id = users["data"]["items"][0]["id"].as_i64().unwrap();
    let (_, pbxs) = api.get(&format!("/api/v1/customers/{tenant}/pbxs")).await;
    let pbx_id = pbxs["data"][0]["id"].as_i64().unwrap();
    let resources = [
        (format!("/api/v1/customers/{tenant}/users/{user_id}"), r#"{"roles":{"essential":true,"userAdministrator":true}}"#, r#"{"roles":{"essential":true,"professional":true,"userAdministrator":true}}"#),
        (format!("/api/v1/customers/{tenant}/pbxs/{pbx_id}"), r#"{"autoAgentAddon":false}"#, r#"{"autoAgentAddon":true}"#),
    ];
    let merge = ("content-type", "application/merge-patch+json");
    for (path, theirs, mine) in resources {
        let read = api.send(Method::GET, &path, None, &[]).await;
        let etag = read.headers["etag"].to_str().unwrap().to_owned();
        let first = api.send(Method::PATCH, &path, Some(theirs), &[merge]).await;
        assert_eq!(first.status, StatusCode::OK, "{path}: {}", first.body);
        // A background sync (the PATCH may schedule one) can move the connection's `sync`
        // member on its own; what the refused PATCH must not touch is the rest and the version.
        let settled = |mut read: Answer| {
            read.body["data"].as_object_mut().unwrap().remove("sync");
            (read.headers["etag"].to_str().unwrap().to_owned(), read.body)
        };
        let now = settled(api.send(Method::GET, &path, None, &[]).await);
        let stale = api.send(Method::PATCH, &path, Some(mine), &[("if-match", &etag), merge]).await;
        assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED, "{path}: {}", stale.body);
        assert_eq!(settled(api.send(Method::GET, &path, None, &[]).await), now, "{path}: nothing changed");
        let fresh = api.send(Method::GET, &path, None, &[]).await.headers["etag"].to_str().unwrap().to_owned();
        let applied = api.send(Method::PATCH, &path, Some(mine), &[("if-match", &fresh), merge]).await;
        assert_eq!(applied.status, StatusCode::OK, "{path}: {}", applied.body);
        assert_ne!(applied.headers["etag"].to_str().unwrap(), fresh);
    }
}
