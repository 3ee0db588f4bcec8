//! The egress policy end to end: "Test connection" and syncs never reach loopback (or any
//! other non-public address) unless the operator allowed it, never follow a redirect to another
//! server, and never send a template's stored key to a new address. Every PBX double here
//! listens on loopback and counts what reaches it; "refused" means it counted nothing.

use crate::support::*;
use app::api::pbx_templates::{CreatePbxTemplate, PbxTemplatesPage, TestPbxTemplate, UpdatePbxTemplate};
use axum::http::StatusCode as AxumStatus;
use axum::Router;
use axum::response::IntoResponse;
use axum::routing::any;
use model::pbx::{PbxKind, TemplateForm, TemplateSummary};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const KEY: &str = "egress-test-key";
const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";

/// A loopback listener that answers like a Kazoo server and counts every request.
struct Double {
    port: u16,
    hits: Arc<AtomicUsize>,
}

impl Double {
    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// Serves `router` on `ip` (a loopback address), counting requests.
async fn double_on(ip: &str, router: Router) -> Double {
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = router.layer(axum::middleware::from_fn(move |req: axum::extract::Request, next: axum::middleware::Next| {
        counter.fetch_add(1, Ordering::SeqCst);
        async move { next.run(req).await }
    }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    Double { port, hits }
}

/// A Kazoo server whose API key works.
fn kazoo_double() -> Router {
    Router::new().route(
        "/v2/api_auth",
        any(|| async { (AxumStatus::CREATED, axum::Json(json!({"auth_token": "t", "data": {"account_id": ACCOUNT, "account_name": "Double"}, "status": "success"}))) }),
    )
}

fn template(name: &str, api_url: &str) -> TemplateForm {
    TemplateForm {
        name: name.into(),
        kind: PbxKind::Kazoo,
        api_url: api_url.into(),
        websocket_url: "wss://kazoo.example.com:5443".into(),
        secret: KEY.into(),
        ..TemplateForm::default()
    }
}

async fn create(portal: &TestPortal, s: &str, form: &TemplateForm) -> TemplateSummary {
    let (status, body) = call_fn::<CreatePbxTemplate>(portal, Some(s), json!({ "form": form })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).unwrap()
}

async fn test_connection(portal: &TestPortal, s: &str, id: i64) -> (StatusCode, Value) {
    call_fn::<TestPbxTemplate>(portal, Some(s), json!({ "id": id })).await
}

/// More "Test connection"s than a person would press, for tests that try many addresses.
fn unthrottled(p: &mut server::Portal) {
    p.state.ctx.connection_tests = domain::pbx_templates::ConnectionTests::per_minute(1000, 100);
}

fn refused_message(body: &Value) -> String {
    body["Refused"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn test_connection_never_reaches_loopback_without_an_exception() {
    let portal = spawn_strict_with(&[], unthrottled).await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let double = double_on("127.0.0.1", kazoo_double()).await;
    let port = double.port;
    // The address written out, as a name that resolves to it, and in IPv6 forms that embed it.
    let urls = [
        format!("http://127.0.0.1:{port}/v2"),
        format!("http://localhost:{port}/v2"),
        format!("http://[::ffff:127.0.0.1]:{port}/v2"),
        format!("http://2130706433:{port}/v2"),
        format!("http://[::1]:{port}/v2"),
    ];
    for (i, url) in urls.iter().enumerate() {
        let t = create(&portal, &s, &template(&format!("Internal {i}"), url)).await;
        let (status, body) = test_connection(&portal, &s, t.id).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{url}: {body}");
        let message = refused_message(&body);
        assert!(message.starts_with("That address is not allowed"), "{url}: {message}");
        assert!(!message.contains(&port.to_string()), "nothing about the port comes back: {message}");
    }
    assert_eq!(double.hits(), 0, "the listener on 127.0.0.1 received no request");
}

#[tokio::test]
async fn the_operators_exception_lets_test_connection_reach_an_internal_pbx() {
    let double = double_on("127.0.0.1", kazoo_double()).await;
    let portal = spawn_strict_with(&["--egress-allow", "127.0.0.1/32"], |_| {}).await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let t = create(&portal, &s, &template("Internal", &format!("http://127.0.0.1:{}/v2", double.port))).await;
    let (status, body) = test_connection(&portal, &s, t.id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.as_str().unwrap().starts_with("Connected"), "{body}");
    assert_eq!(double.hits(), 1);

    // The exception is exact: 127.0.0.2 is loopback too, and still refused.
    let other = double_on("127.0.0.2", kazoo_double()).await;
    let t = create(&portal, &s, &template("Other loopback", &format!("http://127.0.0.2:{}/v2", other.port))).await;
    let (_, body) = test_connection(&portal, &s, t.id).await;
    assert!(refused_message(&body).starts_with("That address is not allowed"), "{body}");
    assert_eq!(other.hits(), 0);
}

#[tokio::test]
async fn redirects_to_another_server_are_not_followed() {
    let target = double_on("127.0.0.1", kazoo_double()).await;
    let loopback2 = double_on("127.0.0.2", kazoo_double()).await;
    let to = |url: String| {
        Router::new().route("/v2/api_auth", any(move || {
            let url = url.clone();
            async move { (AxumStatus::TEMPORARY_REDIRECT, [(axum::http::header::LOCATION, url)]).into_response() }
        }))
    };
    // Allowed: 127.0.0.1 only. One redirect to another port (another origin, though allowed),
    // one to 127.0.0.2 (not allowed at all).
    let to_port = double_on("127.0.0.1", to(format!("http://127.0.0.1:{}/v2/api_auth", target.port))).await;
    let to_other = double_on("127.0.0.1", to(format!("http://127.0.0.2:{}/v2/api_auth", loopback2.port))).await;
    let portal = spawn_strict_with(&["--egress-allow", "127.0.0.1"], |_| {}).await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    for (name, double) in [("Redirects to a port", &to_port), ("Redirects to loopback", &to_other)] {
        let t = create(&portal, &s, &template(name, &format!("http://127.0.0.1:{}/v2", double.port))).await;
        let (status, body) = test_connection(&portal, &s, t.id).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
        assert!(refused_message(&body).contains("redirected"), "{body}");
        assert_eq!(double.hits(), 1, "the first server was asked once");
    }
    assert_eq!((target.hits(), loopback2.hits()), (0, 0), "nobody the redirects named was contacted");
}

#[tokio::test]
async fn a_new_address_never_gets_the_old_key() {
    let old = double_on("127.0.0.1", kazoo_double()).await;
    let new = double_on("127.0.0.1", kazoo_double()).await;
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let t = create(&portal, &s, &template("Moving", &format!("http://127.0.0.1:{}/v2", old.port))).await;
    assert_eq!(test_connection(&portal, &s, t.id).await.0, StatusCode::OK);
    assert_eq!(old.hits(), 1);

    // Only the URL changes; the key field is left empty ("keep the stored key").
    let moved = TemplateForm { secret: String::new(), ..template("Moving", &format!("http://127.0.0.1:{}/v2", new.port)) };
    let (status, body) = call_fn::<UpdatePbxTemplate>(&portal, Some(&s), json!({ "id": t.id, "version": t.version, "form": moved })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let saved: TemplateSummary = serde_json::from_value(body).unwrap();
    assert!(!saved.has_secret, "the key was dropped with the old address");
    let (status, body) = test_connection(&portal, &s, t.id).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert!(refused_message(&body).contains("no API key"), "{body}");
    assert_eq!(new.hits(), 0, "nothing was sent to the new address");
}

#[tokio::test]
async fn demo_mode_allows_exactly_its_simulator() {
    let portal = spawn_strict_with(&[], |_| {}).await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let (_, page) = call_fn::<PbxTemplatesPage>(&portal, Some(&s), json!({})).await;
    let demo = page["templates"].as_array().unwrap().iter().find(|t| t["name"] == "Kazoo Simulator (demo)").unwrap().clone();
    let (status, body) = test_connection(&portal, &s, demo["id"].as_i64().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "the simulator is allowed: {body}");
    // The portal's own address outside the simulator is not.
    let t = create(&portal, &s, &template("The portal itself", &format!("{}/api/v1", portal.base))).await;
    let (_, body) = test_connection(&portal, &s, t.id).await;
    assert!(refused_message(&body).starts_with("That address is not allowed"), "{body}");
}

#[tokio::test]
async fn test_connection_needs_customer_administrator_and_is_throttled() {
    let double = double_on("127.0.0.1", kazoo_double()).await;
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let t = create(&portal, &s, &template("Throttled", &format!("http://127.0.0.1:{}/v2", double.port))).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(test_connection(&portal, &s, t.id).await.0);
    }
    assert_eq!(&statuses[..3], &[StatusCode::OK; 3], "{statuses:?}");
    assert_eq!(statuses[4], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    let hits = double.hits();
    assert!(hits <= 4, "throttled tests send nothing ({hits})");

    let viewer = crate::users::signed_in_as(&portal, "viewer@demo-reseller.example", [model::Permission::WebsiteAccess].into_iter().collect()).await;
    let (status, _) = test_connection(&portal, &viewer, t.id).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(double.hits(), hits, "a refused caller sends nothing");
}
