//! The Kazoo connector against the built-in Kazoo simulator and against tiny misbehaving
//! servers. No database: these talk HTTP only.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, put};
use domain::pbx::{Connector, KazooClient, Pbx, PbxError, Progress};
use serde_json::json;
use server::simulator::{SimulatorState, serve_kazoo};
use std::collections::HashSet;
use std::time::Duration;
use tokio::net::TcpListener;

const KEY: &str = "test-api-key";

/// The egress policy with the exception these tests need: their PBX doubles listen on loopback.
fn local() -> domain::egress::HttpClient {
    let policy = domain::egress::EgressPolicy::strict().allow(domain::egress::Rule::parse("127.0.0.1").unwrap());
    domain::egress::HttpClient::new(policy, Duration::from_secs(5))
}
const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";

/// Serves `router` on a free port; returns its base URL.
async fn serve(router: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

/// Serves the simulator `state` on a free port; returns its base URL.
async fn simulator(state: SimulatorState) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve_kazoo(listener, state));
    base
}

/// A server whose `api_auth` works and whose users listing is `users`.
fn with_users_route(users: axum::routing::MethodRouter) -> Router {
    Router::new()
        .route("/v2/api_auth", put(|| async { (StatusCode::CREATED, axum::Json(json!({"auth_token": "t", "data": {"account_id": ACCOUNT}, "status": "success"}))) }))
        .route(&format!("/v2/accounts/{ACCOUNT}/users"), users)
}

#[tokio::test]
async fn kazoo_lists_every_user_across_pages_without_duplicates() {
    let state = SimulatorState::new(KEY, ACCOUNT, "Acme Corp", 120);
    let base = simulator(state.clone()).await;
    let client = KazooClient::new(&base, KEY).with_http(local()).with_page_size(50);
    let users = client.users(ACCOUNT).await.unwrap();
    assert_eq!(users.len(), 120);
    let ids: HashSet<_> = users.iter().map(|u| u.pbx_id.as_str()).collect();
    assert_eq!(ids.len(), 120, "no user twice");
    let account = state.account(ACCOUNT).unwrap();
    let expected: Vec<_> = account
        .users
        .iter()
        .map(|u| u.id.as_str())
        .collect();
    assert_eq!(
        users.iter().map(|u| u.pbx_id.as_str()).collect::<Vec<_>>(),
        expected,
        "in the PBX's order"
    );
    // One authentication, then three pages of 50, 50 and 20.
    assert_eq!(state.requests(), 4);
    let first = &users[0];
    assert_eq!(first.display_name, "Ada Adams");
    assert_eq!(first.email.as_deref(), Some("ada.adams@acme-corp.example"));
    assert_eq!(first.account_id, ACCOUNT);
}

#[tokio::test]
async fn kazoo_marks_users_with_queues_as_agents() {
    let base = simulator(SimulatorState::new(KEY, ACCOUNT, "Acme Corp", 30)).await;
    let users = KazooClient::new(&base, KEY).with_http(local()).users(ACCOUNT).await.unwrap();
    let agents: Vec<usize> = users
        .iter()
        .enumerate()
        .filter(|(_, u)| u.is_agent)
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(agents, [7, 14, 21, 28], "every 7th user is an agent");
}

#[tokio::test]
async fn kazoo_lists_child_accounts_and_their_users() {
    let base = simulator(SimulatorState::new(KEY, ACCOUNT, "Acme Corp", 3)).await;
    let connector = Connector::Kazoo(KazooClient::new(&base, KEY).with_http(local()).with_page_size(1));
    connector.test().await.unwrap();
    let children = connector.list_sub_accounts(ACCOUNT).await.unwrap();
    assert_eq!(
        children.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["Acme Corp East", "Acme Corp West"]
    );
    let east = connector.list_users(&children[0].id, &Progress::default()).await.unwrap();
    assert_eq!(east.len(), 5);
    assert!(east.iter().all(|u| {
        u.account_id == children[0].id
            && u.email
                .as_deref()
                .is_some_and(|e| e.ends_with("@acme-corp-east.example"))
    }));
    assert!(
        connector
            .list_sub_accounts(&children[0].id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn kazoo_base_url_works_with_and_without_v2() {
    let base = simulator(SimulatorState::new(KEY, ACCOUNT, "Acme Corp", 7)).await;
    for url in [
        base.clone(),
        format!("{base}/"),
        format!("{base}/v2"),
        format!("{base}/v2/"),
    ] {
        let client = KazooClient::new(&url, KEY).with_http(local());
        assert_eq!(
            client.authenticate().await.unwrap().account_id,
            ACCOUNT,
            "{url}"
        );
        assert_eq!(client.users(ACCOUNT).await.unwrap().len(), 7, "{url}");
    }
}

#[tokio::test]
async fn kazoo_wrong_key_is_rejected_with_a_clear_message() {
    let base = simulator(SimulatorState::new(KEY, ACCOUNT, "Acme Corp", 3)).await;
    let connector = Connector::Kazoo(KazooClient::new(&base, "not-the-key").with_http(local()));
    let error = connector.test().await.unwrap_err();
    assert_eq!(error, PbxError::Rejected);
    assert_eq!(error.to_string(), "The PBX rejected the API key");
    assert_eq!(
        connector.list_users(ACCOUNT, &Progress::default()).await.unwrap_err(),
        PbxError::Rejected
    );
}

#[tokio::test]
async fn kazoo_unknown_account_is_not_found() {
    let base = simulator(SimulatorState::new(KEY, ACCOUNT, "Acme Corp", 3)).await;
    let client = KazooClient::new(&base, KEY).with_http(local());
    let unknown = "ffffffffffffffffffffffffffffffff";
    assert_eq!(
        client.users(unknown).await.unwrap_err(),
        PbxError::NotFound(unknown.into())
    );
    assert_eq!(
        client.children(unknown).await.unwrap_err(),
        PbxError::NotFound(unknown.into())
    );
    // Not an id at all: refused before anything is sent, and never spliced into the path.
    assert_eq!(
        client.users("../../api_auth").await.unwrap_err(),
        PbxError::NotFound("../../api_auth".into())
    );
}

#[tokio::test]
async fn kazoo_reauthenticates_once_when_the_token_expires() {
    let state = SimulatorState::new(KEY, ACCOUNT, "Acme Corp", 10);
    let base = simulator(state.clone()).await;
    let client = KazooClient::new(&base, KEY).with_http(local());
    assert_eq!(client.users(ACCOUNT).await.unwrap().len(), 10);
    state.expire_tokens();
    assert_eq!(client.users(ACCOUNT).await.unwrap().len(), 10);
    assert_eq!(state.tokens_issued(), 2);

    // The token expires between two pages: authenticate again and carry on from that page.
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counter = calls.clone();
    let pages = get(
        move |query: axum::extract::Query<std::collections::HashMap<String, String>>| {
            let call = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move {
                match (call, query.get("start_key").map(String::as_str)) {
                    (_, None) => (
                        StatusCode::OK,
                        axum::Json(json!({"data": [{"id": "u1"}], "next_start_key": "u2"})),
                    ),
                    (1, Some("u2")) => (
                        StatusCode::UNAUTHORIZED,
                        axum::Json(json!({"status": "error"})),
                    ),
                    (_, Some("u2")) => {
                        (StatusCode::OK, axum::Json(json!({"data": [{"id": "u2"}]})))
                    }
                    _ => (StatusCode::BAD_REQUEST, axum::Json(json!({}))),
                }
            }
        },
    );
    let base = serve(with_users_route(pages)).await;
    let users = KazooClient::new(&base, KEY).with_http(local()).users(ACCOUNT).await.unwrap();
    assert_eq!(
        users.iter().map(|u| u.pbx_id.as_str()).collect::<Vec<_>>(),
        ["u1", "u2"]
    );
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 3);

    // A token that is refused even when fresh: one retry, then Rejected (no loop).
    let base = serve(with_users_route(get(|| async { StatusCode::UNAUTHORIZED }))).await;
    assert_eq!(
        KazooClient::new(&base, KEY).with_http(local())
            .users(ACCOUNT)
            .await
            .unwrap_err(),
        PbxError::Rejected
    );
}

#[tokio::test]
async fn kazoo_server_errors_are_reported_with_their_status() {
    let state = SimulatorState::new(KEY, ACCOUNT, "Acme Corp", 3).failing_first(2);
    let base = simulator(state).await;
    let client = KazooClient::new(&base, KEY).with_http(local());
    let error = client.authenticate().await.unwrap_err();
    assert_eq!(error, PbxError::Server(503));
    assert_eq!(
        error.to_string(),
        "The PBX answered with an error (HTTP 503)"
    );
    assert!(error.is_transient());
    assert_eq!(
        client.users(ACCOUNT).await.unwrap_err(),
        PbxError::Server(503)
    );
    // The failure mode is over: the same client now works.
    assert_eq!(client.users(ACCOUNT).await.unwrap().len(), 3);

    let base = serve(with_users_route(get(|| async { StatusCode::BAD_GATEWAY }))).await;
    assert_eq!(
        KazooClient::new(&base, KEY).with_http(local())
            .users(ACCOUNT)
            .await
            .unwrap_err(),
        PbxError::Server(502)
    );
}

#[tokio::test]
async fn kazoo_slow_server_times_out() {
    let slow = || async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        "too late"
    };
    let base = serve(Router::new().route("/v2/api_auth", put(slow))).await;
    let client = KazooClient::new(&base, KEY).with_http(local()).with_timeout(Duration::from_millis(200));
    let started = std::time::Instant::now();
    assert_eq!(client.authenticate().await.unwrap_err(), PbxError::Timeout);
    assert!(started.elapsed() < Duration::from_secs(3));

    // A slow listing page is a timeout too (after a quick authentication).
    let base = serve(with_users_route(get(slow))).await;
    let client = KazooClient::new(&base, KEY).with_http(local()).with_timeout(Duration::from_millis(200));
    assert_eq!(client.users(ACCOUNT).await.unwrap_err(), PbxError::Timeout);
}

#[tokio::test]
async fn kazoo_malformed_answers_are_errors_not_panics() {
    let base = serve(with_users_route(get(|| async { "not json" }))).await;
    let error = KazooClient::new(&base, KEY).with_http(local())
        .users(ACCOUNT)
        .await
        .unwrap_err();
    assert!(matches!(error, PbxError::Malformed(_)), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("The PBX sent a response the portal could not read: "),
        "{error}"
    );

    let wrong_shapes = [
        json!({"data": "nope", "status": "success"}),
        json!({"data": [{"first_name": "no id"}]}),
        json!({"status": "success"}),
        json!([1, 2, 3]),
        json!({"data": [{"id": "u1", "queues": "not a list"}]}),
    ];
    for body in wrong_shapes {
        let answer = body.clone();
        let base = serve(with_users_route(get(
            move || async move { axum::Json(answer) },
        )))
        .await;
        let error = KazooClient::new(&base, KEY).with_http(local())
            .users(ACCOUNT)
            .await
            .unwrap_err();
        assert!(matches!(error, PbxError::Malformed(_)), "{body}: {error:?}");
    }

    // A listing that sends the reader back to a page it has seen ends instead of looping.
    // Its key is the PBX's text and stays out of the message a user sees.
    let looping = json!({"data": [{"id": "u1"}], "next_start_key": "<script>u1"});
    let base = serve(with_users_route(get(
        move || async move { axum::Json(looping) },
    )))
    .await;
    let error = KazooClient::new(&base, KEY).with_http(local()).users(ACCOUNT).await.unwrap_err();
    assert!(matches!(&error, PbxError::Malformed(m) if !m.contains("script")), "{error:?}");

    // An authentication answer without a token.
    let base = serve(Router::new().route(
        "/v2/api_auth",
        put(|| async { axum::Json(json!({"status": "success", "data": {}})) }),
    ))
    .await;
    assert!(matches!(
        KazooClient::new(&base, KEY).with_http(local())
            .authenticate()
            .await
            .unwrap_err(),
        PbxError::Malformed(_)
    ));
}

#[tokio::test]
async fn kazoo_unreachable_server_is_reported() {
    // A port that was free a moment ago: nothing listens there now.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let error = KazooClient::new(&format!("http://127.0.0.1:{port}"), KEY).with_http(local())
        .authenticate()
        .await
        .unwrap_err();
    assert_eq!(error, PbxError::Unreachable, "{error:?}");
    assert_eq!(error.to_string(), "The PBX did not answer", "the product's words, not the socket's");

    let error = KazooClient::new("not a url", KEY).with_http(local())
        .authenticate()
        .await
        .unwrap_err();
    assert_eq!(error, PbxError::InvalidUrl, "{error:?}");
}

#[tokio::test]
async fn kazoo_demo_simulator_has_a_few_dozen_users_and_two_sub_accounts() {
    use server::simulator::{DEMO_ACCOUNT_ID, DEMO_API_KEY, DEMO_USERS};
    let base = simulator(SimulatorState::demo()).await;
    let connector = Connector::Kazoo(KazooClient::new(&format!("{base}/v2"), DEMO_API_KEY).with_http(local()));
    connector.test().await.unwrap();
    assert_eq!(
        connector.list_users(DEMO_ACCOUNT_ID, &Progress::default()).await.unwrap().len(),
        DEMO_USERS
    );
    assert_eq!(
        connector.list_sub_accounts(DEMO_ACCOUNT_ID).await.unwrap().len(),
        2
    );
}

/// A PBX that pages forever (a new key each time) is stopped at the page cap, with the
/// product's words; and one that sends more records than the cap allows is stopped there too.
#[tokio::test]
async fn an_endless_or_oversized_listing_stops_at_its_cap() {
    let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = served.clone();
    let endless = get(move || {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async move { axum::Json(json!({"data": [{"id": format!("u{n}")}], "next_start_key": format!("k{n}")})) }
    });
    let base = serve(with_users_route(endless)).await;
    let error = KazooClient::new(&base, KEY).with_http(local()).users(ACCOUNT).await.unwrap_err();
    assert!(matches!(error, PbxError::TooMany(_)), "{error:?}");
    let pages = served.load(std::sync::atomic::Ordering::SeqCst);
    assert!(pages <= domain::pbx::MAX_PAGES + 1, "stopped at the cap: {pages} pages");

    // One page holding more than the record cap.
    let many: Vec<serde_json::Value> = (0..=domain::pbx::MAX_RECORDS).map(|i| json!({"id": format!("u{i}")})).collect();
    let page = json!({"data": many});
    let base = serve(with_users_route(get(move || {
        let page = page.clone();
        async move { axum::Json(page) }
    })))
    .await;
    let error = KazooClient::new(&base, KEY).with_http(local()).users(ACCOUNT).await.unwrap_err();
    assert!(matches!(error, PbxError::TooMany(_)), "{error:?}");
}
