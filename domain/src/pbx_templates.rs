//! PBX templates: a reseller's shared master settings (URLs and credentials) for one PBX
//! platform, used by many of its customers' connections. The master secret is write-only: it is
//! sealed with the installation's key on the way in and only ever opened on the server.

use crate::scope::ResellerId;
use crate::scope::lock_reseller;
use crate::activity::{self, Actor};
use crate::entity::{pbx_connection, pbx_template};
use crate::pbx::{Connector, DEFAULT_TIMEOUT, Pbx, Settings};
use crate::egress::HttpClient;
use crate::secret::SecretBox;
use crate::{Error, Result};
use chrono::Utc;
use model::events::EventType;
use model::pbx::{PbxKind, TemplateForm, TemplateOption, TemplateSummary};
use model::Permission;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, SqlErr,
};
use std::collections::HashMap;

/// The form with every field trimmed and the fields the platform does not use emptied, so what
/// is stored never carries leftovers of a type the user looked at before choosing another.
fn normalized(form: &TemplateForm) -> TemplateForm {
    let keep = |used: bool, value: &str| if used { value.trim().to_owned() } else { String::new() };
    let kind = form.kind;
    TemplateForm {
        name: form.name.trim().to_owned(),
        kind,
        // Every platform has an API URL; on Teams it and the WebSocket URL are the optional Graph
        // and sign-in URLs of a national cloud.
        api_url: form.api_url.trim().to_owned(),
        websocket_url: keep(matches!(kind, PbxKind::Kazoo | PbxKind::Teams), &form.websocket_url),
        client_id: keep(matches!(kind, PbxKind::ThreeCx | PbxKind::Teams), &form.client_id),
        directory_tenant_id: keep(kind == PbxKind::Teams, &form.directory_tenant_id),
        secret: form.secret.trim().to_owned(),
        is_default: form.is_default,
    }
}

fn summary(t: pbx_template::Model, customers: u64) -> TemplateSummary {
    TemplateSummary {
        id: t.id,
        kind: t.kind,
        name: t.name,
        api_url: t.api_url,
        websocket_url: t.websocket_url,
        client_id: t.client_id,
        directory_tenant_id: t.directory_tenant_id,
        is_default: t.is_default,
        has_secret: !t.secret_sealed.is_empty(),
        customers,
        version: t.version,
    }
}

/// The template `id` if it belongs to `reseller_id`; another reseller's is `NotFound`, like a
/// missing one.
async fn owned(db: &impl ConnectionTrait, reseller_id: ResellerId, id: i64) -> Result<pbx_template::Model> {
    pbx_template::Entity::find_by_id(id)
        .filter(pbx_template::Column::ResellerId.eq(reseller_id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

/// How many customers connect through template `id`.
async fn customers_using(db: &impl ConnectionTrait, id: i64) -> Result<u64> {
    Ok(pbx_connection::Entity::find().filter(pbx_connection::Column::TemplateId.eq(id)).count(db).await?)
}

/// Whether another of the reseller's templates (other than `except`) has this name, ignoring case.
async fn name_taken(db: &impl ConnectionTrait, reseller_id: ResellerId, name: &str, except: Option<i64>) -> Result<bool> {
    let mut select = pbx_template::Entity::find()
        .filter(pbx_template::Column::ResellerId.eq(reseller_id))
        .filter(pbx_template::Column::NameKey.eq(name.trim().to_lowercase()));
    if let Some(id) = except {
        select = select.filter(pbx_template::Column::Id.ne(id));
    }
    Ok(select.count(db).await? > 0)
}

fn name_error(name: &str) -> Error {
    Error::invalid("name", format!("A template named \u{201c}{}\u{201d} already exists.", name.trim()))
}

/// Maps a failed write: the unique name index means the name was taken meanwhile; the
/// one-default index means another default was made at the same moment.
fn write_error(e: DbErr, name: &str) -> Error {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(message)) if message.contains("name") => name_error(name),
        Some(SqlErr::UniqueConstraintViolation(_)) => Error::Conflict(
            "Another template was made the default at the same moment. Nothing was saved: reload and try again.".into(),
        ),
        _ => e.into(),
    }
}

/// The message when the template changed since the user loaded it.
pub fn stale() -> Error {
    Error::Conflict(
        "Someone else changed this template after you opened it. Your changes were not saved: reload to see theirs, then make yours again."
            .into(),
    )
}

/// Clears the reseller's default (except on `keep`), so another template can become it.
async fn clear_default(db: &impl ConnectionTrait, reseller_id: ResellerId, keep: Option<i64>) -> Result<Option<String>> {
    let mut select = pbx_template::Entity::find()
        .filter(pbx_template::Column::ResellerId.eq(reseller_id))
        .filter(pbx_template::Column::IsDefault.eq(true));
    if let Some(id) = keep {
        select = select.filter(pbx_template::Column::Id.ne(id));
    }
    let Some(old) = select.one(db).await? else { return Ok(None) };
    pbx_template::Entity::update_many()
        .col_expr(pbx_template::Column::IsDefault, Expr::value(false))
        .col_expr(pbx_template::Column::Version, Expr::col(pbx_template::Column::Version).add(1))
        .filter(pbx_template::Column::Id.eq(old.id))
        .exec(db)
        .await?;
    Ok(Some(old.name))
}

#[derive(FromQueryResult)]
struct Usage {
    template_id: i64,
    customers: i64,
}

/// The reseller's templates by name, each with how many customers use it. Never a secret.
pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> Result<Vec<TemplateSummary>> {
    let templates = pbx_template::Entity::find()
        .filter(pbx_template::Column::ResellerId.eq(actor.reseller_id))
        .order_by_asc(pbx_template::Column::NameKey)
        .order_by_asc(pbx_template::Column::Id)
        .all(db)
        .await?;
    let mine = Query::select()
        .column(pbx_template::Column::Id)
        .from(pbx_template::Entity)
        .and_where(pbx_template::Column::ResellerId.eq(actor.reseller_id))
        .to_owned();
    let usage: HashMap<i64, u64> = pbx_connection::Entity::find()
        .select_only()
        .column(pbx_connection::Column::TemplateId)
        .column_as(Expr::col(pbx_connection::Column::Id).count(), "customers")
        .filter(pbx_connection::Column::TemplateId.in_subquery(mine))
        .group_by(pbx_connection::Column::TemplateId)
        .into_model::<Usage>()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.template_id, u64::try_from(u.customers).unwrap_or(0)))
        .collect();
    Ok(templates
        .into_iter()
        .map(|t| {
            let customers = usage.get(&t.id).copied().unwrap_or(0);
            summary(t, customers)
        })
        .collect())
}

/// The templates the create wizard offers: the default first, then by name.
pub async fn options(db: &impl ConnectionTrait, reseller_id: ResellerId) -> Result<Vec<TemplateOption>> {
    let templates = pbx_template::Entity::find()
        .filter(pbx_template::Column::ResellerId.eq(reseller_id))
        .order_by_desc(pbx_template::Column::IsDefault)
        .order_by_asc(pbx_template::Column::NameKey)
        .order_by_asc(pbx_template::Column::Id)
        .all(db)
        .await?;
    Ok(templates
        .into_iter()
        .map(|t| TemplateOption { id: t.id, kind: t.kind, name: t.name, is_default: t.is_default })
        .collect())
}

/// Creates a template; making it the default clears the old default in the same transaction.
pub async fn create(db: &DatabaseConnection, secrets: &SecretBox, actor: &Actor, form: &TemplateForm) -> Result<TemplateSummary> {
    actor.require(Permission::CustomerAdministrator)?;
    form.validate(true).into_result()?;
    let form = normalized(form);
    let txn = crate::db::Work::begin(db).await?;
    lock_reseller(&txn, actor.reseller_id).await?;
    if name_taken(&txn, actor.reseller_id, &form.name, None).await? {
        return Err(name_error(&form.name));
    }
    let old_default = if form.is_default { clear_default(&txn, actor.reseller_id, None).await? } else { None };
    let created = pbx_template::ActiveModel {
        reseller_id: Set(actor.reseller_id.get()),
        name: Set(form.name.clone()),
        name_key: Set(form.name.to_lowercase()),
        kind: Set(form.kind),
        api_url: Set(form.api_url.clone()),
        websocket_url: Set(form.websocket_url.clone()),
        client_id: Set(form.client_id.clone()),
        directory_tenant_id: Set(form.directory_tenant_id.clone()),
        // Sealed below, once the row's id (the secret's associated data) is known.
        secret_sealed: Set(String::new()),
        is_default: Set(form.is_default),
        created_at: Set(Utc::now()),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| write_error(e, &form.name))?;
    let sealed = secrets.seal_for(&form.secret, &secret_context(created.id));
    pbx_template::Entity::update_many()
        .col_expr(pbx_template::Column::SecretSealed, Expr::value(sealed.clone()))
        .filter(pbx_template::Column::Id.eq(created.id))
        .exec(&txn)
        .await?;
    let created = pbx_template::Model { secret_sealed: sealed, ..created };
    let mut note = format!("Created PBX template \u{201c}{}\u{201d} ({})", form.name, form.kind.label());
    if form.is_default {
        note.push_str(" as the default");
        if let Some(old) = old_default {
            note.push_str(&format!(" instead of \u{201c}{old}\u{201d}"));
        }
    }
    note.push('.');
    activity::record_about(&txn, actor, None, EventType::PbxTemplateCreated, note, about(created.id, &form.name, form.kind)).await?;
    txn.commit().await?;
    Ok(summary(created, 0))
}

/// Saves an edited template. `version` is the one the user loaded: if anyone saved in between,
/// nothing is written (optimistic concurrency). An empty secret keeps the stored one; the type
/// cannot change while customers use the template.
pub async fn update(
    db: &DatabaseConnection,
    secrets: &SecretBox,
    actor: &Actor,
    id: i64,
    version: i32,
    form: &TemplateForm,
) -> Result<TemplateSummary> {
    actor.require(Permission::CustomerAdministrator)?;
    let mut errors = form.validate(false);
    let form = normalized(form);
    let txn = crate::db::Work::begin(db).await?;
    lock_reseller(&txn, actor.reseller_id).await?;
    let current = owned(&txn, actor.reseller_id, id).await?;
    let customers = customers_using(&txn, id).await?;
    let current_kind = current.kind;
    if form.kind != current_kind {
        if customers > 0 {
            errors.add(
                "kind",
                format!(
                    "The type cannot change while {} through this template (it is {}).",
                    if customers == 1 { "a customer connects".to_owned() } else { format!("{customers} customers connect") },
                    current_kind.label()
                ),
            );
        } else if form.secret.is_empty() && errors.get("secret").is_none() {
            // The stored secret belongs to the old platform.
            errors.add("secret", format!("{} is required when the type changes.", form.kind.secret_label()));
        }
    }
    errors.into_result()?;
    if current.version != version {
        return Err(stale());
    }
    if name_taken(&txn, actor.reseller_id, &form.name, Some(id)).await? {
        return Err(name_error(&form.name));
    }

    let mut changes = Vec::new();
    let mut note = |label: &str, old: &str, new: &str| {
        if old != new {
            changes.push(format!("{label} from \u{201c}{old}\u{201d} to \u{201c}{new}\u{201d}"));
        }
    };
    note("Name", &current.name, &form.name);
    note("Type", current_kind.label(), form.kind.label());
    let (api_url, websocket_url) = match form.kind {
        PbxKind::Kazoo | PbxKind::ThreeCx => ("URL", "WebSocket URL"),
        PbxKind::Teams => ("Microsoft Graph URL", "Sign-in URL"),
    };
    note(api_url, &current.api_url, &form.api_url);
    note(websocket_url, &current.websocket_url, &form.websocket_url);
    note("Client ID", &current.client_id, &form.client_id);
    note("Directory Tenant ID", &current.directory_tenant_id, &form.directory_tenant_id);
    // The stored secret was given for the old address (or app, or tenant): it is never sent
    // anywhere else. A move without a new secret drops it.
    let moves = current.api_url != form.api_url
        || current.websocket_url != form.websocket_url
        || current.client_id != form.client_id
        || current.directory_tenant_id != form.directory_tenant_id;
    let drop_secret = moves && form.secret.is_empty() && !current.secret_sealed.is_empty();
    if !form.secret.is_empty() {
        changes.push(format!("replaced the {}", form.kind.secret_label()));
    } else if drop_secret {
        changes.push(format!("cleared the stored {} (the address changed and no new one was entered)", form.kind.secret_label()));
    }
    let mut old_default = None;
    if form.is_default != current.is_default {
        if form.is_default {
            old_default = clear_default(&txn, actor.reseller_id, Some(id)).await?;
            changes.push("made it the default".into());
        } else {
            changes.push("it is no longer the default".into());
        }
    }
    if changes.is_empty() {
        return Ok(summary(current, customers));
    }

    let mut update = pbx_template::Entity::update_many()
        .col_expr(pbx_template::Column::Name, Expr::value(form.name.clone()))
        .col_expr(pbx_template::Column::NameKey, Expr::value(form.name.to_lowercase()))
        .col_expr(pbx_template::Column::Kind, Expr::value(form.kind.as_str()))
        .col_expr(pbx_template::Column::ApiUrl, Expr::value(form.api_url.clone()))
        .col_expr(pbx_template::Column::WebsocketUrl, Expr::value(form.websocket_url.clone()))
        .col_expr(pbx_template::Column::ClientId, Expr::value(form.client_id.clone()))
        .col_expr(pbx_template::Column::DirectoryTenantId, Expr::value(form.directory_tenant_id.clone()))
        .col_expr(pbx_template::Column::IsDefault, Expr::value(form.is_default))
        .col_expr(pbx_template::Column::Version, Expr::value(version + 1));
    if !form.secret.is_empty() {
        update = update.col_expr(pbx_template::Column::SecretSealed, Expr::value(secrets.seal_for(&form.secret, &secret_context(id))));
    } else if drop_secret {
        update = update.col_expr(pbx_template::Column::SecretSealed, Expr::value(String::new()));
    }
    let result = update
        .filter(pbx_template::Column::Id.eq(id))
        .filter(pbx_template::Column::ResellerId.eq(actor.reseller_id))
        .filter(pbx_template::Column::Version.eq(version))
        .exec(&txn)
        .await
        .map_err(|e| write_error(e, &form.name))?;
    if result.rows_affected != 1 {
        return Err(stale());
    }
    let mut summary_text = format!("Changed PBX template \u{201c}{}\u{201d}: {}", form.name, changes.join("; "));
    if let Some(old) = old_default {
        summary_text.push_str(&format!(" (instead of \u{201c}{old}\u{201d})"));
    }
    summary_text.push('.');
    activity::record_about(&txn, actor, None, EventType::PbxTemplateUpdated, summary_text, about(id, &form.name, form.kind)).await?;
    // New addresses or credentials: the customers connected through it sync again now.
    let reaches_elsewhere = moves || !form.secret.is_empty();
    if reaches_elsewhere && customers > 0 {
        crate::sync::schedule_template(&txn, id, model::sync::Reason::Changed).await?;
    }
    let saved = owned(&txn, actor.reseller_id, id).await?;
    txn.commit().await?;
    Ok(summary(saved, customers))
}

fn in_use(name: &str, customers: u64) -> Error {
    Error::Conflict(model::pbx::template_in_use(name, customers))
}

/// Deletes a template no customer uses.
/// `{"pbxTemplate": …}`, the subject of a template's event.
fn about(id: i64, name: &str, kind: PbxKind) -> serde_json::Value {
    serde_json::json!({ "pbxTemplate": { "id": id, "name": name, "platform": kind.as_str() } })
}

pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: i64) -> Result<()> {
    actor.require(Permission::CustomerAdministrator)?;
    let txn = crate::db::Work::begin(db).await?;
    lock_reseller(&txn, actor.reseller_id).await?;
    let current = owned(&txn, actor.reseller_id, id).await?;
    let customers = customers_using(&txn, id).await?;
    if customers > 0 {
        return Err(in_use(&current.name, customers));
    }
    let result = pbx_template::Entity::delete_many()
        .filter(pbx_template::Column::Id.eq(id))
        .filter(pbx_template::Column::ResellerId.eq(actor.reseller_id))
        .exec(&txn)
        .await;
    match result {
        Ok(r) if r.rows_affected == 1 => {}
        Ok(_) => return Err(Error::NotFound),
        // A connection was added at the same moment: the foreign key keeps the template.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(_))) => return Err(in_use(&current.name, 1)),
        Err(e) => return Err(e.into()),
    }
    let kind = current.kind;
    let summary = format!("Deleted PBX template \u{201c}{}\u{201d} ({}).", current.name, kind.label());
    activity::record_about(&txn, actor, None, EventType::PbxTemplateDeleted, summary, about(id, &current.name, kind)).await?;
    txn.commit().await?;
    Ok(())
}

/// The associated data a template's secret is sealed with (see [`SecretBox::open_template`]).
pub use crate::secret::template_context as secret_context;

/// Re-seals secrets stored before they were bound to their template (start-up, once: after it
/// no unbound secret is left, and unbound ones are never opened elsewhere). Returns how many.
pub async fn reseal_unbound(db: &DatabaseConnection, secrets: &SecretBox) -> Result<u64> {
    let rows = pbx_template::Entity::find()
        .filter(pbx_template::Column::SecretSealed.ne(""))
        .filter(pbx_template::Column::SecretSealed.not_like("v2:%"))
        .all(db)
        .await?;
    let mut resealed = 0;
    for row in rows {
        let plain = match secrets.open_unbound(&row.secret_sealed) {
            Ok(plain) => plain,
            Err(e) => {
                tracing::error!(template = row.id, error = %e, "a stored PBX secret cannot be opened: it must be entered again");
                continue;
            }
        };
        pbx_template::Entity::update_many()
            .col_expr(pbx_template::Column::SecretSealed, Expr::value(secrets.seal_for(&plain, &secret_context(row.id))))
            .filter(pbx_template::Column::Id.eq(row.id))
            .filter(pbx_template::Column::SecretSealed.eq(row.secret_sealed.as_str()))
            .exec(db)
            .await?;
        resealed += 1;
    }
    Ok(resealed)
}

/// "Test connection" per reseller: a few a minute (three at once, then one every ten seconds),
/// so the button cannot be used to hammer a server or to map which addresses answer. One per
/// server process; cheap to clone.
#[derive(Clone)]
pub struct ConnectionTests(std::sync::Arc<governor::DefaultKeyedRateLimiter<i64>>);

impl Default for ConnectionTests {
    fn default() -> Self {
        ConnectionTests::per_minute(6, 3)
    }
}

impl ConnectionTests {
    /// `per_minute` tests a minute per reseller, `burst` of them at once.
    pub fn per_minute(per_minute: u32, burst: u32) -> ConnectionTests {
        let n = |v: u32| std::num::NonZeroU32::new(v).unwrap_or(std::num::NonZeroU32::MIN);
        ConnectionTests(std::sync::Arc::new(governor::RateLimiter::keyed(governor::Quota::per_minute(n(per_minute)).allow_burst(n(burst)))))
    }
}

/// Connects to the template's PBX with its master credentials (for Teams, in the template's own
/// directory tenant) through `http` (the egress policy) and says what answered, or why not (the
/// connector's readable error, e.g. "The PBX rejected the API key"). Needs Customer
/// Administrator; throttled per reseller.
pub async fn test_connection(
    db: &impl ConnectionTrait,
    secrets: &SecretBox,
    http: &HttpClient,
    limit: &ConnectionTests,
    actor: &Actor,
    id: i64,
) -> Result<String> {
    actor.require(Permission::CustomerAdministrator)?;
    let template = owned(db, actor.reseller_id, id).await?;
    if let Err(not_until) = limit.0.check_key(&actor.reseller_id.get()) {
        let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
        let retry_after = wait.max(std::time::Duration::from_secs(1));
        return Err(Error::TooManyRequests {
            retry_after,
            message: format!("Too many connection tests at once: try again in {} second(s).", retry_after.as_secs()),
        });
    }
    let secret = secrets.open_template(&template)?;
    let kind = template.kind;
    let settings = Settings {
        kind,
        api_url: &template.api_url,
        websocket_url: &template.websocket_url,
        client_id: &template.client_id,
        tenant_id: &template.directory_tenant_id,
        secret: &secret,
    };
    let upstream = |e: crate::pbx::PbxError| Error::Upstream(e.to_string());
    let account = Connector::new(&settings, http.clone(), DEFAULT_TIMEOUT).map_err(upstream)?.test().await.map_err(upstream)?;
    Ok(match kind {
        // Kazoo reports the account's name, or only its id when it has none.
        PbxKind::Kazoo if account.name == account.id => format!("Connected: the PBX accepted the API key for account {}.", account.id),
        PbxKind::Kazoo => format!("Connected: the PBX accepted the API key for account \u{201c}{}\u{201d}.", account.name),
        PbxKind::ThreeCx => format!("Connected: {} accepted the client credentials.", account.name),
        PbxKind::Teams => format!("Connected: Microsoft Graph accepted the client credentials for tenant {}.", account.id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalized_forms_keep_only_the_platforms_fields_trimmed() {
        let form = TemplateForm {
            name: "  Main  ".into(),
            kind: PbxKind::Teams,
            api_url: "https://left.over".into(),
            websocket_url: "wss://left.over".into(),
            client_id: " app ".into(),
            directory_tenant_id: " 72f988bf-86f1-41af-91ab-2d7cd011db47 ".into(),
            secret: " s3cret ".into(),
            is_default: true,
        };
        let n = normalized(&TemplateForm { api_url: " https://graph.microsoft.us/ ".into(), ..form.clone() });
        assert_eq!(n.name, "Main");
        assert_eq!(
            (n.api_url.as_str(), n.websocket_url.as_str()),
            ("https://graph.microsoft.us/", "wss://left.over"),
            "Teams keeps its optional Graph and sign-in URLs"
        );
        assert_eq!(n.client_id, "app");
        assert_eq!(n.directory_tenant_id, "72f988bf-86f1-41af-91ab-2d7cd011db47");
        assert_eq!(n.secret, "s3cret");
        let kazoo = normalized(&TemplateForm { kind: PbxKind::Kazoo, ..form.clone() });
        assert_eq!((kazoo.client_id.as_str(), kazoo.directory_tenant_id.as_str()), ("", ""));
        assert_eq!(kazoo.websocket_url, "wss://left.over");
        let three_cx = normalized(&TemplateForm { kind: PbxKind::ThreeCx, ..form });
        assert_eq!((three_cx.api_url.as_str(), three_cx.websocket_url.as_str()), ("https://left.over", ""));
    }
}
