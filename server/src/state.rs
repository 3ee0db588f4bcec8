//! What every part of the HTTP side shares: the handlers' state, and the request id and panic
//! text the panic catchers log (the page router in `http` and the REST API in `rest` both use
//! them, and neither imports the other's internals).

use app::ssr::AppContext;
use axum::extract::{FromRef, Request};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use leptos::config::LeptosOptions;
use std::num::NonZeroU32;
use std::sync::Arc;

/// What the handlers share.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub ctx: AppContext,
    pub public_origin: String,
    /// The REST API's per-client request budget.
    pub api_limit: RateLimit,
}

/// The request id the request-id layer gave the request.
pub fn request_id_of(request: &Request) -> String {
    request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned()
}

/// What a panic said, for the log.
pub fn panic_text(panic: &Box<dyn std::any::Any + Send + 'static>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "unknown panic".into())
}

/// Requests per minute per API client.
#[derive(Clone)]
pub struct RateLimit(pub(crate) Arc<DefaultKeyedRateLimiter<String>>);

impl RateLimit {
    pub fn per_minute(n: u32) -> RateLimit {
        let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
        RateLimit(Arc::new(RateLimiter::keyed(Quota::per_minute(n))))
    }
}

