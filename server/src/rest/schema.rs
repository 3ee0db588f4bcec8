//! What the API's requests and responses look like. These types are what the handlers
//! serialise and deserialise, and the OpenAPI document is generated from them (`ToSchema`), so
//! the document cannot drift from the behaviour.

use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A JSON member that may be absent (`None`), `null` (`Some(None)`) or a value: what a JSON
/// merge patch needs to tell "leave as is" from "clear".
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A member that may be absent (`None`) but not `null`: for merge-patch members that cannot be
/// cleared.
pub fn not_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A failed request.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable code: `bad_request`, `unauthorized`, `forbidden`, `not_found`, `conflict`,
    /// `invalid`, `idempotency_key_reused`, `not_run`, `rate_limited`, `upstream`, `internal`.
    #[schema(example = "invalid")]
    pub error: String,
    /// What went wrong, in a sentence for people.
    pub message: String,
    /// The offending fields by JSON path (e.g. `primaryUser.email`), each with its message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
}

/// `POST /api/v1/oauth/token`'s answer (RFC 6749 §5.1).
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

/// `POST /api/v1/oauth/token`'s form (RFC 6749 §4.4.2). The client id and secret may come as
/// HTTP Basic credentials instead of form fields (RFC 6749 §2.3.1).
#[allow(dead_code)] // Documents the form; the handler reads it field by field.
#[derive(ToSchema)]
pub struct TokenForm {
    #[schema(value_type = String, pattern = "^client_credentials$")]
    pub grant_type: String,
    /// From the API Access page (`rp_` and 24 hex digits).
    pub client_id: String,
    pub client_secret: String,
}

/// `POST /api/v1/oauth/token`'s refusal (RFC 6749 §5.2).
#[derive(Serialize, ToSchema)]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client` or `unsupported_grant_type`.
    pub error: String,
    pub error_description: String,
}

/// A customer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    /// The Tenant ID (a UUID).
    #[schema(format = "uuid")]
    pub id: String,
    pub name: String,
    pub reference: String,
    /// A product type's code (see `GET /product-types`).
    pub product_type: String,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "GB")]
    pub country: String,
    /// The reseller's IANA time zone, in which days (trials, terminations, billing) are counted.
    pub time_zone: String,
    #[schema(pattern = "^(active|disabled|terminated)$")]
    pub status: String,
    pub in_house: bool,
    /// The trial's last day; `null` when the customer is not on trial.
    #[schema(format = "date")]
    pub trial_expires_on: Option<String>,
    /// The first day no longer billed, when a termination is scheduled (or happened).
    #[schema(format = "date")]
    pub terminate_on: Option<String>,
    #[schema(format = "date-time")]
    pub created_at: String,
}

/// One page of customers.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerPage {
    pub items: Vec<Customer>,
    /// The page number asked for; `null` on a page asked for by `cursor`.
    pub page_index: Option<u64>,
    pub page_size: u64,
    /// How many customers match the filter (all pages); counted for pages asked for by
    /// `pageIndex` only, `null` on cursor pages.
    pub total: Option<u64>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// `POST /customers`: the customer, its primary user and its PBX connection in one call (the
/// wizard's four steps).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCustomer {
    /// Unique among the reseller's customers, ignoring case.
    #[schema(min_length = 1, max_length = 100, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$")]
    pub name: String,
    /// A product type's code (one the reseller may sell: see `GET /product-types`).
    #[schema(min_length = 1, max_length = 50)]
    pub product_type: String,
    #[serde(default)]
    #[schema(max_length = 200, pattern = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$")]
    pub reference: String,
    /// ISO 3166-1 alpha-2.
    #[schema(pattern = "^[A-Z]{2}$")]
    pub country: String,
    #[serde(default)]
    #[schema(max_length = 2000, pattern = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$")]
    pub notes: String,
    /// The trial's last day; absent or null: no trial.
    #[serde(default)]
    #[schema(format = "date")]
    pub trial_expires_on: Option<String>,
    #[serde(default)]
    pub in_house: bool,
    pub primary_user: NewUserDetails,
    #[serde(default)]
    pub connection: NewConnection,
    /// The primary user's roles; absent: Essential User and User Administrator.
    #[serde(default)]
    pub roles: Option<Roles>,
}

/// A user's name and email.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewUserDetails {
    #[schema(min_length = 1, max_length = 100, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$")]
    pub display_name: String,
    #[schema(format = "email", max_length = 200)]
    pub email: String,
}

/// The PBX connection of a new customer.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewConnection {
    /// A PBX template's id; absent: the reseller's default template.
    #[serde(default)]
    pub template_id: Option<i64>,
    /// Kazoo: the 32-hex account id (required for a Kazoo template).
    #[serde(default)]
    #[schema(max_length = 100, pattern = "^\\s*([0-9a-fA-F]{32})?\\s*$")]
    pub account_id: String,
    /// Microsoft Teams: the directory (tenant) id, a GUID (required for a Teams template).
    #[serde(default)]
    #[schema(max_length = 100, pattern = "^\\s*([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?\\s*$")]
    pub directory_tenant_id: String,
    #[serde(default)]
    pub auto_provision_sub_accounts: bool,
    #[serde(default)]
    pub auto_agent_addon: bool,
    /// Absent: true (the first sync starts at once).
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

impl Default for NewConnection {
    fn default() -> Self {
        NewConnection {
            template_id: None,
            account_id: String::new(),
            directory_tenant_id: String::new(),
            auto_provision_sub_accounts: false,
            auto_agent_addon: false,
            enabled: true,
        }
    }
}

/// `PATCH /customers/{id}`: a JSON merge patch (RFC 7396). Absent members stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomerPatch {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String, min_length = 1, max_length = 100, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String, min_length = 1, max_length = 50)]
    pub product_type: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String, max_length = 200, pattern = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$")]
    pub reference: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String, pattern = "^[A-Z]{2}$")]
    pub country: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String, max_length = 2000, pattern = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$")]
    pub notes: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = bool)]
    pub in_house: Option<bool>,
    /// `disabled` disables the customer, `active` re-enables it (`DELETE` terminates).
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = StatusChange)]
    pub status: Option<StatusChange>,
    /// A day after today schedules the termination (it takes effect at the start of that
    /// day); `null` cancels a scheduled one.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = "date")]
    pub terminate_on: Option<Option<String>>,
}

#[derive(Deserialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StatusChange {
    Active,
    Disabled,
}

/// A product type this reseller may sell.
#[derive(Serialize, ToSchema)]
pub struct ProductType {
    pub code: String,
    pub name: String,
}

/// A customer user's roles. The Real-Time and Agent add-ons need `essential`; supervisor levels
/// `live_analytics` and `contact_centre` need `realTime`. A customer's primary user is always a
/// User Administrator.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Roles {
    #[serde(default)]
    pub essential: bool,
    #[serde(default)]
    pub professional: bool,
    #[serde(default)]
    pub real_time: bool,
    /// The Agent add-on.
    #[serde(default)]
    pub agent: bool,
    #[serde(default)]
    pub supervisor: Supervisor,
    #[serde(default)]
    pub user_administrator: bool,
}

/// The supervisor level.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Default)]
#[serde(rename_all = "snake_case")]
pub enum Supervisor {
    #[default]
    None,
    Reports,
    Insights,
    Analytics,
    LiveAnalytics,
    ContactCentre,
}

impl From<Roles> for model::roles::Roles {
    fn from(r: Roles) -> Self {
        use model::roles::Supervisor as S;
        model::roles::Roles {
            essential: r.essential,
            professional: r.professional,
            real_time: r.real_time,
            agent: r.agent,
            supervisor: match r.supervisor {
                Supervisor::None => S::None,
                Supervisor::Reports => S::Reports,
                Supervisor::Insights => S::Insights,
                Supervisor::Analytics => S::Analytics,
                Supervisor::LiveAnalytics => S::LiveAnalytics,
                Supervisor::ContactCentre => S::ContactCentre,
            },
            user_admin: r.user_administrator,
        }
    }
}

impl From<model::roles::Roles> for Roles {
    fn from(r: model::roles::Roles) -> Self {
        use model::roles::Supervisor as S;
        Roles {
            essential: r.essential,
            professional: r.professional,
            real_time: r.real_time,
            agent: r.agent,
            supervisor: match r.supervisor {
                S::None => Supervisor::None,
                S::Reports => Supervisor::Reports,
                S::Insights => Supervisor::Insights,
                S::Analytics => Supervisor::Analytics,
                S::LiveAnalytics => Supervisor::LiveAnalytics,
                S::ContactCentre => Supervisor::ContactCentre,
            },
            user_administrator: r.user_admin,
        }
    }
}

/// One of a customer's users.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: i64,
    pub display_name: String,
    pub email: String,
    pub roles: Roles,
    /// Discovered on the customer's PBX (rather than added by the reseller).
    pub from_pbx: bool,
    /// Where the user's invitation to the analytics service stands.
    #[schema(pattern = "^(not_invited|queued|sent|failed)$")]
    pub invitation: String,
}

impl From<model::customer_form::CustomerUser> for User {
    fn from(u: model::customer_form::CustomerUser) -> Self {
        User {
            id: u.id,
            display_name: u.display_name,
            email: u.email,
            roles: u.roles.into(),
            from_pbx: u.from_pbx,
            invitation: u.invitation.as_str().to_owned(),
        }
    }
}

/// One page of a customer's users.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserPage {
    pub items: Vec<User>,
    /// The page number asked for; `null` on a page asked for by `cursor`.
    pub page_index: Option<u64>,
    pub page_size: u64,
    /// How many users match the filter (all pages); counted for pages asked for by
    /// `pageIndex` only, `null` on cursor pages.
    pub total: Option<u64>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// `POST /customers/{id}/users`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewUser {
    #[schema(min_length = 1, max_length = 100, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$")]
    pub display_name: String,
    #[schema(format = "email", max_length = 200)]
    pub email: String,
    /// Absent: no roles (the user is listed but not invited).
    #[serde(default)]
    pub roles: Option<Roles>,
}

/// `PATCH /customers/{id}/users/{userId}`: the user's roles, replaced as a whole. A user who
/// gains access for the first time is invited.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserPatch {
    pub roles: Roles,
}

/// A customer's PBX connection.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pbx {
    pub id: i64,
    pub template_id: i64,
    pub template_name: String,
    #[schema(pattern = "^(kazoo|3cx|teams)$")]
    pub platform: String,
    pub account_id: String,
    pub directory_tenant_id: String,
    pub auto_provision_sub_accounts: bool,
    pub auto_agent_addon: bool,
    /// A disabled connection is not synced.
    pub enabled: bool,
    pub sync: Sync,
}

/// How the connection's sync stands.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Sync {
    #[schema(pattern = "^(disabled|never_synced|syncing|synced|failed)$")]
    pub state: String,
    /// When the next sync is due, if one is scheduled and none is running.
    #[schema(format = "date-time")]
    pub next_at: Option<String>,
    /// Recent runs, newest first (at most 10).
    pub runs: Vec<SyncRun>,
}

/// One sync run.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncRun {
    pub id: i64,
    /// Why it ran: `created`, `enabled`, `changed`, `schedule`, `manual` or `retry`.
    pub reason: String,
    #[schema(format = "date-time")]
    pub started_at: String,
    #[schema(format = "date-time")]
    pub finished_at: Option<String>,
    #[schema(pattern = "^(running|succeeded|failed)$")]
    pub outcome: String,
    pub found: u32,
    pub added: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub failed: u32,
    pub removed: u32,
    /// Why it failed, or what went wrong with single users.
    pub error: String,
}

/// `PATCH /customers/{id}/pbxs/{pbxId}`: a JSON merge patch of the connection's settings.
/// Changing what it points at, or enabling it, starts a sync.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PbxPatch {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = i64)]
    pub template_id: Option<i64>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String, max_length = 100, pattern = "^\\s*([0-9a-fA-F]{32})?\\s*$")]
    pub account_id: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String, max_length = 100, pattern = "^\\s*([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?\\s*$")]
    pub directory_tenant_id: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = bool)]
    pub auto_agent_addon: Option<bool>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = bool)]
    pub enabled: Option<bool>,
}

/// A stored billing run (a month billed).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BillingRunSummary {
    #[schema(example = "2026-10")]
    pub period: String,
    #[schema(format = "date-time")]
    pub created_at: String,
    pub created_by: String,
    pub lines: usize,
    /// The sum of the lines' values, e.g. `1234.50`.
    pub total: String,
}

/// A month's billing.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BillingRun {
    #[schema(example = "2026-10")]
    pub period: String,
    #[schema(format = "date-time")]
    pub created_at: String,
    pub created_by: String,
    pub lines: Vec<BillingLine>,
    pub total: String,
}

/// One customer's line of a month's billing.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BillingLine {
    /// The customer's Reference, or its Tenant ID when it has none.
    pub tenant_code: String,
    pub customer_name: String,
    pub product_type: String,
    pub part_number: String,
    /// Chargeable days (days billed minus zero-rated in-house and trial days).
    pub quantity: u32,
    pub days_in_period: u32,
    #[schema(format = "date")]
    pub from: String,
    #[schema(format = "date")]
    pub to: String,
    /// The monthly price, e.g. `12.50`.
    pub unit_price: String,
    /// `unitPrice × quantity ÷ daysInPeriod`, rounded half up to the cent.
    pub value: String,
}

impl From<model::billing::BillingRun> for BillingRun {
    fn from(r: model::billing::BillingRun) -> Self {
        BillingRun {
            period: r.period,
            created_at: r.created_at,
            created_by: r.created_by,
            lines: r
                .lines
                .into_iter()
                .map(|l| BillingLine {
                    tenant_code: l.tenant_code,
                    customer_name: l.customer_name,
                    product_type: l.product_type,
                    part_number: l.part_number,
                    quantity: l.quantity,
                    days_in_period: l.days_in_period,
                    from: l.from,
                    to: l.to,
                    unit_price: l.unit_price,
                    value: l.value,
                })
                .collect(),
            total: r.total,
        }
    }
}

/// A PBX user removed from the customer: later syncs leave them out until they are imported
/// again (`DELETE` this entry).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RemovedPbxUser {
    /// The user's id on the PBX.
    pub pbx_user_id: String,
    pub display_name: String,
    pub email: String,
    /// Who removed them (a portal user's name, or `API client <id>`).
    pub removed_by: String,
    #[schema(format = "date-time")]
    pub removed_at: String,
}

/// An event: one change the portal recorded.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Unique and stable: de-duplicate by it (webhook deliveries carry it as `webhook-id`).
    #[schema(format = "uuid")]
    pub id: String,
    /// The event type, e.g. `customer.created` (see the `types` parameter for the list).
    pub r#type: String,
    /// When the change was made.
    #[schema(format = "date-time")]
    pub timestamp: String,
    /// Who made it: a portal user's name, `API client rp_…`, or the system (`System`, `PBX sync`).
    pub actor: String,
    /// The customer it concerns, if any.
    #[schema(format = "uuid")]
    pub customer_id: Option<String>,
    /// What happened, in words.
    pub summary: String,
    /// The resources as the API shows them at the time of the change: `customer` (as
    /// `GET /customers/{id}`) for every event about a customer, and the event's subject —
    /// `user`, `pbxUser`, `sync`, `pbxTemplate`, `resellerUser`, `apiClient`, `billingRun` or
    /// `webhookEndpoint` — where it has one.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// The next events of the feed.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventFeed {
    /// Oldest first.
    pub items: Vec<Event>,
    /// Send it as `after` in the next read (the same cursor when there was nothing new).
    pub next_cursor: String,
}

/// A page of the activity log.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityPage {
    /// Newest first.
    pub items: Vec<Event>,
    /// The cursor of the next (older) page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// A webhook endpoint (never its secret).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEndpoint {
    pub id: i64,
    /// Where events are POSTed (https).
    pub url: String,
    pub description: String,
    /// The event types it receives; empty for all.
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// Why the portal disabled it (after failing for days), if it did.
    pub disabled_reason: Option<String>,
    #[schema(format = "date-time")]
    pub created_at: String,
    /// After a rotation: until when the previous secret signs too.
    #[schema(format = "date-time")]
    pub previous_secret_until: Option<String>,
    pub health: WebhookHealth,
}

/// How deliveries to an endpoint went over the last 24 hours, by their last attempt.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookHealth {
    pub delivered: u64,
    pub failing: u64,
    /// Waiting for an attempt or a retry now.
    pub pending: u64,
    /// Delivered ÷ (delivered + failing), in percent; `null` without attempts.
    pub success_rate: Option<u64>,
    /// Since when every attempt has failed, if it is failing.
    #[schema(format = "date-time")]
    pub failing_since: Option<String>,
}

/// A new webhook endpoint.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewWebhookEndpoint {
    /// https://…, at most 2,000 characters, reaching a public address.
    #[schema(max_length = 2000)]
    pub url: String,
    /// At most 500 characters.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Event types to receive (see `GET /events`); absent or empty for all.
    pub event_types: Option<Vec<String>>,
    /// Default `true`.
    pub enabled: Option<bool>,
}

/// Changes to a webhook endpoint; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookEndpointPatch {
    #[schema(max_length = 2000)]
    pub url: Option<String>,
    #[schema(max_length = 500)]
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

/// An endpoint with its signing secret, shown this once.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookSecret {
    pub endpoint: WebhookEndpoint,
    /// `whsec_…`: verify `webhook-signature` with it (Standard Webhooks).
    pub secret: String,
}

/// One event's delivery to one endpoint.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    pub id: i64,
    /// The event's id: the `webhook-id` header.
    pub event_id: String,
    pub event_type: String,
    #[schema(pattern = "^(pending|delivered|failed)$")]
    pub status: String,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    /// How long the last attempt took.
    pub last_response_ms: Option<i32>,
    pub last_error: Option<String>,
    #[schema(format = "date-time")]
    pub created_at: String,
    #[schema(format = "date-time")]
    pub last_attempt_at: Option<String>,
    /// When it is tried next, while pending.
    #[schema(format = "date-time")]
    pub next_attempt_at: Option<String>,
}

/// A page of an endpoint's deliveries.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDeliveryPage {
    /// Newest first.
    pub items: Vec<WebhookDelivery>,
    pub next_cursor: Option<String>,
}

/// `{"data": …}` envelopes, one per kind of answer (so each has a named schema).
macro_rules! envelopes {
    ($($(#[$doc:meta])* $name:ident($inner:ty);)*) => {$(
        $(#[$doc])*
        #[derive(Serialize, ToSchema)]
        pub struct $name {
            pub data: $inner,
        }
    )*};
}

envelopes! {
    /// A customer.
    CustomerData(Customer);
    /// A page of customers.
    CustomerPageData(CustomerPage);
    /// The product types.
    ProductTypesData(Vec<ProductType>);
    /// A customer user.
    UserData(User);
    /// A page of customer users.
    UserPageData(UserPage);
    /// The customer's PBX connections (none or one).
    PbxesData(Vec<Pbx>);
    /// A PBX connection.
    PbxData(Pbx);
    /// The PBX users removed from a customer, newest first.
    RemovedPbxUsersData(Vec<RemovedPbxUser>);
    /// The stored billing runs, newest month first.
    BillingRunsData(Vec<BillingRunSummary>);
    /// A month's billing.
    BillingRunData(BillingRun);
    /// The next events of the feed.
    EventFeedData(EventFeed);
    /// A page of the activity log.
    ActivityPageData(ActivityPage);
    /// The webhook endpoints.
    WebhookEndpointsData(Vec<WebhookEndpoint>);
    /// A webhook endpoint.
    WebhookEndpointData(WebhookEndpoint);
    /// A webhook endpoint and its new secret.
    WebhookSecretData(WebhookSecret);
    /// A webhook delivery.
    WebhookDeliveryData(WebhookDelivery);
    /// A page of webhook deliveries.
    WebhookDeliveryPageData(WebhookDeliveryPage);
    /// Nothing to say beyond success.
    EmptyData(Empty);
}

/// An empty object.
#[derive(Serialize, ToSchema)]
pub struct Empty {}
