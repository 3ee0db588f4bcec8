//! Server-side context shared by the server functions and the axum layer: the database, the
//! session policy, how the session cookie is written, and the response's security policy.

use crate::AppError;
use domain::auth::AuthPolicy;
use http::request::Parts;
use leptos::prelude::*;
use model::CurrentUser;
use domain::db::DatabaseConnection;

/// What every server function may use, provided by the server for each request.
#[derive(Clone)]
pub struct AppContext {
    pub db: DatabaseConnection,
    pub auth: AuthPolicy,
    /// Served over https: cookies get `Secure` and the `__Host-` prefix.
    pub https: bool,
    /// Behind this many trusted reverse proxies: the client address is that many entries from
    /// the right of `X-Forwarded-For`. `None`: the socket's peer address.
    pub trust_forwarded_for: Option<u8>,
    /// Every outbound HTTP request (PBX connectors, "Test connection") goes through this
    /// client and its egress policy.
    pub http: domain::egress::HttpClient,
    /// "Test connection"'s per-reseller rate limit.
    pub connection_tests: domain::pbx_templates::ConnectionTests,
    /// Demo mode: the sign-in page shows the demo credentials.
    pub demo: bool,
    /// Seals and opens secrets stored in the database (PBX credentials).
    pub secrets: domain::secret::SecretBox,
    /// Wakes the mail worker; registered with `domain::db::wake_on_commit`, so every committed
    /// change wakes it (no door does it by hand).
    pub mail_queued: std::sync::Arc<tokio::sync::Notify>,
    /// The address browsers reach the portal at (links in emails), without a trailing `/`.
    pub public_url: String,
    /// Wakes the PBX sync worker, like `mail_queued` after every commit.
    pub sync_requested: std::sync::Arc<tokio::sync::Notify>,
}

/// The signed-in session, placed in the request's extensions by the server's session layer.
#[derive(Clone, Debug)]
pub struct Session {
    pub token: String,
    pub user: CurrentUser,
    /// Who the user acts as in the services: the only source of a browser request's reseller.
    pub actor: domain::activity::Actor,
}

/// The client's address, placed in the request's extensions by the server.
#[derive(Clone, Debug)]
pub struct ClientAddr(pub String);

/// The request id the server assigned; errors quote it.
pub fn request_id() -> String {
    use_context::<Parts>()
        .and_then(|p| p.headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

pub fn context() -> Result<AppContext, AppError> {
    use_context::<AppContext>().ok_or_else(|| internal("the application context is missing"))
}

/// The signed-in user, or `Unauthorized`. Every server function that touches reseller data
/// starts here.
pub fn require_user() -> Result<CurrentUser, AppError> {
    session().map(|s| s.user).ok_or_else(|| {
        respond_with(http::StatusCode::UNAUTHORIZED);
        AppError::Unauthorized
    })
}

/// The signed-in user as the domain's [`domain::activity::Actor`]: services check its
/// permissions and record it in the activity log.
pub fn actor() -> Result<domain::activity::Actor, AppError> {
    session().map(|s| s.actor).ok_or_else(|| {
        respond_with(http::StatusCode::UNAUTHORIZED);
        AppError::Unauthorized
    })
}

/// Sets the HTTP status of the server function's response, so clients other than the app
/// (scripts, monitoring, the browser's network panel) see what happened.
///
/// Not for a browser's own form post (the sign-in and sign-out forms): that is answered with a
/// redirect back to the form's page, the error in its query, and any other status would leave
/// the browser on the error's encoded body instead.
fn respond_with(status: http::StatusCode) {
    if posted_by_a_form() {
        return;
    }
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
}

/// Whether a browser posted this server function from a plain HTML form (it then accepts a
/// page, where the app's own calls accept the wire format).
fn posted_by_a_form() -> bool {
    use_context::<Parts>().is_some_and(|p| p.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html")))
}

pub fn session() -> Option<Session> {
    use_context::<Parts>().and_then(|p| p.extensions.get::<Session>().cloned())
}

pub fn client_addr() -> String {
    use_context::<Parts>()
        .and_then(|p| p.extensions.get::<ClientAddr>().map(|a| a.0.clone()))
        .unwrap_or_else(|| "unknown".into())
}

/// Logs an unexpected failure under the request id and returns what the user may see.
pub fn internal(detail: impl std::fmt::Display) -> AppError {
    let request_id = request_id();
    tracing::error!(%request_id, "{detail}");
    AppError::Internal { request_id }
}

impl From<domain::Error> for AppError {
    fn from(e: domain::Error) -> Self {
        use domain::Error as E;
        use http::StatusCode as S;
        let (status, error) = match e {
            E::Invalid(errors) => (S::UNPROCESSABLE_ENTITY, AppError::Invalid(errors)),
            E::NotFound => (S::NOT_FOUND, AppError::NotFound),
            E::Forbidden => (S::FORBIDDEN, AppError::Forbidden),
            E::Conflict(m) => (S::CONFLICT, AppError::Refused(m)),
            e @ (E::PreconditionFailed | E::AlreadyAnswered) => (S::CONFLICT, AppError::Refused(e.to_string())),
            E::Upstream(m) => (S::BAD_GATEWAY, AppError::Refused(m)),
            e @ E::InvalidCredentials => (S::UNAUTHORIZED, AppError::Refused(e.to_string())),
            E::Unauthenticated => (S::UNAUTHORIZED, AppError::Unauthorized),
            e @ (E::Throttled { .. } | E::TooManyRequests { .. }) => {
                let retry_after = match &e {
                    E::Throttled { retry_after } | E::TooManyRequests { retry_after, .. } => *retry_after,
                    _ => std::time::Duration::from_secs(1),
                };
                if let (Some(response), Ok(value)) = (
                    use_context::<leptos_axum::ResponseOptions>(),
                    http::HeaderValue::from_str(&retry_after.as_secs().max(1).to_string()),
                ) {
                    response.insert_header(http::header::RETRY_AFTER, value);
                }
                (S::TOO_MANY_REQUESTS, AppError::Refused(e.to_string()))
            }
            e @ (E::Db(_) | E::Internal(_)) => (S::INTERNAL_SERVER_ERROR, internal(e)),
        };
        respond_with(status);
        error
    }
}

/// The session cookie's name: `__Host-` prefixed when served over https, which browsers only
/// accept with `Secure`, `Path=/` and no `Domain`, so no sibling host can plant it.
pub fn session_cookie_name(https: bool) -> &'static str {
    if https { "__Host-portal_session" } else { "portal_session" }
}

/// The `Set-Cookie` value for a new session (or, with `None`, one that deletes it).
pub fn session_cookie(https: bool, token: Option<&str>) -> String {
    let name = session_cookie_name(https);
    let secure = if https { "; Secure" } else { "" };
    match token {
        Some(token) => format!("{name}={token}; Path=/; HttpOnly; SameSite=Lax{secure}"),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    }
}

/// The Content-Security-Policy: only this origin's scripts and wasm; inline scripts only with
/// the per-response nonce leptos puts on its hydration scripts; no framing.
pub fn content_security_policy(nonce: Option<&str>, dev_reload_port: Option<u32>) -> String {
    let script = match nonce {
        Some(n) => format!("script-src 'self' 'wasm-unsafe-eval' 'nonce-{n}'"),
        None => "script-src 'self' 'wasm-unsafe-eval'".to_owned(),
    };
    // In development cargo-leptos pushes reloads over a websocket on its own port.
    let connect = match dev_reload_port {
        Some(port) => format!("connect-src 'self' ws://127.0.0.1:{port} ws://localhost:{port}"),
        None => "connect-src 'self'".to_owned(),
    };
    format!(
        "default-src 'self'; {script}; style-src 'self'; img-src 'self' data:; {connect}; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Sends the CSP with this response's nonce. Called while the document shell renders, before
/// the first byte is streamed.
pub fn send_content_security_policy(options: &LeptosOptions) {
    let nonce = leptos::nonce::use_nonce().map(|n| n.to_string());
    // `cargo leptos watch` sets LEPTOS_WATCH; only then does the page open the reload socket.
    let reload = std::env::var_os("LEPTOS_WATCH").map(|_| options.reload_port);
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&content_security_policy(nonce.as_deref(), reload)),
    ) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The file name of the split bundle's chunk loader (`__wasm_split.<hash>.js`) in the site's
/// package folder, looked up once per process; `None` for a bundle that is not split.
pub fn chunk_loader(options: &LeptosOptions) -> Option<&'static str> {
    static NAME: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        let dir = std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
        // A folder may still hold an earlier build's files: the newest loader is this build's.
        std::fs::read_dir(dir)
            .ok()?
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let name = entry.file_name().into_string().ok()?;
                let modified = entry.metadata().ok()?.modified().ok()?;
                (name.starts_with("__wasm_split") && name.ends_with(".js")).then_some((modified, name))
            })
            .max()
            .map(|(_, name)| name)
    })
    .as_deref()
}
