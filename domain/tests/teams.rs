//! The Microsoft Teams connector against a fake Microsoft identity platform and Graph on
//! 127.0.0.1 (one server plays both): the v2.0 token endpoint with Entra's error bodies, and
//! `/v1.0/users` paged with `@odata.nextLink` and `$skiptoken`, as Graph does.

mod common;

use axum::extract::{Form, Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::pbx::{Connector, Pbx, PbxAccount, PbxError, PbxUser, Progress, Settings, TeamsClient};
use model::pbx::PbxKind;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;


/// The egress policy with the exception these tests need: their fake servers listen on loopback.
fn local() -> domain::egress::HttpClient {
    let policy = domain::egress::EgressPolicy::strict().allow(domain::egress::Rule::parse("127.0.0.1").unwrap());
    domain::egress::HttpClient::new(policy, std::time::Duration::from_secs(5))
}

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT_ID: &str = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const SECRET: &str = "teams-client-secret";
const SELECT: &str = "$select=id,displayName,mail,userPrincipalName,accountEnabled";

/// Entra and Graph as far as the connector uses them. The knobs default to a healthy tenant.
#[derive(Default)]
struct Fake {
    users: Vec<Value>,
    /// How many users Graph sends a page (default: what `$top` asks).
    page_size: Option<usize>,
    /// How many Graph requests one token is good for before Graph answers 401.
    token_uses: Option<usize>,
    /// A next link to send with every page instead (`{base}` is the server's URL).
    next_link: Option<String>,
    /// Answers the users listing with this status and body instead of a page.
    users_answer: Option<(StatusCode, String)>,
    /// How long each users request takes.
    delay: Duration,
    base: OnceLock<String>,
    tokens_issued: AtomicUsize,
    /// Each issued token and how many requests it may still make.
    tokens: Mutex<HashMap<String, usize>>,
    /// The Graph requests in order, as `users?<query>`.
    requests: Mutex<Vec<String>>,
}

impl Fake {
    fn issued(&self) -> usize {
        self.tokens_issued.load(Ordering::SeqCst)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(token) = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")) else {
            return false;
        };
        match self.tokens.lock().unwrap().get_mut(token) {
            Some(left) if *left > 0 => {
                *left -= 1;
                true
            }
            _ => false,
        }
    }
}

fn entra_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({
        "error": error,
        "error_description": format!("{description}\r\nTrace ID: 0000 Correlation ID: 1111 Timestamp: 2026-11-27 10:00:00Z"),
        "error_codes": [description.split(':').next().unwrap().trim_start_matches("AADSTS").parse::<u64>().unwrap()],
        "timestamp": "2026-11-27 10:00:00Z",
    });
    (status, Json(body)).into_response()
}

fn graph_error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "error": { "code": code, "message": message, "innerError": { "request-id": "2222" } } }))).into_response()
}

async fn token(State(fake): State<Arc<Fake>>, Path(tenant): Path<String>, Form(form): Form<HashMap<String, String>>) -> Response {
    let base = fake.base.get().unwrap();
    let field = |name: &str| form.get(name).map(String::as_str);
    if tenant != TENANT {
        let description = format!("AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.");
        return entra_error(StatusCode::BAD_REQUEST, "invalid_request", &description);
    }
    if field("grant_type") != Some("client_credentials") || field("scope") != Some(&format!("{base}/.default")) {
        return entra_error(StatusCode::BAD_REQUEST, "invalid_scope", "AADSTS70011: The provided request must include a 'scope' input parameter.");
    }
    if field("client_id") != Some(CLIENT_ID) || field("client_secret") != Some(SECRET) {
        return entra_error(StatusCode::UNAUTHORIZED, "invalid_client", "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.");
    }
    let token = format!("eyJ0eXAi.token-{}", fake.tokens_issued.fetch_add(1, Ordering::SeqCst) + 1);
    fake.tokens.lock().unwrap().insert(token.clone(), fake.token_uses.unwrap_or(usize::MAX));
    Json(json!({ "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token })).into_response()
}

async fn users(State(fake): State<Arc<Fake>>, headers: HeaderMap, RawQuery(raw): RawQuery, Query(query): Query<HashMap<String, String>>) -> Response {
    tokio::time::sleep(fake.delay).await;
    let base = fake.base.get().unwrap();
    fake.requests.lock().unwrap().push(format!("users?{}", raw.unwrap_or_default()));
    if !fake.authorized(&headers) {
        return graph_error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.");
    }
    if let Some((status, body)) = &fake.users_answer {
        return (*status, body.clone()).into_response();
    }
    let top = query.get("$top").and_then(|v| v.parse::<usize>().ok()).unwrap_or(100);
    let size = fake.page_size.unwrap_or(top).min(top);
    let start = query.get("$skiptoken").and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
    let value: Vec<Value> = fake.users.iter().skip(start).take(size).cloned().collect();
    let mut body = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(id,displayName,mail,userPrincipalName,accountEnabled)",
        "value": value,
    });
    if let Some(link) = &fake.next_link {
        body["@odata.nextLink"] = json!(link.replace("{base}", base));
    } else if start + size < fake.users.len() {
        body["@odata.nextLink"] = json!(format!("{base}/v1.0/users?{SELECT}&$top={top}&$skiptoken={}", start + size));
    }
    Json(body).into_response()
}

/// Starts `fake` on a port of its own; returns it (to look at what happened) and its URL, which
/// serves as both the sign-in and the Graph URL.
async fn serve(fake: Fake) -> (Arc<Fake>, String) {
    let fake = Arc::new(fake);
    let app = Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route("/v1.0/users", get(users))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    fake.base.set(base.clone()).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (fake, base)
}

fn directory() -> Vec<Value> {
    vec![
        json!({ "id": "8b0b9c1e-0001-4f6a-9e2b-1c2d3e4f5a61", "displayName": "Adele Vance", "mail": "AdeleV@contoso.com", "userPrincipalName": "AdeleV@contoso.onmicrosoft.com", "accountEnabled": true }),
        json!({ "id": "8b0b9c1e-0002-4f6a-9e2b-1c2d3e4f5a62", "displayName": "Conf Room Adams", "mail": null, "userPrincipalName": "Adams@contoso.onmicrosoft.com", "accountEnabled": true }),
        json!({ "id": "8b0b9c1e-0003-4f6a-9e2b-1c2d3e4f5a63", "displayName": "Grace (guest)", "mail": null, "userPrincipalName": "grace_example.com#EXT#@contoso.onmicrosoft.com", "accountEnabled": false }),
        json!({ "id": "8b0b9c1e-0004-4f6a-9e2b-1c2d3e4f5a64", "displayName": null, "mail": "ops@contoso.com", "userPrincipalName": "ops@contoso.com", "accountEnabled": true }),
        json!({ "id": "8b0b9c1e-0005-4f6a-9e2b-1c2d3e4f5a65", "displayName": "Lee Gu", "mail": "LeeG@contoso.com", "userPrincipalName": "LeeG@contoso.onmicrosoft.com", "accountEnabled": true }),
    ]
}

const EXPECTED: [(&str, &str, Option<&str>); 5] = [
    ("8b0b9c1e-0001-4f6a-9e2b-1c2d3e4f5a61", "Adele Vance", Some("AdeleV@contoso.com")),
    ("8b0b9c1e-0002-4f6a-9e2b-1c2d3e4f5a62", "Conf Room Adams", Some("Adams@contoso.onmicrosoft.com")),
    ("8b0b9c1e-0003-4f6a-9e2b-1c2d3e4f5a63", "Grace (guest)", None),
    ("8b0b9c1e-0004-4f6a-9e2b-1c2d3e4f5a64", "ops@contoso.com", Some("ops@contoso.com")),
    ("8b0b9c1e-0005-4f6a-9e2b-1c2d3e4f5a65", "Lee Gu", Some("LeeG@contoso.com")),
];

fn client(base: &str) -> TeamsClient {
    TeamsClient::new(base, base, TENANT, CLIENT_ID, SECRET).with_http(local())
}

fn summary(users: &[PbxUser]) -> Vec<(&str, &str, Option<&str>)> {
    users.iter().map(|u| (u.pbx_id.as_str(), u.display_name.as_str(), u.email.as_deref())).collect()
}

#[tokio::test]
async fn lists_every_user_following_the_next_links() {
    let (fake, base) = serve(Fake { users: directory(), page_size: Some(2), ..Fake::default() }).await;
    let progress = Progress::default();
    let users = client(&base).list_users("ignored", &progress).await.unwrap();
    assert_eq!(summary(&users), EXPECTED);
    assert!(users.iter().all(|u| u.account_id == TENANT && !u.is_agent));
    assert_eq!(progress.get(), 5);
    assert_eq!(
        fake.requests(),
        [
            format!("users?{SELECT}&$top=999"),
            format!("users?{SELECT}&$top=999&$skiptoken=2"),
            format!("users?{SELECT}&$top=999&$skiptoken=4"),
        ]
    );
    assert_eq!(fake.issued(), 1);
}

#[tokio::test]
async fn users_listed_twice_are_kept_once() {
    let mut users = directory();
    users.push(users[0].clone());
    let (_fake, base) = serve(Fake { users, page_size: Some(2), ..Fake::default() }).await;
    let progress = Progress::default();
    assert_eq!(summary(&client(&base).list_users("", &progress).await.unwrap()), EXPECTED);
    assert_eq!(progress.get(), 6);
}

#[tokio::test]
async fn the_test_reads_one_user_and_names_the_tenant() {
    let (fake, base) = serve(Fake { users: directory(), ..Fake::default() }).await;
    let client = client(&base);
    assert_eq!(client.test().await.unwrap(), PbxAccount { id: TENANT.into(), name: TENANT.into() });
    assert_eq!(fake.requests(), ["users?$top=1&$select=id"]);
    assert!(client.list_sub_accounts(TENANT).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_connector_reaches_graph_with_a_templates_settings() {
    let (_fake, base) = serve(Fake { users: directory(), ..Fake::default() }).await;
    // The template's WebSocket URL field holds the sign-in URL, its API URL the Graph URL.
    let settings = Settings { kind: PbxKind::Teams, api_url: &base, websocket_url: &base, client_id: CLIENT_ID, tenant_id: TENANT, secret: SECRET };
    let connector = Connector::new(&settings, local(), Duration::from_secs(5)).unwrap();
    assert!(matches!(connector, Connector::Teams(_)));
    assert_eq!(connector.test().await.unwrap().id, TENANT);
    assert_eq!(summary(&connector.list_users("", &Progress::default()).await.unwrap()), EXPECTED);
    assert!(!format!("{connector:?}").contains(SECRET));
}

#[tokio::test]
async fn a_wrong_secret_is_rejected() {
    let (fake, base) = serve(Fake { users: directory(), ..Fake::default() }).await;
    let wrong = TeamsClient::new(&base, &base, TENANT, CLIENT_ID, "not-the-secret").with_http(local());
    let error = wrong.test().await.unwrap_err();
    assert_eq!(error, PbxError::Rejected);
    assert_eq!(error.to_string(), "The PBX rejected the API key");
    assert_eq!(wrong.list_users("", &Progress::default()).await.unwrap_err(), PbxError::Rejected);
    assert_eq!(fake.issued(), 0);
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn an_unknown_tenant_is_not_found() {
    let (fake, base) = serve(Fake { users: directory(), ..Fake::default() }).await;
    let other = "contoso-typo.onmicrosoft.com";
    let error = TeamsClient::new(&base, &base, other, CLIENT_ID, SECRET).with_http(local()).test().await.unwrap_err();
    assert_eq!(error, PbxError::NotFound(other.into()));
    assert!(!error.is_transient());

    // A tenant id that could change the token URL's path is refused before anything is sent.
    for bad in ["../common", "contoso.com/x", "contoso.com?x=1", "common"] {
        let error = TeamsClient::new(&base, &base, bad, CLIENT_ID, SECRET).with_http(local()).list_users("", &Progress::default()).await.unwrap_err();
        assert_eq!(error, PbxError::NotFound(bad.into()));
    }
    assert_eq!(fake.issued(), 0);
}

#[tokio::test]
async fn an_app_without_permission_is_told_what_it_lacks() {
    let body = json!({ "error": { "code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation." } }).to_string();
    let (_fake, base) = serve(Fake { users_answer: Some((StatusCode::FORBIDDEN, body)), ..Fake::default() }).await;
    for error in [client(&base).test().await.unwrap_err(), client(&base).list_users("", &Progress::default()).await.unwrap_err()] {
        assert_eq!(error, PbxError::Forbidden("the app has no User.Read.All permission".into()));
        assert_eq!(error.to_string(), "The PBX refused access: the app has no User.Read.All permission");
        assert!(!error.is_transient());
    }
}

#[tokio::test]
async fn throttling_and_outages_are_transient() {
    for status in [StatusCode::TOO_MANY_REQUESTS, StatusCode::SERVICE_UNAVAILABLE] {
        let body = json!({ "error": { "code": "TooManyRequests", "message": "Please retry again later." } }).to_string();
        let (_fake, base) = serve(Fake { users_answer: Some((status, body)), ..Fake::default() }).await;
        let error = client(&base).list_users("", &Progress::default()).await.unwrap_err();
        assert_eq!(error, PbxError::Server(status.as_u16()));
        assert!(error.is_transient());
    }
}

#[tokio::test]
async fn a_lapsed_token_is_replaced_once_in_the_middle_of_a_listing() {
    let (fake, base) = serve(Fake { users: directory(), page_size: Some(2), token_uses: Some(2), ..Fake::default() }).await;
    let progress = Progress::default();
    assert_eq!(summary(&client(&base).list_users("", &progress).await.unwrap()), EXPECTED);
    assert_eq!(progress.get(), 5);
    assert_eq!(fake.issued(), 2);
    let requests = fake.requests();
    assert_eq!(requests.len(), 4, "{requests:?}");
    assert_eq!(requests[2], requests[3], "the refused page is asked again");

    let (fake, base) = serve(Fake { users: directory(), token_uses: Some(0), ..Fake::default() }).await;
    assert_eq!(client(&base).list_users("", &Progress::default()).await.unwrap_err(), PbxError::Rejected);
    assert_eq!(fake.issued(), 2, "one new token, then the listing gives up");
}

#[tokio::test]
async fn a_slow_graph_times_out() {
    let (_fake, base) = serve(Fake { users: directory(), delay: Duration::from_secs(3), ..Fake::default() }).await;
    let error = client(&base).with_timeout(Duration::from_millis(200)).test().await.unwrap_err();
    assert_eq!(error, PbxError::Timeout);
}

#[tokio::test]
async fn unreadable_answers_are_malformed() {
    for body in ["Service Unavailable", r#"{"value":{"id":"1"}}"#, r#"{"value":[{"displayName":"No Id"}]}"#, r#"{"value":[{"id":" "}]}"#] {
        let (_fake, base) = serve(Fake { users_answer: Some((StatusCode::OK, body.into())), ..Fake::default() }).await;
        let error = client(&base).list_users("", &Progress::default()).await.unwrap_err();
        assert!(matches!(error, PbxError::Malformed(_)), "{body}: {error:?}");
    }
}

#[tokio::test]
async fn a_next_link_to_another_server_is_refused() {
    // Same host, another port: another origin, so the token must not go there.
    let next_link = Some(format!("http://127.0.0.1:1/v1.0/users?{SELECT}&$skiptoken=2"));
    let (fake, base) = serve(Fake { users: directory(), page_size: Some(2), next_link, ..Fake::default() }).await;
    let error = client(&base).list_users("", &Progress::default()).await.unwrap_err();
    assert!(matches!(&error, PbxError::Malformed(m) if m.contains("another server")), "{error:?}");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_next_link_that_repeats_stops_the_listing() {
    let next_link = Some(format!("{{base}}/v1.0/users?{SELECT}&$skiptoken=2"));
    let (fake, base) = serve(Fake { users: directory(), page_size: Some(2), next_link, ..Fake::default() }).await;
    let error = client(&base).list_users("", &Progress::default()).await.unwrap_err();
    assert!(matches!(&error, PbxError::Malformed(m) if m.contains("repeats")), "{error:?}");
    assert_eq!(fake.requests().len(), 2);
}

/// Without the operator's exception, the token endpoint on a loopback address is refused
/// before any connection: the listener there accepts nothing, and the error is the product's.
#[tokio::test]
async fn the_token_endpoint_on_loopback_is_refused_without_an_exception() {
    let (base, connections) = common::counting_listener().await;
    let strict = domain::egress::HttpClient::new(domain::egress::EgressPolicy::strict(), std::time::Duration::from_secs(2));
    let error = TeamsClient::new(&base, &base, TENANT, CLIENT_ID, SECRET).with_http(strict).test().await.unwrap_err();
    assert!(matches!(error, PbxError::NotAllowed), "Teams: {error:?}");
    assert_eq!(common::accepted(&connections).await, 0, "no connection was made");
}
