//! Customer grid benchmark: 100,000 customers in one reseller (and 20,000 in another), then a
//! searched + sorted page request timed at the HTTP level (through the real server and its
//! middleware) and as the bare database query. Run: `cargo bench -p server --bench grid`.

use clap::Parser;
use leptos::server_fn::ServerFn;
use model::customer::GridQuery;
use common::{measure, report, seed};
use std::time::Instant;

mod common;

const CUSTOMERS: usize = 100_000;
const OTHER_CUSTOMERS: usize = 20_000;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    // GRID_BENCH_DIR keeps the database for inspection (e.g. EXPLAIN QUERY PLAN) afterwards.
    let kept = std::env::var("GRID_BENCH_DIR").ok();
    let db_dir = kept.clone().map(std::path::PathBuf::from).unwrap_or_else(|| dir.path().to_path_buf());
    let database_url = format!("sqlite://{}/bench.db", db_dir.display());
    let key = dir.path().join("secret.key");
    let cli = server::cli::Cli::parse_from(["server", "--demo", "--database-url", &database_url, "--secret-key-file", key.to_str().unwrap()]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = cli.config;
    config.bind = listener.local_addr().unwrap();
    let portal = server::Portal::prepare(config).await.unwrap();
    let db = portal.state.ctx.db.clone();

    let started = Instant::now();
    seed(&db, "Demo Reseller", CUSTOMERS).await;
    let demo = domain::operator::act_as(&db, domain::seed::DEMO_EMAIL).await.unwrap().reseller_id;
    seed(&db, "Northwind Telecom", OTHER_CUSTOMERS).await;
    println!("seeded {} customers in {:.1?}", CUSTOMERS + OTHER_CUSTOMERS, started.elapsed());

    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(portal.serve(listener, std::future::pending()));
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{base}{}", <app::api::auth::SignIn as ServerFn>::PATH))
        .header("origin", &base)
        .form(&[("email", domain::seed::DEMO_EMAIL), ("password", domain::seed::DEMO_PASSWORD), ("next", "")])
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();

    let query = GridQuery::from_pairs([("q", "harbor"), ("sort", "created"), ("dir", "desc"), ("page", "2")]);
    let url = format!("{base}{}", <app::api::customers::ListCustomers as ServerFn>::PATH);
    let body = serde_json::json!({ "query": query });
    let first: serde_json::Value =
        client.post(&url).header("origin", &base).header("cookie", &cookie).json(&body).send().await.unwrap().json().await.unwrap();
    println!("query: search \"harbor\", sort Date Created descending, page 2 of 25 rows; {} matching customers", first["total"]);

    let http = measure(|| {
        let (client, url, base, cookie, body) = (client.clone(), url.clone(), base.clone(), cookie.clone(), body.clone());
        async move {
            let res = client.post(&url).header("origin", &base).header("cookie", &cookie).json(&body).send().await.unwrap();
            assert!(res.status().is_success());
            res.bytes().await.unwrap();
        }
    })
    .await;
    let bare = measure(|| {
        let (db, query) = (db.clone(), query.clone());
        async move {
            domain::customers::grid(&db, demo, &query).await.unwrap();
        }
    })
    .await;
    let default_view = GridQuery::default();
    let unsearched = measure(|| {
        let (db, query) = (db.clone(), default_view.clone());
        async move {
            domain::customers::grid(&db, demo, &query).await.unwrap();
        }
    })
    .await;
    report("HTTP page request (searched + sorted)", &http);
    report("bare domain query (same page)", &bare);
    report("bare domain query (default view: name order, no search)", &unsearched);
}

