//! PBX templates: list, create, edit, delete. Secrets go in, never out.

use crate::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Postcard;
use model::pbx::{TemplateForm, TemplateSummary};

/// The templates and whether the user may change them: the page's one resource (a page that
/// also read the shell's user resource in a Suspense of its own could hang its server render).
#[server(input = Postcard, output = Postcard)]
pub async fn pbx_templates_page() -> Result<model::pbx::TemplatesPage, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    let templates = domain::pbx_templates::list(&ctx.db, &actor).await?;
    Ok(model::pbx::TemplatesPage { templates, can_change: actor.permissions.contains(model::Permission::CustomerAdministrator) })
}

#[server(input = Postcard, output = Postcard)]
pub async fn create_pbx_template(form: TemplateForm) -> Result<TemplateSummary, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::pbx_templates::create(&ctx.db, &ctx.secrets, &actor, &form).await?)
}

/// Saves an edit; `version` is the one the form was loaded with. An empty secret keeps the stored one.
#[server(input = Postcard, output = Postcard)]
pub async fn update_pbx_template(id: i64, version: i32, form: TemplateForm) -> Result<TemplateSummary, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    let saved = domain::pbx_templates::update(&ctx.db, &ctx.secrets, &actor, id, version, &form).await?;
    // Customers connected through it may be due for a sync now.
    Ok(saved)
}

/// Deletes a template no customer uses.
#[server(input = Postcard, output = Postcard)]
pub async fn delete_pbx_template(id: i64) -> Result<(), AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::pbx_templates::delete(&ctx.db, &actor, id).await?)
}

/// Connects to the template's PBX with its stored credentials; the answer says what happened.
#[server(input = Postcard, output = Postcard)]
pub async fn test_pbx_template(id: i64) -> Result<String, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::pbx_templates::test_connection(&ctx.db, &ctx.secrets, &ctx.http, &ctx.connection_tests, &actor, id).await?)
}
