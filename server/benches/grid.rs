//! Customer grid benchmark: 100,000 customers in one reseller and 20,000 in another, created
//! through the product's own write path (each with its primary user, PBX connection, queued
//! invitation and activity entry), then the grid measured through the real server: the
//! server-rendered page, the `list_customers` server function and `GET /api/v1/customers`, one
//! request at a time and with 8 connections at once; and the bare domain queries.
//! Run: `cargo bench -p server --bench grid`. `GRID_BENCH_DIR=dir` keeps the database (for
//! `EXPLAIN QUERY PLAN`, and a later run reuses it instead of creating the customers again);
//! `GRID_BENCH_SEED=thin` inserts bare customer rows instead (seconds, not minutes).
//!
//! `GRID_BENCH_SCALE=million` measures 1,000,000 customers in one reseller instead, bulk-seeded
//! (bare customer rows: the grid reads no other table of theirs), on SQLite or, with
//! `GRID_BENCH_DATABASE_URL=postgres://…`, on PostgreSQL: the searched and sorted page, a
//! one-customer search, a walk of the REST list by cursor to its last page, and an idle
//! scheduler pass.

use leptos::server_fn::ServerFn;
use model::customer::GridQuery;
use common::{bearer, bench_portal, create_estate, measure, report, report_load, seed, sign_in, under_load};
use sea_orm::{EntityTrait, PaginatorTrait};
use std::time::Instant;

mod common;

const CUSTOMERS: usize = 100_000;
const OTHER_CUSTOMERS: usize = 20_000;
/// Clients at once in the measurements under load, and requests each measurement makes.
const CONNECTIONS: usize = 8;
const REQUESTS: usize = 800;

#[tokio::main]
async fn main() {
    if std::env::var("GRID_BENCH_SCALE").as_deref() == Ok("million") {
        return million().await;
    }
    let dir = tempfile::tempdir().unwrap();
    // GRID_BENCH_DIR keeps the database for inspection (e.g. EXPLAIN QUERY PLAN) afterwards.
    let kept = std::env::var("GRID_BENCH_DIR").ok();
    let db_dir = kept.clone().map(std::path::PathBuf::from).unwrap_or_else(|| dir.path().to_path_buf());
    let database_url = format!("sqlite://{}/bench.db", db_dir.display());
    // The key stays with a kept database: its templates' secrets are sealed with it.
    let key = db_dir.join("secret.key");
    // 120,000 enabled PBX connections are due for their first sync: only the grid is measured.
    let (portal, listener) = bench_portal(&database_url, &key).await;
    let db = portal.state.ctx.db.clone();

    let existing = domain::entity::customer::Entity::find().count(&db).await.unwrap();
    if existing >= (CUSTOMERS + OTHER_CUSTOMERS) as u64 {
        println!("reusing the {existing} customers in {}", db_dir.display());
    } else if std::env::var("GRID_BENCH_SEED").as_deref() == Ok("thin") {
        let started = Instant::now();
        seed(&db, "Demo Reseller", CUSTOMERS).await;
        seed(&db, "Northwind Telecom", OTHER_CUSTOMERS).await;
        println!("inserted {} bare customer rows in {:.1?}", CUSTOMERS + OTHER_CUSTOMERS, started.elapsed());
    } else {
        let took = create_estate(&portal, CUSTOMERS, OTHER_CUSTOMERS).await;
        println!("created {} customers through provisioning::create in {:.1?} ({:.0}/s)", CUSTOMERS + OTHER_CUSTOMERS, took, (CUSTOMERS + OTHER_CUSTOMERS) as f64 / took.as_secs_f64());
    }
    domain::db::optimize(&db).await.unwrap();
    let demo = domain::operator::act_as(&db, domain::seed::DEMO_EMAIL).await.unwrap().reseller_id;
    let credentials = domain::operator::create_api_client(&db, domain::seed::DEMO_EMAIL, &format!("Grid benchmark {}", uuid::Uuid::new_v4().simple()), domain::api_clients::api_permissions()).await.unwrap();

    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(portal.serve(listener, std::future::pending()));
    let client = reqwest::Client::new();
    let cookie = sign_in(&client, &base).await;

    let query = GridQuery::from_pairs([("q", "harbor"), ("sort", "created"), ("dir", "desc"), ("page", "2")]);
    let url = format!("{base}{}", <app::api::customers::ListCustomers as ServerFn>::PATH);
    // The arguments as the browser sends them, in the portal's wire format.
    let body = app::wire::encode(&app::api::customers::ListCustomers { query: query.clone() }).unwrap();
    let answer = client.post(&url).header("origin", &base).header("cookie", &cookie).body(body.clone()).send().await.unwrap().bytes().await.unwrap();
    let first: model::customer::CustomerPage = app::wire::decode(&answer).expect("a page of customers");
    println!("query: search \"harbor\", sort Date Created descending, page 2 of 25 rows; {} matching customers", first.total);

    let bearer = bearer(&client, &base, &credentials.client.client_id, &credentials.secret).await;

    // What a browser asks for: the page, compressed.
    let page = |path: String| common::browser_get(client.clone(), cookie.clone(), path);
    let searched_page = page(format!("{base}/customers?q=falcon&sort=created&dir=desc"));
    let first_page = page(format!("{base}/customers"));
    let server_fn = {
        let (client, url, base, cookie, body) = (client.clone(), url.clone(), base.clone(), cookie.clone(), body.clone());
        move || {
            let (client, url, base, cookie, body) = (client.clone(), url.clone(), base.clone(), cookie.clone(), body.clone());
            async move {
                let res = client.post(&url).header("origin", &base).header("cookie", &cookie).header("accept-encoding", "br, gzip").body(body).send().await.unwrap();
                assert!(res.status().is_success());
                res.bytes().await.unwrap();
            }
        }
    };
    let rest = {
        let (client, url, bearer) = (client.clone(), format!("{base}/api/v1/customers?filter=falcon&pageSize=50"), bearer.clone());
        move || {
            let (client, url, bearer) = (client.clone(), url.clone(), bearer.clone());
            async move {
                let res = client.get(&url).bearer_auth(&bearer).header("accept-encoding", "br, gzip").send().await.unwrap();
                assert!(res.status().is_success(), "{}", res.status());
                res.bytes().await.unwrap();
            }
        }
    };

    println!("\none request at a time:");
    report("server-rendered page, searched \"falcon\" + sorted by Date Created", &measure(searched_page.clone()).await);
    report("server-rendered page, first page (name order)", &measure(first_page.clone()).await);
    report("list_customers server function (searched + sorted)", &measure(server_fn.clone()).await);
    report("GET /api/v1/customers?filter=falcon, 50 a page", &measure(rest.clone()).await);

    println!("\n{CONNECTIONS} connections at once, {REQUESTS} requests each:");
    report_load("server-rendered page, searched + sorted", &under_load(CONNECTIONS, REQUESTS, searched_page).await);
    report_load("server-rendered page, first page", &under_load(CONNECTIONS, REQUESTS, first_page).await);
    report_load("list_customers server function", &under_load(CONNECTIONS, REQUESTS, server_fn).await);
    report_load("GET /api/v1/customers?filter=falcon", &under_load(CONNECTIONS, REQUESTS, rest).await);

    // The CSV export of the whole list (the grid's current view, all pages), a few times.
    let export = {
        let (client, url, cookie) = (client.clone(), format!("{base}/customers/export"), cookie.clone());
        move || {
            let (client, url, cookie) = (client.clone(), url.clone(), cookie.clone());
            async move {
                let res = client.get(&url).header("cookie", &cookie).header("accept-encoding", "br, gzip").send().await.unwrap();
                assert!(res.status().is_success(), "{}", res.status());
                assert!(res.bytes().await.unwrap().len() > 1000);
            }
        }
    };
    let mut exports = Vec::new();
    for _ in 0..5 {
        let at = Instant::now();
        export().await;
        exports.push(at.elapsed());
    }
    exports.sort();
    report(&format!("GET /customers/export, all {CUSTOMERS} of the reseller's customers as CSV"), &exports);

    println!("\nthe domain alone:");
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
    report("bare domain query (the server function's page)", &bare);
    report("bare domain query (default view: name order, no search)", &unsearched);
}

const MILLION: usize = 1_000_000;

/// The 1,000,000-customer mode (see the module's comment).
async fn million() {
    let dir = tempfile::tempdir().unwrap();
    let kept = std::env::var("GRID_BENCH_DIR").ok();
    let db_dir = kept.map(std::path::PathBuf::from).unwrap_or_else(|| dir.path().to_path_buf());
    let database_url = std::env::var("GRID_BENCH_DATABASE_URL").unwrap_or_else(|_| format!("sqlite://{}/million.db", db_dir.display()));
    let key = db_dir.join("million.key");
    let (portal, listener) = bench_portal(&database_url, &key).await;
    let db = portal.state.ctx.db.clone();
    let existing = domain::entity::customer::Entity::find().count(&db).await.unwrap();
    if existing >= MILLION as u64 {
        println!("reusing the {existing} customers of {database_url}");
    } else {
        let started = Instant::now();
        bulk_seed(&db, MILLION).await;
        println!("bulk-seeded {MILLION} customers in {:.1?} ({})", started.elapsed(), db.get_database_backend().as_str());
    }
    domain::db::optimize(&db).await.unwrap();
    let credentials = domain::operator::create_api_client(&db, domain::seed::DEMO_EMAIL, &format!("Million benchmark {}", uuid::Uuid::new_v4().simple()), domain::api_clients::api_permissions()).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let scheduler_db = db.clone();
    tokio::spawn(portal.serve(listener, std::future::pending()));
    let client = reqwest::Client::new();
    let cookie = sign_in(&client, &base).await;
    let bearer = bearer(&client, &base, &credentials.client.client_id, &credentials.secret).await;

    let page = |path: String| common::browser_get(client.clone(), cookie.clone(), path);
    let rest = |path: String| {
        let (client, bearer) = (client.clone(), bearer.clone());
        move || {
            let (client, bearer, url) = (client.clone(), bearer.clone(), path.clone());
            async move {
                let res = client.get(&url).bearer_auth(&bearer).header("accept-encoding", "br, gzip").send().await.unwrap();
                assert!(res.status().is_success(), "{url}: {}", res.status());
                res.bytes().await.unwrap();
            }
        }
    };
    // One customer's whole name: a search that matches one row.
    let one = 777_777;
    let one_name = format!("{} {} {} {one}", common::WORDS[one % common::WORDS.len()], common::WORDS[(one / 24) % common::WORDS.len()], common::KINDS[one % common::KINDS.len()]);
    let one_query = one_name.to_lowercase().replace(' ', "+");

    println!("\n{MILLION} customers in one reseller ({}), one request at a time:", db.get_database_backend().as_str());
    report("server-rendered page, searched \"falcon\" + sorted by Date Created", &measure(page(format!("{base}/customers?q=falcon&sort=created&dir=desc"))).await);
    report(&format!("server-rendered page, searched for one customer (\"{one_name}\")"), &measure(page(format!("{base}/customers?q={one_query}"))).await);
    report("server-rendered page, first page (name order)", &measure(page(format!("{base}/customers"))).await);
    report("GET /api/v1/customers?filter=falcon, 50 a page", &measure(rest(format!("{base}/api/v1/customers?filter=falcon&pageSize=50"))).await);

    // The whole list by cursor, 1,000 a page: every page costs the same.
    let mut walk = Vec::new();
    let mut url = format!("{base}/api/v1/customers?pageSize=1000");
    let mut last_cursor = String::new();
    let mut seen = 0usize;
    loop {
        let at = Instant::now();
        let page: serde_json::Value = client.get(&url).bearer_auth(&bearer).send().await.unwrap().json().await.unwrap();
        walk.push(at.elapsed());
        seen += page["data"]["items"].as_array().unwrap().len();
        match page["data"]["nextCursor"].as_str() {
            Some(next) if seen < MILLION - 50 => {
                last_cursor = next.to_owned();
                url = format!("{base}/api/v1/customers?pageSize=1000&cursor={next}");
            }
            _ => break,
        }
    }
    walk.sort();
    report(&format!("GET /api/v1/customers by cursor, 1,000 a page, the whole list ({seen} customers)"), &walk);
    report("GET /api/v1/customers, a page of 50 by cursor at the end of the list", &measure(rest(format!("{base}/api/v1/customers?pageSize=50&cursor={last_cursor}"))).await);

    // Dated work: one pass does what is due, the passes after it find nothing.
    let first = domain::lifecycle::run_due(&scheduler_db).await.unwrap();
    println!("first scheduler pass: {first:?}");
    let idle = measure(|| {
        let db = scheduler_db.clone();
        async move {
            domain::lifecycle::run_due(&db).await.unwrap();
        }
    })
    .await;
    report("idle scheduler pass (lifecycle::run_due with nothing due)", &idle);

}

/// Seeds `count` bare customers into the demo reseller. On PostgreSQL, as a bulk load would:
/// the trigram index is built after the rows (maintaining it row by row had the seed still
/// running after half an hour), and the kept counts are computed once instead of by the
/// trigger per row.
async fn bulk_seed(db: &sea_orm::DatabaseConnection, count: usize) {
    use sea_orm::ConnectionTrait;
    let postgres = db.get_database_backend() == sea_orm::DbBackend::Postgres;
    if postgres {
        db.execute_unprepared("DROP INDEX customers_search_trigrams").await.unwrap();
        db.execute_unprepared("ALTER TABLE customers DISABLE TRIGGER customer_counts_follow").await.unwrap();
    }
    seed(db, "Demo Reseller", count).await;
    if postgres {
        db.execute_unprepared("CREATE INDEX customers_search_trigrams ON customers USING gin (search_text gin_trgm_ops)").await.unwrap();
        db.execute_unprepared("ALTER TABLE customers ENABLE TRIGGER customer_counts_follow").await.unwrap();
        db.execute_unprepared("DELETE FROM customer_counts").await.unwrap();
        db.execute_unprepared("INSERT INTO customer_counts (reseller_id, status, n) SELECT reseller_id, status, count(*) FROM customers GROUP BY reseller_id, status")
            .await
            .unwrap();
        db.execute_unprepared("ANALYZE").await.unwrap();
    }
}
