//! The REST provisioning API over HTTP: the OAuth token endpoint, bearer authentication, the
//! envelope and status codes, tenant isolation, the activity log naming the client, and the
//! per-client rate limit.

use crate::support::*;
use domain::entity::{activity, customer};
use reqwest::header::{AUTHORIZATION, CACHE_CONTROL, RETRY_AFTER, WWW_AUTHENTICATE};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::contract::{credentials, token};

async fn get(portal: &TestPortal, bearer: &str, path: &str) -> (StatusCode, Value) {
    let res = portal.client.get(portal.url(path)).header(AUTHORIZATION, format!("Bearer {bearer}")).send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_token_endpoint_speaks_oauth_client_credentials() {
    let portal = spawn().await;
    let (id, secret) = credentials(&portal, DEMO_EMAIL).await;
    let res = portal
        .client
        .post(portal.url("/api/v1/oauth/token"))
        .form(&[("grant_type", "client_credentials"), ("client_id", id.as_str()), ("client_secret", secret.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[CACHE_CONTROL], "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!((body["token_type"].as_str(), body["expires_in"].as_i64()), (Some("Bearer"), Some(3600)));
    assert_eq!(body["access_token"].as_str().unwrap().len(), 64);

    // HTTP Basic works too; a wrong secret, an unknown client and a wrong grant do not.
    let res = portal.client.post(portal.url("/api/v1/oauth/token")).basic_auth(&id, Some(&secret)).form(&[("grant_type", "client_credentials")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    for (form, status, error) in [
        (vec![("grant_type", "client_credentials"), ("client_id", id.as_str()), ("client_secret", "wrong")], StatusCode::UNAUTHORIZED, "invalid_client"),
        (vec![("grant_type", "client_credentials"), ("client_id", "rp_nobody"), ("client_secret", secret.as_str())], StatusCode::UNAUTHORIZED, "invalid_client"),
        (vec![("grant_type", "password"), ("client_id", id.as_str()), ("client_secret", secret.as_str())], StatusCode::BAD_REQUEST, "unsupported_grant_type"),
        (vec![("grant_type", "client_credentials")], StatusCode::BAD_REQUEST, "invalid_request"),
    ] {
        let res = portal.client.post(portal.url("/api/v1/oauth/token")).form(&form).send().await.unwrap();
        assert_eq!(res.status(), status, "{form:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], error, "{form:?}");
    }
}

#[tokio::test]
async fn requests_without_a_valid_bearer_token_are_refused_in_the_envelope() {
    let portal = spawn().await;
    let res = portal.client.get(portal.url("/api/v1/customers")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()[WWW_AUTHENTICATE], "Bearer");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
    assert!(body["message"].as_str().unwrap().contains("Bearer"));
    let (status, body) = get(&portal, &"0".repeat(64), "/api/v1/customers").await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    // Unknown API paths answer in the envelope too, not with the portal's HTML.
    let (status, body) = get(&portal, "x", "/api/v1/nothing-here").await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
}

#[tokio::test]
async fn customers_are_listed_filtered_paged_and_scoped_to_the_clients_reseller() {
    let portal = spawn().await;
    let (id, secret) = credentials(&portal, DEMO_EMAIL).await;
    let bearer = token(&portal, &id, &secret).await;
    let (status, body) = get(&portal, &bearer, "/api/v1/customers").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = &body["data"];
    assert_eq!((data["total"].as_u64(), data["pageIndex"].as_u64(), data["pageSize"].as_u64()), (Some(8), Some(0), Some(50)));
    let names: Vec<&str> = data["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names[0], "Acme Logistics");
    assert!(!names.contains(&"Harbor Freight Brokers"), "another reseller's customers never show");
    assert_eq!(data["items"][0]["productType"], "essentials");

    let (_, body) = get(&portal, &bearer, "/api/v1/customers?filter=ACME").await;
    assert_eq!(body["data"]["total"], 1);
    let (_, body) = get(&portal, &bearer, "/api/v1/customers?filter=bwd-77").await;
    assert_eq!(body["data"]["items"][0]["name"], "Brightwater Dental", "the reference matches too");
    let (_, body) = get(&portal, &bearer, "/api/v1/customers?pageSize=3&pageIndex=2").await;
    assert_eq!(body["data"]["items"].as_array().unwrap().len(), 2);
    for (query, field) in [("pageSize=1001", "pageSize"), ("pageSize=0", "pageSize"), ("pageIndex=first", "pageIndex")] {
        let (status, body) = get(&portal, &bearer, &format!("/api/v1/customers?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(body["fields"][field].is_string(), "{query}: {body}");
    }

    // One customer; another reseller's id is exactly like a missing one.
    let acme = data["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = get(&portal, &bearer, &format!("/api/v1/customers/{acme}")).await;
    assert_eq!((status, body["data"]["reference"].as_str()), (StatusCode::OK, Some("ACME-001")));
    let db = portal.database().await;
    let theirs = customer::Entity::find().filter(customer::Column::Name.eq("Harbor Freight Brokers")).one(&db).await.unwrap().unwrap().id;
    let missing = uuid::Uuid::new_v4();
    let (a, body_a) = get(&portal, &bearer, &format!("/api/v1/customers/{theirs}")).await;
    let (b, body_b) = get(&portal, &bearer, &format!("/api/v1/customers/{missing}")).await;
    assert_eq!((a, b), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    assert_eq!(body_a, body_b);

    let (status, body) = get(&portal, &bearer, "/api/v1/product-types").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["data"].as_array().unwrap().iter().any(|p| p["code"] == "professional"), "{body}");
}

#[tokio::test]
async fn delete_terminates_once_and_the_log_names_the_client() {
    let portal = spawn().await;
    let (id, secret) = credentials(&portal, DEMO_EMAIL).await;
    let bearer = token(&portal, &id, &secret).await;
    let db = portal.database().await;
    let acme = customer::Entity::find().filter(customer::Column::Name.eq("Acme Logistics")).one(&db).await.unwrap().unwrap();
    let url = portal.url(&format!("/api/v1/customers/{}", acme.id));
    let res = portal.client.delete(&url).bearer_auth(&bearer).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["status"], "terminated");
    let res = portal.client.delete(&url).bearer_auth(&bearer).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "conflict");
    let log = activity::Entity::find().filter(activity::Column::CustomerId.eq(acme.id)).filter(activity::Column::Action.eq("customer.terminated")).all(&db).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].actor, format!("API client {id}"));

    // Another reseller's client cannot touch it (404, as if missing).
    let (other_id, other_secret) = credentials(&portal, OTHER_EMAIL).await;
    let other = token(&portal, &other_id, &other_secret).await;
    let brightwater = customer::Entity::find().filter(customer::Column::Name.eq("Brightwater Dental")).one(&db).await.unwrap().unwrap();
    let res = portal.client.delete(portal.url(&format!("/api/v1/customers/{}", brightwater.id))).bearer_auth(&other).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let still = customer::Entity::find_by_id(brightwater.id).one(&db).await.unwrap().unwrap();
    assert_eq!(still.status, domain::entity::customer::Status::Active);
}

#[tokio::test]
async fn each_client_is_rate_limited_with_retry_after() {
    let portal = spawn_with(&["--api-requests-per-minute", "3"], |_| {}).await;
    let (id, secret) = credentials(&portal, DEMO_EMAIL).await;
    let bearer = token(&portal, &id, &secret).await;
    for _ in 0..3 {
        assert_eq!(get(&portal, &bearer, "/api/v1/product-types").await.0, StatusCode::OK);
    }
    let res = portal.client.get(portal.url("/api/v1/product-types")).bearer_auth(&bearer).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()[RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");
    // Another client has its own budget.
    let (other_id, other_secret) = credentials(&portal, OTHER_EMAIL).await;
    let other = token(&portal, &other_id, &other_secret).await;
    assert_eq!(get(&portal, &other, "/api/v1/product-types").await.0, StatusCode::OK);
}

async fn post(portal: &TestPortal, bearer: &str, key: Option<&str>, body: &str) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut req = portal.client.post(portal.url("/api/v1/customers")).bearer_auth(bearer).header("content-type", "application/json").body(body.to_owned());
    if let Some(key) = key {
        req = req.header("Idempotency-Key", key);
    }
    let res = req.send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.json().await.unwrap_or(Value::Null))
}

async fn customer_total(portal: &TestPortal) -> usize {
    customer::Entity::find().all(&portal.database().await).await.unwrap().len()
}

const NEW_CUSTOMER: &str = r#"{
    "name": "Orbit Analytics", "productType": "professional", "reference": "ORB-1", "country": "DE",
    "primaryUser": { "displayName": "Olga Orbit", "email": "olga@orbit.example" },
    "connection": { "accountId": "0123456789abcdef0123456789abcdef", "autoAgentAddon": true },
    "roles": { "essential": true, "supervisor": "reports", "userAdministrator": true }
}"#;

#[tokio::test]
async fn post_creates_a_customer_in_one_call_and_an_idempotency_key_replays_it() {
    let portal = spawn().await;
    let (id, secret) = credentials(&portal, DEMO_EMAIL).await;
    let bearer = token(&portal, &id, &secret).await;
    let before = customer_total(&portal).await;
    let (status, headers, body) = post(&portal, &bearer, Some("order-4711"), NEW_CUSTOMER).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let tenant = body["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(headers["location"], format!("/api/v1/customers/{tenant}"));
    assert_eq!((body["data"]["name"].as_str(), body["data"]["productType"].as_str(), body["data"]["timeZone"].as_str()), (Some("Orbit Analytics"), Some("professional"), Some("Europe/Berlin")));
    let db = portal.database().await;
    let tenant_id: uuid::Uuid = tenant.parse().unwrap();
    let users = domain::entity::customer_user::Entity::find().filter(domain::entity::customer_user::Column::CustomerId.eq(tenant_id)).all(&db).await.unwrap();
    assert_eq!(users.len(), 1);
    assert!(users[0].user_admin && users[0].essential && users[0].supervisor == model::roles::Supervisor::Reports);
    let conn = domain::entity::pbx_connection::Entity::find().filter(domain::entity::pbx_connection::Column::CustomerId.eq(tenant_id)).one(&db).await.unwrap().unwrap();
    assert!(conn.enabled && conn.auto_agent_addon, "the default template, enabled");
    let created = activity::Entity::find().filter(activity::Column::CustomerId.eq(tenant_id)).one(&db).await.unwrap().unwrap();
    assert_eq!(created.actor, format!("API client {id}"));

    // A retry with the same key and body gets the same answer; nothing new is stored.
    let (status, headers, again) = post(&portal, &bearer, Some("order-4711"), NEW_CUSTOMER).await;
    assert_eq!((status, again.clone()), (StatusCode::CREATED, body.clone()));
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(headers["location"].to_str().unwrap(), format!("/api/v1/customers/{tenant}"));
    assert_eq!(customer_total(&portal).await, before + 1);
    // The same key with another body is refused.
    let other = NEW_CUSTOMER.replace("Orbit Analytics", "Orbit Two");
    let (status, _, refused) = post(&portal, &bearer, Some("order-4711"), &other).await;
    assert_eq!((status, refused["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("idempotency_key_reused")));
    assert!(refused["fields"]["Idempotency-Key"].is_string());
    // Two concurrent first requests with one key: one customer.
    let third = NEW_CUSTOMER.replace("Orbit Analytics", "Orbit Three");
    let (a, b) = tokio::join!(post(&portal, &bearer, Some("order-4712"), &third), post(&portal, &bearer, Some("order-4712"), &third));
    assert_eq!(a.2["data"]["id"], b.2["data"]["id"], "{:?} {:?}", a.2, b.2);
    assert_eq!(customer_total(&portal).await, before + 2);
}

#[tokio::test]
async fn bad_bodies_name_the_field_and_store_nothing() {
    let portal = spawn().await;
    let (id, secret) = credentials(&portal, DEMO_EMAIL).await;
    let bearer = token(&portal, &id, &secret).await;
    let before = customer_total(&portal).await;
    let long = "x".repeat(101);
    for (body, status, field) in [
        ("{ not json".to_owned(), StatusCode::BAD_REQUEST, "body"),
        (NEW_CUSTOMER.replace(r#""Orbit Analytics""#, "5"), StatusCode::BAD_REQUEST, "name"),
        (NEW_CUSTOMER.replace(r#""displayName": "Olga Orbit""#, r#""displayName": ["Olga"]"#), StatusCode::BAD_REQUEST, "primaryUser.displayName"),
        (NEW_CUSTOMER.replace(r#""supervisor": "reports""#, r#""supervisor": "boss""#), StatusCode::BAD_REQUEST, "roles.supervisor"),
        (NEW_CUSTOMER.replace("Orbit Analytics", &long), StatusCode::UNPROCESSABLE_ENTITY, "name"),
        (NEW_CUSTOMER.replace("olga@orbit.example", "olga"), StatusCode::UNPROCESSABLE_ENTITY, "primaryUser.email"),
        (NEW_CUSTOMER.replace("0123456789abcdef0123456789abcdef", "short"), StatusCode::UNPROCESSABLE_ENTITY, "connection.accountId"),
        (NEW_CUSTOMER.replace(r#""productType": "professional""#, r#""productType": "platinum""#), StatusCode::UNPROCESSABLE_ENTITY, "productType"),
        (NEW_CUSTOMER.replace(r#""accountId""#, r#""templateId": 999999, "accountId""#), StatusCode::UNPROCESSABLE_ENTITY, "connection.templateId"),
    ] {
        let (got, _, answer) = post(&portal, &bearer, None, &body).await;
        assert_eq!(got, status, "{field}: {answer}");
        assert!(answer["fields"][field].is_string(), "{field}: {answer}");
        assert!(answer["message"].is_string(), "{answer}");
    }
    // Unknown fields are refused rather than silently ignored.
    let (got, _, answer) = post(&portal, &bearer, None, &NEW_CUSTOMER.replace(r#""reference""#, r#""referense""#)).await;
    assert_eq!(got, StatusCode::BAD_REQUEST, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("referense"), "{answer}");
    assert_eq!(customer_total(&portal).await, before, "nothing was stored");
}

async fn patch(portal: &TestPortal, bearer: &str, id: &str, body: &str) -> (StatusCode, Value) {
    let res = portal
        .client
        .patch(portal.url(&format!("/api/v1/customers/{id}")))
        .bearer_auth(bearer)
        .header("content-type", "application/merge-patch+json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn patch_merges_editable_fields_status_and_a_scheduled_termination() {
    let portal = spawn().await;
    let (id, secret) = credentials(&portal, DEMO_EMAIL).await;
    let bearer = token(&portal, &id, &secret).await;
    let db = portal.database().await;
    let acme = customer::Entity::find().filter(customer::Column::Name.eq("Acme Logistics")).one(&db).await.unwrap().unwrap();
    let tenant = acme.id.to_string();
    let day = (chrono::Utc::now() + chrono::Duration::days(30)).date_naive().to_string();

    // Refused patches change nothing, and name the field.
    let long = "x".repeat(101);
    for (body, status, field) in [
        (format!(r#"{{"name": "{long}", "status": "disabled"}}"#), StatusCode::UNPROCESSABLE_ENTITY, "name"),
        (r#"{"status": "terminated"}"#.to_owned(), StatusCode::BAD_REQUEST, "status"),
        (r#"{"inHouse": "yes"}"#.to_owned(), StatusCode::BAD_REQUEST, "inHouse"),
        (r#"{"id": "00000000-0000-4000-8000-000000000000"}"#.to_owned(), StatusCode::BAD_REQUEST, "id"),
        (r#"{"terminateOn": "2020-01-01"}"#.to_owned(), StatusCode::UNPROCESSABLE_ENTITY, "terminateOn"),
        (r#"[1, 2]"#.to_owned(), StatusCode::BAD_REQUEST, "body"),
    ] {
        let (got, answer) = patch(&portal, &bearer, &tenant, &body).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert!(answer["fields"][field].is_string(), "{body}: {answer}");
    }
    assert_eq!(customer::Entity::find_by_id(acme.id).one(&db).await.unwrap().unwrap(), acme);

    let (status, body) = patch(&portal, &bearer, &tenant, &format!(r#"{{"reference": "ACME-002", "notes": "Moved to API provisioning.", "status": "disabled", "terminateOn": "{day}"}}"#)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["data"]["reference"].as_str(), body["data"]["status"].as_str(), body["data"]["terminateOn"].as_str()), (Some("ACME-002"), Some("disabled"), Some(day.as_str())));
    let (status, body) = patch(&portal, &bearer, &tenant, r#"{"status": "active", "terminateOn": null}"#).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["data"]["status"].as_str(), body["data"]["terminateOn"].as_str()), (Some("active"), None));
    let log: Vec<String> = activity::Entity::find().filter(activity::Column::CustomerId.eq(acme.id)).all(&db).await.unwrap().into_iter().map(|a| a.actor).collect();
    assert!(log.iter().filter(|a| **a == format!("API client {id}")).count() >= 4, "{log:?}");

    // Another reseller's customer: 404, like a missing one.
    let (other_id, other_secret) = credentials(&portal, OTHER_EMAIL).await;
    let other = token(&portal, &other_id, &other_secret).await;
    let (status, _) = patch(&portal, &other, &tenant, r#"{"reference": "MINE"}"#).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
