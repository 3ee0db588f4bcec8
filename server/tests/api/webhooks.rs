//! Webhooks (issue 16), over HTTP against real receivers on loopback: endpoints through the
//! REST API, deliveries signed per the Standard Webhooks specification — checked by the
//! specification's reference library (npm `standardwebhooks`), not by the portal's own code —
//! retried while the receiver fails or times out, delivered once each across two server
//! processes, never lost when a worker dies holding one, never sent to another reseller.

use crate::contract::{Api, tenant_named};
use crate::support::*;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use domain::webhooks::Delivery;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use server::webhooker::WebhookSettings;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the receiver does with the next requests, in order; `Answer(200)` once they run out.
#[derive(Clone, Copy, Debug)]
enum Act {
    Answer(u16),
    /// Answer 200, but only after this long (longer than the portal waits).
    Stall(Duration),
}

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Got {
    headers: BTreeMap<String, String>,
    body: String,
    answered: u16,
}

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Got>>>,
    script: Arc<Mutex<std::collections::VecDeque<Act>>>,
}

impl Receiver {
    /// Listens on a free loopback port; returns it and its URL.
    async fn start(script: &[Act]) -> (Receiver, String) {
        let receiver = Receiver::default();
        receiver.script.lock().unwrap().extend(script.iter().copied());
        let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (receiver, url)
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `done` holds for what was received (at most 20 s).
    async fn wait_for(&self, what: &str, done: impl Fn(&[Got]) -> bool) -> Vec<Got> {
        for _ in 0..400 {
            let got = self.got();
            if done(&got) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the receiver never got {what}: {:#?}", self.got());
    }
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: String) -> AxumStatus {
    let act = r.script.lock().unwrap().pop_front().unwrap_or(Act::Answer(200));
    let status = match act {
        Act::Answer(s) => s,
        Act::Stall(wait) => {
            tokio::time::sleep(wait).await;
            200
        }
    };
    let headers = headers.iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned())).collect();
    r.got.lock().unwrap().push(Got { headers, body, answered: status });
    AxumStatus::from_u16(status).unwrap()
}

/// Test timing: retries after 150 ms (three of them), a 600 ms timeout, short leases.
fn quick() -> WebhookSettings {
    WebhookSettings {
        delivery: Delivery {
            retry_delays: vec![Duration::from_millis(150); 3],
            jitter: 0.0,
            timeout: Duration::from_millis(600),
            lease: Duration::from_secs(2),
            disable_after: chrono::Duration::days(5),
        },
        poll_interval: Duration::from_millis(50),
        concurrency: 4,
        gather: Duration::ZERO,
    }
}

fn with_quick_webhooks(portal: &mut server::Portal) {
    portal.webhooker.as_mut().unwrap().settings = quick();
}

/// The deliveries as the reference library sees them, with `secrets`.
fn verify(secrets: &[&str], deliveries: &[(BTreeMap<String, String>, String)]) -> Vec<Value> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let modules = root.join("end2end/node_modules");
    assert!(modules.join("standardwebhooks").exists(), "npm's standardwebhooks is missing: run scripts/setup (it installs end2end's packages)");
    let input = json!({
        "secrets": secrets,
        "deliveries": deliveries.iter().map(|(h, b)| json!({ "headers": h, "body": b })).collect::<Vec<_>>(),
    });
    let mut child = std::process::Command::new("node")
        .arg(root.join("server/tests/api/verify-webhooks.cjs"))
        .env("NODE_PATH", &modules)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("node runs");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the verifier failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn add_endpoint(api: &Api<'_>, url: &str, types: &[&str]) -> (i64, String) {
    let (status, made) = api.post("/api/v1/webhooks", &json!({ "url": url, "description": "Tests", "eventTypes": types }).to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    (made["data"]["endpoint"]["id"].as_i64().unwrap(), made["data"]["secret"].as_str().unwrap().to_owned())
}

fn of_type<'a>(got: &'a [Got], event_type: &str) -> Vec<&'a Got> {
    got.iter().filter(|g| serde_json::from_str::<Value>(&g.body).is_ok_and(|b| b["type"] == event_type)).collect()
}

#[tokio::test]
async fn deliveries_are_signed_per_the_specification_and_carry_the_event() {
    let portal = spawn_with(&[], with_quick_webhooks).await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let (receiver, url) = Receiver::start(&[]).await;
    let (endpoint, secret) = add_endpoint(&api, &url, &["customer.updated", "customer_user.added"]).await;
    assert!(secret.starts_with("whsec_"));

    let acme = tenant_named(&portal, "Acme Logistics").await;
    assert_eq!(api.patch(&format!("/api/v1/customers/{acme}"), r#"{"reference": "HOOK-1"}"#).await.0, StatusCode::OK);
    assert_eq!(api.patch(&format!("/api/v1/customers/{acme}"), r#"{"status": "disabled"}"#).await.0, StatusCode::OK, "not subscribed");
    assert_eq!(api.patch(&format!("/api/v1/customers/{acme}"), r#"{"status": "active"}"#).await.0, StatusCode::OK);
    let got = receiver.wait_for("the update", |g| !g.is_empty()).await;
    assert_eq!(got.len(), 1, "only the subscribed type: {got:?}");
    let body: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["type"], "customer.updated");
    assert_eq!(body["data"]["customer"]["reference"], "HOOK-1");
    assert_eq!(body["data"]["actor"], format!("API client {}", api.client_id));
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));

    // The same event in the feed has the same id.
    let (_, feed) = api.get("/api/v1/events?types=customer.updated").await;
    let last = feed["data"]["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(got[0].headers["webhook-id"], last["id"].as_str().unwrap());
    assert_eq!(got[0].headers["content-type"], "application/json");

    // The reference library accepts it; a tampered body, an old timestamp or another secret it
    // refuses.
    let genuine = (got[0].headers.clone(), got[0].body.clone());
    let mut tampered = genuine.clone();
    tampered.1 = tampered.1.replace("HOOK-1", "HOOK-2");
    let mut old = genuine.clone();
    let stale = got[0].headers["webhook-timestamp"].parse::<i64>().unwrap() - 600;
    old.0.insert("webhook-timestamp".into(), stale.to_string());
    let results = verify(&[&secret], &[genuine.clone(), tampered, old]);
    assert_eq!(results[0]["ok"], true, "{results:?}");
    assert_eq!(results[1]["ok"], false, "a tampered body: {results:?}");
    assert_eq!(results[2]["ok"], false, "an old timestamp: {results:?}");
    assert_eq!(verify(&[&domain::webhooks::new_secret()], &[genuine])[0]["ok"], false, "another secret");

    // The delivery log says how it went.
    let (status, log) = api.get(&format!("/api/v1/webhooks/{endpoint}/deliveries")).await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let d = &log["data"]["items"][0];
    assert_eq!((d["status"].as_str(), d["attempts"].as_i64(), d["lastStatusCode"].as_i64()), (Some("delivered"), Some(1), Some(200)), "{d}");
    assert!(d["lastResponseMs"].is_i64());
    let (_, shown) = api.get(&format!("/api/v1/webhooks/{endpoint}")).await;
    assert_eq!(shown["data"]["health"]["successRate"], 100, "{shown}");

    // A test event, and a resend of the delivery: the same id and body again.
    let (status, test) = api.post(&format!("/api/v1/webhooks/{endpoint}/test"), "").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{test}");
    let got = receiver.wait_for("the test event", |g| !of_type(g, domain::webhooks::TEST_EVENT).is_empty()).await;
    let tested = of_type(&got, domain::webhooks::TEST_EVENT)[0].clone();
    assert_eq!(tested.headers["webhook-id"], test["data"]["eventId"].as_str().unwrap());
    assert_eq!(verify(&[&secret], &[(tested.headers.clone(), tested.body.clone())])[0]["ok"], true);
    let first = d["id"].as_i64().unwrap();
    assert_eq!(api.post(&format!("/api/v1/webhooks/{endpoint}/deliveries/{first}/resend"), "").await.0, StatusCode::ACCEPTED);
    let got = receiver.wait_for("the resend", |g| of_type(g, "customer.updated").len() == 2).await;
    let again = of_type(&got, "customer.updated");
    assert_eq!((&again[1].headers["webhook-id"], &again[1].body), (&again[0].headers["webhook-id"], &again[0].body));
}

#[tokio::test]
async fn a_rotated_secret_and_the_previous_one_both_sign_during_the_grace() {
    let portal = spawn_with(&[], with_quick_webhooks).await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let (receiver, url) = Receiver::start(&[]).await;
    let (endpoint, old_secret) = add_endpoint(&api, &url, &[]).await;
    let (status, rotated) = api.post(&format!("/api/v1/webhooks/{endpoint}/secret"), "").await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_secret = rotated["data"]["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, old_secret);
    assert!(rotated["data"]["endpoint"]["previousSecretUntil"].is_string());
    let (status, body) = api.post(&format!("/api/v1/webhooks/{endpoint}/test"), "").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let got = receiver.wait_for("the test event", |g| !of_type(g, domain::webhooks::TEST_EVENT).is_empty()).await;
    let t = of_type(&got, domain::webhooks::TEST_EVENT)[0].clone();
    assert_eq!(t.headers["webhook-signature"].split(' ').count(), 2, "two signatures: {}", t.headers["webhook-signature"]);
    for secret in [&old_secret, &new_secret] {
        assert_eq!(verify(&[secret], &[(t.headers.clone(), t.body.clone())])[0]["ok"], true, "{secret}");
    }
}

#[tokio::test]
async fn a_failing_receiver_is_retried_until_it_recovers_and_then_given_up_on() {
    let portal = spawn_with(&[], with_quick_webhooks).await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    // Two refusals and a timeout, then it works.
    let (receiver, url) = Receiver::start(&[Act::Answer(500), Act::Answer(503), Act::Stall(Duration::from_millis(1500))]).await;
    let (endpoint, _) = add_endpoint(&api, &url, &[]).await;
    let acme = tenant_named(&portal, "Acme Logistics").await;
    assert_eq!(api.patch(&format!("/api/v1/customers/{acme}"), r#"{"reference": "RETRY"}"#).await.0, StatusCode::OK);
    // (A request given up on mid-answer may never be recorded here: the receiver's handler is
    // dropped with the connection.)
    let got = receiver.wait_for("a 200", |g| g.iter().any(|x| x.answered == 200 && x.body.contains("RETRY"))).await;
    assert!(got.len() >= 3, "{got:?}");
    let ids: Vec<&str> = got.iter().map(|g| g.headers["webhook-id"].as_str()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "every attempt is the same message: {ids:?}");
    let (_, log) = api.get(&format!("/api/v1/webhooks/{endpoint}/deliveries")).await;
    let d = &log["data"]["items"][0];
    // The stalled attempt counted as failed (no answer within the timeout), then one more.
    for _ in 0..40 {
        let (_, log) = api.get(&format!("/api/v1/webhooks/{endpoint}/deliveries")).await;
        if log["data"]["items"][0]["status"] == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, log) = api.get(&format!("/api/v1/webhooks/{endpoint}/deliveries")).await;
    let d2 = &log["data"]["items"][0];
    assert_eq!(d2["status"], "delivered", "{d} {d2}");
    assert!(d2["attempts"].as_i64().unwrap() >= 4, "{d2}");

    // A receiver that never recovers: four attempts in all (three retries), then failed.
    let (dead, dead_url) = Receiver::start(&[Act::Answer(500); 10]).await;
    let (dead_endpoint, _) = add_endpoint(&api, &dead_url, &[]).await;
    assert_eq!(api.post(&format!("/api/v1/webhooks/{dead_endpoint}/test"), "").await.0, StatusCode::ACCEPTED);
    dead.wait_for("four attempts", |g| g.len() >= 4).await;
    let mut status = Value::Null;
    for _ in 0..40 {
        let (_, log) = api.get(&format!("/api/v1/webhooks/{dead_endpoint}/deliveries")).await;
        status = log["data"]["items"][0].clone();
        if status["status"] == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!((status["status"].as_str(), status["attempts"].as_i64(), status["lastStatusCode"].as_i64()), (Some("failed"), Some(4), Some(500)), "{status}");
    assert_eq!(status["nextAttemptAt"], Value::Null);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(dead.got().len(), 4, "nothing after giving up");
    let (_, shown) = api.get(&format!("/api/v1/webhooks/{dead_endpoint}")).await;
    assert_eq!(shown["data"]["health"]["successRate"], 0);
    assert!(shown["data"]["health"]["failingSince"].is_string());
}

#[tokio::test]
async fn an_endpoint_failing_for_days_is_disabled_and_its_administrators_told() {
    let portal = spawn_with(&[], |p| {
        let mut settings = quick();
        settings.delivery.disable_after = chrono::Duration::milliseconds(300);
        p.webhooker.as_mut().unwrap().settings = settings;
    })
    .await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let (_dead, url) = Receiver::start(&[Act::Answer(500); 50]).await;
    let (endpoint, _) = add_endpoint(&api, &url, &[]).await;
    assert_eq!(api.post(&format!("/api/v1/webhooks/{endpoint}/test"), "").await.0, StatusCode::ACCEPTED);
    let mut shown = Value::Null;
    for _ in 0..60 {
        shown = api.get(&format!("/api/v1/webhooks/{endpoint}")).await.1;
        if shown["data"]["enabled"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(shown["data"]["enabled"], false, "{shown}");
    assert!(shown["data"]["disabledReason"].as_str().unwrap().contains("failed"), "{shown}");
    let db = portal.database().await;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let mails = domain::entity::outbox::Entity::find().filter(domain::entity::outbox::Column::Kind.eq("webhook_disabled")).all(&db).await.unwrap();
    assert!(mails.iter().any(|m| m.to_address == DEMO_EMAIL && m.body.contains(&url)), "{mails:?}");
    let (_, feed) = api.get("/api/v1/events?types=webhook_endpoint.disabled").await;
    assert_eq!(feed["data"]["items"].as_array().unwrap().len(), 1, "{feed}");
    // Enabled again, it starts afresh.
    assert_eq!(api.patch(&format!("/api/v1/webhooks/{endpoint}"), r#"{"enabled": true}"#).await.0, StatusCode::OK);
    let (_, shown) = api.get(&format!("/api/v1/webhooks/{endpoint}")).await;
    assert_eq!((shown["data"]["enabled"].as_bool(), &shown["data"]["disabledReason"]), (Some(true), &Value::Null));
}

/// Ten changes of `acme`'s notes.
async fn notes(api: &Api<'_>, acme: &str, tag: &str) {
    for n in 0..10 {
        let (status, body) = api.patch(&format!("/api/v1/customers/{acme}"), &format!(r#"{{"notes": "{tag} {n}"}}"#)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

#[tokio::test]
async fn two_servers_deliver_every_event_once_and_a_dead_workers_claim_is_taken_over() {
    // Two servers take the requests; their webhook workers start later, in two more processes.
    let first = spawn_with(&[], |p| p.webhooker = None).await;
    let second = spawn_sharing(&first, |p| p.webhooker = None).await;
    let api = Api::open(&first, DEMO_EMAIL).await;
    let other = Api::open(&second, DEMO_EMAIL).await;
    let (receiver, url) = Receiver::start(&[Act::Answer(500), Act::Stall(Duration::from_millis(1000)), Act::Answer(502)]).await;
    let (_, secret) = add_endpoint(&api, &url, &["customer.updated"]).await;

    // A worker claims a delivery and dies before sending it (here: the test claims it and
    // never sends): when its lease runs out, another worker sends it.
    let acme = tenant_named(&first, "Acme Logistics").await;
    assert_eq!(api.patch(&format!("/api/v1/customers/{acme}"), r#"{"notes": "claimed by a worker that dies"}"#).await.0, StatusCode::OK);
    let db = first.database().await;
    assert_eq!(domain::webhooks::fan_out(&db).await.unwrap(), 1);
    let claimed = domain::webhooks::claim_due(&db, &first.secret_box(), chrono::Utc::now(), Duration::from_secs(1), 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let orphaned = claimed[0].delivery.event_id.clone();
    let _workers = [spawn_sharing(&first, with_quick_webhooks).await, spawn_sharing(&first, with_quick_webhooks).await];

    // Meanwhile both servers change customers at once.
    tokio::join!(notes(&api, &acme, "first"), notes(&other, &acme, "second"));
    let got = receiver
        .wait_for("21 events answered 200", |g| {
            let ok: std::collections::HashSet<&str> = g.iter().filter(|x| x.answered == 200).map(|x| x.headers["webhook-id"].as_str()).collect();
            ok.len() >= 21
        })
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got_all = receiver.got();
    let mut answered_ok: HashMap<&str, usize> = HashMap::new();
    for g in got_all.iter().filter(|g| g.answered == 200) {
        *answered_ok.entry(g.headers["webhook-id"].as_str()).or_default() += 1;
    }
    assert_eq!(answered_ok.len(), 21, "every event: {:?}", answered_ok.keys());
    // The stalled attempt's answer came after the worker had given up on it, so that one event
    // may be answered twice; every other was delivered exactly once.
    let twice: Vec<_> = answered_ok.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.len() <= 1, "delivered more than once: {twice:?}");
    assert!(answered_ok.contains_key(orphaned.as_str()), "the dead worker's delivery was taken over");
    let all: Vec<(BTreeMap<String, String>, String)> = got.iter().map(|g| (g.headers.clone(), g.body.clone())).collect();
    assert!(verify(&[&secret], &all).iter().all(|r| r["ok"] == true), "every delivery verifies");
}

#[tokio::test]
async fn endpoints_see_only_their_resellers_events_and_urls_pass_the_egress_policy() {
    let portal = spawn_with(&[], with_quick_webhooks).await;
    let mine = Api::open(&portal, DEMO_EMAIL).await;
    let theirs = Api::open(&portal, OTHER_EMAIL).await;
    let (my_receiver, my_url) = Receiver::start(&[]).await;
    let (their_receiver, their_url) = Receiver::start(&[]).await;
    let (my_endpoint, _) = add_endpoint(&mine, &my_url, &[]).await;
    add_endpoint(&theirs, &their_url, &[]).await;
    let acme = tenant_named(&portal, "Acme Logistics").await;
    assert_eq!(mine.patch(&format!("/api/v1/customers/{acme}"), r#"{"reference": "MINE"}"#).await.0, StatusCode::OK);
    my_receiver.wait_for("my event", |g| g.iter().any(|x| x.body.contains("MINE"))).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(their_receiver.got().is_empty(), "{:?}", their_receiver.got());

    // Another reseller's endpoint is a missing one, for every operation.
    for (method, path) in [
        (Method::GET, format!("/api/v1/webhooks/{my_endpoint}")),
        (Method::PATCH, format!("/api/v1/webhooks/{my_endpoint}")),
        (Method::DELETE, format!("/api/v1/webhooks/{my_endpoint}")),
        (Method::POST, format!("/api/v1/webhooks/{my_endpoint}/secret")),
        (Method::POST, format!("/api/v1/webhooks/{my_endpoint}/test")),
        (Method::GET, format!("/api/v1/webhooks/{my_endpoint}/deliveries")),
        (Method::POST, format!("/api/v1/webhooks/{my_endpoint}/deliveries/1/resend")),
    ] {
        let body = (method == Method::PATCH).then_some(r#"{"enabled": false}"#);
        assert_eq!(theirs.send(method.clone(), &path, body, &[]).await.status, StatusCode::NOT_FOUND, "{method} {path}");
    }
    let (_, listed) = theirs.get("/api/v1/webhooks").await;
    assert!(listed["data"].as_array().unwrap().iter().all(|e| e["id"] != my_endpoint));

    // Refused URLs store nothing and say why.
    let strict = spawn_strict_with(&[], with_quick_webhooks).await;
    let api = Api::open(&strict, DEMO_EMAIL).await;
    for (url, says) in [
        ("http://127.0.0.1:9/hook", "not allowed"),
        ("http://localhost:9/hook", "not allowed"),
        ("http://10.1.2.3/hook", "not allowed"),
        ("http://[::ffff:127.0.0.1]/hook", "not allowed"),
        ("ftp://hooks.example.com/", "https://"),
        ("https://user:pw@hooks.example.com/", "user name"),
    ] {
        let (status, body) = api.post("/api/v1/webhooks", &json!({ "url": url }).to_string()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
        assert!(body["fields"]["url"].as_str().unwrap().contains(says), "{url}: {body}");
    }
    let (status, body) = api.post("/api/v1/webhooks", r#"{"url": "https://hooks.example.com/x", "eventTypes": ["customer.nope"]}"#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["fields"]["eventTypes"].is_string(), "{body}");
    assert_eq!(api.post("/api/v1/webhooks", r#"{"url": "https://hooks.example.com/x", "secret": "mine"}"#).await.0, StatusCode::BAD_REQUEST);
    let (_, listed) = api.get("/api/v1/webhooks").await;
    assert_eq!(listed["data"], json!([]));
}
