//! Webhook endpoints: where a reseller's events are delivered, signed per the Standard
//! Webhooks specification, and the deliveries' log.

use crate::FieldErrors;
use crate::field::optional_text;
use serde::{Deserialize, Serialize};

/// The longest endpoint URL accepted.
pub const URL_MAX: usize = 2_000;
/// The longest description.
pub const DESCRIPTION_MAX: usize = 500;
/// Endpoints one reseller may have.
pub const MAX_ENDPOINTS: u64 = 20;

/// An endpoint as its form edits it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointForm {
    pub url: String,
    pub description: String,
    /// Comma-separated event type names; empty for every type.
    pub event_types: String,
    pub enabled: bool,
}

impl EndpointForm {
    /// The form's field errors. Outside demo mode the URL must be https; the egress policy
    /// (which addresses the server may call) is checked by the service.
    pub fn validate(&self, allow_http: bool) -> FieldErrors {
        let mut errors = FieldErrors::default();
        errors.check("url", url(&self.url, allow_http));
        errors.check("description", optional_text("Description", &self.description, DESCRIPTION_MAX));
        if let Err(m) = crate::events::parse_types(&self.event_types) {
            errors.add("event_types", m);
        }
        errors
    }
}

/// An endpoint URL's rule.
pub fn url(value: &str, allow_http: bool) -> Result<(), String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("Enter the URL the events are sent to.".into());
    }
    if value.chars().count() > URL_MAX {
        return Err(format!("Use at most {URL_MAX} characters."));
    }
    let rest = match (value.strip_prefix("https://"), value.strip_prefix("http://")) {
        (Some(rest), _) => rest,
        (None, Some(rest)) if allow_http => rest,
        (None, Some(_)) => return Err("The URL must start with https://: events are sent only over an encrypted connection.".into()),
        (None, None) => return Err(if allow_http { "The URL must start with https:// (or http://).".into() } else { "The URL must start with https://.".into() }),
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.contains('@') {
        return Err("The URL must not contain a user name or password: receivers check the signature instead.".into());
    }
    if host.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("Enter a whole URL, like https://hooks.example.com/portal.".into());
    }
    if value.contains('#') {
        return Err("The URL cannot have a #fragment.".into());
    }
    Ok(())
}

/// An endpoint as its page shows it (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointView {
    pub id: i64,
    pub url: String,
    pub description: String,
    /// The type names it receives; empty for all.
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// Why the portal disabled it, if it did (after failing for days).
    pub disabled_reason: Option<String>,
    pub version: i32,
    /// In the reseller's time zone.
    pub created_at: String,
    /// Until when the previous secret still signs too (after a rotation), if it does.
    pub previous_secret_until: Option<String>,
    pub health: Health,
}

/// How deliveries to an endpoint went over the last 24 hours (by their last attempt).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Deliveries whose last attempt in the last day succeeded.
    pub delivered: u64,
    /// Deliveries whose last attempt in the last day failed (retried later, or given up).
    pub failing: u64,
    /// Deliveries waiting for an attempt or a retry now.
    pub pending: u64,
    /// Since when it has failed without a success in between, if it is failing.
    pub failing_since: Option<String>,
}

impl Health {
    /// Delivered ÷ (delivered + failing), in whole percent; `None` with no attempts.
    pub fn success_rate(&self) -> Option<u64> {
        let all = self.delivered + self.failing;
        (all > 0).then(|| (self.delivered * 100 + all / 2) / all)
    }
}

/// A new endpoint, or a rotated secret: the signing secret is shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithSecret {
    pub endpoint: EndpointView,
    /// `whsec_…`, as the Standard Webhooks libraries take it.
    pub secret: String,
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "db", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "db", sea_orm(rs_type = "String", db_type = "String(sea_orm::sea_query::StringLen::N(16))"))]
pub enum DeliveryStatus {
    /// Waiting for its first attempt or a retry.
    #[cfg_attr(feature = "db", sea_orm(string_value = "pending"))]
    Pending,
    #[cfg_attr(feature = "db", sea_orm(string_value = "delivered"))]
    Delivered,
    /// Every attempt failed; "Resend" tries again.
    #[cfg_attr(feature = "db", sea_orm(string_value = "failed"))]
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "Pending",
            DeliveryStatus::Delivered => "Delivered",
            DeliveryStatus::Failed => "Failed",
        }
    }
}

/// One delivery of one event to one endpoint, as the delivery log shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: i64,
    /// The event's id (the `webhook-id` header).
    pub event_id: String,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// The last attempt's HTTP status, if the receiver answered.
    pub last_status_code: Option<i32>,
    /// How long the last attempt took, in milliseconds.
    pub last_response_ms: Option<i32>,
    /// What went wrong last, if it did (never the response body).
    pub last_error: Option<String>,
    /// Times in the reseller's time zone.
    pub created_at: String,
    pub last_attempt_at: Option<String>,
    pub next_attempt_at: Option<String>,
}

/// A page of an endpoint's delivery log, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryPage {
    pub deliveries: Vec<DeliveryView>,
    /// The cursor of the next (older) page, when there is one.
    pub older: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_https_outside_demo() {
        assert!(url("https://hooks.example.com/portal?x=1", false).is_ok());
        assert!(url("http://hooks.example.com", false).unwrap_err().contains("https://"));
        assert!(url("http://127.0.0.1:9000/hook", true).is_ok());
        for bad in ["", "ftp://x", "https://", "https://user:pw@hooks.example.com", "https://hooks.example.com/a b", "https://h.example/#x"] {
            assert!(url(bad, true).is_err(), "{bad}");
        }
        assert!(url(&format!("https://h.example/{}", "a".repeat(URL_MAX)), false).is_err());
    }

    #[test]
    fn forms_check_every_field() {
        let form = EndpointForm { url: "nope".into(), description: "d".repeat(DESCRIPTION_MAX + 1), event_types: "customer.nope".into(), enabled: true };
        let errors = form.validate(false);
        for field in ["url", "description", "event_types"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
    }

    #[test]
    fn the_success_rate_rounds_and_needs_attempts() {
        assert_eq!(Health::default().success_rate(), None);
        assert_eq!(Health { delivered: 2, failing: 1, ..Default::default() }.success_rate(), Some(67));
    }
}
