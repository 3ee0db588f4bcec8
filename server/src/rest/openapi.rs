//! `GET /api/v1/openapi.json`: the API's OpenAPI 3.1 document, generated from the handlers'
//! `#[utoipa::path]` annotations and the types in [`super::schema`].

use super::schema::ErrorBody;
use super::{billing, customers, events, pbxs, users, webhooks};
use axum::Json;
use std::sync::LazyLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Reseller Portal provisioning API",
        description = "Provision and manage customer accounts from your own systems. Get a token at `POST /api/v1/oauth/token` with the client id and secret from the portal's API Access page, then send `Authorization: Bearer <token>`. Successes answer `{\"data\": …}`; failures `{\"error\", \"message\", \"fields\"}`.",
    ),
    paths(
        super::token,
        customers::list, customers::create, customers::get, customers::patch, customers::terminate, customers::product_types,
        users::list, users::create, users::get, users::patch, users::remove, users::removed, users::import_again,
        pbxs::list, pbxs::get, pbxs::patch, pbxs::sync,
        billing::list, billing::get, billing::run,
        events::feed, events::activity,
        webhooks::list, webhooks::create, webhooks::get, webhooks::patch, webhooks::delete, webhooks::rotate, webhooks::test, webhooks::deliveries, webhooks::resend,
    ),
    modifiers(&Common),
    tags(
        (name = "Authentication"),
        (name = "Customers"),
        (name = "Users", description = "A customer's users and their roles."),
        (name = "PBX connections", description = "A customer's phone system, whose users are discovered and synced."),
        (name = "Billing", description = "Monthly billing runs (Billing Administrator data)."),
        (name = "Events", description = "Every change the portal records, as an ordered feed and as the reseller's activity log."),
        (name = "Webhooks", description = "Endpoints the reseller's events are delivered to, signed per the Standard Webhooks specification (Webhooks Administrator)."),
    )
)]
struct Api;

/// The bearer scheme, and the answers every authenticated operation can give.
struct Common;

impl Modify for Common {
    fn modify(&self, doc: &mut Document) {
        // utoipa copies Cargo's license field; the portal is not published under one.
        doc.info.license = None;
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("A token from POST /api/v1/oauth/token (valid for an hour).")).build()),
        );
        components.schemas.entry("ErrorBody".into()).or_insert_with(ErrorBody::schema);
        let error = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content("application/json", ContentBuilder::new().schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("ErrorBody")))).build())
                    .build(),
            )
        };
        for item in doc.paths.paths.values_mut() {
            for operation in [&mut item.get, &mut item.post, &mut item.patch, &mut item.delete, &mut item.put].into_iter().flatten() {
                if operation.security.is_none() {
                    continue;
                }
                let has_body = operation.request_body.is_some();
                let responses = &mut operation.responses.responses;
                if has_body {
                    responses.entry("413".into()).or_insert_with(|| error("The request body is larger than 1 MiB."));
                }
                responses
                    .entry("403".into())
                    .or_insert_with(|| error("These credentials lack the permission this needs (Customer, Billing or Webhooks Administrator, chosen when they were created)."));
                responses.entry("401".into()).or_insert_with(|| error("No token, or an unknown or expired one (`WWW-Authenticate: Bearer`)."));
                responses.entry("429".into()).or_insert_with(|| error("Rate limited: retry after the seconds in `Retry-After`."));
                responses.entry("500".into()).or_insert_with(|| error("A fault on our side, logged under the `x-request-id` header."));
            }
        }
    }
}

/// The document, built once.
pub fn document_json() -> &'static serde_json::Value {
    static DOCUMENT: LazyLock<serde_json::Value> = LazyLock::new(|| {
        let mut document = serde_json::to_value(Api::openapi()).expect("the OpenAPI document serialises");
        // The countries the rules accept, so clients (and generated requests) know them.
        let countries: Vec<&str> = model::country::COUNTRIES.iter().map(|c| c.code).collect();
        for schema in ["NewCustomer", "CustomerPatch"] {
            if let Some(country) = document.pointer_mut(&format!("/components/schemas/{schema}/properties/country")) {
                country["enum"] = serde_json::json!(countries);
            }
        }
        // The event types, where they are named: in the feed's and the log's filters, and in
        // an endpoint's subscription.
        let types: Vec<&str> = model::events::EventType::ALL.iter().map(|t| t.as_str()).collect();
        let listed = format!(" The types: {}.", types.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", "));
        for path in ["/api/v1/events", "/api/v1/activity"] {
            for parameter in document.pointer_mut(&format!("/paths/{}/get/parameters", path.replace('/', "~1"))).and_then(|p| p.as_array_mut()).into_iter().flatten() {
                if parameter["name"] == "types"
                    && let Some(text) = parameter["description"].as_str()
                {
                    parameter["description"] = serde_json::json!(format!("{text}{listed}"));
                }
            }
        }
        for schema in ["NewWebhookEndpoint", "WebhookEndpointPatch"] {
            if let Some(items) = document.pointer_mut(&format!("/components/schemas/{schema}/properties/eventTypes")) {
                // `Option<Vec<String>>`: the array is one branch of the schema, or the schema.
                let array = if items.get("items").is_some() { Some(items) } else { items.get_mut("oneOf").and_then(|o| o.as_array_mut()).and_then(|o| o.iter_mut().find(|b| b.get("items").is_some())) };
                if let Some(array) = array {
                    array["items"]["enum"] = serde_json::json!(types);
                }
            }
        }
        // Headers: the syntax the handlers accept, so generated requests can be valid ones.
        for operation in document["paths"].as_object_mut().into_iter().flat_map(|paths| paths.values_mut()).flat_map(|item| item.as_object_mut().into_iter().flat_map(|m| m.values_mut())) {
            for parameter in operation.get_mut("parameters").and_then(|p| p.as_array_mut()).into_iter().flatten() {
                let schema = match parameter["name"].as_str() {
                    Some("Idempotency-Key") => serde_json::json!({ "type": "string", "pattern": "^[!-~]{1,200}$" }),
                    Some("If-Match") => serde_json::json!({ "type": "string", "pattern": "^(\\*|(W/)?\"[!#-~]*\")$" }),
                    _ => continue,
                };
                parameter["schema"] = schema;
            }
        }
        document
    });
    &DOCUMENT
}

/// `GET /api/v1/openapi.json`.
pub(super) async fn document() -> Json<&'static serde_json::Value> {
    Json(document_json())
}
