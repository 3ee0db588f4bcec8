//! The HTTP side: router, middleware (request ids, logs, security headers, same-origin check,
//! sessions) and the health probes.

use crate::config::Config;
use crate::state::{panic_text, request_id_of};
pub use crate::state::AppState;
use app::ssr::{AppContext, ClientAddr, Session};
use app::{shell, App};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::map_request_body::MapRequestBodyLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// The app's routes, generated once per process.
///
/// Generating them runs the app with resource loading suppressed by a process-wide flag, and a
/// resource first polled while that flag is up never loads (leptos-rs/leptos#4773): a page
/// being rendered for one router while another router is built would stall mid-stream forever.
/// A server builds one router before it serves, but tests build many in one process, and two
/// streams stalled that way in CI. Generated once, before anything is served, no render can
/// meet the flag.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Builds the whole application: pages, server functions, probes, static files, middleware.
pub fn router(state: AppState) -> Router {
    router_with(state, Router::new(), Router::new())
}

/// [`router`], with `api_extra` among the REST API's routes and `app_extra` among the pages'
/// and server functions', under the same layers: how tests prove what the layers do to any
/// handler (a panic, an oversized body) on the router the portal really serves.
#[doc(hidden)]
pub fn router_with(state: AppState, api_extra: Router, app_extra: Router<AppState>) -> Router {
    let routes = route_list();
    let ctx = state.ctx.clone();
    let leptos_options = state.leptos_options.clone();
    let provide_ctx = move || leptos::prelude::provide_context(ctx.clone());

    let demo = state.ctx.demo;
    // The REST API: bearer tokens instead of sessions, so outside the session and same-origin
    // layers, with its own request ids and logs.
    let api = crate::rest::router(state.clone(), state.api_limit.clone()).merge(api_extra).layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(TraceLayer::new_for_http().make_span_with(request_span).on_response(log_response))
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(compression())
            .layer(middleware::from_fn(crate::rest::no_store))
            .layer(middleware::from_fn(crate::rest::envelope_errors))
            .layer(middleware::from_fn(crate::rest::catch_panics))
            .layer(RequestBodyLimitLayer::new(crate::rest::MAX_BODY_BYTES))
            .layer(MapRequestBodyLayer::new(Body::new)),
    );
    let app = app_extra
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/customers/export", get(crate::export::customers_csv))
        .route("/activity/export", get(crate::export::activity_csv))
        .route(crate::billing_export::ROUTE, get(crate::billing_export::download))
        .leptos_routes_with_context(&state, routes, provide_ctx.clone(), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(provide_ctx, shell))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(request_span).on_response(log_response))
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(compression())
                .layer(middleware::from_fn_with_state(state.clone(), security_headers))
                .layer(middleware::from_fn(catch_panics))
                // Server functions take small JSON or form bodies; nothing the app sends is larger.
                .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
                .layer(MapRequestBodyLayer::new(Body::new))
                .layer(middleware::from_fn_with_state(state.clone(), same_origin_only))
                .layer(middleware::from_fn_with_state(state.clone(), sessions)),
        )
        .with_state(state);
    let app = api.merge(app);
    if demo {
        // A PBX for the demo to talk to, outside the portal's session and same-origin checks
        // (its clients are servers, like a real PBX's).
        Router::new()
            .nest_service(KAZOO_SIMULATOR_PATH, crate::simulator::kazoo_router(crate::simulator::SimulatorState::demo()))
            .merge(app)
    } else {
        app
    }
}

/// Where demo mode serves the Kazoo simulator (its API under `…/v2`).
pub const KAZOO_SIMULATOR_PATH: &str = "/pbx-simulator/kazoo";

/// Pages, server-function answers, API answers and downloads are compressed (brotli, else gzip,
/// as the browser accepts). The bundle is not: a release build ships it precompressed (served
/// as is), and squeezing a debug build's 15 MB wasm on every request would cost more than it saves.
fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .no_deflate()
        .no_zstd()
        .compress_when(DefaultPredicate::new().and(NotForContentType::const_new("application/wasm")))
}

/// Where cargo-leptos records the bundle's content hashes (beside the server binary).
const HASH_FILE: &str = "hash.txt";

/// Builds the Leptos options from our configuration. cargo-leptos' variables (set under
/// `cargo leptos watch`) still name the bundle and the reload port.
pub fn leptos_options(config: &Config) -> LeptosOptions {
    let env_or = |key: &str, default: &str| std::env::var(key).unwrap_or_else(|_| default.to_owned());
    // cargo-leptos writes the bundle's content hashes next to the server binary; a build
    // without them (or a binary run from elsewhere, like the tests') uses the plain names.
    let hashed = std::env::current_exe().ok().and_then(|exe| exe.parent().map(|dir| dir.join(HASH_FILE).exists())).unwrap_or(false);
    warn_if_not_split(&config.site_root);
    LeptosOptions::builder()
        .output_name(env_or("LEPTOS_OUTPUT_NAME", "reseller-portal"))
        .site_root(config.site_root.clone())
        .hash_files(hashed)
        .hash_file(HASH_FILE.into())
        .site_pkg_dir(env_or("LEPTOS_SITE_PKG_DIR", "pkg"))
        .site_addr(config.bind)
        .reload_port(env_or("LEPTOS_RELOAD_PORT", "3001").parse::<u32>().unwrap_or(3001))
        .build()
}

/// The bundle has lazy routes (`app::routes`), so a site built without `cargo leptos build
/// --split` imports a placeholder module and no page hydrates: say so at start-up, not in a
/// browser console.
fn warn_if_not_split(site_root: &str) {
    let pkg = std::path::Path::new(site_root).join("pkg");
    let Ok(entries) = std::fs::read_dir(&pkg) else { return };
    let names: Vec<String> = entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    let has_bundle = names.iter().any(|n| n.ends_with(".wasm"));
    if has_bundle && !names.iter().any(|n| n.starts_with("__wasm_split")) {
        tracing::error!(
            site = %pkg.display(),
            "the site's wasm bundle was built without --split: pages will not become interactive; rebuild with `cargo leptos build --split`"
        );
    }
}

fn request_span(request: &Request<Body>) -> tracing::Span {
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", request_id, method = %request.method(), path = %request.uri().path())
}

fn log_response<B>(response: &axum::http::Response<B>, latency: Duration, _span: &tracing::Span) {
    tracing::info!(status = response.status().as_u16(), latency_ms = latency.as_secs_f64() * 1000.0, "response");
}

/// The largest request body a server function reads.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Where server functions answer (the REST API's `/api/v1` has a stack of its own).
fn is_server_fn(path: &str) -> bool {
    path.starts_with("/api/")
}

/// A bug must never leave the browser with a dropped connection or a blank page: the panic is
/// logged with the request id and the user gets a readable page quoting it, or, from a server
/// function, the `AppError` the page shows in the product's words. A body over the limit gets
/// a server function the same kind of answer instead of the limit layer's plain text.
async fn catch_panics(request: Request, next: Next) -> Response {
    use futures::FutureExt;
    let request_id = request_id_of(&request);
    let server_fn = is_server_fn(request.uri().path());
    match std::panic::AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) if server_fn && response.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_app_error(&response) => app_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &app::AppError::Refused(format!("This request is larger than the {} KiB the portal accepts.", MAX_BODY_BYTES / 1024)),
        ),
        Ok(response) => response,
        Err(panic) if server_fn => {
            tracing::error!(%request_id, detail = panic_text(&panic), "server function panicked");
            app_error(StatusCode::INTERNAL_SERVER_ERROR, &app::AppError::Internal { request_id })
        }
        Err(panic) => panic_response(&request_id, &panic),
    }
}

/// The content type of a server function's error answer.
const APP_ERROR_TYPE: &str = <<app::AppError as leptos::server_fn::error::FromServerFnError>::Encoder as leptos::server_fn::ContentType>::CONTENT_TYPE;

/// Whether the answer already is one of the server function's errors.
fn is_app_error(response: &Response) -> bool {
    response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with(APP_ERROR_TYPE))
}

/// A server function's error answer, encoded as its client decodes it.
fn app_error(status: StatusCode, error: &app::AppError) -> Response {
    use leptos::server_fn::error::FromServerFnError;
    (status, [(header::CONTENT_TYPE, APP_ERROR_TYPE)], error.ser()).into_response()
}

fn panic_response(request_id: &str, panic: &Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!(%request_id, detail = panic_text(panic), "request handler panicked");
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Something went wrong · Reseller Portal</title></head>\
        <body><main><h1>Something went wrong</h1><p>Something went wrong on our side and the page could not be shown. \
        Please try again. If it keeps happening, contact support and quote request id <code>{}</code>.</p>\
        <p><a href=\"/customers\">Go to Customers</a></p></main></body></html>",
        request_id.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "")
    );
    (StatusCode::INTERNAL_SERVER_ERROR, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}

/// `/healthz`: the process is up and serving.
async fn healthz() -> &'static str {
    "ok"
}

/// `/readyz`: the database answers, so requests can be served.
async fn readyz(State(ctx): State<AppContext>) -> Response {
    if domain::db::ping(&ctx.db).await {
        "ready".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
    }
}

/// Headers every response carries. HTML pages set their own CSP (with the nonce of their
/// hydration scripts); everything else gets the strict default.
async fn security_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let asset = Asset::of(request.uri().path());
    let mut response = next.run(request).await;
    let status = response.status();
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let csp = app::ssr::content_security_policy(None, None);
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_str(&csp).expect("static CSP is a valid header"));
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    headers.insert("permissions-policy", HeaderValue::from_static("camera=(), microphone=(), geolocation=()"));
    if state.ctx.https {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        let policy = match asset {
            // A missing file must not be remembered as missing: the next deploy may bring it.
            Asset::Hashed | Asset::Plain if !status.is_success() => "no-store",
            // Named by their content: a changed file gets a new name, so keep it for good.
            Asset::Hashed => "public, max-age=31536000, immutable",
            // Fixed names (the icon, a build without hashes): ask every time; a 304 is cheap.
            Asset::Plain => "no-cache",
            // Signed-in pages and data must not linger in shared or back-button caches.
            Asset::No => "no-store",
        };
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

/// Cross-site request forgery defence: a state-changing request from a browser must come from
/// this origin. Browsers say where a request comes from in `Sec-Fetch-Site` (modern) or
/// `Origin`; a request with neither is not from a browser, so no cookie was sent on a
/// victim's behalf.
async fn same_origin_only(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if is_safe_method(request.method()) || is_same_origin(request.headers(), &state.public_origin) {
        next.run(request).await
    } else {
        tracing::warn!(origin = ?request.headers().get(header::ORIGIN), "cross-site request refused");
        (StatusCode::FORBIDDEN, "Cross-site requests are not allowed.").into_response()
    }
}

fn is_safe_method(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

pub fn is_same_origin(headers: &HeaderMap, public_origin: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    let host_origin = headers.get(header::HOST).and_then(|h| h.to_str().ok()).map(|host| {
        let scheme = if public_origin.starts_with("https://") { "https" } else { "http" };
        format!("{scheme}://{host}")
    });
    origin == public_origin || host_origin.as_deref() == Some(origin)
}

/// Resolves the session cookie for every request and keeps signed-out browsers on the
/// sign-in page: a page request without a session is redirected to `/login?next=…`.
async fn sessions(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if is_static_asset(&path) || path == "/healthz" || path == "/readyz" {
        return next.run(request).await;
    }
    let ctx = &state.ctx;
    let addr = ClientAddr(client_addr(&request, ctx.trust_forwarded_for));
    request.extensions_mut().insert(addr);

    let cookie_name = app::ssr::session_cookie_name(ctx.https);
    let token = cookie_value(request.headers(), cookie_name);
    let mut stale_cookie = false;
    if let Some(token) = token {
        match domain::auth::resolve_session(&ctx.db, &ctx.auth, &token).await {
            Ok(Some(caller)) => {
                request.extensions_mut().insert(Session { token, user: caller.user, actor: caller.actor });
            }
            Ok(None) => stale_cookie = true,
            Err(e) => {
                let request_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
                tracing::error!(%request_id, "resolving a session failed: {e}");
                return (StatusCode::SERVICE_UNAVAILABLE, format!("The portal cannot reach its database right now. Please try again shortly. Request id: {request_id}")).into_response();
            }
        }
    }

    let signed_in = request.extensions().get::<Session>().is_some();
    let is_page = is_page_request(&request);
    // The activation link is its own credential: it opens without a session.
    let public_page = path == "/login" || path == "/activate";
    let mut response = if is_page && !signed_in && !public_page {
        let here = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let target = if here == "/" { "/login".to_owned() } else { format!("/login?next={}", model::url::encode_query_value(here)) };
        Redirect::to(&target).into_response()
    } else if is_page && signed_in && path == "/login" {
        Redirect::to("/customers").into_response()
    } else {
        next.run(request).await
    };
    if stale_cookie && !response.headers().contains_key(header::SET_COOKIE) {
        let clear = app::ssr::session_cookie(ctx.https, None);
        response.headers_mut().append(header::SET_COOKIE, HeaderValue::from_str(&clear).expect("cookie is a valid header"));
    }
    response
}

/// A browser navigating to a page of the app (not a file, probe or server function).
fn is_page_request(request: &Request) -> bool {
    let path = request.uri().path();
    matches!(*request.method(), Method::GET | Method::HEAD) && !path.starts_with("/api/") && !is_static_asset(path)
}

/// Files: the wasm bundle, styles, and anything in `public/` (they have an extension) — except
/// the billing downloads (`/billing/2026-10.csv`), which need the session and must not be cached.
/// What kind of static file a path names, which decides how long browsers may keep it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Asset {
    /// A bundle file whose name carries its content hash (`/pkg/name.<hash>.wasm`).
    Hashed,
    /// Any other static file.
    Plain,
    /// Not a static file: a page, a server function, a download.
    No,
}

impl Asset {
    fn of(path: &str) -> Asset {
        if !is_static_asset(path) {
            Asset::No
        } else if path.strip_prefix("/pkg/").is_some_and(has_content_hash) {
            Asset::Hashed
        } else {
            Asset::Plain
        }
    }
}

/// `reseller-portal.Vq3…kA.wasm`, `__wasm_split.…​.js`: cargo-leptos' content hash is the
/// 22-character URL-safe base64 of an MD5, between the stem and the extension.
fn has_content_hash(file: &str) -> bool {
    let mut parts = file.rsplit('.');
    let (Some(_ext), Some(hash), Some(_stem)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    hash.len() == 22 && hash.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn is_static_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || (!path.starts_with("/billing/") && path.rsplit('/').next().is_some_and(|last| last.contains('.')))
}

/// The client's address: the socket's peer, or behind `hops` trusted proxies the entry they
/// added to `X-Forwarded-For` (the `hops`-th from the right; each proxy appends what it saw, so
/// entries further left are the client's own words). Too few entries: the peer address.
fn client_addr(request: &Request, trusted_hops: Option<u8>) -> String {
    let peer = || request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_else(|| "unknown".into());
    let Some(hops) = trusted_hops else { return peer() };
    let entries: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    forwarded_client(&entries, hops).unwrap_or_else(peer)
}

fn forwarded_client(entries: &[&str], hops: u8) -> Option<String> {
    let index = entries.len().checked_sub(usize::from(hops))?;
    let entry = entries[index].trim();
    // `1.2.3.4`, `::1`, and the forms some proxies write: `1.2.3.4:5678`, `[::1]`, `[::1]:5678`.
    entry
        .parse::<std::net::IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| entry.strip_prefix('[').and_then(|e| e.strip_suffix(']')).and_then(|e| e.parse().ok()))
        .map(|ip| ip.to_string())
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        assert!(is_same_origin(&headers(&[("sec-fetch-site", "same-origin")]), "http://a"));
        assert!(!is_same_origin(&headers(&[("sec-fetch-site", "cross-site"), ("origin", "http://a")]), "http://a"));
        assert!(!is_same_origin(&headers(&[("sec-fetch-site", "same-site")]), "http://a"));
    }

    #[test]
    fn origin_must_match_the_public_url_or_the_host() {
        assert!(is_same_origin(&headers(&[("origin", "http://127.0.0.1:3000")]), "http://127.0.0.1:3000"));
        assert!(is_same_origin(&headers(&[("origin", "http://localhost:3000"), ("host", "localhost:3000")]), "http://127.0.0.1:3000"));
        assert!(!is_same_origin(&headers(&[("origin", "https://evil.example"), ("host", "localhost:3000")]), "http://127.0.0.1:3000"));
        assert!(!is_same_origin(&headers(&[("origin", "null")]), "http://127.0.0.1:3000"));
    }

    #[test]
    fn requests_without_browser_headers_are_not_cross_site() {
        assert!(is_same_origin(&HeaderMap::new(), "http://a"));
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let h = headers(&[("cookie", "x_portal_session=1; portal_session=abc; other=2")]);
        assert_eq!(cookie_value(&h, "portal_session").as_deref(), Some("abc"));
        assert_eq!(cookie_value(&h, "missing"), None);
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_with_a_readable_500_page() {
        use tower::ServiceExt;
        async fn boom() -> &'static str {
            panic!("boom")
        }
        let app: Router = Router::new().route("/boom", get(boom)).layer(middleware::from_fn(catch_panics));
        let response = app.oneshot(Request::get("/boom").header("x-request-id", "req-42").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "text/html; charset=utf-8");
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        assert!(String::from_utf8_lossy(&body).contains("Something went wrong on our side"));
        assert!(String::from_utf8_lossy(&body).contains("req-42"), "the page quotes the request id");
    }

    #[test]
    fn the_client_address_is_what_the_trusted_proxy_added() {
        // The client wrote "1.1.1.1" itself; the one proxy appended the address it saw.
        assert_eq!(forwarded_client(&["1.1.1.1", "203.0.113.7"], 1).as_deref(), Some("203.0.113.7"));
        assert_eq!(forwarded_client(&["1.1.1.1", "203.0.113.7", "10.0.0.2"], 2).as_deref(), Some("203.0.113.7"));
        assert_eq!(forwarded_client(&["203.0.113.7"], 2), None, "fewer entries than proxies: the peer");
        assert_eq!(forwarded_client(&["not-an-ip"], 1), None);
        assert_eq!(forwarded_client(&["203.0.113.7:5678"], 1).as_deref(), Some("203.0.113.7"));
        assert_eq!(forwarded_client(&["[2001:db8::1]:443"], 1).as_deref(), Some("2001:db8::1"));
        assert_eq!(forwarded_client(&["[2001:db8::1]"], 1).as_deref(), Some("2001:db8::1"));
        assert_eq!(forwarded_client(&[], 1), None);
    }

    #[test]
    fn files_are_not_pages() {
        assert!(is_static_asset("/pkg/reseller-portal.wasm"));
        assert!(is_static_asset("/favicon.svg"));
        assert!(!is_static_asset("/customers"));
        assert!(!is_static_asset("/billing/2026-10.csv"), "downloads are signed in");
    }
}
