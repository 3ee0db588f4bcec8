//! A customer's PBX connection (the PBX tab): its settings and whether it is enabled. Enabling
//! it or changing what it points at schedules a sync (`crate::sync`); disabling it stops them.

use crate::activity::{self, Actor};
use crate::entity::{pbx_connection, pbx_template};
use crate::scope::{ensure_changeable, lock_owned, lock_reseller, owned};
use crate::{Error, Result};
use model::events::EventType;
use model::customer_form::ConnectionView;
use model::pbx::{ConnectionForm, PbxKind};
use model::Permission;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

/// The connection as the PBX tab shows it, or `None` when the customer has none.
pub async fn view(db: &impl ConnectionTrait, actor: &Actor, customer_id: &str) -> Result<Option<ConnectionView>> {
    let c = owned(db, actor.reseller_id, customer_id).await?;
    let Some(conn) = pbx_connection::Entity::find().filter(pbx_connection::Column::CustomerId.eq(c.id)).one(db).await? else {
        return Ok(None);
    };
    let template = pbx_template::Entity::find_by_id(conn.template_id)
        .filter(pbx_template::Column::ResellerId.eq(actor.reseller_id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Some(ConnectionView {
        id: conn.id,
        template_id: template.id,
        template_name: template.name,
        kind: template.kind,
        form: ConnectionForm {
            template_id: Some(conn.template_id),
            account_id: conn.account_id,
            directory_tenant_id: conn.directory_tenant_id,
            auto_provision_sub_accounts: conn.auto_provision_sub_accounts,
            auto_agent_addon: conn.auto_agent_addon,
            create_disabled: !conn.enabled,
        },
        enabled: conn.enabled,
        version: conn.version,
        templates: crate::pbx_templates::options(db, actor.reseller_id).await?,
    }))
}

/// Saves the connection's settings and enabled state. "Auto provision sub accounts" is only
/// chosen at creation and is kept as it is.
pub async fn update(db: &DatabaseConnection, actor: &Actor, customer_id: &str, version: i32, form: &ConnectionForm, enabled: bool) -> Result<i32> {
    actor.require(Permission::CustomerAdministrator)?;
    let txn = crate::db::Work::begin(db).await?;
    // The reseller's lock serialises this with template changes (a template's type may change
    // while no customer uses it); then the customer's.
    lock_reseller(&txn, actor.reseller_id).await?;
    let c = lock_owned(&txn, actor.reseller_id, customer_id).await?;
    ensure_changeable(&c)?;
    let conn = pbx_connection::Entity::find().filter(pbx_connection::Column::CustomerId.eq(c.id)).one(&txn).await?.ok_or(Error::NotFound)?;
    let template = match form.template_id {
        Some(id) => pbx_template::Entity::find_by_id(id).filter(pbx_template::Column::ResellerId.eq(actor.reseller_id)).one(&txn).await?,
        None => None,
    };
    let kind = template.as_ref().map(|t| t.kind);
    form.validate(kind).into_result()?;
    let template = template.ok_or_else(|| Error::invalid("template_id", "Choose a PBX template."))?;
    let account_id = if kind == Some(PbxKind::Kazoo) { form.account_id.trim().to_lowercase() } else { String::new() };
    let tenant = if kind == Some(PbxKind::Teams) { form.directory_tenant_id.trim().to_lowercase() } else { String::new() };
    let mut changes = Vec::new();
    if conn.template_id != template.id {
        changes.push(format!("template to \u{201c}{}\u{201d}", template.name));
    }
    if conn.account_id != account_id {
        changes.push(format!("Account ID to {account_id}"));
    }
    if conn.directory_tenant_id != tenant {
        changes.push(format!("Directory Tenant ID to {tenant}"));
    }
    if conn.auto_agent_addon != form.auto_agent_addon {
        changes.push(format!("automatic Agent add-on {}", if form.auto_agent_addon { "on" } else { "off" }));
    }
    if conn.enabled != enabled {
        changes.push(if enabled { "enabled the connection".into() } else { "disabled the connection".into() });
    }
    if changes.is_empty() {
        return Ok(conn.version);
    }
    let repointed = conn.template_id != template.id || conn.account_id != account_id || conn.directory_tenant_id != tenant;
    let result = pbx_connection::Entity::update_many()
        .col_expr(pbx_connection::Column::TemplateId, Expr::value(template.id))
        .col_expr(pbx_connection::Column::AccountId, Expr::value(account_id))
        .col_expr(pbx_connection::Column::DirectoryTenantId, Expr::value(tenant))
        .col_expr(pbx_connection::Column::AutoAgentAddon, Expr::value(form.auto_agent_addon))
        .col_expr(pbx_connection::Column::Enabled, Expr::value(enabled))
        .col_expr(pbx_connection::Column::Version, Expr::value(version + 1))
        .filter(pbx_connection::Column::Id.eq(conn.id))
        .filter(pbx_connection::Column::Version.eq(version))
        .exec(&txn)
        .await?;
    if result.rows_affected != 1 {
        return Err(Error::Conflict(
            "Someone else changed this PBX connection after you opened it. Nothing was saved: reload and try again.".into(),
        ));
    }
    if !enabled {
        crate::sync::unschedule(&txn, conn.id).await?;
    } else if !conn.enabled {
        crate::sync::schedule(&txn, conn.id, model::sync::Reason::Enabled).await?;
    } else if repointed {
        crate::sync::schedule(&txn, conn.id, model::sync::Reason::Changed).await?;
    }
    activity::record(&txn, actor, Some(c.id), EventType::PbxUpdated, format!("PBX connection: {}.", changes.join("; "))).await?;
    txn.commit().await?;
    Ok(version + 1)
}
