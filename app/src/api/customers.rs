//! Customers: the grid, the create wizard and the edit page. Each function is thin: the
//! signed-in actor, then one domain call (which checks permission and ownership).

use crate::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Postcard;
use model::customer::{CustomerPage, GridQuery};
use model::events::EventPage;
use model::customer_form::{
    ConnectionView, CustomerDetail, CustomerUser, DetailsForm, NewCustomer, PrimaryUserForm, UserPage, UserQuery, WizardOptions,
};
use model::pbx::ConnectionForm;
use model::roles::Roles;
use model::sync::SyncStatus;

/// One page of the signed-in reseller's customers.
#[server(input = Postcard, output = Postcard)]
pub async fn list_customers(query: GridQuery) -> Result<CustomerPage, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::customers::grid(&ctx.db, actor.reseller_id, &query).await?)
}

/// Product types, trial and in-house rules and PBX templates for the create wizard.
#[server(input = Postcard, output = Postcard)]
pub async fn load_wizard_options() -> Result<WizardOptions, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::provisioning::wizard_options(&ctx.db, &actor).await?)
}

/// Whether a customer name is still free (`except`: the customer being edited).
#[server(input = Postcard, output = Postcard)]
pub async fn customer_name_available(name: String, except: Option<String>) -> Result<bool, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    let except = except.and_then(|id| id.parse().ok());
    Ok(domain::provisioning::name_available(&ctx.db, actor.reseller_id, &name, except).await?)
}

/// Creates the customer from the wizard and returns its Tenant ID.
#[server(input = Postcard, output = Postcard)]
pub async fn create_customer(customer: NewCustomer) -> Result<String, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    let id = domain::provisioning::create(&ctx.db, &actor, &customer).await?;
    Ok(id.to_string())
}

#[server(input = Postcard, output = Postcard)]
pub async fn load_customer(id: String) -> Result<CustomerDetail, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::provisioning::detail(&ctx.db, &actor, &id).await?)
}

/// Saves the Details tab; returns the new version.
#[server(input = Postcard, output = Postcard)]
pub async fn update_customer(id: String, version: i32, details: DetailsForm) -> Result<i32, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::customer_change::save_details(&ctx.db, &actor, &id, version, &details).await?)
}

#[server(input = Postcard, output = Postcard)]
pub async fn customer_users(id: String, #[server(default)] query: UserQuery) -> Result<UserPage, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::customer_users::list(&ctx.db, &actor, &id, &query).await?)
}

#[server(input = Postcard, output = Postcard)]
pub async fn add_customer_user(id: String, user: PrimaryUserForm, roles: Roles) -> Result<CustomerUser, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    let added = domain::customer_users::add(&ctx.db, &actor, &id, &user, roles, None).await?;
    Ok(added)
}

#[server(input = Postcard, output = Postcard)]
pub async fn set_customer_user_roles(id: String, user_id: i64, version: i32, roles: Roles) -> Result<CustomerUser, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    let user = domain::customer_users::set_roles(&ctx.db, &actor, &id, user_id, version, roles).await?;
    Ok(user)
}

#[server(input = Postcard, output = Postcard)]
pub async fn remove_customer_user(id: String, user_id: i64) -> Result<(), AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::customer_users::remove(&ctx.db, &actor, &id, user_id).await?)
}

/// The PBX users removed from the customer, whom the sync no longer imports.
#[server(input = Postcard, output = Postcard)]
pub async fn ignored_pbx_users(id: String) -> Result<Vec<model::customer_form::IgnoredPbxUser>, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::customer_users::ignored(&ctx.db, &actor, &id, domain::activity::Times::ResellerLocal).await?)
}

/// Lets the sync import a removed PBX user again (a sync is asked for at once).
#[server(input = Postcard, output = Postcard)]
pub async fn import_pbx_user_again(id: String, pbx_id: String) -> Result<(), AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    domain::customer_users::import_again(&ctx.db, &actor, &id, &pbx_id).await?;
    Ok(())
}

#[server(input = Postcard, output = Postcard)]
pub async fn resend_invitation(id: String, user_id: i64) -> Result<CustomerUser, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    let user = domain::customer_users::resend_invitation(&ctx.db, &actor, &id, user_id).await?;
    Ok(user)
}

#[server(input = Postcard, output = Postcard)]
pub async fn customer_connection(id: String) -> Result<Option<ConnectionView>, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::connections::view(&ctx.db, &actor, &id).await?)
}

/// Saves the PBX tab; returns the connection's new version.
#[server(input = Postcard, output = Postcard)]
pub async fn update_connection(id: String, version: i32, form: ConnectionForm, enabled: bool) -> Result<i32, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    let version = domain::connections::update(&ctx.db, &actor, &id, version, &form, enabled).await?;
    Ok(version)
}

/// The PBX tab's sync status: state, next run and recent runs (`None` without a connection).
#[server(input = Postcard, output = Postcard)]
pub async fn customer_sync_status(id: String) -> Result<Option<SyncStatus>, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::sync::status(&ctx.db, &actor, &id, domain::activity::Times::ResellerLocal).await?)
}

/// "Sync now": schedules the customer's PBX sync at once.
#[server(input = Postcard, output = Postcard)]
pub async fn sync_customer_now(id: String) -> Result<(), AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    domain::sync::sync_now(&ctx.db, &actor, &id).await?;
    Ok(())
}

/// A page of the customer's activity log, newest first, older than the cursor `before`.
#[server(input = Postcard, output = Postcard)]
pub async fn customer_activity(id: String, before: Option<String>) -> Result<EventPage, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    let customer = domain::scope::owned(&ctx.db, actor.reseller_id, &id).await?;
    Ok(domain::activity::for_customer(&ctx.db, actor.reseller_id, customer.id, before.as_deref(), ACTIVITY_PAGE).await?)
}

/// Events per page of an activity log.
pub const ACTIVITY_PAGE: u64 = 50;

/// Disables the customer (More → Disable); returns the new version.
#[server(input = Postcard, output = Postcard)]
pub async fn disable_customer(id: String) -> Result<i32, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::lifecycle::disable(&ctx.db, &actor, &id).await?)
}

/// "Re-enable Customer" on a disabled customer's page.
#[server(input = Postcard, output = Postcard)]
pub async fn reenable_customer(id: String) -> Result<i32, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::lifecycle::reenable(&ctx.db, &actor, &id).await?)
}

/// Terminates now (`on` empty) or on a later day; `confirm_name` must be the customer's name.
#[server(input = Postcard, output = Postcard)]
pub async fn terminate_customer(id: String, confirm_name: String, on: Option<String>) -> Result<i32, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::lifecycle::terminate(&ctx.db, &actor, &id, &confirm_name, on.as_deref()).await?)
}

#[server(input = Postcard, output = Postcard)]
pub async fn cancel_termination(id: String) -> Result<i32, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::lifecycle::cancel_termination(&ctx.db, &actor, &id).await?)
}

/// "Convert to paid now": ends the trial today.
#[server(input = Postcard, output = Postcard)]
pub async fn convert_trial(id: String) -> Result<i32, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::lifecycle::convert_trial(&ctx.db, &actor, &id).await?)
}

/// "Extend trial" to `until` (`YYYY-MM-DD`), within the reseller's longest trial.
#[server(input = Postcard, output = Postcard)]
pub async fn extend_trial(id: String, until: String) -> Result<i32, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::lifecycle::extend_trial(&ctx.db, &actor, &id, &until).await?)
}
