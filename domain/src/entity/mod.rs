//! sea-orm entities, one module per table. Internal types: DTOs cross the boundary, not these.

pub mod activity;
pub mod api_idempotency;
pub mod api_client;
pub mod api_token;
pub mod billing_run;
pub mod customer;
pub mod customer_user;
pub mod ignored_pbx_user;
pub mod in_house_change;
pub mod outbox;
pub mod pbx_connection;
pub mod pbx_sync_run;
pub mod pbx_template;
pub mod product_type;
pub mod reseller;
pub mod reseller_product_type;
pub mod reseller_user;
pub mod session;
pub mod sign_in_failure;
pub mod user_token;
pub mod webhook_delivery;
pub mod webhook_endpoint;
