//! Billing runs: the months that can be run and the runs stored so far, one run, and running a
//! month. The downloads (CSV, JSON) are plain GET routes of the server (`server::billing_export`).

use crate::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Postcard;
use model::billing::BillingOverview;

/// The ended months the signed-in reseller can run, and its stored runs.
#[server(input = Postcard, output = Postcard)]
pub async fn billing_runs() -> Result<BillingOverview, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::billing::overview(&ctx.db, &actor).await?)
}

/// What the billing page opens with (one call, so the page's one resource is one server
/// function): see `domain::billing::start`.
#[server(input = Postcard, output = Postcard)]
pub async fn billing_start(month: Option<String>) -> Result<model::billing::BillingStart, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::billing::start(&ctx.db, &actor, month).await?)
}

/// The stored run of `period` (`YYYY-MM`), or `None` if the month was not run.
///
/// Named `FetchBillingRun`: the default name (`BillingRun`) would shadow the run it returns.
#[server(name = FetchBillingRun, input = Postcard, output = Postcard)]
pub async fn billing_run(period: String) -> Result<Option<model::billing::BillingRun>, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::billing::get(&ctx.db, &actor, &period).await?)
}

/// Runs an ended month, or returns its stored run: running is idempotent.
#[server(input = Postcard, output = Postcard)]
pub async fn run_billing(period: String) -> Result<model::billing::BillingRun, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::billing::run(&ctx.db, &actor, &period).await?)
}
