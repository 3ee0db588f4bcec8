//! The create wizard's one transaction, the Details tab's concurrency, customer users and
//! roles, and tenant isolation of every customer server function.

use crate::support::*;
use app::api::customers::*;
use domain::entity::{activity, customer, customer_user, outbox, pbx_connection};
use model::customer_form::{CustomerDetail, DetailsForm, NewCustomer, PrimaryUserForm, WizardOptions};
use model::pbx::ConnectionForm;
use model::roles::{Roles, Supervisor};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

/// Calls a JSON server function and returns the status with the body.
async fn call<S: WireFn>(portal: &TestPortal, session: &str, body: Value) -> (StatusCode, Value) {
    call_fn::<S>(portal, Some(session), body).await
}

/// The field names of a validation error body.
fn fields(body: &Value) -> Vec<String> {
    invalid_fields(body)
}

async fn options(portal: &TestPortal, session: &str) -> WizardOptions {
    let (status, body) = call::<LoadWizardOptions>(portal, session, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).unwrap()
}

/// A valid wizard submission for the demo reseller (its default template is Kazoo).
fn new_customer(options: &WizardOptions, name: &str) -> NewCustomer {
    NewCustomer {
        request_key: uuid::Uuid::new_v4().simple().to_string(),
        details: DetailsForm {
            name: name.into(),
            product_type: "professional".into(),
            reference: "NEW-1".into(),
            country: "DE".into(),
            notes: "Met at the trade fair.".into(),
            ..DetailsForm::default()
        },
        primary_user: PrimaryUserForm { display_name: "Petra Neumann".into(), email: "petra@neumann.example".into() },
        connection: ConnectionForm {
            template_id: options.default_template().map(|t| t.id),
            account_id: "0123456789abcdef0123456789abcdef".into(),
            ..ConnectionForm::default()
        },
        roles: Roles::primary_default(),
    }
}

async fn create(portal: &TestPortal, session: &str, c: &NewCustomer) -> (StatusCode, Value) {
    call::<CreateCustomer>(portal, session, json!({ "customer": c })).await
}

async fn customer_count(portal: &TestPortal) -> u64 {
    customer::Entity::find().count(&portal.database().await).await.unwrap()
}

#[tokio::test]
async fn creating_a_customer_stores_everything_in_one_transaction() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let o = options(&portal, &s).await;
    assert!(o.rules.trials_allowed);
    assert_eq!(o.rules.in_house_allowance, 2);
    assert_eq!(o.rules.in_house_used, 1);
    let mut c = new_customer(&o, "Neumann Maschinenbau");
    c.details.trial = true;
    c.details.trial_expires_on = o.rules.latest_trial_end.clone();
    c.details.in_house = true;
    c.roles = Roles::primary_default().with_supervisor(Supervisor::LiveAnalytics);
    let (status, body) = create(&portal, &s, &c).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id: uuid::Uuid = body.as_str().unwrap().parse().unwrap();

    let db = portal.database().await;
    let row = customer::Entity::find_by_id(id).one(&db).await.unwrap().unwrap();
    assert_eq!((row.name.as_str(), row.country.as_str(), row.time_zone.as_str()), ("Neumann Maschinenbau", "DE", "Europe/Berlin"));
    assert_eq!(row.trial_expires_on.unwrap().to_string(), o.rules.latest_trial_end);
    assert!(row.in_house);
    let users = customer_user::Entity::find().filter(customer_user::Column::CustomerId.eq(id)).all(&db).await.unwrap();
    assert_eq!(users.len(), 1);
    assert!(users[0].user_admin && users[0].essential && users[0].real_time, "Live Analytics brought Real-Time");
    assert_eq!(users[0].supervisor, model::roles::Supervisor::LiveAnalytics);
    assert_eq!(users[0].invitation, model::roles::Invitation::Queued);
    let conn = pbx_connection::Entity::find().filter(pbx_connection::Column::CustomerId.eq(id)).one(&db).await.unwrap().unwrap();
    assert!(conn.enabled);
    assert_eq!(conn.account_id, "0123456789abcdef0123456789abcdef");
    let log = activity::Entity::find().filter(activity::Column::CustomerId.eq(id)).all(&db).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].action, "customer.created");
    assert_eq!(log[0].actor, "Dana Demo");
    let mail = outbox::Entity::find().filter(outbox::Column::CustomerUserId.eq(users[0].id)).one(&db).await.unwrap().unwrap();
    assert_eq!(mail.to_address, "petra@neumann.example");
    assert!(mail.body.contains("Neumann Maschinenbau"));

    // The grid finds it by search (its search text was written), and its page shows it.
    let value = portal.call_json::<ListCustomers>(json!({ "query": model::customer::GridQuery { search: "maschinen".into(), ..Default::default() } }), &s).await;
    assert_eq!(value["total"], 1, "{value}");
    let (status, body) = call::<LoadCustomer>(&portal, &s, json!({ "id": id.to_string() })).await;
    assert_eq!(status, StatusCode::OK);
    let detail: CustomerDetail = serde_json::from_value(body).unwrap();
    assert_eq!(detail.details.name, "Neumann Maschinenbau");
    assert_eq!(detail.created_by, "Dana Demo");
    assert_eq!(detail.version, 1);
}

#[tokio::test]
async fn submitting_the_same_wizard_twice_creates_one_customer() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let o = options(&portal, &s).await;
    let c = new_customer(&o, "Double Click Ltd");
    let before = customer_count(&portal).await;
    let (a, b) = tokio::join!(create(&portal, &s, &c), create(&portal, &s, &c));
    assert_eq!(a.0, StatusCode::OK, "{}", a.1);
    assert_eq!(b.0, StatusCode::OK, "{}", b.1);
    assert_eq!(a.1, b.1, "both clicks lead to the same customer");
    let (again, body) = create(&portal, &s, &c).await;
    assert_eq!((again, &body), (StatusCode::OK, &a.1));
    assert_eq!(customer_count(&portal).await, before + 1);
}

#[tokio::test]
async fn broken_rules_are_reported_per_field_and_nothing_is_stored() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let o = options(&portal, &s).await;
    let db = portal.database().await;
    let before = (customer_count(&portal).await, customer_user::Entity::find().count(&db).await.unwrap(), outbox::Entity::find().count(&db).await.unwrap());

    let mut c = new_customer(&o, &"x".repeat(101));
    c.details.product_type = "gold".into();
    c.details.reference = "r".repeat(201);
    c.details.country = "ZZ".into();
    c.details.notes = "n".repeat(2001);
    c.primary_user = PrimaryUserForm { display_name: String::new(), email: "not-an-email".into() };
    c.connection.account_id = "short".into();
    c.roles = Roles { real_time: true, user_admin: true, ..Roles::default() };
    let (status, body) = create(&portal, &s, &c).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let f = fields(&body);
    for field in ["name", "product_type", "reference", "country", "notes", "primary_user.display_name", "primary_user.email", "connection.account_id", "roles"] {
        assert!(f.contains(&field.to_string()), "{field} in {f:?}");
    }

    // The primary user must administer the customer; a template is required.
    let mut c = new_customer(&o, "No Admin Ltd");
    c.roles = Roles { essential: true, ..Roles::default() };
    c.connection.template_id = None;
    let (status, body) = create(&portal, &s, &c).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(fields(&body).contains(&"roles".to_string()) && fields(&body).contains(&"connection.template_id".to_string()), "{body}");

    // Names are unique per reseller, ignoring case and surrounding space.
    let (status, body) = create(&portal, &s, &new_customer(&o, "  acme LOGISTICS ")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&body), ["name"]);
    assert!(body.to_string().contains("already exists"));
    let (_, available) = call::<CustomerNameAvailable>(&portal, &s, json!({ "name": "ACME logistics", "except": null })).await;
    assert_eq!(available, json!(false));
    // ...but another reseller may use the same name.
    let other = portal.sign_in(OTHER_EMAIL, DEMO_PASSWORD).await;
    let (_, available) = call::<CustomerNameAvailable>(&portal, &other, json!({ "name": "Acme Logistics", "except": null })).await;
    assert_eq!(available, json!(true));

    let after = (customer_count(&portal).await, customer_user::Entity::find().count(&db).await.unwrap(), outbox::Entity::find().count(&db).await.unwrap());
    assert_eq!(before, after, "failed requests store nothing");
}

#[tokio::test]
async fn trials_are_bounded_by_the_resellers_maximum() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let o = options(&portal, &s).await;
    let latest = chrono::NaiveDate::parse_from_str(&o.rules.latest_trial_end, "%Y-%m-%d").unwrap();
    for (day, ok) in [(latest + chrono::Duration::days(1), false), (latest - chrono::Duration::days(70), false), (latest, true)] {
        let mut c = new_customer(&o, &format!("Trial {day}"));
        c.details.trial = true;
        c.details.trial_expires_on = day.to_string();
        let (status, body) = create(&portal, &s, &c).await;
        if ok {
            assert_eq!(status, StatusCode::OK, "{body}");
        } else {
            assert_eq!(fields(&body), ["trial_expires_on"], "{day}: {body}");
        }
    }
    // Northwind may not give trials at all.
    let other = portal.sign_in(OTHER_EMAIL, DEMO_PASSWORD).await;
    let no = options(&portal, &other).await;
    assert!(!no.rules.trials_allowed);
    let mut c = new_customer(&no, "Northwind Trial");
    c.details.product_type = "essentials".into();
    c.details.trial = true;
    c.details.trial_expires_on = no.rules.latest_trial_end.clone();
    let (status, body) = create(&portal, &other, &c).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(fields(&body).contains(&"trial".to_string()), "{body}");
}

#[tokio::test]
async fn the_in_house_allowance_holds_under_concurrent_requests() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let o = options(&portal, &s).await;
    // Demo: allowance 2, one used. Two concurrent in-house creates: exactly one succeeds.
    let mut a = new_customer(&o, "In-house A");
    a.details.in_house = true;
    let mut b = new_customer(&o, "In-house B");
    b.details.in_house = true;
    let (ra, rb) = tokio::join!(create(&portal, &s, &a), create(&portal, &s, &b));
    let outcomes = [ra.0, rb.0];
    assert!(outcomes.contains(&StatusCode::OK), "{ra:?} {rb:?}");
    assert!(outcomes.contains(&StatusCode::UNPROCESSABLE_ENTITY), "{ra:?} {rb:?}");
    let refused = if ra.0 == StatusCode::OK { rb.1 } else { ra.1 };
    assert_eq!(fields(&refused), ["in_house"]);
    assert!(refused.to_string().contains("allowance of 2 in-house systems is used up"));
    let db = portal.database().await;
    let in_house = customer::Entity::find().filter(customer::Column::InHouse.eq(true)).filter(customer::Column::ResellerId.eq(1)).count(&db).await.unwrap();
    assert_eq!(in_house, 2);
    // Turning an existing customer in-house on the Details tab is held to the same allowance.
    let acme = customer::Entity::find().filter(customer::Column::Name.eq("Acme Logistics")).one(&db).await.unwrap().unwrap();
    let (_, body) = call::<LoadCustomer>(&portal, &s, json!({ "id": acme.id.to_string() })).await;
    let detail: CustomerDetail = serde_json::from_value(body).unwrap();
    let mut details = detail.details.clone();
    details.in_house = true;
    let (status, body) = call::<UpdateCustomer>(&portal, &s, json!({ "id": detail.id, "version": detail.version, "details": details })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["in_house"]);
}

async fn detail_of(portal: &TestPortal, s: &str, name: &str) -> CustomerDetail {
    let db = portal.database().await;
    let row = customer::Entity::find().filter(customer::Column::Name.eq(name)).one(&db).await.unwrap().unwrap();
    let (status, body) = call::<LoadCustomer>(portal, s, json!({ "id": row.id.to_string() })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).unwrap()
}

#[tokio::test]
async fn edits_use_optimistic_concurrency_and_keep_locked_product_types() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let d = detail_of(&portal, &s, "Brightwater Dental").await;
    let mut first = d.details.clone();
    first.reference = "BWD-NEW".into();
    first.name = "Brightwater Dental Group".into();
    let (status, body) = call::<UpdateCustomer>(&portal, &s, json!({ "id": d.id, "version": d.version, "details": first })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!(d.version + 1));
    // A second editor who loaded the same version is refused, and the first edit stands.
    let mut second = d.details.clone();
    second.notes = "stale edit".into();
    let (status, body) = call::<UpdateCustomer>(&portal, &s, json!({ "id": d.id, "version": d.version, "details": second })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.to_string().contains("Someone else changed this customer"));
    let now = detail_of(&portal, &s, "Brightwater Dental Group").await;
    assert_eq!(now.details.reference, "BWD-NEW");
    assert_eq!(now.details.notes, "");
    // The grid's search sees the new name and reference.
    let value = portal.call_json::<ListCustomers>(json!({ "query": model::customer::GridQuery { search: "bwd-new".into(), ..Default::default() } }), &s).await;
    assert_eq!(value["total"], 1);
    let (_, log) = call::<CustomerActivity>(&portal, &s, json!({ "id": d.id, "before": null })).await;
    assert!(log["entries"][0]["summary"].as_str().unwrap().contains("Reference from \u{201c}BWD-7781\u{201d} to \u{201c}BWD-NEW\u{201d}"), "{log}");

    // Castle Hotels has the locked Contact Centre product type.
    let castle = detail_of(&portal, &s, "Castle Hotels Group").await;
    assert!(castle.product_type_locked);
    let mut change = castle.details.clone();
    change.product_type = "essentials".into();
    let (status, body) = call::<UpdateCustomer>(&portal, &s, json!({ "id": castle.id, "version": castle.version, "details": change })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&body), ["product_type"]);

    // A terminated customer is read-only.
    let granite = detail_of(&portal, &s, "Granite Legal LLP").await;
    let mut change = granite.details.clone();
    change.notes = "x".into();
    let (status, _) = call::<UpdateCustomer>(&portal, &s, json!({ "id": granite.id, "version": granite.version, "details": change })).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn customer_users_keep_an_administrator_and_get_invited() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let d = detail_of(&portal, &s, "Acme Logistics").await;
    let (_, page) = call::<CustomerUsers>(&portal, &s, json!({ "id": d.id })).await;
    let users = page["users"].clone();
    assert_eq!(users.as_array().unwrap().len(), 1);
    let admin_id = users[0]["id"].as_i64().unwrap();
    let admin_version = users[0]["version"].as_i64().unwrap();

    // The only administrator can neither lose the role nor be removed.
    let (status, body) = call::<SetCustomerUserRoles>(&portal, &s, json!({ "id": d.id, "user_id": admin_id, "version": admin_version, "roles": Roles { essential: true, ..Roles::default() } })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = call::<RemoveCustomerUser>(&portal, &s, json!({ "id": d.id, "user_id": admin_id })).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Broken role dependencies are refused.
    let bad = Roles { agent: true, ..Roles::default() };
    let (status, body) = call::<AddCustomerUser>(&portal, &s, json!({ "id": d.id, "user": { "display_name": "Ann", "email": "ann@acme.example" }, "roles": bad })).await;
    assert_eq!((status, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["roles".to_string()]));

    // A new user with a role is invited; the same email again is refused.
    let roles = Roles::default().with(model::roles::Role::Agent, true).with(model::roles::Role::UserAdmin, true);
    let (status, added) = call::<AddCustomerUser>(&portal, &s, json!({ "id": d.id, "user": { "display_name": "Ann Agent", "email": "Ann@Acme.example" }, "roles": roles })).await;
    assert_eq!(status, StatusCode::OK, "{added}");
    assert_eq!(added["invitation"], "Queued");
    let (status, body) = call::<AddCustomerUser>(&portal, &s, json!({ "id": d.id, "user": { "display_name": "Ann Again", "email": "ann@acme.EXAMPLE" }, "roles": roles })).await;
    assert_eq!((status, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["email".to_string()]));
    let db = portal.database().await;
    assert_eq!(outbox::Entity::find().filter(outbox::Column::ToAddress.eq("Ann@Acme.example")).count(&db).await.unwrap(), 1);

    // Now the first administrator may go; a stale roles edit is refused.
    let (status, _) = call::<RemoveCustomerUser>(&portal, &s, json!({ "id": d.id, "user_id": admin_id })).await;
    assert_eq!(status, StatusCode::OK);
    let ann = added["id"].as_i64().unwrap();
    let (status, _) = call::<SetCustomerUserRoles>(&portal, &s, json!({ "id": d.id, "user_id": ann, "version": 1, "roles": roles.with(model::roles::Role::Professional, true) })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call::<SetCustomerUserRoles>(&portal, &s, json!({ "id": d.id, "user_id": ann, "version": 1, "roles": roles })).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, resent) = call::<ResendInvitation>(&portal, &s, json!({ "id": d.id, "user_id": ann })).await;
    assert_eq!(status, StatusCode::OK, "{resent}");
    assert_eq!(outbox::Entity::find().filter(outbox::Column::ToAddress.eq("Ann@Acme.example")).count(&db).await.unwrap(), 2);
    let (_, log) = call::<CustomerActivity>(&portal, &s, json!({ "id": d.id, "before": null })).await;
    let actions: Vec<&str> = log["entries"].as_array().unwrap().iter().map(|e| e["event_type"].as_str().unwrap()).collect();
    assert_eq!(
        actions[..4],
        ["customer_user.invited", "customer_user.updated", "customer_user.removed", "customer_user.added"],
        "newest first"
    );
}

#[tokio::test]
async fn the_pbx_tab_edits_the_connection_without_secrets() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let d = detail_of(&portal, &s, "Acme Logistics").await;
    let (status, view) = call::<CustomerConnection>(&portal, &s, json!({ "id": d.id })).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!view.to_string().contains("demo-kazoo-api-key"));
    assert_eq!(view["enabled"], true);
    let mut form: ConnectionForm = serde_json::from_value(view["form"].clone()).unwrap();
    form.account_id = "nope".into();
    let (status, body) = call::<UpdateConnection>(&portal, &s, json!({ "id": d.id, "version": view["version"], "form": form, "enabled": false })).await;
    assert_eq!((status, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["account_id".to_string()]));
    form.account_id = "ffffffffffffffffffffffffffffffff".into();
    let (status, body) = call::<UpdateConnection>(&portal, &s, json!({ "id": d.id, "version": view["version"], "form": form, "enabled": false })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = call::<UpdateConnection>(&portal, &s, json!({ "id": d.id, "version": view["version"], "form": form, "enabled": true })).await;
    assert_eq!(status, StatusCode::CONFLICT, "stale version");
    let (_, view) = call::<CustomerConnection>(&portal, &s, json!({ "id": d.id })).await;
    assert_eq!(view["enabled"], false);
    assert_eq!(view["form"]["account_id"], "ffffffffffffffffffffffffffffffff");
}

#[tokio::test]
async fn another_resellers_customer_behaves_exactly_like_a_missing_one() {
    let portal = spawn().await;
    let demo = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let theirs = detail_of(&portal, &demo, "Acme Logistics").await.id;
    let (_, users) = call::<CustomerUsers>(&portal, &demo, json!({ "id": theirs })).await;
    let their_user = users["users"][0]["id"].as_i64().unwrap();
    let other = portal.sign_in(OTHER_EMAIL, DEMO_PASSWORD).await;
    let missing = uuid::Uuid::new_v4().to_string();
    let details = json!({ "name": "Taken Over", "product_type": "essentials", "reference": "", "country": "US", "notes": "", "trial": false, "trial_expires_on": "", "in_house": false });
    let user = json!({ "display_name": "Mallory", "email": "mallory@evil.example" });
    let roles = Roles::primary_default();
    let form = ConnectionForm { template_id: Some(1), account_id: "ffffffffffffffffffffffffffffffff".into(), ..Default::default() };
    for id in [theirs.as_str(), missing.as_str(), "not-a-uuid"] {
        let calls = [
            call::<LoadCustomer>(&portal, &other, json!({ "id": id })).await,
            call::<UpdateCustomer>(&portal, &other, json!({ "id": id, "version": 1, "details": details })).await,
            call::<CustomerUsers>(&portal, &other, json!({ "id": id })).await,
            call::<AddCustomerUser>(&portal, &other, json!({ "id": id, "user": user, "roles": roles })).await,
            call::<SetCustomerUserRoles>(&portal, &other, json!({ "id": id, "user_id": their_user, "version": 1, "roles": roles })).await,
            call::<RemoveCustomerUser>(&portal, &other, json!({ "id": id, "user_id": their_user })).await,
            call::<ResendInvitation>(&portal, &other, json!({ "id": id, "user_id": their_user })).await,
            call::<CustomerConnection>(&portal, &other, json!({ "id": id })).await,
            call::<UpdateConnection>(&portal, &other, json!({ "id": id, "version": 1, "form": form, "enabled": false })).await,
            call::<CustomerActivity>(&portal, &other, json!({ "id": id })).await,
        ];
        for (i, (status, body)) in calls.into_iter().enumerate() {
            assert_eq!((status, body), (StatusCode::NOT_FOUND, json!("NotFound")), "call {i} with {id}");
        }
    }
    // Nothing of theirs changed.
    let after = detail_of(&portal, &demo, "Acme Logistics").await;
    assert_eq!(after.version, 1);
    let (_, users_after) = call::<CustomerUsers>(&portal, &demo, json!({ "id": theirs })).await;
    assert_eq!(users, users_after);
}

#[tokio::test]
async fn changing_customers_needs_the_customer_administrator_permission() {
    let portal = spawn().await;
    let db = portal.database().await;
    let demo = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let o = options(&portal, &demo).await;
    domain::operator::create_reseller_user(
        &db,
        domain::operator::NewResellerUser {
            reseller: "Demo Reseller".into(),
            display_name: "Viewer".into(),
            email: "viewer@demo-reseller.example".into(),
            permissions: model::Permissions::from_bits(1),
            password: DEMO_PASSWORD.into(),
        },
    )
    .await
    .unwrap();
    let viewer = portal.sign_in("viewer@demo-reseller.example", DEMO_PASSWORD).await;
    let (status, _) = create(&portal, &viewer, &new_customer(&o, "Not Allowed")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let d = detail_of(&portal, &viewer, "Acme Logistics").await;
    let (status, _) = call::<UpdateCustomer>(&portal, &viewer, json!({ "id": d.id, "version": d.version, "details": d.details })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Signed out: 401.
    let (status, _) = call::<LoadCustomer>(&portal, "no-such-session", json!({ "id": d.id })).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn two_concurrent_demotions_cannot_leave_a_customer_without_an_administrator() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let d = detail_of(&portal, &s, "Acme Logistics").await;
    let admin = Roles::primary_default();
    let (status, second) = call::<AddCustomerUser>(&portal, &s, json!({ "id": d.id, "user": { "display_name": "Second Admin", "email": "second@acme.example" }, "roles": admin })).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let (_, page) = call::<CustomerUsers>(&portal, &s, json!({ "id": d.id })).await;
    let users = page["users"].clone();
    let plain = Roles { essential: true, ..Roles::default() };
    let demote = |user: &Value| {
        let body = json!({ "id": d.id, "user_id": user["id"], "version": user["version"], "roles": plain });
        call::<SetCustomerUserRoles>(&portal, &s, body)
    };
    let (a, b) = tokio::join!(demote(&users[0]), demote(&users[1]));
    let statuses = [a.0, b.0];
    assert!(statuses.contains(&StatusCode::OK), "{a:?} {b:?}");
    assert!(statuses.contains(&StatusCode::UNPROCESSABLE_ENTITY), "one is refused, not an internal error: {a:?} {b:?}");
    let db = portal.database().await;
    let admins = customer_user::Entity::find()
        .filter(customer_user::Column::CustomerId.eq(uuid::Uuid::parse_str(&d.id).unwrap()))
        .filter(customer_user::Column::UserAdmin.eq(true))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(admins, 1);

    // A removed user's invitation that has not gone out yet never will.
    let (status, third) = call::<AddCustomerUser>(&portal, &s, json!({ "id": d.id, "user": { "display_name": "Third", "email": "third@acme.example" }, "roles": plain })).await;
    assert_eq!(status, StatusCode::OK, "{third}");
    let third_id = third["id"].as_i64().unwrap();
    let queued = || outbox::Entity::find().filter(outbox::Column::CustomerUserId.eq(third_id)).filter(outbox::Column::Status.eq("queued")).count(&db);
    assert_eq!(queued().await.unwrap(), 1);
    let (status, body) = call::<RemoveCustomerUser>(&portal, &s, json!({ "id": d.id, "user_id": third_id })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(queued().await.unwrap(), 0);
}

#[tokio::test]
async fn the_demo_template_reaches_the_built_in_kazoo_simulator() {
    use app::api::pbx_templates::{CreatePbxTemplate, PbxTemplatesPage, TestPbxTemplate};
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let (_, page) = call::<PbxTemplatesPage>(&portal, &s, json!({})).await;
    let demo = page["templates"].as_array().unwrap().iter().find(|t| t["name"] == "Kazoo Simulator (demo)").unwrap().clone();
    assert!(demo["api_url"].as_str().unwrap().starts_with(&format!("{}/pbx-simulator/kazoo", portal.base)), "{demo}");
    let (status, body) = call::<TestPbxTemplate>(&portal, &s, json!({ "id": demo["id"] })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.as_str().unwrap().starts_with("Connected"), "{body}");

    // The same PBX with a wrong key: a clear refusal, as a bad gateway.
    let form = model::pbx::TemplateForm {
        name: "Wrong key".into(),
        api_url: demo["api_url"].as_str().unwrap().into(),
        websocket_url: demo["websocket_url"].as_str().unwrap().into(),
        secret: "not-the-key".into(),
        ..Default::default()
    };
    let (status, created) = call::<CreatePbxTemplate>(&portal, &s, json!({ "form": form })).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let (status, body) = call::<TestPbxTemplate>(&portal, &s, json!({ "id": created["id"] })).await;
    assert_eq!((status, body), (StatusCode::BAD_GATEWAY, json!({ "Refused": "The PBX rejected the API key" })));

    // Another reseller cannot test (or learn anything about) it.
    let other = portal.sign_in(OTHER_EMAIL, DEMO_PASSWORD).await;
    let (status, body) = call::<TestPbxTemplate>(&portal, &other, json!({ "id": demo["id"] })).await;
    assert_eq!((status, body), (StatusCode::NOT_FOUND, json!("NotFound")));
}

#[tokio::test]
async fn two_concurrent_edits_cannot_both_take_the_last_in_house_slot() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    // Demo: allowance 2, one used: one slot left, wanted by two customers at once.
    let turn_in_house = |name: &'static str| {
        let portal = &portal;
        let s = &s;
        async move {
            let detail = detail_of(portal, s, name).await;
            let mut details = detail.details.clone();
            details.in_house = true;
            call::<UpdateCustomer>(portal, s, json!({ "id": detail.id, "version": detail.version, "details": details })).await
        }
    };
    let (a, b) = tokio::join!(turn_in_house("Acme Logistics"), turn_in_house("Brightwater Dental"));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY], "{a:?} {b:?}");
    let db = portal.database().await;
    let in_house = customer::Entity::find().filter(customer::Column::InHouse.eq(true)).filter(customer::Column::ResellerId.eq(1)).count(&db).await.unwrap();
    assert_eq!(in_house, 2);
}

#[tokio::test]
async fn the_users_tab_lists_administrators_first_and_filters_by_access_licence_and_invitation() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let d = detail_of(&portal, &s, "Acme Logistics").await;
    let add = |name: &'static str, email: &'static str, roles: Roles| {
        let (portal, s, id) = (&portal, s.clone(), d.id.clone());
        async move {
            let (status, body) = call::<AddCustomerUser>(portal, &s, json!({ "id": id, "user": { "display_name": name, "email": email }, "roles": roles })).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    };
    add("Aaron Nobody", "aaron@acme.example", Roles::default()).await;
    add("Zed Admin", "zed@acme.example", Roles { essential: true, user_admin: true, ..Roles::default() }).await;
    add("Bea Pro", "bea@acme.example", Roles { professional: true, ..Roles::default() }).await;
    add("Cy Supervisor", "cy@acme.example", Roles { supervisor: Supervisor::Reports, ..Roles::default() }).await;
    add("Abe Agent", "abe@acme.example", Roles { essential: true, agent: true, ..Roles::default() }).await;

    let list = |query: Value| {
        let (portal, s, id) = (&portal, s.clone(), d.id.clone());
        async move {
            let (status, page) = call::<CustomerUsers>(portal, &s, json!({ "id": id, "query": query })).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            let names: Vec<String> = page["users"].as_array().unwrap().iter().map(|u| u["display_name"].as_str().unwrap().to_owned()).collect();
            (names, page["matching"].as_u64().unwrap())
        }
    };
    // By default: administrators, then users with access, then the rest; by name within.
    let (all, matching) = list(json!({})).await;
    assert_eq!(matching, 6);
    let primary = all[0].clone();
    assert!(primary < "Zed Admin".to_owned(), "{all:?}");
    assert_eq!(all, vec![primary.clone(), "Zed Admin".into(), "Abe Agent".into(), "Bea Pro".into(), "Cy Supervisor".into(), "Aaron Nobody".into()]);

    assert_eq!(list(json!({ "access": "administrators" })).await.0, vec![primary.clone(), "Zed Admin".into()]);
    assert_eq!(list(json!({ "access": "no_access" })).await, (vec!["Aaron Nobody".to_owned()], 1));
    assert_eq!(list(json!({ "access": "with_access" })).await.1, 5);
    assert_eq!(list(json!({ "licence": "agent" })).await.0, vec!["Abe Agent".to_owned()]);
    let supervisors = list(json!({ "licence": "supervisor" })).await.0;
    assert!(supervisors.contains(&"Cy Supervisor".to_owned()) && !supervisors.contains(&"Bea Pro".to_owned()), "{supervisors:?}");
    assert_eq!(list(json!({ "licence": "professional", "search": "bea" })).await.0, vec!["Bea Pro".to_owned()]);
    assert_eq!(list(json!({ "invitation": "NotInvited" })).await.0, vec!["Aaron Nobody".to_owned()], "everyone with access was invited");
    assert_eq!(list(json!({ "access": "no_access", "licence": "essential" })).await, (vec![], 0));
    // Sorted by a column, and reversed.
    let (by_name, _) = list(json!({ "sort": "name" })).await;
    let mut sorted = by_name.clone();
    sorted.sort();
    assert_eq!(by_name, sorted);
    let (reversed, _) = list(json!({ "sort": "name", "descending": true })).await;
    assert_eq!(reversed, sorted.into_iter().rev().collect::<Vec<_>>());
    assert_eq!(list(json!({ "sort": "email" })).await.0[0], "Aaron Nobody", "aaron@ comes before abe@");
    // A made-up filter value is refused, not ignored: the byte where two access filters'
    // encodings differ is the filter's; a value past the last one is no filter at all.
    let administrators = wire_args::<CustomerUsers>(&json!({ "id": d.id, "query": { "access": "administrators" } }));
    let no_access = wire_args::<CustomerUsers>(&json!({ "id": d.id, "query": { "access": "no_access" } }));
    let at = (0..administrators.len()).find(|&i| administrators[i] != no_access[i]).unwrap();
    let mut made_up = administrators;
    made_up[at] = 9;
    let (status, body) = call_fn_bytes::<CustomerUsers>(&portal, Some(&s), made_up).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}
