//! `/api/v1/billing`: the reseller's monthly billing runs.

use super::schema::{BillingRunData, BillingRunSummary, BillingRunsData, ErrorBody};
use super::{ApiError, Caller, RestState, answer};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

/// List the months billed so far.
#[utoipa::path(
    get,
    path = "/api/v1/billing",
    tag = "Billing",
    responses((status = 200, body = BillingRunsData)),
    security(("bearer" = []))
)]
pub(super) async fn list(State(state): State<RestState>, Caller(who): Caller) -> Result<Response, ApiError> {
    let runs = domain::billing::list(&state.app.ctx.db, &who.actor, domain::activity::Times::Utc).await?;
    let data = runs
        .into_iter()
        .map(|r| BillingRunSummary { period: r.period, created_at: r.created_at, created_by: r.created_by, lines: r.lines, total: r.total })
        .collect();
    Ok(answer(StatusCode::OK, BillingRunsData { data }))
}

/// Get a billed month.
///
/// The stored record: it reads the same every time. A month not billed yet is a 404 with
/// the code `not_run`: `POST` to bill it.
#[utoipa::path(
    get,
    path = "/api/v1/billing/{period}",
    tag = "Billing",
    params(("period" = String, Path, description = "The month, `YYYY-MM`.", example = "2026-10")),
    responses(
        (status = 200, body = BillingRunData),
        (status = 404, description = "The month has not been billed yet (`not_run`).", body = ErrorBody),
        (status = 422, description = "Not a month (`YYYY-MM`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn get(State(state): State<RestState>, Caller(who): Caller, Path(period): Path<String>) -> Result<Response, ApiError> {
    match domain::billing::get(&state.app.ctx.db, &who.actor, &period).await? {
        Some(run) => Ok(answer(StatusCode::OK, BillingRunData { data: run.into() })),
        None => Err(ApiError::new(StatusCode::NOT_FOUND, "not_run", format!("{period} has not been billed yet: POST /api/v1/billing/{period} bills it."))),
    }
}

/// Bill a month.
///
/// Bills an ended month once, as the portal's Billing page does: new customers are prorated by
/// day, in-house and trial days are zero-rated, disabled customers are billed, terminated ones up
/// to their termination. Billing a month again returns the stored record unchanged.
#[utoipa::path(
    post,
    path = "/api/v1/billing/{period}",
    tag = "Billing",
    params(("period" = String, Path, description = "The month, `YYYY-MM`.", example = "2026-10")),
    responses(
        (status = 200, description = "The month's billing (stored, or as stored before).", body = BillingRunData),
        (status = 422, description = "Not a month, or one that has not ended yet.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn run(State(state): State<RestState>, Caller(who): Caller, Path(period): Path<String>) -> Result<Response, ApiError> {
    let run = domain::billing::run(&state.app.ctx.db, &who.actor, &period).await?;
    Ok(answer(StatusCode::OK, BillingRunData { data: run.into() }))
}
