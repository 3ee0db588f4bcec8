//! Customer grid benchmark: 100,000 customers in one reseller (and 20,000 in another), then a
//! searched + sorted page request timed at the HTTP level (through the real server and its
//! middleware) and as the bare database query. Run: `cargo bench -p server --bench grid`.

use clap::Parser;
use leptos::server_fn::ServerFn;
use model::customer::{CustomerStatus, GridQuery};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use std::time::{Duration, Instant};

const CUSTOMERS: usize = 100_000;
const OTHER_CUSTOMERS: usize = 20_000;
const RUNS: usize = 300;

const WORDS: [&str; 24] = [
    "Acme", "Northern", "Harbor", "Summit", "Cedar", "Granite", "Bright", "Silver", "Oak", "Pioneer", "Atlas", "Beacon",
    "Crown", "Delta", "Echo", "Falcon", "Global", "Horizon", "Iron", "Juniper", "Keystone", "Liberty", "Meridian", "Nova",
];
const KINDS: [&str; 8] = ["Logistics", "Dental", "Hotels", "Insurance", "Legal", "Motors", "Clinic", "Foods"];

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
    let demo = seed(&db, "Demo Reseller", CUSTOMERS).await;
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

async fn measure<F, Fut>(run: F) -> Vec<Duration>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..20 {
        run().await;
    }
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        run().await;
        times.push(started.elapsed());
    }
    times.sort();
    times
}

fn report(what: &str, sorted: &[Duration]) {
    let at = |p: f64| sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)];
    println!(
        "{what}: median {:.2} ms, p95 {:.2} ms, max {:.2} ms ({} runs)",
        at(0.5).as_secs_f64() * 1e3,
        at(0.95).as_secs_f64() * 1e3,
        sorted.last().unwrap().as_secs_f64() * 1e3,
        sorted.len()
    );
}

/// Inserts `count` customers for the named reseller; returns its id.
async fn seed(db: &sea_orm::DatabaseConnection, reseller_name: &str, count: usize) -> i64 {
    use domain::entity::{customer, product_type, reseller};
    let owner = reseller::Entity::find().filter(reseller::Column::Name.eq(reseller_name)).one(db).await.unwrap().unwrap();
    let types = product_type::Entity::find().all(db).await.unwrap();
    let now = chrono::Utc::now();
    let txn = db.begin().await.unwrap();
    for chunk_start in (0..count).step_by(500) {
        let models: Vec<customer::ActiveModel> = (chunk_start..(chunk_start + 500).min(count))
            .map(|i| {
                let name = format!("{} {} {} {i}", WORDS[i % WORDS.len()], WORDS[(i / 24) % WORDS.len()], KINDS[i % KINDS.len()]);
                let pt = &types[i % types.len()];
                let status = [CustomerStatus::Active, CustomerStatus::Active, CustomerStatus::Disabled, CustomerStatus::Terminated][i % 4];
                let created_at = now - chrono::Duration::minutes(i as i64 * 7);
                let reference = format!("REF-{:06}", i * 7 % 1_000_000);
                let country = ["GB", "US", "IE", "DE", "NO"][i % 5];
                customer::ActiveModel {
                    id: Set(uuid::Uuid::new_v4()),
                    reseller_id: Set(owner.id),
                    name: Set(name.clone()),
                    name_key: Set(name.to_lowercase()),
                    product_type_id: Set(pt.id),
                    reference: Set(reference.clone()),
                    country: Set(country.into()),
                    time_zone: Set("Europe/London".into()),
                    notes: Set(String::new()),
                    trial_expires_on: Set(None),
                    in_house: Set(false),
                    status: Set(status.as_str().into()),
                    terminate_on: Set(None),
                    created_at: Set(created_at),
                    created_by: Set(None),
                    version: Set(1),
                    search_text: Set(domain::customers::search_text(&name, created_at.date_naive(), status, &reference, &pt.name, country)),
                    request_key: Set(None),
                    trial_ended_on: Set(None),
                    trial_warned_for: Set(None),
                }
            })
            .collect();
        customer::Entity::insert_many(models).exec(&txn).await.unwrap();
    }
    txn.commit().await.unwrap();
    owner.id
}
