//! Schema migrations, applied at start-up by `db::connect`. Never edit a released migration:
//! add a new one.

use sea_orm_migration::prelude::*;

mod m20261126_000001_foundation;
mod m20261126_000002_customer_records;
mod m20261127_000003_pbx_sync;
mod m20261127_000004_lifecycle_billing;
mod m20261127_000005_user_tokens;
mod m20261127_000006_api_clients;
mod m20261127_000007_api_idempotency;
mod m20261127_000008_in_house_index;
mod m20261127_000009_name_key_length;
mod m20261127_000010_ignored_pbx_users;
mod m20261127_000011_in_house_changes;
mod m20261201_000012_api_client_permissions;
mod m20261201_000013_sweep_indexes;
mod m20261201_000014_dated_work_indexes;
mod m20261201_000015_search_trigrams;
pub use m20261201_000015_search_trigrams::RESELLER_SPAN;
mod m20261201_000016_trials_to_warn;
mod m20261201_000017_customer_counts;
mod m20261202_000018_event_stream;
mod m20261202_000019_webhooks;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_foundation::Migration),
            Box::new(m20261126_000002_customer_records::Migration),
            Box::new(m20261127_000003_pbx_sync::Migration),
            Box::new(m20261127_000004_lifecycle_billing::Migration),
            Box::new(m20261127_000005_user_tokens::Migration),
            Box::new(m20261127_000006_api_clients::Migration),
            Box::new(m20261127_000007_api_idempotency::Migration),
            Box::new(m20261127_000008_in_house_index::Migration),
            Box::new(m20261127_000009_name_key_length::Migration),
            Box::new(m20261127_000010_ignored_pbx_users::Migration),
            Box::new(m20261127_000011_in_house_changes::Migration),
            Box::new(m20261201_000012_api_client_permissions::Migration),
            Box::new(m20261201_000013_sweep_indexes::Migration),
            Box::new(m20261201_000014_dated_work_indexes::Migration),
            Box::new(m20261201_000015_search_trigrams::Migration),
            Box::new(m20261201_000016_trials_to_warn::Migration),
            Box::new(m20261201_000017_customer_counts::Migration),
            Box::new(m20261202_000018_event_stream::Migration),
            Box::new(m20261202_000019_webhooks::Migration),
        ]
    }
}
