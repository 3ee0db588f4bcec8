//! What the benchmarks share: seeding many customers and timing repeated requests.

#![allow(dead_code)] // Each bench uses what it needs.

use model::customer::CustomerStatus;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use std::time::{Duration, Instant};

/// Timed runs per measurement (after 20 warm-ups).
pub const RUNS: usize = 300;

pub const WORDS: [&str; 24] = [
    "Acme", "Northern", "Harbor", "Summit", "Cedar", "Granite", "Bright", "Silver", "Oak", "Pioneer", "Atlas", "Beacon",
    "Crown", "Delta", "Echo", "Falcon", "Global", "Horizon", "Iron", "Juniper", "Keystone", "Liberty", "Meridian", "Nova",
];
pub const KINDS: [&str; 8] = ["Logistics", "Dental", "Hotels", "Insurance", "Legal", "Motors", "Clinic", "Foods"];

pub async fn measure<F, Fut>(run: F) -> Vec<Duration>
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

pub fn report(what: &str, sorted: &[Duration]) {
    let at = |p: f64| sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)];
    println!(
        "{what}: median {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} runs)",
        at(0.5).as_secs_f64() * 1e3,
        at(0.95).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        sorted.last().unwrap().as_secs_f64() * 1e3,
        sorted.len()
    );
}

/// The demo portal on `database_url`, ready to serve on a free local port, with the REST API's
/// per-client limit out of the way (it would be what is measured) and no PBX sync worker (the
/// benchmarks' customers are due for their first sync; only what is timed should run).
pub async fn bench_portal(database_url: &str, key_file: &std::path::Path) -> (server::Portal, tokio::net::TcpListener) {
    bench_portal_with(database_url, key_file, &[]).await
}

/// [`bench_portal`] with more command-line arguments.
pub async fn bench_portal_with(database_url: &str, key_file: &std::path::Path, extra: &[&str]) -> (server::Portal, tokio::net::TcpListener) {
    use clap::Parser;
    let mut argv = vec![
        "server",
        "--demo",
        "--database-url",
        database_url,
        "--secret-key-file",
        key_file.to_str().unwrap(),
        "--api-requests-per-minute",
        "1000000",
    ];
    argv.extend_from_slice(extra);
    let cli = server::cli::Cli::parse_from(argv);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = cli.config;
    config.bind = listener.local_addr().unwrap();
    let mut portal = server::Portal::prepare(config).await.unwrap();
    portal.syncer = None;
    (portal, listener)
}

/// Inserts `count` customers for the named reseller; returns its id.
pub async fn seed(db: &sea_orm::DatabaseConnection, reseller_name: &str, count: usize) -> i64 {
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
                    // One in ten on a trial ending within the next two months (the grid counts
                    // those ending within a week on every page).
                    trial_expires_on: Set((i % 10 == 0).then(|| now.date_naive() + chrono::Duration::days((i / 10 % 60) as i64))),
                    in_house: Set(false),
                    status: Set(status.into()),
                    terminate_on: Set(None),
                    created_at: Set(created_at),
                    created_by: Set(None),
                    version: Set(1),
                    search_text: Set(domain::common::search_text(&name, created_at.date_naive(), status, &reference, &pt.name, country)),
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

/// Creates `count` customers in the reseller of `email` through the product's own write path
/// (`provisioning::create`, what the wizard and `POST /api/v1/customers` call): each with its
/// primary user and roles, PBX connection on the reseller's default template, queued
/// invitation, sync schedule and activity entry. `workers` creates run at once. One in ten is on
/// a trial ending within the next two months (if the reseller gives trials). Creates are
/// idempotent by their request key, so a run that stopped half-way is simply resumed.
/// Returns how long it took.
pub async fn create_through_product(db: &sea_orm::DatabaseConnection, email: &str, count: usize, workers: usize) -> Duration {
    use model::customer_form::{DetailsForm, NewCustomer, PrimaryUserForm};
    let actor = domain::operator::act_as(db, email).await.unwrap();
    let rules = domain::provisioning::details_rules(db, actor.reseller_id, None).await.unwrap();
    let templates = domain::pbx_templates::options(db, actor.reseller_id).await.unwrap();
    let template = templates.iter().find(|t| t.is_default).or(templates.first()).map(|t| t.id);
    assert!(template.is_some(), "{email}'s reseller needs a PBX template");
    let today: chrono::NaiveDate = rules.today.parse().unwrap();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let (db, actor, rules, next) = (db.clone(), actor.clone(), rules.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    let name = format!("{} {} {} {i}", WORDS[i % WORDS.len()], WORDS[(i / 24) % WORDS.len()], KINDS[i % KINDS.len()]);
                    let trial = rules.trials_allowed && i % 10 == 0;
                    let input = NewCustomer {
                        request_key: format!("bench-{i}"),
                        details: DetailsForm {
                            name: name.clone(),
                            product_type: rules.product_types[i % rules.product_types.len()].code.clone(),
                            reference: format!("REF-{:06}", i * 7 % 1_000_000),
                            country: ["GB", "US", "IE", "DE", "NO"][i % 5].into(),
                            notes: String::new(),
                            trial,
                            trial_expires_on: if trial { (today + chrono::Duration::days((i / 10 % 59) as i64 + 1)).to_string() } else { String::new() },
                            in_house: false,
                        },
                        primary_user: PrimaryUserForm { display_name: format!("Admin {i}"), email: format!("admin{i}@customer{i}.example") },
                        connection: model::pbx::ConnectionForm {
                            template_id: template,
                            account_id: format!("{:032x}", 0xbe_u128 << 64 | i as u128),
                            ..Default::default()
                        },
                        roles: model::roles::Roles::primary_default(),
                    };
                    domain::provisioning::create(&db, &actor, &input).await.unwrap_or_else(|e| panic!("creating {name}: {e}"));
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    started.elapsed()
}

/// The estate the grid and API benchmarks measure: `customers` for the demo reseller and
/// `other` for the second one, created through [`create_through_product`] (the second reseller
/// gets a PBX template of its own first). Returns how long the creates took.
pub async fn create_estate(portal: &server::Portal, customers: usize, other: usize) -> Duration {
    let db = &portal.state.ctx.db;
    let took = create_through_product(db, domain::seed::DEMO_EMAIL, customers, 4).await;
    let northwind = domain::operator::act_as(db, domain::seed::OTHER_EMAIL).await.unwrap();
    if domain::pbx_templates::options(db, northwind.reseller_id).await.unwrap().is_empty() {
        let form = model::pbx::TemplateForm {
            name: "Northwind Kazoo".into(),
            kind: model::pbx::PbxKind::Kazoo,
            api_url: "https://kazoo.northwind.example:8443/v2".into(),
            websocket_url: "wss://kazoo.northwind.example:5443".into(),
            secret: "northwind-bench-key".into(),
            is_default: true,
            ..Default::default()
        };
        domain::pbx_templates::create(db, &portal.state.ctx.secrets, &northwind, &form).await.unwrap();
    }
    took + create_through_product(db, domain::seed::OTHER_EMAIL, other, 4).await
}

/// Latencies and throughput of `total` requests made by `connections` clients at once.
pub struct Load {
    pub sorted: Vec<Duration>,
    pub per_second: f64,
}

pub async fn under_load<F, Fut>(connections: usize, total: usize, run: F) -> Load
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    // Warm up every connection first.
    let warm: Vec<_> = (0..connections).map(|_| { let run = run.clone(); tokio::spawn(async move { run().await }) }).collect();
    for w in warm {
        w.await.unwrap();
    }
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (run, next) = (run.clone(), next.clone());
            tokio::spawn(async move {
                let mut times = Vec::new();
                while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < total {
                    let at = Instant::now();
                    run().await;
                    times.push(at.elapsed());
                }
                times
            })
        })
        .collect();
    let mut sorted = Vec::with_capacity(total);
    for t in tasks {
        sorted.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    sorted.sort();
    Load { per_second: sorted.len() as f64 / elapsed.as_secs_f64(), sorted }
}

pub fn report_load(what: &str, load: &Load) {
    let at = |p: f64| load.sorted[((load.sorted.len() as f64 * p) as usize).min(load.sorted.len() - 1)];
    println!(
        "{what}: {:.1} requests/s, median {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} requests)",
        load.per_second,
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        load.sorted.last().unwrap().as_secs_f64() * 1e3,
        load.sorted.len()
    );
}

/// A browser's `GET url` with the session `cookie`, compressed, as a repeatable request for
/// [`measure`] and [`under_load`].
pub fn browser_get(client: reqwest::Client, cookie: String, url: String) -> impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Clone + Send + 'static {
    move || {
        let (client, cookie, url) = (client.clone(), cookie.clone(), url.clone());
        Box::pin(async move {
            let res = client.get(&url).header("cookie", &cookie).header("accept-encoding", "br, gzip").send().await.unwrap();
            assert!(res.status().is_success(), "{url}: {}", res.status());
            res.bytes().await.unwrap();
        })
    }
}

/// Signs in as the demo user; returns the session cookie.
pub async fn sign_in(client: &reqwest::Client, base: &str) -> String {
    let res = client
        .post(format!("{base}{}", <app::api::auth::SignIn as leptos::server_fn::ServerFn>::PATH))
        .header("origin", base)
        .form(&[("email", domain::seed::DEMO_EMAIL), ("password", domain::seed::DEMO_PASSWORD), ("next", "")])
        .send()
        .await
        .unwrap();
    res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned()
}

/// A bearer token for the REST API.
pub async fn bearer(client: &reqwest::Client, base: &str, client_id: &str, secret: &str) -> String {
    let token: serde_json::Value = client
        .post(format!("{base}/api/v1/oauth/token"))
        .form(&[("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", secret)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["access_token"].as_str().unwrap().to_owned()
}
