//! `/api/v1/customers/{id}/pbxs`: a customer's PBX connection (a customer has one) and its sync.

use super::schema::{ErrorBody, Pbx, PbxData, PbxPatch, PbxesData, Sync, SyncRun};
use super::{ApiError, Caller, RestState, answer, numeric_id, parse_body};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::api_clients::ApiCaller;
use model::customer_form::ConnectionView;
use model::sync::SyncState;

/// The connection as the API shows it, with its sync state.
async fn describe(state: &RestState, who: &ApiCaller, id: &str, view: ConnectionView) -> Result<Pbx, ApiError> {
    let status = domain::sync::status(&state.app.ctx.db, &who.actor, id, domain::activity::Times::Utc).await?;
    let sync = match status {
        None => Sync { state: "disabled".into(), next_at: None, runs: Vec::new() },
        Some(s) => Sync {
            state: match s.state {
                SyncState::Disabled => "disabled",
                SyncState::NeverSynced => "never_synced",
                SyncState::Syncing { .. } => "syncing",
                SyncState::Synced { .. } => "synced",
                SyncState::Failed { .. } => "failed",
            }
            .into(),
            next_at: s.next_at,
            runs: s
                .runs
                .into_iter()
                .map(|r| SyncRun {
                    id: r.id,
                    reason: r.reason.as_str().into(),
                    started_at: r.started_at,
                    finished_at: r.finished_at,
                    outcome: r.outcome.as_str().into(),
                    found: r.counts.found,
                    added: r.counts.added,
                    updated: r.counts.updated,
                    unchanged: r.counts.unchanged,
                    failed: r.counts.failed,
                    removed: r.counts.removed,
                    error: r.error,
                })
                .collect(),
        },
    };
    Ok(Pbx {
        id: view.id,
        template_id: view.template_id,
        template_name: view.template_name,
        platform: view.kind.as_str().into(),
        account_id: view.form.account_id,
        directory_tenant_id: view.form.directory_tenant_id,
        auto_provision_sub_accounts: view.form.auto_provision_sub_accounts,
        auto_agent_addon: view.form.auto_agent_addon,
        enabled: view.enabled,
        sync,
    })
}

/// The connection `pbx_id` of customer `id` (404 for any other id).
async fn owned_view(state: &RestState, who: &ApiCaller, id: &str, pbx_id: &str) -> Result<ConnectionView, ApiError> {
    let pbx_id = numeric_id(pbx_id)?;
    let view = domain::connections::view(&state.app.ctx.db, &who.actor, id).await?;
    view.filter(|v| v.id == pbx_id).ok_or_else(|| domain::Error::NotFound.into())
}

/// The connection `pbx_id` of customer `id` as the API shows it.
async fn this_connection(state: &RestState, who: &ApiCaller, id: &str, pbx_id: &str) -> Result<Pbx, ApiError> {
    let view = owned_view(state, who, id, pbx_id).await?;
    describe(state, who, id, view).await
}

/// `200` with the connection as it is now and its `ETag`.
async fn tagged(state: &RestState, who: &ApiCaller, id: &str, pbx_id: &str) -> Result<Response, ApiError> {
    let view = owned_view(state, who, id, pbx_id).await?;
    let version = view.version;
    let mut response = answer(StatusCode::OK, PbxData { data: describe(state, who, id, view).await? });
    response.headers_mut().insert(axum::http::header::ETAG, super::etag(version));
    Ok(response)
}

/// List a customer's PBX connections (none or one), with their sync state.
#[utoipa::path(
    get,
    path = "/api/v1/customers/{id}/pbxs",
    tag = "PBX connections",
    params(("id" = String, Path, description = "The customer's Tenant ID.")),
    responses(
        (status = 200, body = PbxesData),
        (status = 404, description = "No such customer (or another reseller's).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn list(State(state): State<RestState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let items = match domain::connections::view(&state.app.ctx.db, &who.actor, &id).await? {
        Some(view) => vec![describe(&state, &who, &id, view).await?],
        None => Vec::new(),
    };
    Ok(answer(StatusCode::OK, PbxesData { data: items }))
}

/// Get a PBX connection with its sync state and recent runs.
#[utoipa::path(
    get,
    path = "/api/v1/customers/{id}/pbxs/{pbxId}",
    tag = "PBX connections",
    params(("id" = String, Path, description = "The customer's Tenant ID."), ("pbxId" = i64, Path)),
    responses(
        (status = 200, body = PbxData, headers(("ETag" = String, description = "The connection's version: send it in `If-Match` to change it only if nobody else did."))),
        (status = 404, description = "No such customer or connection (or another reseller's).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn get(State(state): State<RestState>, Caller(who): Caller, Path((id, pbx_id)): Path<(String, String)>) -> Result<Response, ApiError> {
    tagged(&state, &who, &id, &pbx_id).await
}

/// Change a PBX connection (a JSON merge patch).
///
/// Pointing it elsewhere (template, account, directory tenant) or enabling it starts a sync;
/// disabling it stops syncing. `autoProvisionSubAccounts` is chosen at creation only.
#[utoipa::path(
    patch,
    path = "/api/v1/customers/{id}/pbxs/{pbxId}",
    tag = "PBX connections",
    params(
        ("id" = String, Path, description = "The customer's Tenant ID."),
        ("pbxId" = i64, Path),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the patch is based on: apply it only if the connection did not change since (else 412)."),
    ),
    request_body(content = PbxPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The connection as it is now.", body = PbxData, headers(("ETag" = String, description = "The connection's new version."))),
        (status = 412, description = "`If-Match` names an older version: nothing was changed.", body = ErrorBody),
        (status = 400, description = "Malformed JSON, an unknown field or a wrong type (named in `fields`).", body = ErrorBody),
        (status = 404, description = "No such customer or connection (or another reseller's).", body = ErrorBody),
        (status = 409, description = "The customer is terminated, or a concurrent change got there first.", body = ErrorBody),
        (status = 422, description = "A rule is broken (the fields are named).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn patch(State(state): State<RestState>, Caller(who): Caller, Path((id, pbx_id)): Path<(String, String)>, headers: HeaderMap, body: axum::body::Bytes) -> Result<Response, ApiError> {
    let patch: PbxPatch = parse_body(&body)?;
    let ctx = &state.app.ctx;
    let view = owned_view(&state, &who, &id, &pbx_id).await?;
    let expected = super::if_match(&headers)?;
    if expected.is_some_and(|v| v != view.version) {
        return Err(domain::Error::PreconditionFailed.into());
    }
    let mut form = view.form;
    if let Some(template_id) = patch.template_id {
        form.template_id = Some(template_id);
    }
    if let Some(account_id) = patch.account_id {
        form.account_id = account_id;
    }
    if let Some(tenant) = patch.directory_tenant_id {
        form.directory_tenant_id = tenant;
    }
    if let Some(on) = patch.auto_agent_addon {
        form.auto_agent_addon = on;
    }
    let enabled = patch.enabled.unwrap_or(view.enabled);
    // The save is conditional on the version (a change in between is a 409).
    domain::connections::update(&ctx.db, &who.actor, &id, expected.unwrap_or(view.version), &form, enabled).await?;
    tagged(&state, &who, &id, &pbx_id).await
}

/// Sync a PBX connection now.
///
/// Asks for a sync at once (a running one is left to finish); follow it with
/// `GET /customers/{id}/pbxs/{pbxId}`.
#[utoipa::path(
    post,
    path = "/api/v1/customers/{id}/pbxs/{pbxId}/sync",
    tag = "PBX connections",
    params(("id" = String, Path, description = "The customer's Tenant ID."), ("pbxId" = i64, Path)),
    responses(
        (status = 202, description = "The sync is on its way.", body = PbxData),
        (status = 404, description = "No such customer or connection (or another reseller's).", body = ErrorBody),
        (status = 409, description = "The connection is disabled, or the customer is terminated.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn sync(State(state): State<RestState>, Caller(who): Caller, Path((id, pbx_id)): Path<(String, String)>) -> Result<Response, ApiError> {
    owned_view(&state, &who, &id, &pbx_id).await?;
    domain::sync::sync_now(&state.app.ctx.db, &who.actor, &id).await?;
    Ok(answer(StatusCode::ACCEPTED, PbxData { data: this_connection(&state, &who, &id, &pbx_id).await? }))
}
