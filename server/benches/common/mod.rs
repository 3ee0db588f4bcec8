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
        "{what}: median {:.2} ms, p95 {:.2} ms, max {:.2} ms ({} runs)",
        at(0.5).as_secs_f64() * 1e3,
        at(0.95).as_secs_f64() * 1e3,
        sorted.last().unwrap().as_secs_f64() * 1e3,
        sorted.len()
    );
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
