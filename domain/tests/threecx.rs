//! The 3CX connector against a fake 3CX v20 server on 127.0.0.1 that speaks the XAPI's JSON:
//! the client-credentials token endpoint, OData `Users` and `Queues` with `$top`/`$skip` (or its
//! own `@odata.nextLink`), and bearer tokens that can run out.

mod common;

use axum::extract::{Form, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::pbx::{Connector, Pbx, PbxAccount, PbxError, PbxUser, Progress, Settings, ThreeCxClient};
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

const CLIENT_ID: &str = "portal-sync";
const SECRET: &str = "3cx-client-secret";

/// A 3CX server as far as the connector uses it. The knobs default to a well-behaved server.
#[derive(Default)]
struct Fake {
    users: Vec<Value>,
    queues: Vec<Value>,
    /// How many API requests one token is good for before the server answers 401.
    token_uses: Option<usize>,
    /// The token's `expires_in` (default 60, as 3CX sends).
    expires_in: Option<u64>,
    /// The server pages by itself, this many records a page, and sends `@odata.nextLink`.
    server_page: Option<usize>,
    /// A next link to send with every page instead (`{base}` is the server's URL).
    next_link: Option<String>,
    /// Answers every page as if `$skip` were 0.
    ignore_skip: bool,
    /// The API client's role may not read queues.
    queues_forbidden: bool,
    /// Answers the Users listing with this instead of a page.
    users_answer: Option<(StatusCode, String)>,
    /// How long each Users request takes.
    delay: Duration,
    base: OnceLock<String>,
    tokens_issued: AtomicUsize,
    /// Each issued token and how many requests it may still make.
    tokens: Mutex<HashMap<String, usize>>,
    /// The API requests in order, as `Users?<query>`.
    requests: Mutex<Vec<String>>,
}

impl Fake {
    fn issued(&self) -> usize {
        self.tokens_issued.load(Ordering::SeqCst)
    }

    fn requests(&self, resource: &str) -> Vec<String> {
        self.requests.lock().unwrap().iter().filter(|r| r.starts_with(resource)).cloned().collect()
    }

    /// Whether the request carries a token this server issued that has uses left.
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

    fn page(&self, resource: &str, records: &[Value], query: &HashMap<String, String>) -> Response {
        let base = self.base.get().unwrap();
        let number = |key: &str| query.get(key).and_then(|v| v.parse::<usize>().ok());
        let skip = if self.ignore_skip { 0 } else { number("$skip").unwrap_or(0) };
        let top = self.server_page.or(number("$top")).unwrap_or(records.len());
        let value: Vec<Value> = records.iter().skip(skip).take(top).cloned().collect();
        let mut body = json!({ "@odata.context": format!("{base}/xapi/v1/$metadata#{resource}"), "value": value });
        if let Some(link) = &self.next_link {
            body["@odata.nextLink"] = json!(link.replace("{base}", base));
        } else if self.server_page.is_some() && skip + top < records.len() {
            body["@odata.nextLink"] = json!(format!("{base}/xapi/v1/{resource}?$skip={}", skip + top));
        }
        Json(body).into_response()
    }
}

async fn token(State(fake): State<Arc<Fake>>, Form(form): Form<HashMap<String, String>>) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str);
    if field("grant_type") != Some("client_credentials") {
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": "unsupported_grant_type" }))).into_response();
    }
    if field("client_id") != Some(CLIENT_ID) || field("client_secret") != Some(SECRET) {
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": "invalid_client" }))).into_response();
    }
    let token = format!("token-{}", fake.tokens_issued.fetch_add(1, Ordering::SeqCst) + 1);
    fake.tokens.lock().unwrap().insert(token.clone(), fake.token_uses.unwrap_or(usize::MAX));
    Json(json!({ "token_type": "Bearer", "expires_in": fake.expires_in.unwrap_or(60), "access_token": token })).into_response()
}

async fn users(State(fake): State<Arc<Fake>>, headers: HeaderMap, RawQuery(raw): RawQuery, Query(query): Query<HashMap<String, String>>) -> Response {
    tokio::time::sleep(fake.delay).await;
    fake.requests.lock().unwrap().push(format!("Users?{}", raw.unwrap_or_default()));
    if !fake.authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if let Some((status, body)) = &fake.users_answer {
        return (*status, body.clone()).into_response();
    }
    fake.page("Users", &fake.users, &query)
}

async fn queues(State(fake): State<Arc<Fake>>, headers: HeaderMap, RawQuery(raw): RawQuery, Query(query): Query<HashMap<String, String>>) -> Response {
    fake.requests.lock().unwrap().push(format!("Queues?{}", raw.unwrap_or_default()));
    if !fake.authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if fake.queues_forbidden {
        return StatusCode::FORBIDDEN.into_response();
    }
    fake.page("Queues", &fake.queues, &query)
}

/// Starts `fake` on a port of its own; returns it (to look at what happened) and its URL.
async fn serve(fake: Fake) -> (Arc<Fake>, String) {
    let fake = Arc::new(fake);
    let app = Router::new()
        .route("/connect/token", post(token))
        .route("/xapi/v1/Users", get(users))
        .route("/xapi/v1/Queues", get(queues))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    fake.base.set(base.clone()).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (fake, base)
}

fn staff() -> Vec<Value> {
    vec![
        json!({ "Id": 1, "Number": "100", "FirstName": "Ada", "LastName": "Lovelace", "DisplayName": "Ada L.", "EmailAddress": "ada@example.com" }),
        json!({ "Id": 2, "Number": "101", "FirstName": "", "LastName": "", "DisplayName": "Front Desk", "EmailAddress": "" }),
        json!({ "Id": "3", "Number": "102", "FirstName": "Grace", "LastName": "Hopper", "EmailAddress": " grace@example.com " }),
        json!({ "Id": 4, "Number": "103" }),
        json!({ "Id": 5, "Number": "104", "FirstName": "Alan", "LastName": "Turing", "EmailAddress": "alan@example.com" }),
    ]
}

fn call_centre() -> Vec<Value> {
    vec![
        json!({ "Id": 1, "Name": "Sales", "Agents": [{ "Number": "100" }, { "Number": "104" }] }),
        json!({ "Id": 2, "Name": "Support", "Agents": [] }),
        json!({ "Id": 3, "Name": "Night", "Agents": [{ "Number": "104" }] }),
    ]
}

fn client(base: &str) -> ThreeCxClient {
    ThreeCxClient::new(base, CLIENT_ID, SECRET).with_http(local()).with_page_size(2)
}

fn summary(users: &[PbxUser]) -> Vec<(&str, &str, Option<&str>, bool)> {
    users.iter().map(|u| (u.pbx_id.as_str(), u.display_name.as_str(), u.email.as_deref(), u.is_agent)).collect()
}

const EXPECTED: [(&str, &str, Option<&str>, bool); 5] = [
    ("1", "Ada Lovelace", Some("ada@example.com"), true),
    ("2", "Front Desk", None, false),
    ("3", "Grace Hopper", Some("grace@example.com"), false),
    ("4", "103", None, false),
    ("5", "Alan Turing", Some("alan@example.com"), true),
];

#[tokio::test]
async fn lists_every_user_page_by_page_with_top_and_skip() {
    let (fake, base) = serve(Fake { users: staff(), queues: call_centre(), ..Fake::default() }).await;
    let progress = Progress::default();
    let users = client(&base).list_users("ignored", &progress).await.unwrap();
    assert_eq!(summary(&users), EXPECTED);
    assert!(users.iter().all(|u| u.account_id.is_empty()), "3CX has one directory");
    assert_eq!(progress.get(), 5);
    let select = "$orderby=Id&$select=Id,Number,FirstName,LastName,DisplayName,EmailAddress";
    assert_eq!(
        fake.requests("Users"),
        [0, 2, 4].map(|skip| format!("Users?{select}&$top=2&$skip={skip}")),
        "pages until the short third one"
    );
    let queue_requests = fake.requests("Queues");
    assert_eq!(queue_requests.len(), 2, "three queues, two a page: {queue_requests:?}");
    assert!(queue_requests[0].contains("$expand=Agents($select=Number)") && queue_requests[1].ends_with("$skip=2"), "{queue_requests:?}");
    assert_eq!(fake.issued(), 1, "one token serves the whole listing");
}

#[tokio::test]
async fn follows_the_servers_next_links() {
    let (fake, base) = serve(Fake { users: staff(), queues: call_centre(), server_page: Some(2), ..Fake::default() }).await;
    let progress = Progress::default();
    // The client asks for 100 a page; the server sends 2 and a next link each time.
    let users = ThreeCxClient::new(&base, CLIENT_ID, SECRET).with_http(local()).list_users("", &progress).await.unwrap();
    assert_eq!(summary(&users), EXPECTED);
    assert_eq!(progress.get(), 5);
    let requests = fake.requests("Users");
    assert_eq!(requests.len(), 3, "{requests:?}");
    assert_eq!(requests[1..], ["Users?$skip=2", "Users?$skip=4"]);
}

#[tokio::test]
async fn users_listed_twice_are_kept_once() {
    let mut users = staff();
    users.insert(2, json!({ "Id": 1, "Number": "100", "FirstName": "Ada", "LastName": "Lovelace" }));
    let (_fake, base) = serve(Fake { users, queues: call_centre(), ..Fake::default() }).await;
    let progress = Progress::default();
    let listed = client(&base).list_users("", &progress).await.unwrap();
    assert_eq!(summary(&listed), EXPECTED);
    assert_eq!(progress.get(), 6, "progress counts records as they arrive");
}

#[tokio::test]
async fn without_rights_to_queues_nobody_is_an_agent() {
    let (fake, base) = serve(Fake { users: staff(), queues: call_centre(), queues_forbidden: true, ..Fake::default() }).await;
    let users = client(&base).list_users("", &Progress::default()).await.unwrap();
    assert_eq!(users.len(), 5);
    assert!(users.iter().all(|u| !u.is_agent));
    assert_eq!(fake.requests("Queues").len(), 1);
}

#[tokio::test]
async fn the_test_reads_one_user_and_names_the_server() {
    let (fake, base) = serve(Fake { users: staff(), ..Fake::default() }).await;
    let account = client(&base).test().await.unwrap();
    assert_eq!(account, PbxAccount { id: "127.0.0.1".into(), name: "3CX at 127.0.0.1".into() });
    assert_eq!(fake.requests("Users"), ["Users?$top=1"]);
    assert!(client(&base).list_sub_accounts("").await.unwrap().is_empty());

    // A client whose role may not read users fails the test, with a message that says so.
    let (_fake, base) = serve(Fake { users_answer: Some((StatusCode::FORBIDDEN, String::new())), ..Fake::default() }).await;
    let error = client(&base).test().await.unwrap_err();
    assert!(matches!(error, PbxError::Forbidden(_)) && !error.is_transient(), "{error:?}");
    assert_eq!(error.to_string(), "The PBX refused access: the 3CX API client's role may not read users");
}

#[tokio::test]
async fn the_connector_reaches_3cx_with_a_templates_settings() {
    let (_fake, base) = serve(Fake { users: staff(), queues: call_centre(), ..Fake::default() }).await;
    let settings = Settings { kind: PbxKind::ThreeCx, api_url: &base, websocket_url: "", client_id: CLIENT_ID, tenant_id: "", secret: SECRET };
    let connector = Connector::new(&settings, local(), Duration::from_secs(5)).unwrap();
    assert!(matches!(connector, Connector::ThreeCx(_)));
    assert_eq!(connector.test().await.unwrap().name, "3CX at 127.0.0.1");
    assert_eq!(summary(&connector.list_users("", &Progress::default()).await.unwrap()), EXPECTED);
    assert!(!format!("{connector:?}").contains(SECRET));
}

#[tokio::test]
async fn a_wrong_secret_is_rejected() {
    let (fake, base) = serve(Fake { users: staff(), ..Fake::default() }).await;
    let wrong = ThreeCxClient::new(&base, CLIENT_ID, "not-the-secret").with_http(local());
    let error = wrong.test().await.unwrap_err();
    assert_eq!(error, PbxError::Rejected);
    assert_eq!(error.to_string(), "The PBX rejected the API key");
    assert_eq!(wrong.list_users("", &Progress::default()).await.unwrap_err(), PbxError::Rejected);
    let unknown = ThreeCxClient::new(&base, "someone-else", SECRET).with_http(local());
    assert_eq!(unknown.test().await.unwrap_err(), PbxError::Rejected);
    assert_eq!(fake.issued(), 0);
    assert!(fake.requests("Users").is_empty(), "no API request without a token");
}

#[tokio::test]
async fn a_lapsed_token_is_replaced_once_in_the_middle_of_a_listing() {
    // Each token is good for two requests: the third page gets a 401 and a new token.
    let (fake, base) = serve(Fake { users: staff(), queues: call_centre(), token_uses: Some(2), ..Fake::default() }).await;
    let progress = Progress::default();
    let users = client(&base).list_users("", &progress).await.unwrap();
    assert_eq!(summary(&users), EXPECTED);
    assert_eq!(progress.get(), 5, "the repeated page is not counted twice");
    assert_eq!(fake.requests("Users").len(), 4, "the refused page is asked again");
    assert!(fake.issued() >= 2);

    // A server that refuses every token: one new token, then the listing gives up.
    let (fake, base) = serve(Fake { users: staff(), token_uses: Some(0), ..Fake::default() }).await;
    assert_eq!(client(&base).list_users("", &Progress::default()).await.unwrap_err(), PbxError::Rejected);
    assert_eq!(fake.issued(), 2);
    assert_eq!(fake.requests("Users").len(), 2);
}

#[tokio::test]
async fn tokens_are_renewed_when_they_expire_and_kept_until_then() {
    let (fake, base) = serve(Fake { users: staff(), queues: call_centre(), expires_in: Some(0), ..Fake::default() }).await;
    client(&base).list_users("", &Progress::default()).await.unwrap();
    assert_eq!(fake.issued(), 5, "a token that expires at once is fetched for each of the 5 requests");

    let (fake, base) = serve(Fake { users: staff(), queues: call_centre(), ..Fake::default() }).await;
    let client = client(&base);
    client.list_users("", &Progress::default()).await.unwrap();
    client.clone().test().await.unwrap();
    assert_eq!(fake.issued(), 1, "a 60-second token serves both calls (clones share it)");
}

#[tokio::test]
async fn server_errors_are_transient() {
    let (_fake, base) = serve(Fake { users_answer: Some((StatusCode::SERVICE_UNAVAILABLE, "busy".into())), ..Fake::default() }).await;
    let error = client(&base).list_users("", &Progress::default()).await.unwrap_err();
    assert_eq!(error, PbxError::Server(503));
    assert!(error.is_transient());
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let (_fake, base) = serve(Fake { users: staff(), delay: Duration::from_secs(3), ..Fake::default() }).await;
    let slow = client(&base).with_timeout(Duration::from_millis(200));
    let error = slow.list_users("", &Progress::default()).await.unwrap_err();
    assert_eq!(error, PbxError::Timeout);
    assert!(error.is_transient());
}

#[tokio::test]
async fn unreadable_answers_are_malformed() {
    for body in ["<html>3CX</html>", r#"{"value":5}"#, r#"{"@odata.context":"x"}"#, r#"{"value":[{"Number":"100"}]}"#] {
        let (_fake, base) = serve(Fake { users_answer: Some((StatusCode::OK, body.into())), ..Fake::default() }).await;
        let error = client(&base).list_users("", &Progress::default()).await.unwrap_err();
        assert!(matches!(error, PbxError::Malformed(_)) && !error.is_transient(), "{body}: {error:?}");
    }
}

#[tokio::test]
async fn a_next_link_to_another_server_is_refused() {
    let next_link = Some("http://collector.example/xapi/v1/Users?$skip=2".to_string());
    let (fake, base) = serve(Fake { users: staff(), next_link, ..Fake::default() }).await;
    let error = client(&base).list_users("", &Progress::default()).await.unwrap_err();
    assert!(matches!(&error, PbxError::Malformed(m) if m.contains("another server") && !m.contains("collector.example")), "the message names no host of the PBX's: {error:?}");
    assert_eq!(fake.requests("Users").len(), 1);
}

#[tokio::test]
async fn listings_that_go_round_in_circles_stop() {
    // The same next link on every page.
    let next_link = Some("{base}/xapi/v1/Users?$skip=2".to_string());
    let (fake, base) = serve(Fake { users: staff(), next_link, ..Fake::default() }).await;
    let error = client(&base).list_users("", &Progress::default()).await.unwrap_err();
    assert!(matches!(&error, PbxError::Malformed(m) if m.contains("repeats")), "{error:?}");
    assert_eq!(fake.requests("Users").len(), 2);

    // A server that ignores $skip sends the first page forever.
    let (fake, base) = serve(Fake { users: staff(), ignore_skip: true, ..Fake::default() }).await;
    let error = client(&base).list_users("", &Progress::default()).await.unwrap_err();
    assert!(matches!(&error, PbxError::Malformed(m) if m.contains("same page")), "{error:?}");
    assert_eq!(fake.requests("Users").len(), 2);
}

#[tokio::test]
async fn a_server_that_is_not_there_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let error = client(&base).test().await.unwrap_err();
    assert_eq!(error, PbxError::Unreachable, "{error:?}");
    assert!(error.is_transient());
}

/// Without the operator's exception, the token endpoint on a loopback address is refused
/// before any connection: the listener there accepts nothing, and the error is the product's.
#[tokio::test]
async fn the_token_endpoint_on_loopback_is_refused_without_an_exception() {
    let (base, connections) = common::counting_listener().await;
    let strict = domain::egress::HttpClient::new(domain::egress::EgressPolicy::strict(), std::time::Duration::from_secs(2));
    let error = ThreeCxClient::new(&base, CLIENT_ID, SECRET).with_http(strict).test().await.unwrap_err();
    assert!(matches!(error, PbxError::NotAllowed), "3CX: {error:?}");
    assert_eq!(common::accepted(&connections).await, 0, "no connection was made");
}
