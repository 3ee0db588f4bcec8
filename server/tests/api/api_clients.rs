//! REST API client credentials (the API Access page's server functions) and the token exchange
//! behind `POST /api/v1/oauth/token` (called as domain functions): the secret is shown once and
//! stored only as a hash; tokens are issued only for the right secret of active credentials,
//! name their reseller and client, expire, and die with a revoke; credentials stay within
//! their reseller and need the REST API Administrator permission.

use crate::support::*;
use app::api::api_clients::*;
use app::AppError;
use domain::api_clients::{issue_token, resolve_token, TOKEN_LIFETIME};
use domain::entity::{activity, api_client, api_token, reseller_user};
use model::api::{ApiClientView, NewApiClient};
use model::{Permission, Permissions};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{json, Value};

async fn call<S: WireFn>(portal: &TestPortal, session: Option<&str>, body: Value) -> (StatusCode, Value) {
    call_fn::<S>(portal, session, body).await
}

fn fields(body: &Value) -> Vec<String> {
    body["Invalid"].as_array().map(|a| a.iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect()).unwrap_or_default()
}

async fn create(portal: &TestPortal, s: &str, name: &str) -> NewApiClient {
    let (code, body) = call::<CreateApiClient>(portal, Some(s), json!({ "name": name, "permissions": domain::api_clients::api_permissions() })).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    serde_json::from_value(body).unwrap()
}

async fn list(portal: &TestPortal, s: &str) -> (Vec<ApiClientView>, String) {
    let (code, body) = call::<ListApiClients>(portal, Some(s), json!({})).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    (serde_json::from_value(body.clone()).unwrap(), body.to_string())
}

async fn revoke(portal: &TestPortal, s: &str, id: i64) -> StatusCode {
    call::<RevokeApiClient>(portal, Some(s), json!({ "id": id })).await.0
}

#[tokio::test]
async fn the_secret_is_shown_once_and_only_its_hash_is_stored() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let new = create(&portal, &s, "  Billing system ").await;
    assert_eq!(new.client.name, "Billing system", "the name is trimmed");
    assert!(new.client.client_id.starts_with("rp_") && new.client.client_id.len() == 27, "{}", new.client.client_id);
    assert_eq!(new.secret.len(), 64, "256 random bits in hex");
    assert!(!new.client.revoked && new.client.last_used_at.is_none());
    assert_eq!(new.client.created_by, "Dana Demo");

    let db = portal.database().await;
    let row = api_client::Entity::find_by_id(new.client.id).one(&db).await.unwrap().unwrap();
    assert_eq!(row.secret_hash.len(), 64);
    assert_ne!(row.secret_hash, new.secret, "only a hash of the secret is stored");
    assert!(!format!("{row:?}").contains(&new.secret), "the secret appears nowhere in the row");

    let (clients, raw) = list(&portal, &s).await;
    assert_eq!(clients, vec![new.client.clone()]);
    assert!(!raw.contains(&new.secret), "the list never carries the secret");
    assert!(!raw.contains(&row.secret_hash), "nor its hash");

    let newer = create(&portal, &s, "CRM").await;
    let names: Vec<String> = list(&portal, &s).await.0.into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["CRM", "Billing system"], "newest first");
    assert_ne!(newer.secret, new.secret);

    let logged = activity::Entity::find().filter(activity::Column::Action.eq("api_client.created")).all(&db).await.unwrap();
    assert_eq!(logged.len(), 2);
    assert!(logged.iter().any(|a| a.summary.contains(&new.client.client_id) && a.actor == "Dana Demo"), "{logged:?}");
}

#[tokio::test]
async fn tokens_are_issued_only_for_the_right_secret_of_active_credentials() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let new = create(&portal, &s, "Provisioning robot").await;
    let db = portal.database().await;
    let client_id = new.client.client_id.as_str();

    let issued = issue_token(&db, client_id, &new.secret).await.unwrap();
    assert_eq!(issued.expires_in, TOKEN_LIFETIME);
    assert_eq!(issued.access_token.len(), 64);
    let stored = api_token::Entity::find().all(&db).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].token_hash, issued.access_token, "only a hash of the token is stored");
    assert!(list(&portal, &s).await.0[0].last_used_at.is_some(), "issuing a token counts as a use");

    let mut wrong = new.secret.clone();
    wrong.replace_range(..1, if wrong.starts_with('0') { "1" } else { "0" });
    for (id, secret) in [(client_id, wrong.as_str()), (client_id, ""), ("rp_000000000000000000000000", new.secret.as_str()), ("", "")] {
        assert!(matches!(issue_token(&db, id, secret).await, Err(domain::Error::Unauthenticated)), "{id} / {secret}");
    }

    let caller = resolve_token(&db, &issued.access_token).await.unwrap().expect("a fresh token resolves");
    let demo = reseller_user::Entity::find().filter(reseller_user::Column::EmailKey.eq(DEMO_EMAIL)).one(&db).await.unwrap().unwrap();
    assert_eq!(caller.actor.reseller_id.get(), demo.reseller_id);
    assert_eq!(caller.actor.user_id, None);
    assert_eq!(caller.actor.name, format!("API client {client_id}"));
    assert_eq!((caller.client_id.as_str(), caller.api_client_id), (client_id, new.client.id));
    assert!(caller.actor.permissions.contains(Permission::CustomerAdministrator));
    assert!(!caller.actor.permissions.contains(Permission::RestApiAdministrator), "a client cannot mint credentials");
    for nonsense in ["", "not-a-token", &"z".repeat(64), &new.secret] {
        assert!(resolve_token(&db, nonsense).await.unwrap().is_none(), "{nonsense}");
    }

    assert_eq!(revoke(&portal, &s, new.client.id).await, StatusCode::OK);
    assert!(resolve_token(&db, &issued.access_token).await.unwrap().is_none(), "a revoke ends the client's tokens at once");
    assert!(api_token::Entity::find().all(&db).await.unwrap().is_empty(), "and deletes them");
    assert!(matches!(issue_token(&db, client_id, &new.secret).await, Err(domain::Error::Unauthenticated)));
    assert_eq!(revoke(&portal, &s, new.client.id).await, StatusCode::OK, "revoking twice is harmless");
    let (clients, _) = list(&portal, &s).await;
    assert!(clients[0].revoked, "revoked credentials stay listed");
    let revocations = activity::Entity::find().filter(activity::Column::Action.eq("api_client.revoked")).all(&db).await.unwrap();
    assert_eq!(revocations.len(), 1, "the second revoke records nothing");
}

#[tokio::test]
async fn expired_tokens_resolve_to_nothing() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let new = create(&portal, &s, "Nightly import").await;
    let db = portal.database().await;
    let issued = issue_token(&db, &new.client.client_id, &new.secret).await.unwrap();
    assert!(resolve_token(&db, &issued.access_token).await.unwrap().is_some());
    api_token::Entity::update_many()
        .col_expr(api_token::Column::ExpiresAt, Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)))
        .exec(&db)
        .await
        .unwrap();
    assert!(resolve_token(&db, &issued.access_token).await.unwrap().is_none());
    let again = issue_token(&db, &new.client.client_id, &new.secret).await.unwrap();
    assert!(resolve_token(&db, &again.access_token).await.unwrap().is_some(), "the credentials still get new tokens");
    assert_eq!(api_token::Entity::find().all(&db).await.unwrap().len(), 1, "the expired token was cleared away");
}

#[tokio::test]
async fn another_resellers_credentials_behave_like_missing_ones() {
    let portal = spawn().await;
    let demo = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let other = portal.sign_in(OTHER_EMAIL, DEMO_PASSWORD).await;
    let theirs = create(&portal, &other, "Northwind robot").await;
    assert!(list(&portal, &demo).await.0.is_empty(), "another reseller's credentials are not listed");
    assert_eq!(revoke(&portal, &demo, theirs.client.id).await, StatusCode::NOT_FOUND);
    assert_eq!(revoke(&portal, &demo, i64::MAX).await, StatusCode::NOT_FOUND);
    assert!(!list(&portal, &other).await.0[0].revoked);

    // The same name is free in each reseller; a token names its own reseller.
    let ours = create(&portal, &demo, "Northwind robot").await;
    let db = portal.database().await;
    let token = issue_token(&db, &theirs.client.client_id, &theirs.secret).await.unwrap();
    let caller = resolve_token(&db, &token.access_token).await.unwrap().unwrap();
    let nora = reseller_user::Entity::find().filter(reseller_user::Column::EmailKey.eq(OTHER_EMAIL)).one(&db).await.unwrap().unwrap();
    assert_eq!(caller.actor.reseller_id.get(), nora.reseller_id);
    assert!(matches!(issue_token(&db, &ours.client.client_id, &theirs.secret).await, Err(domain::Error::Unauthenticated)), "secrets are not interchangeable");
}

#[tokio::test]
async fn managing_credentials_needs_the_rest_api_administrator_permission() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let existing = create(&portal, &s, "Billing system").await;
    let db = portal.database().await;
    let user = reseller_user::Entity::find().filter(reseller_user::Column::EmailKey.eq(DEMO_EMAIL)).one(&db).await.unwrap().unwrap();
    let without: Permissions = Permissions::all().iter().filter(|p| *p != Permission::RestApiAdministrator).collect();
    let mut user: reseller_user::ActiveModel = user.into();
    user.permissions = Set(without.bits() as i32);
    user.update(&db).await.unwrap();

    let calls = [
        call::<ListApiClients>(&portal, Some(&s), json!({})).await,
        call::<CreateApiClient>(&portal, Some(&s), json!({ "name": "Sneaky", "permissions": domain::api_clients::api_permissions() })).await,
        call::<RevokeApiClient>(&portal, Some(&s), json!({ "id": existing.client.id })).await,
    ];
    for (status, body) in calls {
        assert_eq!((status, serde_json::from_value::<AppError>(body).unwrap()), (StatusCode::FORBIDDEN, AppError::Forbidden));
    }
    for (status, _) in [
        call::<ListApiClients>(&portal, None, json!({})).await,
        call::<CreateApiClient>(&portal, None, json!({ "name": "Sneaky", "permissions": domain::api_clients::api_permissions() })).await,
        call::<RevokeApiClient>(&portal, None, json!({ "id": existing.client.id })).await,
    ] {
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let rows = api_client::Entity::find().all(&db).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].revoked_at.is_none());
}

#[tokio::test]
async fn names_are_required_and_unique_among_active_credentials() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let first = create(&portal, &s, "Billing system").await;
    for name in ["billing SYSTEM", "  Billing system", "", "   ", &"x".repeat(101)] {
        let (code, body) = call::<CreateApiClient>(&portal, Some(&s), json!({ "name": name, "permissions": domain::api_clients::api_permissions() })).await;
        assert_eq!((code, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["name".to_owned()]), "{name:?}: {body}");
    }
    assert_eq!(list(&portal, &s).await.0.len(), 1, "nothing was stored");
    assert_eq!(revoke(&portal, &s, first.client.id).await, StatusCode::OK);
    let second = create(&portal, &s, "Billing System").await;
    assert_ne!(second.client.client_id, first.client.client_id, "a revoked name can be used again");
}

#[tokio::test]
async fn the_page_lists_credentials_without_secrets_and_explains_a_missing_permission() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let page = |session: String, status: StatusCode| {
        let portal = &portal;
        async move {
            let res = portal.get("/api-access", Some(&session)).await;
            assert_eq!(res.status(), status);
            res.text().await.unwrap()
        }
    };
    let empty = page(s.clone(), StatusCode::OK).await;
    assert!(empty.contains("/api/v1/oauth/token") && empty.contains("+ New Credentials") && empty.contains("No credentials yet"), "{empty}");

    let new = create(&portal, &s, "Billing system").await;
    let listed = page(s.clone(), StatusCode::OK).await;
    assert!(listed.contains("Billing system") && listed.contains(&new.client.client_id) && listed.contains("Active"), "{listed}");
    assert!(!listed.contains(&new.secret));

    let db = portal.database().await;
    let user = reseller_user::Entity::find().filter(reseller_user::Column::EmailKey.eq(DEMO_EMAIL)).one(&db).await.unwrap().unwrap();
    let mut user: reseller_user::ActiveModel = user.into();
    user.permissions = Set(Permissions::default().with(Permission::WebsiteAccess).bits() as i32);
    user.update(&db).await.unwrap();
    // The refused server function sets the page's status, as on the other pages.
    let refused = page(s, StatusCode::FORBIDDEN).await;
    assert!(refused.contains("You need the REST API Administrator permission"), "{refused}");
    assert!(!refused.contains(&new.client.client_id) && !refused.contains("+ New Credentials"));
}


#[tokio::test]
async fn credentials_act_with_the_permissions_chosen_for_them_never_more_than_their_creator() {
    let portal = spawn().await;
    let db = portal.database().await;
    // A REST API administrator who is no customer or billing administrator.
    let api_only = perms_of(&[Permission::WebsiteAccess, Permission::RestApiAdministrator]);
    let rex = crate::users::signed_in_as(&portal, "rex@demo-reseller.example", api_only).await;
    for wanted in [api_only, perms_of(&[Permission::WebsiteAccess, Permission::CustomerAdministrator]), perms_of(&[Permission::ManageUsers])] {
        let (code, body) = call::<CreateApiClient>(&portal, Some(&rex), json!({ "name": "Too strong", "permissions": wanted })).await;
        assert_eq!((code, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["permissions".to_owned()]), "{body}");
    }
    assert!(api_client::Entity::find().all(&db).await.unwrap().is_empty(), "nothing created");

    // The demo admin makes provisioning-only credentials: billing is refused per call.
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let provisioning = perms_of(&[Permission::WebsiteAccess, Permission::CustomerAdministrator]);
    let (code, body) = call::<CreateApiClient>(&portal, Some(&s), json!({ "name": "CRM", "permissions": provisioning })).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let new: NewApiClient = serde_json::from_value(body).unwrap();
    assert_eq!(new.client.permissions, provisioning, "shown on API Access");
    let issued = issue_token(&db, &new.client.client_id, &new.secret).await.unwrap();
    let bearer = format!("Bearer {}", issued.access_token);
    let get = |path: &'static str| portal.client.get(portal.url(path)).header("authorization", bearer.clone()).send();
    assert_eq!(get("/api/v1/customers").await.unwrap().status(), StatusCode::OK);
    assert_eq!(get("/api/v1/billing").await.unwrap().status(), StatusCode::FORBIDDEN, "no Billing Administrator");

    // Credentials stop working when their creator is deactivated.
    let demo = reseller_user::Entity::find().filter(reseller_user::Column::EmailKey.eq(DEMO_EMAIL)).one(&db).await.unwrap().unwrap();
    let mut row: reseller_user::ActiveModel = demo.into();
    row.active = Set(false);
    row.clone().update(&db).await.unwrap();
    assert!(resolve_token(&db, &issued.access_token).await.unwrap().is_none(), "the token no longer resolves");
    assert_eq!(get("/api/v1/customers").await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert!(matches!(issue_token(&db, &new.client.client_id, &new.secret).await, Err(domain::Error::Unauthenticated)), "nor does it get new tokens");
    // API Access says why, to another REST API administrator.
    let (clients, _) = list(&portal, &rex).await;
    let crm = clients.iter().find(|c| c.name == "CRM").unwrap();
    assert!(!crm.revoked);
    assert_eq!(crm.stopped.as_deref(), Some("Stopped: Dana Demo was deactivated or removed. Create new credentials to replace these."));
    row.active = Set(true);
    row.update(&db).await.unwrap();
    assert_eq!(list(&portal, &rex).await.0.iter().find(|c| c.name == "CRM").unwrap().stopped, None, "working again with their creator");
}

#[tokio::test]
async fn credentials_with_no_creator_on_record_do_not_work_and_say_so() {
    // Credentials made before creators were recorded, whose creator's name matched nobody.
    let portal = spawn().await;
    let db = portal.database().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let old = create(&portal, &s, "Legacy robot").await;
    let issued = issue_token(&db, &old.client.client_id, &old.secret).await.unwrap();
    api_client::Entity::update_many()
        .col_expr(api_client::Column::CreatedByUserId, Expr::value(None::<i64>))
        .filter(api_client::Column::Id.eq(old.client.id))
        .exec(&db)
        .await
        .unwrap();
    assert!(resolve_token(&db, &issued.access_token).await.unwrap().is_none(), "its token no longer resolves");
    assert!(matches!(issue_token(&db, &old.client.client_id, &old.secret).await, Err(domain::Error::Unauthenticated)));
    let (clients, _) = list(&portal, &s).await;
    assert_eq!(clients[0].stopped.as_deref(), Some("Stopped: no creator is on record for these credentials. Create new ones to replace them."));
    let page = portal.get("/api-access", Some(&s)).await.text().await.unwrap();
    assert!(page.contains("Stopped") && page.contains("no creator is on record"), "the page shows it");
}

fn perms_of(list: &[Permission]) -> Permissions {
    list.iter().copied().collect()
}
