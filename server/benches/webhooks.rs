//! Webhook benchmark (issue 16), on SQLite unless `WEBHOOK_BENCH_DATABASE_URL` names another
//! database (both phases then share it): the real server on a free port, a local receiver
//! answering 200.
//!
//! 1. The latency of `POST /api/v1/customers` (one connection, one create after another, then
//!    8 connections at once) with no endpoint, with three endpoints subscribed to everything (their deliveries made meanwhile
//!    by the server's worker, as in production), and with none again (to see drift).
//! 2. Delivery throughput: events made while no worker runs, then one worker (the product's
//!    settings: 16 deliveries in flight) delivers them all to three endpoints; deliveries per
//!    second from its start to the receiver's last 200.
//!
//! Run: `cargo bench -p server --bench webhooks`.

use common::{bench_portal_with, report};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod common;

const CREATES: usize = 200;
const ENDPOINTS: usize = 3;
/// Events delivered in the throughput run (each to every endpoint).
const EVENTS: usize = 1_000;

/// A receiver on a free loopback port counting what it accepts; returns the count and its URL.
async fn receiver() -> (Arc<AtomicUsize>, String) {
    let count = Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |_body: String| {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::Relaxed);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (count, url)
}

#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    base: String,
    bearer: String,
    credentials: (String, String),
}

impl Client {
    async fn send(&self, method: reqwest::Method, path: &str, body: String) -> serde_json::Value {
        let res = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("authorization", &self.bearer)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.unwrap_or(serde_json::Value::Null)
    }

    /// Times `CREATES` customer creates made over `connections` connections at once (each one
    /// create after another); returns the sorted latencies and the creates per second.
    async fn creates(&self, tag: &str, connections: usize) -> (Vec<Duration>, f64) {
        let started = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..connections {
            let (client, tag) = (self.clone(), format!("{tag}-{c}"));
            tasks.push(tokio::spawn(async move {
                let mut times = Vec::new();
                for n in 0..CREATES / connections {
                    let body = serde_json::json!({
                        "name": format!("Hook Bench {tag} {n}"), "productType": "professional", "country": "GB",
                        "primaryUser": { "displayName": "Bench User", "email": format!("bench-{tag}-{n}@hooks.example") },
                        "connection": { "accountId": "0123456789abcdef0123456789abcdef" }
                    });
                    let started = Instant::now();
                    client.send(reqwest::Method::POST, "/api/v1/customers", body.to_string()).await;
                    times.push(started.elapsed());
                }
                times
            }));
        }
        let mut times = Vec::with_capacity(CREATES);
        for task in tasks {
            times.extend(task.await.unwrap());
        }
        let per_second = times.len() as f64 / started.elapsed().as_secs_f64();
        times.sort();
        (times, per_second)
    }

    /// Reports creates one at a time and over 8 connections at once.
    async fn report_creates(&self, what: &str, tag: &str) {
        for connections in [1, 8] {
            let (times, per_second) = self.creates(&format!("{tag}-{connections}"), connections).await;
            report(&format!("{what}, {connections} connection(s): {per_second:.0} creates/s"), &times);
        }
    }
}

/// A portal on a fresh database with loopback allowed (where the receiver listens), and a
/// client for it; `with_worker: false` starts it without the webhook worker.
async fn start(dir: &std::path::Path, name: &str, with_worker: bool) -> (Client, server::Portal, tokio::net::TcpListener) {
    let database_url = std::env::var("WEBHOOK_BENCH_DATABASE_URL").unwrap_or_else(|_| format!("sqlite://{}/{name}.db", dir.display()));
    let (mut portal, listener) = bench_portal_with(&database_url, &dir.join("bench.key"), &["--egress-allow", "127.0.0.1"]).await;
    if !with_worker {
        portal.webhooker = None;
    }
    let db = portal.state.ctx.db.clone();
    let made = domain::operator::create_api_client(&db, domain::seed::DEMO_EMAIL, &format!("Benchmark {name}"), domain::api_clients::api_permissions()).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let client = Client { http: reqwest::Client::new(), base, bearer: String::new(), credentials: (made.client.client_id, made.secret) };
    (client, portal, listener)
}

/// Serves `portal` and gets the client its token; the portal (and its workers) stop when the
/// returned sender is dropped.
async fn serve(client: &mut Client, portal: server::Portal, listener: tokio::net::TcpListener) -> tokio::sync::oneshot::Sender<()> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(portal.serve(listener, async move {
        let _ = stopped.await;
    }));
    STOPPED.lock().unwrap().push(served);
    let (id, secret) = &client.credentials;
    client.bearer = format!("Bearer {}", common::bearer(&client.http, &client.base, id, secret).await);
    stop
}

/// The portals being served, to wait for once stopped.
static STOPPED: std::sync::Mutex<Vec<tokio::task::JoinHandle<anyhow::Result<()>>>> = std::sync::Mutex::new(Vec::new());

/// Stops a portal and waits until it (and its webhook worker) has finished.
async fn stop(stop: tokio::sync::oneshot::Sender<()>) {
    drop(stop);
    let served: Vec<_> = STOPPED.lock().unwrap().drain(..).collect();
    for s in served {
        let _ = s.await;
    }
}

async fn add_endpoints(client: &Client, url: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    for n in 0..ENDPOINTS {
        let made = client.send(reqwest::Method::POST, "/api/v1/webhooks", serde_json::json!({ "url": format!("{url}?n={n}") }).to_string()).await;
        ids.push(made["data"]["endpoint"]["id"].as_i64().unwrap());
    }
    ids
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into())).init();
    let dir = tempfile::tempdir().unwrap();
    let (received, url) = receiver().await;

    // 1. Create latency, without and with three subscribed endpoints.
    let (mut client, portal, listener) = start(dir.path(), "latency", true).await;
    let serving = serve(&mut client, portal, listener).await;
    client.creates("warm-up", 8).await;
    client.report_creates("POST /customers, no webhook endpoint", "before").await;
    let ids = add_endpoints(&client, &url).await;
    let before = received.load(Ordering::Relaxed);
    client.report_creates(&format!("POST /customers, {ENDPOINTS} endpoints subscribed (deliveries made meanwhile)"), "with").await;
    let want = 2 * CREATES * ENDPOINTS;
    let deadline = Instant::now() + Duration::from_secs(60);
    while received.load(Ordering::Relaxed) < before + want && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("  deliveries received for them: {} of {want}", received.load(Ordering::Relaxed) - before);
    for id in ids {
        client.send(reqwest::Method::PATCH, &format!("/api/v1/webhooks/{id}"), r#"{"enabled": false}"#.into()).await;
    }
    client.report_creates("POST /customers, endpoints disabled again", "after").await;

    // On one PostgreSQL database, the first portal's worker would deliver the next phase's
    // events too: it stops first.
    stop(serving).await;

    // 2. Throughput: events first, then one worker delivers them.
    let (mut client, portal, listener) = start(dir.path(), "throughput", false).await;
    let db = portal.state.ctx.db.clone();
    let (secrets, http) = (portal.state.ctx.secrets.clone(), portal.state.ctx.http.clone());
    let _serving = serve(&mut client, portal, listener).await;
    add_endpoints(&client, &url).await;
    let tenant = client.send(reqwest::Method::GET, "/api/v1/customers?filter=Acme", String::new()).await["data"]["items"][0]["id"].as_str().unwrap().to_owned();
    for n in 0..EVENTS {
        client.send(reqwest::Method::PATCH, &format!("/api/v1/customers/{tenant}"), format!(r#"{{"notes": "change {n}"}}"#)).await;
    }
    let start_count = received.load(Ordering::Relaxed);
    let worker = server::webhooker::Webhooker::new(Default::default(), secrets, http);
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let want = EVENTS * ENDPOINTS;
    while received.load(Ordering::Relaxed) - start_count < want {
        worker.pass(&db, &stopped).await.unwrap();
        if started.elapsed() > Duration::from_secs(300) {
            panic!("only {} of {want} deliveries in 5 minutes", received.load(Ordering::Relaxed) - start_count);
        }
    }
    let took = started.elapsed();
    println!(
        "delivered {want} deliveries ({EVENTS} events x {ENDPOINTS} endpoints) in {:.2} s: {:.0} deliveries/s (fan-out, claims, signed POSTs, records; {} in flight)",
        took.as_secs_f64(),
        want as f64 / took.as_secs_f64(),
        worker.settings.concurrency
    );
}
