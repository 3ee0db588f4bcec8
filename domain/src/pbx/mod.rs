//! Connectors to the PBX platforms a customer's users live on: one client per platform over
//! its documented HTTP API, each implementing [`Pbx`] — the few operations a sync needs (test
//! the credentials, list an account's users, list its sub-accounts). [`Connector`] is any one
//! of them, built from a template's settings with [`Connector::new`].
//!
//! - [`kazoo::KazooClient`]: Kazoo's Crossbar API, logged in with an API key.
//! - [`threecx::ThreeCxClient`]: 3CX's XAPI (version 20), with an API client's OAuth2 client
//!   credentials.
//! - [`teams::TeamsClient`]: Microsoft Graph, with an Entra app's OAuth2 client credentials.
//!
//! 3CX and Graph share their plumbing (the private `oauth` module below): a client-credentials
//! token kept until shortly before it expires, and OData listings that follow
//! `@odata.nextLink` only to the server they started on, so the token never goes elsewhere.
//!
//! Every request has a timeout ([`DEFAULT_TIMEOUT`] unless set), and every failure is a
//! [`PbxError`] whose message can be shown to the reseller as it is.

pub mod kazoo;
mod oauth;
pub mod teams;
pub mod threecx;

pub use kazoo::KazooClient;
pub use teams::TeamsClient;
pub use threecx::ThreeCxClient;

use crate::egress::{HttpClient, MAX_BODY_BYTES, Refused, SendError, read_capped};
use model::pbx::PbxKind;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// How long one request to a PBX may take (connect, send, and read the whole body).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A user found on a PBX.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PbxUser {
    /// The PBX's own id of the user (stable across renames; the sync matches on it first).
    pub pbx_id: String,
    pub display_name: String,
    pub email: Option<String>,
    /// Whether the PBX marks the user as a call-centre agent.
    pub is_agent: bool,
    /// The PBX account (tenant) the user belongs to.
    pub account_id: String,
}

/// An account (tenant) on a PBX, e.g. a child account under the customer's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PbxAccount {
    pub id: String,
    pub name: String,
}

/// Why talking to a PBX failed. The messages are meant for the reseller's eyes: they are the
/// product's own words, never a socket error or bytes of the remote answer (those go to the
/// server log).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PbxError {
    /// The credentials (API key, client secret) were refused.
    #[error("The PBX rejected the API key")]
    Rejected,
    /// The template has no stored secret (it was dropped when its address changed).
    #[error("The PBX template has no API key or client secret: enter it on PBX Templates")]
    NoSecret,
    /// The egress policy refused the address (private, local or reserved networks).
    #[error("That address is not allowed: the portal does not connect to private, local or reserved networks")]
    NotAllowed,
    /// The URL cannot be used (not http/https, or not a URL at all).
    #[error("The PBX address is not a valid http:// or https:// URL")]
    InvalidUrl,
    /// The host name does not resolve.
    #[error("The PBX's host name could not be found")]
    UnknownHost,
    /// No connection could be made, or it broke (refused, reset, TLS).
    #[error("The PBX did not answer")]
    Unreachable,
    /// The PBX did not answer completely within the timeout.
    #[error("The PBX did not answer in time")]
    Timeout,
    /// The PBX answered with an HTTP error status (5xx, or a 4xx the connector does not expect).
    #[error("The PBX answered with an error (HTTP {0})")]
    Server(u16),
    /// The PBX sent a redirect to another server, which is not followed.
    #[error("The PBX redirected the portal to another server, which it does not follow")]
    Redirected,
    /// The answer was larger than [`crate::egress::MAX_BODY_BYTES`].
    #[error("The PBX sent an answer larger than 10 MiB")]
    TooLarge,
    /// A listing went on past [`MAX_RECORDS`] records or [`MAX_PAGES`] pages.
    #[error("The PBX lists more than the portal reads in one sync ({0})")]
    TooMany(&'static str),
    /// The answer was not JSON, or not the shape the platform documents; the text is the
    /// connector's own description of what was wrong, never the answer itself.
    #[error("The PBX sent a response the portal could not read: {0}")]
    Malformed(String),
    /// The account does not exist on the PBX, or the credentials may not see it.
    #[error("The PBX has no account {0} that this API key can see")]
    NotFound(String),
    /// The credentials were accepted but may not read what the portal needs (e.g. a Graph app
    /// without the User.Read.All permission); the text says what is missing.
    #[error("The PBX refused access: {0}")]
    Forbidden(String),
}

/// The most records one listing (or one sync, over all its listings) reads.
pub const MAX_RECORDS: usize = 100_000;
/// The most pages one listing reads (a server that sends empty pages forever stops here).
pub const MAX_PAGES: usize = 5_000;

impl PbxError {
    /// Whether trying again later may help (the sync retries these with backoff).
    pub fn is_transient(&self) -> bool {
        match self {
            PbxError::Unreachable | PbxError::UnknownHost | PbxError::Timeout => true,
            PbxError::Server(status) => *status >= 500 || *status == 429,
            PbxError::Rejected
            | PbxError::NoSecret
            | PbxError::NotAllowed
            | PbxError::InvalidUrl
            | PbxError::Redirected
            | PbxError::TooLarge
            | PbxError::TooMany(_)
            | PbxError::Malformed(_)
            | PbxError::NotFound(_)
            | PbxError::Forbidden(_) => false,
        }
    }
}

/// Counts the records a listing has received so far, so a running sync can show progress.
#[derive(Debug, Default)]
pub struct Progress(AtomicUsize);

impl Progress {
    pub fn add(&self, records: usize) {
        self.0.fetch_add(records, Ordering::Relaxed);
    }

    pub fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// What every platform's client can do. The futures are `Send` so syncs run on any worker.
pub trait Pbx {
    /// Checks that the PBX answers and accepts the credentials; reports the account (tenant,
    /// server) they reach.
    fn test(&self) -> impl Future<Output = Result<PbxAccount, PbxError>> + Send;

    /// Every user of `account` (all pages), counting them into `progress` as pages arrive.
    /// `account` is a Kazoo account id; platforms with one directory per connection (3CX,
    /// Teams) ignore it.
    fn list_users(&self, account: &str, progress: &Progress) -> impl Future<Output = Result<Vec<PbxUser>, PbxError>> + Send;

    /// The direct sub-accounts of `account` (all pages); empty where the platform has none.
    fn list_sub_accounts(&self, account: &str) -> impl Future<Output = Result<Vec<PbxAccount>, PbxError>> + Send;
}

/// Where and how to reach one PBX: a template's settings (and, for Teams, the customer's
/// directory tenant). Built by the caller from the stored template with its secret opened.
#[derive(Clone, Copy)]
pub struct Settings<'a> {
    pub kind: PbxKind,
    /// Kazoo: REST API URL. 3CX: server URL. Teams: Microsoft Graph URL (empty: the public cloud).
    pub api_url: &'a str,
    /// Kazoo: WebSocket URL (unused by the connector). Teams: sign-in (authority) URL (empty:
    /// the public cloud).
    pub websocket_url: &'a str,
    /// 3CX and Teams: the OAuth2 client id.
    pub client_id: &'a str,
    /// Teams: the directory (tenant) id to read users from.
    pub tenant_id: &'a str,
    /// Kazoo: the API key. 3CX and Teams: the client secret.
    pub secret: &'a str,
}

impl std::fmt::Debug for Settings<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("kind", &self.kind)
            .field("api_url", &self.api_url)
            .field("websocket_url", &self.websocket_url)
            .field("client_id", &self.client_id)
            .field("tenant_id", &self.tenant_id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// One PBX, whatever its platform.
#[derive(Debug, Clone)]
pub enum Connector {
    Kazoo(KazooClient),
    ThreeCx(ThreeCxClient),
    Teams(TeamsClient),
}

impl Connector {
    /// A connector for `settings` whose requests go through `http` (its egress policy and
    /// connection pool) and each take at most `timeout`. Nothing is sent until the first call;
    /// without a secret nothing is ever sent.
    pub fn new(settings: &Settings<'_>, http: HttpClient, timeout: Duration) -> Result<Connector, PbxError> {
        if settings.secret.is_empty() {
            return Err(PbxError::NoSecret);
        }
        match settings.kind {
            PbxKind::Kazoo => Ok(Connector::Kazoo(
                KazooClient::new(settings.api_url, settings.secret).with_http(http).with_timeout(timeout),
            )),
            PbxKind::ThreeCx => Ok(Connector::ThreeCx(
                ThreeCxClient::new(settings.api_url, settings.client_id, settings.secret).with_http(http).with_timeout(timeout),
            )),
            PbxKind::Teams => Ok(Connector::Teams(
                TeamsClient::new(settings.websocket_url, settings.api_url, settings.tenant_id, settings.client_id, settings.secret)
                    .with_http(http)
                    .with_timeout(timeout),
            )),
        }
    }
}

impl Pbx for Connector {
    async fn test(&self) -> Result<PbxAccount, PbxError> {
        match self {
            Connector::Kazoo(client) => client.test().await,
            Connector::ThreeCx(client) => client.test().await,
            Connector::Teams(client) => client.test().await,
        }
    }

    async fn list_users(&self, account: &str, progress: &Progress) -> Result<Vec<PbxUser>, PbxError> {
        match self {
            Connector::Kazoo(client) => client.list_users(account, progress).await,
            Connector::ThreeCx(client) => client.list_users(account, progress).await,
            Connector::Teams(client) => client.list_users(account, progress).await,
        }
    }

    async fn list_sub_accounts(&self, account: &str) -> Result<Vec<PbxAccount>, PbxError> {
        match self {
            Connector::Kazoo(client) => client.list_sub_accounts(account).await,
            Connector::ThreeCx(client) => client.list_sub_accounts(account).await,
            Connector::Teams(client) => client.list_sub_accounts(account).await,
        }
    }
}

/// Sends `request` through the egress policy of `http`. A redirect to another server comes
/// back as its 3xx answer, which is an error here.
async fn send(http: &HttpClient, request: reqwest::RequestBuilder) -> Result<reqwest::Response, PbxError> {
    let response = http.send(request).await.map_err(|e| match e {
        SendError::Refused(Refused::Address) => PbxError::NotAllowed,
        SendError::Refused(Refused::Scheme) => PbxError::InvalidUrl,
        SendError::Refused(Refused::UnknownHost) => PbxError::UnknownHost,
        SendError::Http(e) => transport_error(e),
    })?;
    if response.status().is_redirection() {
        return Err(PbxError::Redirected);
    }
    Ok(response)
}

/// The body as JSON of type `T`, read up to [`crate::egress::MAX_BODY_BYTES`].
async fn read_json<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> Result<T, PbxError> {
    let host = response.url().host_str().unwrap_or("").to_owned();
    let body = read_capped(response, MAX_BODY_BYTES).await.map_err(|e| match e {
        Some(e) => transport_error(e),
        None => PbxError::TooLarge,
    })?;
    let value: serde_json::Value =
        serde_json::from_slice(&body).map_err(|_| PbxError::Malformed("the answer is not JSON".into()))?;
    serde_json::from_value(value).map_err(|e| {
        // serde's text may quote the answer: it goes to the log, not to the reseller.
        tracing::info!(%host, error = %e, "a PBX answer does not have the documented shape");
        PbxError::Malformed("the answer does not have the shape the platform documents".into())
    })
}

/// A transport failure in the product's words; the details go to the server log.
fn transport_error(error: reqwest::Error) -> PbxError {
    if error.is_timeout() {
        return PbxError::Timeout;
    }
    if error.is_builder() {
        return PbxError::InvalidUrl;
    }
    let mut cause: &dyn std::error::Error = &error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    let host = error.url().and_then(|url| url.host_str()).unwrap_or("").to_owned();
    tracing::info!(%host, error = %cause, "a request to a PBX failed");
    PbxError::Unreachable
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_as_the_issue_asks() {
        assert_eq!(
            PbxError::Rejected.to_string(),
            "The PBX rejected the API key"
        );
        assert_eq!(
            PbxError::Server(503).to_string(),
            "The PBX answered with an error (HTTP 503)"
        );
        assert_eq!(PbxError::Unreachable.to_string(), "The PBX did not answer");
        assert!(PbxError::NotAllowed.to_string().starts_with("That address is not allowed"));
        assert!(
            PbxError::Malformed("x".into())
                .to_string()
                .starts_with("The PBX sent a response the portal could not read: ")
        );
        assert!(PbxError::Timeout.is_transient() && PbxError::Server(502).is_transient());
        assert!(!PbxError::Rejected.is_transient() && !PbxError::Server(400).is_transient());
        let forbidden = PbxError::Forbidden("the app has no User.Read.All permission".into());
        assert_eq!(forbidden.to_string(), "The PBX refused access: the app has no User.Read.All permission");
        assert!(!forbidden.is_transient());
    }
}
