//! Microsoft Teams, whose users are the directory's users, read through Microsoft Graph with an
//! Entra app registration's client credentials (application permission `User.Read.All`).
//!
//! - `POST {login}/{tenant}/oauth2/v2.0/token` with the form `client_id`, `client_secret`,
//!   `scope={graph}/.default`, `grant_type=client_credentials` answers
//!   `{"token_type":"Bearer","expires_in":3599,"access_token":"…"}`; the token is kept until
//!   shortly before it expires. Refusals come as `{"error":"…","error_description":"AADSTS…: …"}`:
//!   a refused client (400/401) is [`PbxError::Rejected`], an unknown tenant (`AADSTS90002`) is
//!   [`PbxError::NotFound`].
//! - `GET {graph}/v1.0/users?$select=id,displayName,mail,userPrincipalName,accountEnabled&$top=999`
//!   answers an OData page; the client follows `@odata.nextLink` (absolute, and followed only
//!   on the Graph URL's own origin, so the token never goes elsewhere). A 401 in the middle of a
//!   listing fetches a new token once and repeats the page; a 403 means the app lacks the
//!   permission ([`PbxError::Forbidden`]); 429 and 503 are transient [`PbxError::Server`] errors.
//! - **Agents**: Graph v1.0 has no call-queue agent flag for users (call queues and their agents
//!   live in Teams' own admin APIs), so [`PbxUser::is_agent`] is always false.
//! - A connection reads one directory (tenant): users' [`PbxUser::account_id`] is the tenant id,
//!   and there are no sub-accounts.
//!
//! The sign-in and Graph URLs default to Microsoft's public cloud; other values reach national
//! clouds (e.g. `https://login.microsoftonline.us`, `https://graph.microsoft.us`).

use super::oauth::{self, Paging};
use super::{Pbx, PbxAccount, PbxError, PbxUser, Progress};
use serde::Deserialize;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// Where apps of Microsoft's public cloud get their tokens.
pub const PUBLIC_LOGIN_URL: &str = "https://login.microsoftonline.com";
/// Microsoft Graph in the public cloud.
pub const PUBLIC_GRAPH_URL: &str = "https://graph.microsoft.com";

/// What a 403 from Graph means.
const MAY_NOT_READ_USERS: &str = "the app has no User.Read.All permission";

/// One directory (tenant) read through Microsoft Graph with one app's credentials. Cheap to
/// clone (clones share the token). Its `Debug` never shows the secret or the token.
#[derive(Clone)]
pub struct TeamsClient {
    /// The Graph URL without a trailing `/` or `/v1.0`.
    graph: String,
    tenant: String,
    client_id: String,
    api: oauth::Api,
}

impl std::fmt::Debug for TeamsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamsClient")
            .field("graph", &self.graph)
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl TeamsClient {
    /// A client for `tenant_id`'s directory. An empty `login_url` or `graph_url` means
    /// Microsoft's public cloud. Nothing is sent until the first call; a tenant id that is
    /// neither a GUID nor a domain name fails every call with [`PbxError::NotFound`].
    pub fn new(login_url: &str, graph_url: &str, tenant_id: &str, client_id: &str, client_secret: &str) -> TeamsClient {
        let login = base_url(login_url, PUBLIC_LOGIN_URL);
        let graph = base_url(graph_url, PUBLIC_GRAPH_URL);
        let graph = graph.strip_suffix("/v1.0").unwrap_or(&graph).trim_end_matches('/').to_string();
        let tenant = tenant_id.trim().to_string();
        let token_url = if is_tenant_id(&tenant) {
            Ok(format!("{login}/{tenant}/oauth2/v2.0/token"))
        } else {
            Err(PbxError::NotFound(tenant.clone()))
        };
        let form = vec![
            ("client_id", client_id.trim().to_string()),
            ("client_secret", client_secret.to_string()),
            ("scope", format!("{graph}/.default")),
        ];
        let unknown = tenant.clone();
        let read_refusal: oauth::ReadRefusal = Arc::new(move |status, refusal| match refusal_code(&refusal.error_description) {
            // Tenant not found; a tenant id that is no valid domain name.
            "AADSTS90002" | "AADSTS900023" if status == 400 => PbxError::NotFound(unknown.clone()),
            _ => oauth::refusal(status, refusal),
        });
        TeamsClient {
            api: oauth::Api::new(token_url, form, read_refusal),
            graph,
            tenant,
            client_id: client_id.trim().to_string(),
        }
    }

    /// Limits each request (connect, send and the whole body) to `timeout`.
    pub fn with_timeout(mut self, timeout: Duration) -> TeamsClient {
        self.api.timeout = timeout;
        self
    }

    /// Shares a `reqwest` client (its connection pool) with other connectors.
    pub fn with_http(mut self, http: crate::egress::HttpClient) -> TeamsClient {
        self.api.http = http;
        self
    }

    /// The Graph URL requests go to (without `/v1.0`).
    pub fn graph_url(&self) -> &str {
        &self.graph
    }
}

impl Pbx for TeamsClient {
    /// Fetches a token and reads one user, so an app without the permission fails too.
    async fn test(&self) -> Result<PbxAccount, PbxError> {
        self.api.probe(&format!("{}/v1.0/users?$top=1&$select=id", self.graph), MAY_NOT_READ_USERS).await?;
        Ok(PbxAccount { id: self.tenant.clone(), name: self.tenant.clone() })
    }

    /// Every user of the tenant; `account` is ignored (the connection names the tenant).
    async fn list_users(&self, _account: &str, progress: &Progress) -> Result<Vec<PbxUser>, PbxError> {
        let url = format!("{}/v1.0/users?$select=id,displayName,mail,userPrincipalName,accountEnabled&$top=999", self.graph);
        let records: Vec<GraphUser> = self.api.list(&url, Paging::NextLink, "users", MAY_NOT_READ_USERS, progress).await?;
        let mut seen = HashSet::new();
        let mut users = Vec::with_capacity(records.len());
        for record in records {
            if record.id.trim().is_empty() {
                return Err(PbxError::Malformed("a user of the users listing has no id".into()));
            }
            if seen.insert(record.id.clone()) {
                users.push(user(record, &self.tenant));
            }
        }
        Ok(users)
    }

    /// None: a directory has no sub-accounts.
    async fn list_sub_accounts(&self, _account: &str) -> Result<Vec<PbxAccount>, PbxError> {
        Ok(Vec::new())
    }
}

/// A user as Graph lists it (only the fields the client reads).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphUser {
    id: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    mail: Option<String>,
    #[serde(default)]
    user_principal_name: Option<String>,
}

fn base_url(url: &str, default: &str) -> String {
    match url.trim().trim_end_matches('/') {
        "" => default.to_string(),
        url => url.to_string(),
    }
}

/// A directory (tenant) id as Entra accepts it in the token URL: a GUID or a domain name such
/// as `contoso.onmicrosoft.com`. Nothing that could change the path or query.
fn is_tenant_id(tenant: &str) -> bool {
    let domain_like = tenant.contains('.')
        && tenant.split('.').all(|label| !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    domain_like || model::pbx::guid("", tenant).is_ok()
}

/// The `AADSTS…` code an Entra error description starts with.
fn refusal_code(description: &str) -> &str {
    description.split(':').next().unwrap_or("").trim()
}

fn user(record: GraphUser, tenant: &str) -> PbxUser {
    let non_empty = |value: Option<String>| value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let principal = non_empty(record.user_principal_name);
    // A guest's principal name (`ada_example.com#EXT#@contoso.onmicrosoft.com`) is no mailbox.
    let email = non_empty(record.mail).or_else(|| principal.clone().filter(|p| p.contains('@') && !p.contains("#EXT#")));
    let display_name = non_empty(record.display_name).or_else(|| email.clone()).or(principal).unwrap_or_else(|| record.id.clone());
    PbxUser { pbx_id: record.id, display_name, email, is_agent: false, account_id: tenant.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(json: &str) -> GraphUser {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn empty_urls_mean_the_public_cloud() {
        let public = TeamsClient::new("", " ", "contoso.onmicrosoft.com", "app", "secret");
        assert_eq!(public.graph_url(), PUBLIC_GRAPH_URL);
        let us = TeamsClient::new("https://login.microsoftonline.us/", "https://graph.microsoft.us/v1.0/", "contoso.onmicrosoft.com", "app", "s");
        assert_eq!(us.graph_url(), "https://graph.microsoft.us");
    }

    #[test]
    fn tenant_ids_are_guids_or_domain_names() {
        for ok in ["72f988bf-86f1-41af-91ab-2d7cd011db47", "contoso.onmicrosoft.com", "contoso.com"] {
            assert!(is_tenant_id(ok), "{ok}");
        }
        for bad in ["", "common", "contoso", "a/b.com", "contoso.com?x=1", "contoso.com#x", "../x.y", "contoso..com", "a b.com"] {
            assert!(!is_tenant_id(bad), "{bad}");
        }
    }

    #[test]
    fn emails_come_from_mail_or_a_members_principal_name() {
        let email = |json: &str| user(record(json), "t").email;
        assert_eq!(email(r#"{"id":"1","mail":" ada@contoso.com ","userPrincipalName":"ada@contoso.onmicrosoft.com"}"#).as_deref(), Some("ada@contoso.com"));
        assert_eq!(email(r#"{"id":"1","mail":null,"userPrincipalName":"ada@contoso.onmicrosoft.com"}"#).as_deref(), Some("ada@contoso.onmicrosoft.com"));
        assert_eq!(email(r#"{"id":"1","mail":"","userPrincipalName":"ada_example.com#EXT#@contoso.onmicrosoft.com"}"#), None);
        assert_eq!(email(r#"{"id":"1","userPrincipalName":"no-at-sign"}"#), None);
    }

    #[test]
    fn users_get_a_name_and_the_tenant() {
        let named = user(record(r#"{"id":"u1","displayName":" Ada Lovelace ","mail":"ada@contoso.com"}"#), "tenant-1");
        assert_eq!(
            named,
            PbxUser {
                pbx_id: "u1".into(),
                display_name: "Ada Lovelace".into(),
                email: Some("ada@contoso.com".into()),
                is_agent: false,
                account_id: "tenant-1".into(),
            }
        );
        assert_eq!(user(record(r#"{"id":"u1","displayName":"","mail":"ada@contoso.com"}"#), "t").display_name, "ada@contoso.com");
        assert_eq!(user(record(r#"{"id":"u1","userPrincipalName":"x#EXT#@contoso.com"}"#), "t").display_name, "x#EXT#@contoso.com");
        assert_eq!(user(record(r#"{"id":"u1"}"#), "t").display_name, "u1");
    }

    #[test]
    fn entra_refusals_name_their_code() {
        assert_eq!(refusal_code("AADSTS90002: Tenant 'x' not found. Trace ID: …"), "AADSTS90002");
        assert_eq!(refusal_code("AADSTS900023: Specified tenant identifier is neither …"), "AADSTS900023");
        assert_eq!(refusal_code(""), "");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let client = TeamsClient::new("", "", "contoso.com", "app-id", "s3cret-value");
        let debug = format!("{client:?}");
        assert!(debug.contains("app-id") && debug.contains("contoso.com") && !debug.contains("s3cret-value"), "{debug}");
    }
}
