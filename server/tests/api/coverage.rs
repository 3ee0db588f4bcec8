//! Every door checks who is calling. For every server function the app registers and every
//! operation the REST API documents, this calls it:
//! - without a session or token: 401 (unless it is one of the few public ones);
//! - as a caller lacking the permission it needs: 403;
//! - with another reseller's ids: 404, exactly like a missing one.
//!
//! The lists are checked against what is registered and documented, so a new server function or
//! REST operation without an entry here fails the test until someone says how it is guarded.

use crate::contract::Api;
use crate::support::*;
use domain::entity::{api_client, customer, customer_user, pbx_template, reseller, reseller_user, webhook_delivery};
use model::{Permission, Permissions};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Records of one reseller that calls name.
#[derive(Clone, Debug)]
struct Ids {
    customer: String,
    customer_user: i64,
    template: i64,
    reseller_user: i64,
    api_client: i64,
    webhook: i64,
    webhook_delivery: i64,
}

/// Gives both demo resellers what the calls name: API credentials and a PBX template.
async fn prepare(portal: &TestPortal) {
    for email in [DEMO_EMAIL, OTHER_EMAIL] {
        crate::contract::credentials(portal, email).await;
        let s = portal.sign_in(email, DEMO_PASSWORD).await;
        let mut form = template_form();
        form["name"] = json!("Coverage template");
        let (status, body) = call_fn_text::<app::api::pbx_templates::CreatePbxTemplate>(portal, Some(&s), json!({ "form": form })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // And a user on the customer the calls name (the seed gives some customers none).
        let db = portal.database().await;
        let r = reseller_user::Entity::find().filter(reseller_user::Column::EmailKey.eq(email)).one(&db).await.unwrap().unwrap();
        let c = first_active_customer(&db, r.reseller_id).await;
        let add = json!({ "id": c.id, "user": { "display_name": "Cov Erage", "email": "cov.erage@coverage.example" }, "roles": model::roles::Roles::default() });
        let (status, body) = call_fn_text::<app::api::customers::AddCustomerUser>(portal, Some(&s), add).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // A webhook endpoint with one delivery.
        let (status, body) = call_fn_text::<app::api::webhooks::CreateWebhook>(portal, Some(&s), json!({ "form": webhook_form() })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let id = serde_json::from_str::<Value>(&body).unwrap()["endpoint"]["id"].as_i64().unwrap();
        let (status, body) = call_fn_text::<app::api::webhooks::SendTestWebhook>(portal, Some(&s), json!({ "id": id })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

fn webhook_form() -> Value {
    json!({ "url": "https://hooks.example.com/coverage", "description": "", "event_types": "", "enabled": true })
}

async fn first_active_customer(db: &sea_orm::DatabaseConnection, reseller_id: i64) -> customer::Model {
    customer::Entity::find()
        .filter(customer::Column::ResellerId.eq(reseller_id))
        .filter(customer::Column::Status.eq("active"))
        .order_by_asc(customer::Column::Name)
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

async fn ids_of(db: &sea_orm::DatabaseConnection, reseller_name: &str) -> Ids {
    let r = reseller::Entity::find().filter(reseller::Column::Name.eq(reseller_name)).one(db).await.unwrap().unwrap();
    let c = first_active_customer(db, r.id).await;
    let u = customer_user::Entity::find().filter(customer_user::Column::CustomerId.eq(c.id)).one(db).await.unwrap().unwrap();
    let t = pbx_template::Entity::find().filter(pbx_template::Column::ResellerId.eq(r.id)).one(db).await.unwrap().unwrap();
    let ru = reseller_user::Entity::find().filter(reseller_user::Column::ResellerId.eq(r.id)).one(db).await.unwrap().unwrap();
    let ac = api_client::Entity::find().filter(api_client::Column::ResellerId.eq(r.id)).one(db).await.unwrap().unwrap();
    let wd = webhook_delivery::Entity::find().filter(webhook_delivery::Column::ResellerId.eq(r.id)).one(db).await.unwrap().unwrap();
    Ids {
        customer: c.id.to_string(),
        customer_user: u.id,
        template: t.id,
        reseller_user: ru.id,
        api_client: ac.id,
        webhook: wd.endpoint_id,
        webhook_delivery: wd.id,
    }
}

/// How a server function is guarded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Guard {
    /// Open without a session (signing in, activation links, demo-mode flags).
    Public,
    /// A session with Website Access.
    Session,
    /// A session with this permission too.
    Needs(Permission),
}

/// One server function: its guard, whether it names a record of the caller's reseller, and its
/// arguments for the records `ids`.
struct Entry {
    path: &'static str,
    guard: Guard,
    names_a_record: bool,
    body: fn(&Ids) -> Value,
    /// The body in the function's wire format.
    encode: fn(&Value) -> Vec<u8>,
}

fn entry<S: WireFn>(guard: Guard, names_a_record: bool, body: fn(&Ids) -> Value) -> Entry {
    Entry { path: S::PATH, guard, names_a_record, body, encode: wire_args::<S> }
}

fn template_form() -> Value {
    serde_json::to_value(model::pbx::TemplateForm {
        name: "Coverage".into(),
        kind: model::pbx::PbxKind::Kazoo,
        api_url: "https://kazoo.example.com/v2".into(),
        websocket_url: "wss://kazoo.example.com".into(),
        secret: "k".into(),
        ..Default::default()
    })
    .unwrap()
}

fn server_functions() -> Vec<Entry> {
    use app::api::{activity::*, api_clients::*, auth::*, billing::*, customers::*, outbox::*, pbx_templates::*, users::*, webhooks::*};
    use Guard::*;
    use Permission::*;
    let none = |_: &Ids| json!({});
    let customer = |i: &Ids| json!({ "id": i.customer });
    let roles = serde_json::to_value(model::roles::Roles::primary_default()).unwrap();
    let _ = roles;
    vec![
        entry::<ListApiClients>(Needs(RestApiAdministrator), false, none),
        entry::<CreateApiClient>(Needs(RestApiAdministrator), false, |_| json!({ "name": "Coverage", "permissions": 5 })),
        entry::<RevokeApiClient>(Needs(RestApiAdministrator), true, |i| json!({ "id": i.api_client })),
        entry::<SignedInUser>(Session, false, none),
        entry::<SignIn>(Public, false, |_| json!({ "email": "nobody@example.com", "password": "x", "next": null })),
        entry::<SignOut>(Public, false, none),
        entry::<DemoSignIn>(Public, false, none),
        entry::<BillingRuns>(Needs(BillingAdministrator), false, none),
        entry::<BillingStart>(Needs(BillingAdministrator), false, |_| json!({ "month": null })),
        entry::<FetchBillingRun>(Needs(BillingAdministrator), false, |_| json!({ "period": "2026-10" })),
        entry::<RunBilling>(Needs(BillingAdministrator), false, |_| json!({ "period": "2026-10" })),
        entry::<ListCustomers>(Session, false, |_| json!({ "query": model::customer::GridQuery::default() })),
        entry::<ListWebhooks>(Needs(WebhooksAdministrator), false, none),
        entry::<CreateWebhook>(Needs(WebhooksAdministrator), false, |_| json!({ "form": webhook_form() })),
        entry::<UpdateWebhook>(Needs(WebhooksAdministrator), true, |i| json!({ "id": i.webhook, "version": 1, "form": webhook_form() })),
        entry::<DeleteWebhook>(Needs(WebhooksAdministrator), true, |i| json!({ "id": i.webhook })),
        entry::<RotateWebhookSecret>(Needs(WebhooksAdministrator), true, |i| json!({ "id": i.webhook })),
        entry::<SendTestWebhook>(Needs(WebhooksAdministrator), true, |i| json!({ "id": i.webhook })),
        entry::<WebhookDeliveries>(Needs(WebhooksAdministrator), true, |i| json!({ "id": i.webhook, "before": null })),
        entry::<ResendWebhookDelivery>(Needs(WebhooksAdministrator), true, |i| json!({ "id": i.webhook, "delivery_id": i.webhook_delivery })),
        entry::<ActivityPage>(Session, false, |_| json!({ "filter": model::events::EventFilter::default(), "before": null })),
        entry::<LoadWizardOptions>(Needs(CustomerAdministrator), false, none),
        entry::<CustomerNameAvailable>(Session, false, |_| json!({ "name": "Anything", "except": null })),
        entry::<CreateCustomer>(Needs(CustomerAdministrator), false, |i| {
            json!({ "customer": {
                "request_key": "coverage-0001",
                "details": { "name": "Coverage Co", "product_type": "professional", "reference": "", "country": "GB", "notes": "", "trial": false, "trial_expires_on": "", "in_house": false },
                "primary_user": { "display_name": "Cov Erage", "email": "cov@coverage.example" },
                "connection": { "template_id": i.template, "account_id": "0123456789abcdef0123456789abcdef", "directory_tenant_id": "", "auto_provision_sub_accounts": false, "auto_agent_addon": false, "create_disabled": true },
                "roles": model::roles::Roles::primary_default(),
            } })
        }),
        entry::<LoadCustomer>(Session, true, customer),
        entry::<UpdateCustomer>(Needs(CustomerAdministrator), true, |i| {
            json!({ "id": i.customer, "version": 1, "details": { "name": "Renamed", "product_type": "professional", "reference": "", "country": "GB", "notes": "", "trial": false, "trial_expires_on": "", "in_house": false } })
        }),
        entry::<CustomerUsers>(Session, true, customer),
        entry::<AddCustomerUser>(Needs(CustomerAdministrator), true, |i| {
            json!({ "id": i.customer, "user": { "display_name": "New One", "email": "new.one@coverage.example" }, "roles": model::roles::Roles::default() })
        }),
        entry::<SetCustomerUserRoles>(Needs(CustomerAdministrator), true, |i| {
            json!({ "id": i.customer, "user_id": i.customer_user, "version": 1, "roles": model::roles::Roles::primary_default() })
        }),
        entry::<RemoveCustomerUser>(Needs(CustomerAdministrator), true, |i| json!({ "id": i.customer, "user_id": i.customer_user })),
        entry::<IgnoredPbxUsers>(Session, true, customer),
        entry::<ImportPbxUserAgain>(Needs(CustomerAdministrator), true, |i| json!({ "id": i.customer, "pbx_id": "no-such-pbx-user" })),
        entry::<ResendInvitation>(Needs(CustomerAdministrator), true, |i| json!({ "id": i.customer, "user_id": i.customer_user })),
        entry::<CustomerConnection>(Session, true, customer),
        entry::<UpdateConnection>(Needs(CustomerAdministrator), true, |i| {
            json!({ "id": i.customer, "version": 1, "enabled": false, "form": { "template_id": i.template, "account_id": "0123456789abcdef0123456789abcdef", "directory_tenant_id": "", "auto_provision_sub_accounts": false, "auto_agent_addon": false, "create_disabled": false } })
        }),
        entry::<CustomerSyncStatus>(Session, true, customer),
        entry::<SyncCustomerNow>(Needs(CustomerAdministrator), true, customer),
        entry::<CustomerActivity>(Session, true, customer),
        entry::<DisableCustomer>(Needs(CustomerAdministrator), true, customer),
        entry::<ReenableCustomer>(Needs(CustomerAdministrator), true, customer),
        entry::<TerminateCustomer>(Needs(CustomerAdministrator), true, |i| json!({ "id": i.customer, "confirm_name": "x", "on": "2099-01-01" })),
        entry::<CancelTermination>(Needs(CustomerAdministrator), true, customer),
        entry::<ConvertTrial>(Needs(CustomerAdministrator), true, customer),
        entry::<ExtendTrial>(Needs(CustomerAdministrator), true, |i| json!({ "id": i.customer, "until": "2099-01-01" })),
        entry::<DemoMode>(Public, false, none),
        entry::<ListOutbox>(Needs(ManageUsers), false, none),
        entry::<PbxTemplatesPage>(Session, false, none),
        entry::<CreatePbxTemplate>(Needs(CustomerAdministrator), false, |_| json!({ "form": template_form() })),
        entry::<UpdatePbxTemplate>(Needs(CustomerAdministrator), true, |i| json!({ "id": i.template, "version": 1, "form": template_form() })),
        entry::<DeletePbxTemplate>(Needs(CustomerAdministrator), true, |i| json!({ "id": i.template })),
        entry::<TestPbxTemplate>(Needs(CustomerAdministrator), true, |i| json!({ "id": i.template })),
        entry::<ListResellerUsers>(Needs(ManageUsers), false, none),
        entry::<CreateResellerUser>(Needs(ManageUsers), false, |_| json!({ "form": { "display_name": "Cov User", "email": "cov.user@coverage.example", "permissions": 1 } })),
        entry::<UpdateResellerUser>(Needs(ManageUsers), true, |i| json!({ "id": i.reseller_user, "form": { "display_name": "Renamed", "email": "", "permissions": 1 } })),
        entry::<SetResellerUserActive>(Needs(ManageUsers), true, |i| json!({ "id": i.reseller_user, "active": false })),
        entry::<ResendActivation>(Needs(ManageUsers), true, |i| json!({ "id": i.reseller_user })),
        entry::<LoadActivation>(Public, false, |_| json!({ "token": "0".repeat(64) })),
        entry::<ActivateAccount>(Public, false, |_| json!({ "token": "0".repeat(64), "password": "Lantern-Orbit-Quiche-47" })),
        entry::<ChangeMyPassword>(Session, false, |_| json!({ "current_password": "wrong", "new_password": "Lantern-Orbit-Quiche-47" })),
        entry::<SignOutOtherSessions>(Session, false, none),
    ]
}

async fn call(portal: &TestPortal, e: &Entry, session: Option<&str>, body: &Value) -> StatusCode {
    let mut req = portal.client.post(portal.url(e.path)).header("origin", &portal.base).header("content-type", "application/x-postcard").body((e.encode)(body));
    if let Some(token) = session {
        req = req.header("cookie", format!("portal_session={token}"));
    }
    req.send().await.unwrap().status()
}

#[tokio::test]
async fn every_server_function_checks_session_permission_and_reseller() {
    let portal = spawn().await;
    let db = portal.database().await;
    prepare(&portal).await;
    let mine = ids_of(&db, "Demo Reseller").await;
    let theirs = ids_of(&db, "Northwind Telecom").await;
    let entries = server_functions();

    // The table covers exactly what the app registers.
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path.to_owned()).collect();
    let listed: BTreeSet<String> = entries.iter().map(|e| e.path.to_owned()).collect();
    assert_eq!(listed.len(), entries.len(), "a server function is listed twice");
    let missing: Vec<_> = registered.difference(&listed).collect();
    assert!(missing.is_empty(), "server functions without an entry here (how are they guarded?): {missing:?}");
    let stale: Vec<_> = listed.difference(&registered).collect();
    assert!(stale.is_empty(), "entries for server functions that no longer exist: {stale:?}");

    let website_only = crate::users::signed_in_as(&portal, "website.only@demo-reseller.example", Permissions::default().with(Permission::WebsiteAccess)).await;
    let admin = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let mut wrong = BTreeMap::new();
    for e in &entries {
        let body = (e.body)(&mine);
        if e.guard != Guard::Public {
            let status = call(&portal, e, None, &body).await;
            if status != StatusCode::UNAUTHORIZED {
                wrong.insert(format!("{} signed out", e.path), status.to_string());
            }
        }
        if let Guard::Needs(permission) = e.guard {
            let status = call(&portal, e, Some(&website_only), &body).await;
            if status != StatusCode::FORBIDDEN {
                wrong.insert(format!("{} without {}", e.path, permission.label()), status.to_string());
            }
        }
        if e.names_a_record {
            let status = call(&portal, e, Some(&admin), &(e.body)(&theirs)).await;
            if status != StatusCode::NOT_FOUND {
                wrong.insert(format!("{} with another reseller's ids", e.path), status.to_string());
            }
        }
    }
    assert!(wrong.is_empty(), "answers that break the rule:\n{wrong:#?}");
}

/// What each REST operation needs beyond a valid token.
fn rest_permission(method: &str, path: &str) -> Option<Permission> {
    match (method, path) {
        (_, p) if p.starts_with("/api/v1/billing") => Some(Permission::BillingAdministrator),
        (_, p) if p.starts_with("/api/v1/webhooks") => Some(Permission::WebhooksAdministrator),
        ("GET", _) => None,
        _ => Some(Permission::CustomerAdministrator),
    }
}

/// A concrete path and body for `METHOD template`, naming `ids`' records.
fn rest_call(method: &str, template: &str, ids: &Ids, pbx_id: i64) -> (String, Option<String>) {
    let path = template
        .replace("{id}", &ids.customer)
        .replace("{userId}", &ids.customer_user.to_string())
        .replace("{pbxId}", &pbx_id.to_string())
        .replace("{pbxUserId}", "no-such-pbx-user")
        .replace("{period}", "2026-10")
        .replace("{webhookId}", "999999")
        .replace("{deliveryId}", "999999");
    let body = match (method, template) {
        ("POST", "/api/v1/customers") => Some(
            json!({ "name": "Coverage REST", "productType": "professional", "country": "DE", "primaryUser": { "displayName": "Rest Cov", "email": "rest@coverage.example" }, "connection": { "accountId": "0123456789abcdef0123456789abcdef" } })
                .to_string(),
        ),
        ("POST", t) if t.ends_with("/users") => Some(json!({ "displayName": "Rest User", "email": "rest.user@coverage.example" }).to_string()),
        ("PATCH", t) if t.ends_with("/users/{userId}") => Some(json!({ "roles": { "essential": true } }).to_string()),
        ("PATCH", t) if t.contains("/pbxs/") || t.starts_with("/api/v1/webhooks") => Some(json!({ "enabled": false }).to_string()),
        ("POST", "/api/v1/webhooks") => Some(json!({ "url": "https://hooks.example.com/coverage" }).to_string()),
        ("PATCH", _) => Some(json!({ "reference": "COV-1" }).to_string()),
        _ => None,
    };
    (path, body)
}

#[tokio::test]
async fn every_rest_operation_checks_token_permission_and_reseller() {
    let portal = spawn().await;
    let db = portal.database().await;
    prepare(&portal).await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let mine = ids_of(&db, "Demo Reseller").await;
    let theirs = ids_of(&db, "Northwind Telecom").await;
    let pbx_of = |tenant: String| {
        let api = &api;
        async move { api.get(&format!("/api/v1/customers/{tenant}/pbxs")).await.1["data"][0]["id"].as_i64().expect("the customer has a PBX connection") }
    };
    let my_pbx = pbx_of(mine.customer.clone()).await;
    let their_pbx = {
        let c: uuid::Uuid = theirs.customer.parse().unwrap();
        domain::entity::pbx_connection::Entity::find()
            .filter(domain::entity::pbx_connection::Column::CustomerId.eq(c))
            .one(&db)
            .await
            .unwrap()
            .map_or(1, |p| p.id)
    };

    // Credentials of the demo reseller with one permission each.
    let mut tokens = std::collections::HashMap::new();
    for p in [Permission::CustomerAdministrator, Permission::BillingAdministrator] {
        let new = domain::operator::create_api_client(&db, DEMO_EMAIL, p.label(), Permissions::default().with(p)).await.unwrap();
        tokens.insert(p, crate::contract::token(&portal, &new.client.client_id, &new.secret).await);
    }

    let send = |method: &str, path: &str, body: Option<&str>, bearer: Option<&str>| {
        let mut req = portal.client.request(method.parse().unwrap(), portal.url(path));
        if let Some(b) = bearer {
            req = req.header("authorization", format!("Bearer {b}"));
        }
        if let Some(body) = body {
            req = req.header("content-type", "application/json").body(body.to_owned());
        }
        async move {
            let res = req.send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let mut wrong = BTreeMap::new();
    let mut checked = 0;
    for operation in api.documented() {
        let (method, template) = operation.split_once(' ').unwrap();
        if template == "/api/v1/oauth/token" {
            continue; // The one public operation: it is how a client authenticates.
        }
        checked += 1;
        let (path, body) = rest_call(method, template, &mine, my_pbx);
        let (status, text) = send(method, &path, body.as_deref(), None).await;
        if status != StatusCode::UNAUTHORIZED {
            wrong.insert(format!("{operation} without a token"), format!("{status} {text}"));
        }
        if let Some(needed) = rest_permission(method, template) {
            let other = if needed == Permission::BillingAdministrator { Permission::CustomerAdministrator } else { Permission::BillingAdministrator };
            let (status, text) = send(method, &path, body.as_deref(), Some(&tokens[&other])).await;
            if status != StatusCode::FORBIDDEN {
                wrong.insert(format!("{operation} without {}", needed.label()), format!("{status} {text}"));
            }
        }
        if template.contains("{id}") {
            let (path, body) = rest_call(method, template, &theirs, their_pbx);
            let (status, text) = send(method, &path, body.as_deref(), Some(&api.bearer)).await;
            if status != StatusCode::NOT_FOUND {
                wrong.insert(format!("{operation} with another reseller's ids"), format!("{status} {text}"));
            }
        }
    }
    assert!(checked >= 20, "the document lists the operations ({checked})");
    assert!(wrong.is_empty(), "answers that break the rule:\n{wrong:#?}");
}

/// The mixed case: the caller's own customer in the path, and another reseller's user, PBX
/// connection or PBX template as the second id or in the body (the way to another reseller's
/// master key). Each answers like a missing record and changes nothing.
#[tokio::test]
async fn another_resellers_id_beside_my_own_customer_is_a_missing_one() {
    let portal = spawn().await;
    let db = portal.database().await;
    prepare(&portal).await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let mine = ids_of(&db, "Demo Reseller").await;
    let theirs = ids_of(&db, "Northwind Telecom").await;
    // A customer of theirs with a PBX connection on their template.
    let their_api = Api::open(&portal, OTHER_EMAIL).await;
    let body = json!({
        "name": "Northwind Keyholder", "productType": "essentials", "country": "GB",
        "primaryUser": { "displayName": "Nora North", "email": "nora@keyholder.example" },
        "connection": { "templateId": theirs.template, "accountId": "fedcba9876543210fedcba9876543210" },
    });
    let (status, created) = their_api.post("/api/v1/customers", &body.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (_, their_pbxs) = their_api.get(&format!("/api/v1/customers/{}/pbxs", created["data"]["id"].as_str().unwrap())).await;
    let their_pbx = their_pbxs["data"][0]["id"].as_i64().expect("their customer has a PBX connection");
    let (_, my_pbxs) = api.get(&format!("/api/v1/customers/{}/pbxs", mine.customer)).await;
    let my_pbx = my_pbxs["data"][0]["id"].as_i64().unwrap();
    let snapshot = || async {
        let user = customer_user::Entity::find_by_id(theirs.customer_user).one(&db).await.unwrap().unwrap();
        let mine = domain::entity::pbx_connection::Entity::find_by_id(my_pbx).one(&db).await.unwrap().unwrap();
        let count = customer::Entity::find().all(&db).await.unwrap().len();
        (format!("{user:?}"), format!("{:?}", (mine.template_id, mine.account_id, mine.version)), count)
    };
    let before = snapshot().await;

    let user = format!("/api/v1/customers/{}/users/{}", mine.customer, theirs.customer_user);
    let pbx = format!("/api/v1/customers/{}/pbxs/{their_pbx}", mine.customer);
    for (method, path, body) in [
        (reqwest::Method::GET, user.clone(), None),
        (reqwest::Method::PATCH, user.clone(), Some(r#"{"roles": {"userAdministrator": true}}"#.to_owned())),
        (reqwest::Method::DELETE, user.clone(), None),
        (reqwest::Method::GET, pbx.clone(), None),
        (reqwest::Method::PATCH, pbx.clone(), Some(r#"{"accountId": "0123456789abcdef0123456789abcdef"}"#.to_owned())),
        (reqwest::Method::POST, format!("{pbx}/sync"), None),
    ] {
        let answer = api.send(method.clone(), &path, body.as_deref(), &[]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {path}: {}", answer.body);
    }

    // Their template on my connection, or on a new customer: refused like an unknown template.
    let answer = api.send(reqwest::Method::PATCH, &format!("/api/v1/customers/{}/pbxs/{my_pbx}", mine.customer), Some(&format!(r#"{{"templateId": {}}}"#, theirs.template)), &[]).await;
    assert!(answer.status.is_client_error(), "{}", answer.body);
    assert!(answer.body["fields"]["templateId"].is_string(), "names the field: {}", answer.body);
    let body = serde_json::json!({
        "name": "Borrowed Key Ltd", "productType": "professional", "country": "DE",
        "primaryUser": { "displayName": "Bo Borrow", "email": "bo@borrow.example" },
        "connection": { "templateId": theirs.template, "accountId": "0123456789abcdef0123456789abcdef" },
    });
    let (status, answer) = api.post("/api/v1/customers", &body.to_string()).await;
    assert!(status.is_client_error(), "{answer}");
    assert!(answer["fields"]["connection.templateId"].is_string() || answer["fields"]["templateId"].is_string(), "names the field: {answer}");

    assert_eq!(snapshot().await, before, "nothing changed");
}
