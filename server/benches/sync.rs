//! PBX sync benchmark: a customer whose Kazoo account has 10,000 users, synced through the
//! Kazoo simulator over real HTTP (paged 50 at a time, as the connector asks) into the
//! database — first import, an unchanged re-sync, and a re-sync after 1,000 renames.
//! Run: `cargo bench -p server --bench sync` (SQLite in a temporary directory), or with
//! `SYNC_BENCH_DATABASE_URL=postgres://…/empty_database` for PostgreSQL.

use chrono::Utc;
use clap::Parser;
use domain::entity::{customer, customer_user, pbx_connection};
use domain::sync::{RunResult, SyncSettings};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use server::simulator::{SimulatorState, serve_kazoo};
use std::time::{Duration, Instant};

const USERS: usize = 10_000;
const ACCOUNT: &str = "be0c4000000000000000000000000001";
const KEY: &str = "bench-key";

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let database_url =
        std::env::var("SYNC_BENCH_DATABASE_URL").unwrap_or_else(|_| format!("sqlite://{}/bench.db", dir.path().display()));
    let key = dir.path().join("secret.key");
    let cli = server::cli::Cli::parse_from(["server", "--demo", "--database-url", &database_url, "--secret-key-file", key.to_str().unwrap()]);
    let portal = server::Portal::prepare(cli.config).await.unwrap();
    let db = portal.state.ctx.db.clone();
    let secrets = portal.state.ctx.secrets.clone();

    let sim = SimulatorState::new(KEY, ACCOUNT, "Bench Corp", USERS);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api_url = format!("http://{}/v2", listener.local_addr().unwrap());
    tokio::spawn(serve_kazoo(listener, sim.clone()));

    // The demo reseller's first customer, pointed at the simulator through a new template.
    let acme = customer::Entity::find().filter(customer::Column::Name.eq("Acme Logistics")).one(&db).await.unwrap().unwrap();
    let actor = domain::operator::act_as(&db, domain::seed::DEMO_EMAIL).await.unwrap();
    let form = model::pbx::TemplateForm {
        name: "Bench Kazoo".into(),
        kind: model::pbx::PbxKind::Kazoo,
        api_url: api_url.clone(),
        websocket_url: "wss://bench.example".into(),
        secret: KEY.into(),
        ..Default::default()
    };
    let template = domain::pbx_templates::create(&db, &secrets, &actor, &form).await.unwrap();
    // Only this connection is due.
    pbx_connection::Entity::update_many().col_expr(pbx_connection::Column::SyncDueAt, Expr::value(None::<chrono::DateTime<Utc>>)).exec(&db).await.unwrap();
    pbx_connection::Entity::update_many()
        .col_expr(pbx_connection::Column::TemplateId, Expr::value(template.id))
        .col_expr(pbx_connection::Column::AccountId, Expr::value(ACCOUNT))
        .col_expr(pbx_connection::Column::AutoProvisionSubAccounts, Expr::value(false))
        .col_expr(pbx_connection::Column::AutoAgentAddon, Expr::value(true))
        .filter(pbx_connection::Column::CustomerId.eq(acme.id))
        .exec(&db)
        .await
        .unwrap();

    let settings = SyncSettings::default();
    // The simulator listens on loopback: the one exception to the egress policy this needs.
    let policy = domain::egress::EgressPolicy::strict().allow(domain::egress::Rule::parse("127.0.0.1").unwrap());
    let http = domain::egress::HttpClient::new(policy, settings.request_timeout);
    println!("PBX sync of {USERS} users through the Kazoo simulator over HTTP ({})", if domain::db::is_sqlite(&database_url) { "SQLite" } else { "PostgreSQL" });
    for label in ["first sync (all added)", "re-sync (all unchanged)", "re-sync after 1,000 renames"] {
        if label.contains("renames") {
            let ids: Vec<String> = sim.account(ACCOUNT).unwrap().users.iter().take(1000).map(|u| u.id.clone()).collect();
            for id in ids {
                sim.rename_user(ACCOUNT, &id, "Renamed", "User");
            }
        }
        pbx_connection::Entity::update_many()
            .col_expr(pbx_connection::Column::SyncDueAt, Expr::value(Utc::now()))
            .filter(pbx_connection::Column::CustomerId.eq(acme.id))
            .exec(&db)
            .await
            .unwrap();
        let requests = sim.requests();
        let started = Instant::now();
        let claim = domain::sync::claim_due(&db, Utc::now(), Duration::from_secs(120), 1, &Default::default()).await.unwrap().pop().expect("a due connection");
        let result = domain::sync::run(&db, &secrets, &http, &settings, &claim).await.unwrap();
        let elapsed = started.elapsed();
        let RunResult::Succeeded(counts) = result else { panic!("sync failed: {result:?}") };
        println!("  {label:<30} {:>6.2} s  ({}; {} HTTP requests)", elapsed.as_secs_f64(), counts.describe(), sim.requests() - requests);
    }
    let stored = customer_user::Entity::find().filter(customer_user::Column::CustomerId.eq(acme.id)).count(&db).await.unwrap();
    println!("  users stored for the customer: {stored}");
    assert_eq!(stored as usize, USERS + 1);
}
