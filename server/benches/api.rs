//! REST API benchmark: 100,000 customers in one reseller (and 20,000 in another), created
//! through the product's own write path as the grid benchmark's are (`API_BENCH_SEED=thin`:
//! bare customer rows instead, seconds rather than minutes), the real
//! server on a free port, an API client with a bearer token; then `GET /api/v1/customers`
//! latency (first page, a filtered page, a 1,000-row page, a deep page) and `POST
//! /api/v1/customers` throughput (one client after another, then several at once).
//! Run: `cargo bench -p server --bench api`.

use common::{bench_portal, create_estate, measure, report, seed};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod common;

const CUSTOMERS: usize = 100_000;
const OTHER_CUSTOMERS: usize = 20_000;
/// Customers created one after another.
const SEQUENTIAL_CREATES: usize = 300;
/// Customers created by `CONCURRENCY` clients at once.
const CONCURRENT_CREATES: usize = 600;
const CONCURRENCY: usize = 4;

#[tokio::main]
async fn main() {
    // Failures are logged (RUST_LOG overrides): a refused create is a finding, not noise.
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into())).init();
    let dir = tempfile::tempdir().unwrap();
    let database_url = std::env::var("API_BENCH_DATABASE_URL").unwrap_or_else(|_| format!("sqlite://{}/bench.db", dir.path().display()));
    let key = dir.path().join("secret.key");
    // The API alone is measured: no PBX syncs of the new customers compete for the database.
    let (portal, listener) = bench_portal(&database_url, &key).await;
    let db = portal.state.ctx.db.clone();

    let started = Instant::now();
    if std::env::var("API_BENCH_SEED").as_deref() == Ok("thin") {
        seed(&db, "Demo Reseller", CUSTOMERS).await;
        seed(&db, "Northwind Telecom", OTHER_CUSTOMERS).await;
        println!("inserted {} bare customer rows in {:.1?}", CUSTOMERS + OTHER_CUSTOMERS, started.elapsed());
    } else {
        create_estate(&portal, CUSTOMERS, OTHER_CUSTOMERS).await;
        println!("created {} customers through provisioning::create in {:.1?}", CUSTOMERS + OTHER_CUSTOMERS, started.elapsed());
    }
    domain::db::optimize(&db).await.unwrap();

    let credentials = domain::operator::create_api_client(&db, domain::seed::DEMO_EMAIL, "Benchmark", domain::api_clients::api_permissions()).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(portal.serve(listener, std::future::pending()));
    let client = reqwest::Client::new();
    let bearer = format!("Bearer {}", common::bearer(&client, &base, &credentials.client.client_id, &credentials.secret).await);
    // `GET url` with the bearer token, as a repeatable request for `measure`.
    let timed_get = |url: &str| {
        let (client, url, bearer) = (client.clone(), url.to_owned(), bearer.clone());
        move || {
            let (client, url, bearer) = (client.clone(), url.clone(), bearer.clone());
            async move {
                let res = client.get(&url).header("authorization", &bearer).send().await.unwrap();
                assert!(res.status().is_success());
                res.bytes().await.unwrap();
            }
        }
    };

    for (what, query) in [
        ("GET /customers, first page of 50", "pageSize=50"),
        ("GET /customers?filter=harbor, page 3 of 50", "filter=harbor&pageIndex=2&pageSize=50"),
        ("GET /customers, a page of 1,000", "pageSize=1000"),
        ("GET /customers, page 2,000 of 50 (the last)", "pageIndex=1999&pageSize=50"),
    ] {
        let url = format!("{base}/api/v1/customers?{query}");
        let first: serde_json::Value = client.get(&url).header("authorization", &bearer).send().await.unwrap().json().await.unwrap();
        let times = measure(timed_get(&url)).await;
        report(&format!("{what} ({} matching, {} returned)", first["data"]["total"], first["data"]["items"].as_array().map_or(0, Vec::len)), &times);
    }

    // By cursor: walk the whole list 1,000 at a time, then time a page of 50 at its end.
    let mut url = format!("{base}/api/v1/customers?pageSize=1000");
    let mut last = String::new();
    let mut seen = 0;
    loop {
        let page: serde_json::Value = client.get(&url).header("authorization", &bearer).send().await.unwrap().json().await.unwrap();
        seen += page["data"]["items"].as_array().map_or(0, Vec::len);
        match page["data"]["nextCursor"].as_str() {
            Some(next) if seen < CUSTOMERS - 50 => {
                last = next.to_owned();
                url = format!("{base}/api/v1/customers?pageSize=1000&cursor={next}");
            }
            _ => break,
        }
    }
    let url = format!("{base}/api/v1/customers?pageSize=50&cursor={last}");
    let times = measure(timed_get(&url)).await;
    report("GET /customers?cursor=…, 50 at the end of the list", &times);

    // POST /customers: customer + primary user + PBX connection (+ invitation, sync schedule,
    // activity log) per request.
    let next = Arc::new(AtomicUsize::new(0));
    let create = {
        let (client, base, bearer, next) = (client.clone(), base.clone(), bearer.clone(), next.clone());
        move || {
            let (client, base, bearer) = (client.clone(), base.clone(), bearer.clone());
            let n = next.fetch_add(1, Ordering::Relaxed);
            async move {
                let body = serde_json::json!({
                    "name": format!("Throughput Test {n}"),
                    "productType": "professional",
                    "reference": format!("TP-{n}"),
                    "country": "GB",
                    "primaryUser": { "displayName": format!("Admin {n}"), "email": format!("admin{n}@throughput.example") },
                    "connection": { "accountId": format!("{:032x}", 0xbe7c_0000_0000_u64 + n as u64) }
                });
                let started = Instant::now();
                let res = client
                    .post(format!("{base}/api/v1/customers"))
                    .header("authorization", &bearer)
                    .header("idempotency-key", format!("bench-{n}"))
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), reqwest::StatusCode::CREATED, "{}", res.text().await.unwrap());
                started.elapsed()
            }
        }
    };
    let started = Instant::now();
    let mut times = Vec::with_capacity(SEQUENTIAL_CREATES);
    for _ in 0..SEQUENTIAL_CREATES {
        times.push(create().await);
    }
    throughput(&format!("POST /customers, one at a time ({SEQUENTIAL_CREATES})"), started.elapsed(), times);

    let started = Instant::now();
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let create = create.clone();
            tokio::spawn(async move {
                let mut times = Vec::new();
                for _ in 0..CONCURRENT_CREATES / CONCURRENCY {
                    times.push(create().await);
                }
                times
            })
        })
        .collect();
    let mut times = Vec::new();
    for w in workers {
        times.extend(w.await.unwrap());
    }
    throughput(&format!("POST /customers, {CONCURRENCY} clients at once ({CONCURRENT_CREATES})"), started.elapsed(), times);
}

fn throughput(what: &str, elapsed: Duration, mut times: Vec<Duration>) {
    let rate = times.len() as f64 / elapsed.as_secs_f64();
    times.sort();
    println!("{what}: {rate:.0} customers/s");
    report(&format!("  {what}, latency"), &times);
}
