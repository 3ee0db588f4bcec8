//! The API against its own OpenAPI document: [`Api`] is a client for the tests that checks every
//! answer against `/api/v1/openapi.json` as served (the status must be documented for that
//! operation, the body must match the documented schema, with no undocumented members), and
//! `every_documented_operation_is_exercised_and_answers_as_documented` walks all operations.

use crate::support::*;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Mutex;

/// Credentials for the reseller whose administrator signs in with `email`.
pub async fn credentials(portal: &TestPortal, email: &str) -> (String, String) {
    let db = portal.database().await;
    let created = domain::operator::create_api_client(
        &db,
        email,
        &format!("Provisioning robot {}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
        domain::api_clients::api_permissions(),
    )
    .await
    .unwrap();
    (created.client.client_id, created.secret)
}

/// A bearer token for the credentials.
pub async fn token(portal: &TestPortal, client_id: &str, secret: &str) -> String {
    let res = portal
        .client
        .post(portal.url("/api/v1/oauth/token"))
        .form(&[("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", secret)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// An API client whose every answer is checked against the OpenAPI document.
pub struct Api<'a> {
    pub portal: &'a TestPortal,
    pub bearer: String,
    pub client_id: String,
    document: Value,
    /// `METHOD /path/{template}` of each operation called.
    pub called: Mutex<BTreeSet<String>>,
}

/// An answer: status, headers and JSON body (`Null` when empty).
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl<'a> Api<'a> {
    /// Signs in as a new API client of `email`'s reseller.
    pub async fn open(portal: &'a TestPortal, email: &str) -> Api<'a> {
        let (client_id, secret) = credentials(portal, email).await;
        let bearer = token(portal, &client_id, &secret).await;
        let document: Value = portal.client.get(portal.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
        Api { portal, bearer, client_id, document, called: Mutex::new(BTreeSet::new()) }
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let a = self.send(Method::GET, path, None, &[]).await;
        (a.status, a.body)
    }

    pub async fn post(&self, path: &str, body: &str) -> (StatusCode, Value) {
        let a = self.send(Method::POST, path, Some(body), &[]).await;
        (a.status, a.body)
    }

    pub async fn patch(&self, path: &str, body: &str) -> (StatusCode, Value) {
        let a = self.send(Method::PATCH, path, Some(body), &[]).await;
        (a.status, a.body)
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        let a = self.send(Method::DELETE, path, None, &[]).await;
        (a.status, a.body)
    }

    /// Sends a request with the bearer token (unless `headers` carry their own Authorization)
    /// and checks the answer against the document.
    pub async fn send(&self, method: Method, path: &str, body: Option<&str>, headers: &[(&str, &str)]) -> Answer {
        let mut request = self.portal.client.request(method.clone(), self.portal.url(path));
        if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("authorization")) {
            request = request.header(AUTHORIZATION, format!("Bearer {}", self.bearer));
        }
        for (name, value) in headers {
            request = request.header(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
        }
        if let Some(body) = body {
            if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type")) {
                request = request.header(CONTENT_TYPE, "application/json");
            }
            request = request.body(body.to_owned());
        }
        let res = request.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {text}")) };
        self.check(&method, path, status, &headers, &text, &body);
        Answer { status, headers, body }
    }

    /// Panics unless the answer is one the document gives for this operation.
    fn check(&self, method: &Method, path: &str, status: StatusCode, headers: &HeaderMap, text: &str, body: &Value) {
        let path = path.split('?').next().unwrap();
        let template = self.template(path).unwrap_or_else(|| panic!("{method} {path}: no such path in the OpenAPI document"));
        let operation = &self.document["paths"][&template][method.as_str().to_lowercase()];
        assert!(operation.is_object(), "{method} {template}: not documented");
        self.called.lock().unwrap().insert(format!("{method} {template}"));
        let response = &operation["responses"][status.as_str()];
        assert!(response.is_object(), "{method} {path} answered {status}, which the document does not list for it: {text}");
        // A documented Location is always sent (other documented headers are conditional).
        if response["headers"]["Location"].is_object() {
            assert!(headers.get("location").is_some(), "{method} {path} {status}: no Location header");
        }
        let content = &response["content"];
        if content.is_null() {
            assert!(text.is_empty(), "{method} {path} {status}: the document promises no body, got {text}");
            return;
        }
        let media = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(media.starts_with("application/json"), "{method} {path} {status}: Content-Type {media}");
        let schema = &content["application/json"]["schema"];
        assert!(schema.is_object(), "{method} {template} {status}: no JSON schema");
        let errors = validate(&self.document, schema, body);
        assert!(errors.is_empty(), "{method} {path} {status} does not match the document:\n{}\n{body:#}", errors.join("\n"));
    }

    /// The document's path template that `path` is an instance of.
    fn template(&self, path: &str) -> Option<String> {
        let segments: Vec<&str> = path.split('/').collect();
        self.document["paths"].as_object()?.keys().find(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == segments.len() && parts.iter().zip(&segments).all(|(t, s)| (t.starts_with('{') && t.ends_with('}') && !s.is_empty()) || t == s)
        }).cloned()
    }

    /// Every operation the document lists, as `METHOD /path`.
    pub fn documented(&self) -> BTreeSet<String> {
        let mut all = BTreeSet::new();
        for (path, item) in self.document["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                all.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
        all
    }
}

/// The schema's complaints about `value`, resolving `$ref`s in the document's components.
/// Objects are closed first (`additionalProperties: false` unless stated), so a member the code
/// sends but the document does not describe is caught too.
fn validate(document: &Value, schema: &Value, value: &Value) -> Vec<String> {
    let mut components = document["components"].clone();
    if let Some(schemas) = components["schemas"].as_object_mut() {
        for s in schemas.values_mut() {
            close_objects(s);
        }
    }
    let mut root = schema.clone();
    close_objects(&mut root);
    root["components"] = components;
    let validator = jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("the document's schema does not compile: {e}\n{root:#}"));
    validator.iter_errors(value).map(|e| format!("  at {}: {e}", e.instance_path())).collect()
}

fn close_objects(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            for v in map.values_mut() {
                close_objects(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

/// A customer of the API's reseller, by name.
pub async fn tenant_named(portal: &TestPortal, name: &str) -> String {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let db = portal.database().await;
    domain::entity::customer::Entity::find().filter(domain::entity::customer::Column::Name.eq(name)).one(&db).await.unwrap().unwrap().id.to_string()
}

#[tokio::test]
async fn every_documented_operation_is_exercised_and_answers_as_documented() {
    let portal = spawn().await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let acme = tenant_named(&portal, "Acme Logistics").await;
    let missing = "00000000-0000-4000-8000-000000000000";

    // Authentication, successes and refusals.
    let form = [("content-type", "application/x-www-form-urlencoded"), ("authorization", "Basic bm9ib2R5Om5vdGhpbmc=")];
    assert_eq!(api.send(Method::POST, "/api/v1/oauth/token", Some("grant_type=client_credentials"), &form).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(api.send(Method::POST, "/api/v1/oauth/token", Some("grant_type=password"), &form[..1]).await.status, StatusCode::BAD_REQUEST);
    let (id, secret) = credentials(&portal, DEMO_EMAIL).await;
    let good = format!("grant_type=client_credentials&client_id={id}&client_secret={secret}");
    assert_eq!(api.send(Method::POST, "/api/v1/oauth/token", Some(&good), &form[..1]).await.status, StatusCode::OK);
    assert_eq!(api.send(Method::GET, "/api/v1/customers", None, &[("authorization", "Bearer nope")]).await.status, StatusCode::UNAUTHORIZED);

    // Customers and product types.
    assert_eq!(api.get("/api/v1/product-types").await.0, StatusCode::OK);
    assert_eq!(api.get("/api/v1/customers?pageSize=2&filter=a").await.0, StatusCode::OK);
    assert_eq!(api.get("/api/v1/customers?pageSize=0").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(api.get(&format!("/api/v1/customers/{acme}")).await.0, StatusCode::OK);
    assert_eq!(api.get(&format!("/api/v1/customers/{missing}")).await.0, StatusCode::NOT_FOUND);
    let new = json!({
        "name": "Contract Test Ltd", "productType": "professional", "country": "GB", "trialExpiresOn": null,
        "primaryUser": {"displayName": "Casey Contract", "email": "casey@contract.example"},
        "connection": {"accountId": "0123456789abcdef0123456789abcdef"}
    })
    .to_string();
    let created = api.send(Method::POST, "/api/v1/customers", Some(&new), &[("idempotency-key", "contract-1")]).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert!(created.headers.get("location").is_some());
    let tenant = created.body["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(api.send(Method::POST, "/api/v1/customers", Some(&new), &[("idempotency-key", "contract-1")]).await.status, StatusCode::CREATED);
    assert_eq!(api.send(Method::POST, "/api/v1/customers", Some("{}"), &[("idempotency-key", "contract-1")]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.post("/api/v1/customers", r#"{"name": 7}"#).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(api.post("/api/v1/customers", &new).await.0, StatusCode::UNPROCESSABLE_ENTITY, "the name is taken now");
    let path = format!("/api/v1/customers/{tenant}");
    assert_eq!(api.patch(&path, r#"{"notes": "Patched.", "status": "disabled"}"#).await.0, StatusCode::OK);
    assert_eq!(api.patch(&path, r#"{"notes": null}"#).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(api.patch(&path, r#"{"country": "XX"}"#).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.patch(&format!("/api/v1/customers/{missing}"), "{}").await.0, StatusCode::NOT_FOUND);

    // Users.
    let users = format!("{path}/users");
    let (status, page) = api.get(&format!("{users}?pageSize=10")).await;
    assert_eq!(status, StatusCode::OK);
    let primary = page["data"]["items"][0]["id"].as_i64().unwrap();
    assert_eq!(api.get(&format!("{users}?pageIndex=-1")).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(api.get(&format!("/api/v1/customers/{missing}/users")).await.0, StatusCode::NOT_FOUND);
    let (status, added) = api.post(&users, r#"{"displayName": "Robin Roles", "email": "robin@contract.example", "roles": {"professional": true}}"#).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let robin = added["data"]["id"].as_i64().unwrap();
    assert_eq!(api.post(&users, r#"{"displayName": "Robin Again", "email": "ROBIN@contract.example"}"#).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.post(&users, r#"{"displayName": "x", "email": "y", "admin": true}"#).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(api.get(&format!("{users}/{robin}")).await.0, StatusCode::OK);
    assert_eq!(api.get(&format!("{users}/999999")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(api.patch(&format!("{users}/{robin}"), r#"{"roles": {"essential": true, "supervisor": "reports"}}"#).await.0, StatusCode::OK);
    assert_eq!(api.patch(&format!("{users}/{robin}"), r#"{"roles": {"supervisor": "boss"}}"#).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(api.patch(&format!("{users}/{primary}"), r#"{"roles": {"essential": true}}"#).await.0, StatusCode::UNPROCESSABLE_ENTITY, "the last User Administrator");
    assert_eq!(api.delete(&format!("{users}/{primary}")).await.0, StatusCode::CONFLICT, "the last User Administrator");
    assert_eq!(api.delete(&format!("{users}/{robin}")).await.0, StatusCode::NO_CONTENT);
    assert_eq!(api.delete(&format!("{users}/{robin}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(api.get(&format!("{path}/removed-pbx-users")).await.0, StatusCode::OK);
    assert_eq!(api.delete(&format!("{path}/removed-pbx-users/nobody")).await.0, StatusCode::NOT_FOUND);

    // PBX connections.
    let (status, pbxs) = api.get(&format!("{path}/pbxs")).await;
    assert_eq!(status, StatusCode::OK);
    let pbx = format!("{path}/pbxs/{}", pbxs["data"][0]["id"].as_i64().unwrap());
    assert_eq!(api.get(&pbx).await.0, StatusCode::OK);
    assert_eq!(api.get(&format!("{path}/pbxs/0")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(api.patch(&pbx, r#"{"accountId": "not hex"}"#).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.patch(&pbx, r#"{"enabled": "no"}"#).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(api.patch(&pbx, r#"{"enabled": false}"#).await.0, StatusCode::OK);
    assert_eq!(api.post(&format!("{pbx}/sync"), "").await.0, StatusCode::CONFLICT, "a disabled connection");
    assert_eq!(api.patch(&pbx, r#"{"enabled": true}"#).await.0, StatusCode::OK);
    assert_eq!(api.post(&format!("{pbx}/sync"), "").await.0, StatusCode::ACCEPTED);
    assert_eq!(api.post(&format!("/api/v1/customers/{missing}/pbxs/1/sync"), "").await.0, StatusCode::NOT_FOUND);

    // Billing.
    assert_eq!(api.get("/api/v1/billing").await.0, StatusCode::OK);
    let last_month = {
        use chrono::Datelike;
        let first = chrono::Utc::now().date_naive().with_day(1).unwrap() - chrono::Duration::days(1);
        format!("{:04}-{:02}", first.year(), first.month())
    };
    assert_eq!(api.get(&format!("/api/v1/billing/{last_month}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(api.get("/api/v1/billing/2026-13").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.post("/api/v1/billing/2999-01", "").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.post(&format!("/api/v1/billing/{last_month}"), "").await.0, StatusCode::OK);
    assert_eq!(api.get(&format!("/api/v1/billing/{last_month}")).await.0, StatusCode::OK);

    // Events: the feed and the activity log.
    let (status, feed) = api.get("/api/v1/events?limit=5&types=customer.created").await;
    assert_eq!(status, StatusCode::OK, "{feed}");
    let after = feed["data"]["nextCursor"].as_str().unwrap().to_owned();
    assert_eq!(api.get(&format!("/api/v1/events?after={after}")).await.0, StatusCode::OK);
    assert_eq!(api.get("/api/v1/events?after=forged").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(api.get(&format!("/api/v1/activity?customer={tenant}&limit=2")).await.0, StatusCode::OK);
    assert_eq!(api.get("/api/v1/activity?from=yesterday").await.0, StatusCode::BAD_REQUEST);

    // Webhooks.
    assert_eq!(api.get("/api/v1/webhooks").await.0, StatusCode::OK);
    let (status, hook) = api.post("/api/v1/webhooks", r#"{"url": "https://hooks.example.com/contract", "eventTypes": ["customer.created"]}"#).await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let hook = format!("/api/v1/webhooks/{}", hook["data"]["endpoint"]["id"].as_i64().unwrap());
    assert_eq!(api.post("/api/v1/webhooks", r#"{"url": "http://127.0.0.1/x", "enabled": true, "extra": 1}"#).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(api.post("/api/v1/webhooks", r#"{"url": "ftp://hooks.example.com/"}"#).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.get(&hook).await.0, StatusCode::OK);
    assert_eq!(api.get("/api/v1/webhooks/999999").await.0, StatusCode::NOT_FOUND);
    assert_eq!(api.patch(&hook, r#"{"description": "Contract"}"#).await.0, StatusCode::OK);
    assert_eq!(api.send(Method::PATCH, &hook, Some("{}"), &[("if-match", "\"1\"")]).await.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(api.post(&format!("{hook}/secret"), "").await.0, StatusCode::OK);
    let (status, test) = api.post(&format!("{hook}/test"), "").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{test}");
    let (status, log) = api.get(&format!("{hook}/deliveries?limit=5")).await;
    assert_eq!(status, StatusCode::OK, "{log}");
    assert_eq!(api.get(&format!("{hook}/deliveries?limit=0")).await.0, StatusCode::BAD_REQUEST);
    let delivery = test["data"]["id"].as_i64().unwrap();
    assert_eq!(api.post(&format!("{hook}/deliveries/{delivery}/resend"), "").await.0, StatusCode::ACCEPTED);
    assert_eq!(api.post(&format!("{hook}/deliveries/999999/resend"), "").await.0, StatusCode::NOT_FOUND);
    assert_eq!(api.delete(&hook).await.0, StatusCode::NO_CONTENT);
    assert_eq!(api.delete(&hook).await.0, StatusCode::NOT_FOUND);

    // Terminating last, since it makes the customer read-only.
    assert_eq!(api.delete(&path).await.0, StatusCode::OK);
    assert_eq!(api.delete(&path).await.0, StatusCode::CONFLICT);
    assert_eq!(api.patch(&pbx, r#"{"enabled": false}"#).await.0, StatusCode::CONFLICT);

    let called = api.called.lock().unwrap().clone();
    let missed: Vec<String> = api.documented().difference(&called).cloned().collect();
    assert!(missed.is_empty(), "operations the contract test never called: {missed:?}");
}

#[tokio::test]
async fn a_rate_limited_answer_is_documented_too() {
    let portal = spawn_with(&["--api-requests-per-minute", "2"], |_| {}).await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(api.get("/api/v1/product-types").await.0);
    }
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
}

#[tokio::test]
async fn the_document_is_openapi_3_1_with_bearer_security_on_every_resource() {
    let portal = spawn().await;
    let res = portal.client.get(portal.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = res.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let secured = op["security"].is_array();
            assert_eq!(secured, path != "/api/v1/oauth/token", "{method} {path}");
            assert!(op["summary"].is_string(), "{method} {path} has a summary");
        }
    }
}

#[tokio::test]
async fn the_checker_refuses_what_the_document_does_not_describe() {
    let portal = spawn().await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let acme = tenant_named(&portal, "Acme Logistics").await;
    let (_, good) = api.get(&format!("/api/v1/customers/{acme}")).await;
    let schema = json!({"$ref": "#/components/schemas/CustomerData"});
    assert!(validate(&api.document, &schema, &good).is_empty());
    let mut extra = good.clone();
    extra["data"]["secret"] = json!("leaked");
    let mut wrong = good.clone();
    wrong["data"]["inHouse"] = json!("no");
    let mut missing = good.clone();
    missing["data"].as_object_mut().unwrap().remove("status");
    for bad in [extra, wrong, missing] {
        assert!(!validate(&api.document, &schema, &bad).is_empty(), "{bad}");
    }
    assert_eq!(api.template(&format!("/api/v1/customers/{acme}/pbxs/3/sync")).as_deref(), Some("/api/v1/customers/{id}/pbxs/{pbxId}/sync"));
}
