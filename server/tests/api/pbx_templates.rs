//! PBX templates through their server functions: create, list, edit, delete; secrets never
//! leave the server; tenants never see each other's templates.

use crate::support::*;
use app::api::pbx_templates::{CreatePbxTemplate, DeletePbxTemplate, PbxTemplatesPage, UpdatePbxTemplate};
use app::AppError;
use domain::entity::{activity, pbx_connection, pbx_template, product_type, reseller, reseller_user};
use domain::secret::SecretBox;
use model::pbx::{PbxKind, TemplateForm, TemplateSummary};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{json, Value};

const KAZOO_KEY: &str = "kazoo-master-key-7f3a9c";

/// Calls a JSON server function; `None` calls it signed out. Returns the status and raw body.
async fn call<S: WireFn>(portal: &TestPortal, body: Value, session: Option<&str>) -> (StatusCode, String) {
    call_fn_text::<S>(portal, session, body).await
}

fn parse<T: leptos::server_fn::serde::de::DeserializeOwned>(body: &str) -> T {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// The error a failed call answered with, and its status.
async fn refused<S: WireFn>(portal: &TestPortal, body: Value, session: Option<&str>) -> (StatusCode, AppError) {
    let (status, text) = call::<S>(portal, body, session).await;
    assert!(!status.is_success(), "expected a refusal, got {status}: {text}");
    (status, parse(&text))
}

async fn list(portal: &TestPortal, session: &str) -> Vec<TemplateSummary> {
    let (status, body) = call::<PbxTemplatesPage>(portal, json!({}), Some(session)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!body.contains(KAZOO_KEY), "a secret in the list: {body}");
    parse::<model::pbx::TemplatesPage>(&body).templates
}

async fn create(portal: &TestPortal, session: &str, form: &TemplateForm) -> TemplateSummary {
    let (status, body) = call::<CreatePbxTemplate>(portal, json!({ "form": form }), Some(session)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!body.contains(&form.secret) || form.secret.is_empty(), "the secret came back: {body}");
    parse(&body)
}

async fn update(portal: &TestPortal, session: &str, id: i64, version: i32, form: &TemplateForm) -> (StatusCode, String) {
    call::<UpdatePbxTemplate>(portal, json!({ "id": id, "version": version, "form": form }), Some(session)).await
}

fn kazoo(name: &str) -> TemplateForm {
    TemplateForm {
        name: name.into(),
        kind: PbxKind::Kazoo,
        api_url: "https://kazoo.example.com:8443/v2".into(),
        websocket_url: "wss://kazoo.example.com:5443".into(),
        secret: KAZOO_KEY.into(),
        ..TemplateForm::default()
    }
}

fn teams(name: &str) -> TemplateForm {
    TemplateForm {
        name: name.into(),
        kind: PbxKind::Teams,
        client_id: "5e3ce6c0-2b1f-4285-8d4b-75ee78787346".into(),
        directory_tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
        secret: "teams-client-secret".into(),
        ..TemplateForm::default()
    }
}

/// Starts the portal and keeps a copy of its secret box, to look at what is stored.
async fn spawn_with_secrets() -> (TestPortal, SecretBox) {
    let mut secrets = None;
    let portal = spawn_with(&[], |p| secrets = Some(p.state.ctx.secrets.clone())).await;
    (portal, secrets.unwrap())
}

async fn stored(portal: &TestPortal, id: i64) -> pbx_template::Model {
    pbx_template::Entity::find_by_id(id).one(&portal.database().await).await.unwrap().expect("the template is stored")
}

async fn template_count(portal: &TestPortal) -> u64 {
    pbx_template::Entity::find().count(&portal.database().await).await.unwrap()
}

fn names(templates: &[TemplateSummary]) -> Vec<&str> {
    templates.iter().map(|t| t.name.as_str()).collect()
}

/// Adds a customer of the demo reseller connected through template `template_id`.
async fn connect_customer(portal: &TestPortal, template_id: i64, name: &str) {
    let db = portal.database().await;
    let demo = reseller::Entity::find().filter(reseller::Column::Name.eq("Demo Reseller")).one(&db).await.unwrap().unwrap();
    let pt = product_type::Entity::find().filter(product_type::Column::Code.eq("essentials")).one(&db).await.unwrap().unwrap();
    let now = chrono::Utc::now();
    let row = bare_customer(demo.id, &pt, name, "").insert(&db).await.unwrap();
    let id = row.id;
    pbx_connection::ActiveModel {
        customer_id: Set(id),
        template_id: Set(template_id),
        account_id: Set("0123456789abcdef0123456789abcdef".into()),
        directory_tenant_id: Set(String::new()),
        auto_provision_sub_accounts: Set(false),
        auto_agent_addon: Set(false),
        enabled: Set(false),
        created_at: Set(now),
        version: Set(1),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
}

#[tokio::test]
async fn templates_are_created_and_listed_without_their_secret() {
    let (portal, secrets) = spawn_with_secrets().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let before = list(&portal, &s).await.len();

    let mut form = kazoo("  Main Kazoo  ");
    form.client_id = "left over from 3CX".into();
    form.is_default = true;
    let created = create(&portal, &s, &form).await;
    assert_eq!(created.name, "Main Kazoo", "trimmed");
    assert_eq!(created.kind, PbxKind::Kazoo);
    assert!(created.has_secret && created.is_default);
    assert_eq!((created.customers, created.version), (0, 1));
    assert_eq!(created.client_id, "", "fields Kazoo does not use are not stored");

    let listed = list(&portal, &s).await;
    assert_eq!(listed.len(), before + 1);
    assert!(listed.contains(&created));

    // At rest the secret is sealed, and opens back to what was typed.
    let row = stored(&portal, created.id).await;
    assert!(!row.secret_sealed.contains(KAZOO_KEY) && !row.secret_sealed.is_empty());
    assert_eq!(row.name_key, "main kazoo");
    assert_eq!(secrets.open_for(&row.secret_sealed, &domain::pbx_templates::secret_context(row.id)).unwrap(), KAZOO_KEY);
    // Bound to its row: copied onto another template, the ciphertext does not open.
    assert!(secrets.open_for(&row.secret_sealed, &domain::pbx_templates::secret_context(row.id + 1)).is_err());
    let db = portal.database().await;
    assert_eq!(secrets.open_template(&row).unwrap(), KAZOO_KEY);

    // Teams keeps its own fields: the optional Graph and sign-in URLs (a national cloud's),
    // trimmed; Kazoo keeps no client id.
    let mut form = teams("Contoso Teams");
    form.api_url = " https://graph.microsoft.us ".into();
    form.websocket_url = "https://login.microsoftonline.us".into();
    let t = create(&portal, &s, &form).await;
    assert_eq!((t.api_url.as_str(), t.websocket_url.as_str()), ("https://graph.microsoft.us", "https://login.microsoftonline.us"));
    assert_eq!(t.directory_tenant_id, "72f988bf-86f1-41af-91ab-2d7cd011db47");
    let mut form = kazoo("Spare Kazoo");
    form.client_id = "not-for-kazoo".into();
    assert_eq!(create(&portal, &s, &form).await.client_id, "");

    let all = list(&portal, &s).await;
    let mut sorted = names(&all);
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names(&all), sorted, "listed by name");

    let entries = activity::Entity::find().filter(activity::Column::Action.eq("pbx_template.created")).all(&db).await.unwrap();
    let mine: Vec<_> = entries.iter().filter(|e| e.summary.contains("Main Kazoo") || e.summary.contains("Contoso Teams")).collect();
    assert_eq!(mine.len(), 2, "{entries:?}");
    assert!(mine.iter().all(|e| e.customer_id.is_none() && e.actor == "Dana Demo"));
    assert!(entries.iter().all(|e| !e.summary.contains(KAZOO_KEY)));
}

#[tokio::test]
async fn names_are_unique_per_reseller_ignoring_case() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let first = create(&portal, &s, &kazoo("Main Kazoo")).await;
    let count = template_count(&portal).await;

    let (status, error) = refused::<CreatePbxTemplate>(&portal, json!({ "form": kazoo(" main KAZOO ") }), Some(&s)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error.field("name").unwrap().contains("already exists"), "{error:?}");
    assert_eq!(template_count(&portal).await, count, "nothing stored");

    // Renaming another template onto it is refused the same way.
    let second = create(&portal, &s, &kazoo("Backup Kazoo")).await;
    let (status, body) = update(&portal, &s, second.id, second.version, &kazoo("MAIN kazoo")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(parse::<AppError>(&body).field("name").unwrap().contains("already exists"));
    // Changing only the case of its own name is fine.
    let (status, body) = update(&portal, &s, first.id, first.version, &kazoo("MAIN KAZOO")).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Another reseller may use the same name.
    let other = portal.sign_in(OTHER_EMAIL, DEMO_PASSWORD).await;
    create(&portal, &other, &kazoo("Main Kazoo")).await;
}

#[tokio::test]
async fn invalid_templates_are_refused_field_by_field_and_nothing_is_stored() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let count = template_count(&portal).await;

    let form = TemplateForm { name: "  ".into(), api_url: "kazoo.example.com".into(), ..TemplateForm::default() };
    let (status, error) = refused::<CreatePbxTemplate>(&portal, json!({ "form": form }), Some(&s)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error.field("name").as_deref(), Some("Name is required."));
    assert!(error.field("api_url").unwrap().contains("https://"));
    assert_eq!(error.field("websocket_url").as_deref(), Some("WebSocket URL is required."));
    assert_eq!(error.field("secret").as_deref(), Some("API Key is required."));

    let form = TemplateForm { directory_tenant_id: "not-a-guid".into(), client_id: String::new(), ..teams("Teams") };
    let (status, error) = refused::<CreatePbxTemplate>(&portal, json!({ "form": form }), Some(&s)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error.field("directory_tenant_id").unwrap().contains("GUID"));
    assert_eq!(error.field("client_id").as_deref(), Some("Client ID is required."));
    assert_eq!(template_count(&portal).await, count);

    // Editing applies the same rules.
    let t = create(&portal, &s, &kazoo("Main Kazoo")).await;
    let bad = TemplateForm { websocket_url: "https:// spaces".into(), secret: String::new(), ..kazoo("Main Kazoo") };
    let (status, body) = update(&portal, &s, t.id, t.version, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(parse::<AppError>(&body).field("websocket_url").is_some());
    assert_eq!(stored(&portal, t.id).await.version, 1);
}

#[tokio::test]
async fn only_one_template_is_the_default() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let defaults = |all: &[TemplateSummary]| all.iter().filter(|t| t.is_default).map(|t| t.name.clone()).collect::<Vec<_>>();

    let a = create(&portal, &s, &TemplateForm { is_default: true, ..kazoo("Alpha") }).await;
    create(&portal, &s, &TemplateForm { is_default: true, ..teams("Bravo") }).await;
    create(&portal, &s, &kazoo("Charlie")).await;
    assert_eq!(defaults(&list(&portal, &s).await), ["Bravo"], "the new default replaced the old");

    // Alpha's default was cleared, which is a change: its version moved on.
    let a_now = list(&portal, &s).await.into_iter().find(|t| t.id == a.id).unwrap();
    assert!(a_now.version > a.version);
    let (status, body) = update(&portal, &s, a.id, a_now.version, &TemplateForm { is_default: true, secret: String::new(), ..kazoo("Alpha") }).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(defaults(&list(&portal, &s).await), ["Alpha"]);

    // The wizard offers the default first.
    let db = portal.database().await;
    let options = domain::pbx_templates::options(&db, domain::operator::act_as(&db, DEMO_EMAIL).await.unwrap().reseller_id).await.unwrap();
    let order: Vec<&str> = options.iter().map(|o| o.name.as_str()).filter(|n| ["Alpha", "Bravo", "Charlie"].contains(n)).collect();
    assert_eq!(order, ["Alpha", "Bravo", "Charlie"]);
    assert!(options[0].is_default && options[0].name == "Alpha" && options.iter().filter(|o| o.is_default).count() == 1);

    // No default at all is fine too.
    let a_now = list(&portal, &s).await.into_iter().find(|t| t.id == a.id).unwrap();
    let (status, body) = update(&portal, &s, a.id, a_now.version, &TemplateForm { is_default: false, secret: String::new(), ..kazoo("Alpha") }).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(defaults(&list(&portal, &s).await).is_empty());
}

#[tokio::test]
async fn a_stale_edit_is_refused_and_changes_nothing() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let t = create(&portal, &s, &kazoo("Main Kazoo")).await;

    let first = TemplateForm { name: "Main Kazoo EU".into(), secret: String::new(), ..kazoo("") };
    let (status, body) = update(&portal, &s, t.id, t.version, &first).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let saved: TemplateSummary = parse(&body);
    assert_eq!((saved.name.as_str(), saved.version), ("Main Kazoo EU", 2));
    let row = stored(&portal, t.id).await;

    // A second editor still holding version 1.
    let second = TemplateForm { name: "Main Kazoo US".into(), api_url: "https://us.example.com".into(), secret: "new-key".into(), ..kazoo("") };
    let (status, body) = update(&portal, &s, t.id, t.version, &second).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    match parse::<AppError>(&body) {
        AppError::Refused(message) => assert!(message.contains("Someone else changed this template") && message.contains("reload"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(stored(&portal, t.id).await, row, "nothing written");
}

#[tokio::test]
async fn an_empty_secret_keeps_the_stored_one_only_while_the_address_stays() {
    let (portal, secrets) = spawn_with_secrets().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let t = create(&portal, &s, &kazoo("Main Kazoo")).await;
    let open = |sealed: &str| secrets.open_for(sealed, &domain::pbx_templates::secret_context(t.id));

    // Another name, same address: the stored key stays.
    let renamed = TemplateForm { secret: String::new(), ..kazoo("Main Kazoo (EU)") };
    let (status, body) = update(&portal, &s, t.id, t.version, &renamed).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let saved: TemplateSummary = parse(&body);
    assert!(saved.has_secret);
    assert_eq!(open(&stored(&portal, t.id).await.secret_sealed).unwrap(), KAZOO_KEY);

    // Another address without a new key: the old key is dropped, never sent to the new host.
    let form = TemplateForm { api_url: "https://kazoo2.example.com".into(), secret: String::new(), ..kazoo("Main Kazoo") };
    let (status, body) = update(&portal, &s, t.id, saved.version, &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let saved: TemplateSummary = parse(&body);
    assert!(!saved.has_secret, "the stored key went with the old address");
    assert_eq!(saved.api_url, "https://kazoo2.example.com");
    assert_eq!(stored(&portal, t.id).await.secret_sealed, "");

    let form = TemplateForm { secret: "rotated-key".into(), ..form };
    let (status, body) = update(&portal, &s, t.id, saved.version, &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!body.contains("rotated-key"));
    assert_eq!(open(&stored(&portal, t.id).await.secret_sealed).unwrap(), "rotated-key");

    // A new type needs its own secret: the stored one belongs to the old platform.
    let saved: TemplateSummary = parse(&body);
    let (status, body) = update(&portal, &s, t.id, saved.version, &TemplateForm { secret: String::new(), ..teams("Main Kazoo") }).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(parse::<AppError>(&body).field("secret").is_some());
}

#[tokio::test]
async fn moving_a_template_by_any_of_its_addresses_or_ids_drops_the_stored_secret() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    // Kazoo's WebSocket URL; a Teams app's client id and its directory tenant.
    let kazoo_ws = |f: TemplateForm| TemplateForm { websocket_url: "wss://elsewhere.example:5443".into(), ..f };
    let client = |f: TemplateForm| TemplateForm { client_id: "0b7d3f5e-8d42-4c1e-9a6b-1f2e3d4c5b6a".into(), ..f };
    let tenant = |f: TemplateForm| TemplateForm { directory_tenant_id: "11111111-2222-3333-4444-555555555555".into(), ..f };
    let cases: [(&str, TemplateForm, fn(TemplateForm) -> TemplateForm); 3] =
        [("WebSocket URL", kazoo("Moved WS"), kazoo_ws), ("Client ID", teams("Moved App"), client), ("Directory Tenant ID", teams("Moved Tenant"), tenant)];
    for (what, form, moved) in cases {
        let t = create(&portal, &s, &form).await;
        assert!(t.has_secret);
        let (status, body) = update(&portal, &s, t.id, t.version, &moved(TemplateForm { secret: String::new(), ..form })).await;
        assert_eq!(status, StatusCode::OK, "{what}: {body}");
        let saved: TemplateSummary = parse(&body);
        assert!(!saved.has_secret, "{what}: the stored secret is not kept for the new one");
        assert_eq!(stored(&portal, t.id).await.secret_sealed, "", "{what}");
    }
}

#[tokio::test]
async fn a_template_in_use_cannot_be_deleted_or_change_type() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let used = create(&portal, &s, &kazoo("Main Kazoo")).await;
    let unused = create(&portal, &s, &kazoo("Spare Kazoo")).await;
    connect_customer(&portal, used.id, "Connected Ltd").await;
    connect_customer(&portal, used.id, "Also Connected Ltd").await;

    let listed = list(&portal, &s).await;
    assert_eq!(listed.iter().find(|t| t.id == used.id).unwrap().customers, 2);
    assert_eq!(listed.iter().find(|t| t.id == unused.id).unwrap().customers, 0);

    let (status, error) = refused::<DeletePbxTemplate>(&portal, json!({ "id": used.id }), Some(&s)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(error.to_string().contains("is used by 2 customers"), "{error}");
    stored(&portal, used.id).await;

    let (status, body) = update(&portal, &s, used.id, used.version, &teams("Main Kazoo")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(parse::<AppError>(&body).field("kind").unwrap().contains("cannot change"));
    assert_eq!(stored(&portal, used.id).await.kind, model::pbx::PbxKind::Kazoo);

    let (status, body) = call::<DeletePbxTemplate>(&portal, json!({ "id": unused.id }), Some(&s)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!names(&list(&portal, &s).await).contains(&"Spare Kazoo"));
    let db = portal.database().await;
    assert_eq!(activity::Entity::find().filter(activity::Column::Action.eq("pbx_template.deleted")).count(&db).await.unwrap(), 1);

    // Deleting it again: it is gone.
    let (status, error) = refused::<DeletePbxTemplate>(&portal, json!({ "id": unused.id }), Some(&s)).await;
    assert_eq!((status, error), (StatusCode::NOT_FOUND, AppError::NotFound));
}

#[tokio::test]
async fn another_resellers_template_is_like_a_missing_one() {
    let portal = spawn().await;
    let demo = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let other = portal.sign_in(OTHER_EMAIL, DEMO_PASSWORD).await;
    let t = create(&portal, &demo, &kazoo("Main Kazoo")).await;
    let row = stored(&portal, t.id).await;
    let missing = t.id + 10_000;

    assert!(!names(&list(&portal, &other).await).contains(&"Main Kazoo"));
    let theirs = update(&portal, &other, t.id, t.version, &kazoo("Hijacked")).await;
    let nobodys = update(&portal, &other, missing, t.version, &kazoo("Hijacked")).await;
    assert_eq!(theirs.0, StatusCode::NOT_FOUND);
    assert_eq!(theirs, nobodys);
    let theirs = call::<DeletePbxTemplate>(&portal, json!({ "id": t.id }), Some(&other)).await;
    let nobodys = call::<DeletePbxTemplate>(&portal, json!({ "id": missing }), Some(&other)).await;
    assert_eq!(theirs.0, StatusCode::NOT_FOUND);
    assert_eq!(theirs, nobodys);
    assert_eq!(stored(&portal, t.id).await, row, "untouched");

    // Making one of their own the default leaves the demo reseller's default alone.
    let (status, body) = update(&portal, &demo, t.id, t.version, &TemplateForm { is_default: true, secret: String::new(), ..kazoo("Main Kazoo") }).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    create(&portal, &other, &TemplateForm { is_default: true, ..kazoo("Northwind Kazoo") }).await;
    assert!(stored(&portal, t.id).await.is_default);
}

#[tokio::test]
async fn signed_out_callers_get_401_and_nothing_changes() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let t = create(&portal, &s, &kazoo("Main Kazoo")).await;
    let row = stored(&portal, t.id).await;
    let count = template_count(&portal).await;

    let calls = [
        refused::<PbxTemplatesPage>(&portal, json!({}), None).await,
        refused::<CreatePbxTemplate>(&portal, json!({ "form": kazoo("Sneaky") }), None).await,
        refused::<UpdatePbxTemplate>(&portal, json!({ "id": t.id, "version": t.version, "form": kazoo("Sneaky") }), None).await,
        refused::<DeletePbxTemplate>(&portal, json!({ "id": t.id }), None).await,
    ];
    for (status, error) in calls {
        assert_eq!((status, error), (StatusCode::UNAUTHORIZED, AppError::Unauthorized));
    }
    assert_eq!(template_count(&portal).await, count);
    assert_eq!(stored(&portal, t.id).await, row);
}

#[tokio::test]
async fn changes_need_the_customer_administrator_permission() {
    use model::{Permission, Permissions};
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let t = create(&portal, &s, &kazoo("Main Kazoo")).await;
    let db = portal.database().await;
    let user = reseller_user::Entity::find().filter(reseller_user::Column::EmailKey.eq(DEMO_EMAIL)).one(&db).await.unwrap().unwrap();
    let website_only: Permissions = [Permission::WebsiteAccess].into_iter().collect();
    let mut user: reseller_user::ActiveModel = user.into();
    user.permissions = Set(website_only.bits() as i32);
    user.update(&db).await.unwrap();

    assert!(names(&list(&portal, &s).await).contains(&"Main Kazoo"), "listing needs no more than signing in");
    let (status, error) = refused::<CreatePbxTemplate>(&portal, json!({ "form": kazoo("Another") }), Some(&s)).await;
    assert_eq!((status, error), (StatusCode::FORBIDDEN, AppError::Forbidden));
    let (status, _) = update(&portal, &s, t.id, t.version, &kazoo("Renamed")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call::<DeletePbxTemplate>(&portal, json!({ "id": t.id }), Some(&s)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(stored(&portal, t.id).await.name, "Main Kazoo");
}

#[tokio::test]
async fn concurrent_defaults_leave_exactly_one() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let forms: Vec<TemplateForm> = (0..6).map(|i| TemplateForm { is_default: true, ..kazoo(&format!("Race {i}")) }).collect();
    let results = futures::future::join_all(forms.iter().map(|f| call::<CreatePbxTemplate>(&portal, json!({ "form": f }), Some(&s)))).await;
    for (status, body) in &results {
        assert_eq!(*status, StatusCode::OK, "{body}");
    }
    let all = list(&portal, &s).await;
    assert_eq!(all.iter().filter(|t| t.is_default).count(), 1);
}
