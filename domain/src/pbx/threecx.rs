//! 3CX (version 20) over its configuration API, the XAPI, with the client id and secret of an
//! API client made in the 3CX admin console (Integrations → API).
//!
//! - `POST {server}/connect/token` with the form `client_id`, `client_secret`,
//!   `grant_type=client_credentials` answers `{"token_type":"Bearer","expires_in":60,
//!   "access_token":"…"}`; later requests carry `Authorization: Bearer …`. Tokens live a minute,
//!   so one is kept until shortly before it runs out, then a new one is fetched. A refused client
//!   (`{"error":"invalid_client"}`, 400 or 401) is [`PbxError::Rejected`].
//! - `GET {server}/xapi/v1/Users?$top=N&$skip=K&$orderby=Id&$select=…` answers an OData page
//!   `{"value":[{"Id":12,"Number":"100","FirstName":"…",…}],"@odata.nextLink"?:"…"}`. The client
//!   pages with `$top`/`$skip` until a page comes back short, or follows `@odata.nextLink` when
//!   the server sends one (only on the server's own origin). A 401 in the middle of a listing
//!   (the token lapsed) fetches a new token once and repeats the page.
//! - **Agents**: 3CX has no agent flag on users; a user is an agent when its extension number
//!   is an agent of any queue (`GET {server}/xapi/v1/Queues?$expand=Agents($select=Number)`).
//!   An API client whose role may not read queues (403) makes everyone a non-agent rather than
//!   failing the sync.
//! - A 3CX server has one directory: users have an empty [`PbxUser::account_id`], and there are
//!   no sub-accounts.
//!
//! The base URL is the template's server URL, e.g. `https://pbx.example.com:5001`.

use super::oauth::{self, Paging};
use super::{Pbx, PbxAccount, PbxError, PbxUser, Progress};
use serde::{Deserialize, Deserializer};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// How many records one listing page asks for.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// What a 403 on the users listing means.
const MAY_NOT_READ_USERS: &str = "the 3CX API client's role may not read users";

/// A 3CX server reached with one API client. Cheap to clone (clones share the token).
/// Its `Debug` shows the server and client id only: the secret and token never reach a log.
#[derive(Clone)]
pub struct ThreeCxClient {
    /// The server URL without a trailing `/`.
    server: String,
    client_id: String,
    page_size: u32,
    api: oauth::Api,
}

impl std::fmt::Debug for ThreeCxClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreeCxClient")
            .field("server", &self.server)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl ThreeCxClient {
    /// A client for the 3CX server at `server_url` (with or without a trailing `/xapi/v1`).
    /// Nothing is sent until the first call.
    pub fn new(server_url: &str, client_id: &str, client_secret: &str) -> ThreeCxClient {
        let server = server_url.trim().trim_end_matches('/');
        let server = server.strip_suffix("/xapi/v1").unwrap_or(server).trim_end_matches('/').to_string();
        let form = vec![("client_id", client_id.trim().to_string()), ("client_secret", client_secret.to_string())];
        ThreeCxClient {
            api: oauth::Api::new(Ok(format!("{server}/connect/token")), form, Arc::new(oauth::refusal)),
            server,
            client_id: client_id.trim().to_string(),
            page_size: DEFAULT_PAGE_SIZE,
        }
    }

    /// Limits each request (connect, send and the whole body) to `timeout`.
    pub fn with_timeout(mut self, timeout: Duration) -> ThreeCxClient {
        self.api.timeout = timeout;
        self
    }

    /// Asks listings for `page_size` records a page (at least 1).
    pub fn with_page_size(mut self, page_size: u32) -> ThreeCxClient {
        self.page_size = page_size.max(1);
        self
    }

    /// Shares a `reqwest` client (its connection pool) with other connectors.
    pub fn with_http(mut self, http: crate::egress::HttpClient) -> ThreeCxClient {
        self.api.http = http;
        self
    }

    /// The server URL requests go to.
    pub fn server_url(&self) -> &str {
        &self.server
    }

    /// The server's host name, which names it to the reseller.
    fn host(&self) -> String {
        reqwest::Url::parse(&self.server)
            .ok()
            .and_then(|url| url.host_str().map(str::to_string))
            .unwrap_or_else(|| self.server.clone())
    }

    /// The extension numbers that are agents of some queue; none when the API client may not
    /// read queues.
    async fn agent_numbers(&self) -> Result<HashSet<String>, PbxError> {
        let url = format!("{}/xapi/v1/Queues?$expand=Agents($select=Number)&$select=Id,Name&$orderby=Id", self.server);
        let forbidden = "the 3CX API client's role may not read queues";
        match self.api.list::<wire::Queue>(&url, Paging::TopSkip(self.page_size), "queues", forbidden, &Progress::default()).await {
            Ok(queues) => Ok(queues.into_iter().flat_map(|queue| queue.agents.unwrap_or_default()).filter_map(|agent| agent.number).collect()),
            Err(PbxError::Forbidden(_)) => Ok(HashSet::new()),
            Err(e) => Err(e),
        }
    }
}

impl Pbx for ThreeCxClient {
    /// Fetches a token and reads one user, so an API client that may not read users fails too.
    async fn test(&self) -> Result<PbxAccount, PbxError> {
        self.api.probe(&format!("{}/xapi/v1/Users?$top=1", self.server), MAY_NOT_READ_USERS).await?;
        let host = self.host();
        Ok(PbxAccount { name: format!("3CX at {host}"), id: host })
    }

    /// Every user of the server; `account` is ignored (3CX has one directory).
    async fn list_users(&self, _account: &str, progress: &Progress) -> Result<Vec<PbxUser>, PbxError> {
        let url = format!("{}/xapi/v1/Users?$orderby=Id&$select=Id,Number,FirstName,LastName,DisplayName,EmailAddress", self.server);
        let records: Vec<wire::User> = self.api.list(&url, Paging::TopSkip(self.page_size), "users", MAY_NOT_READ_USERS, progress).await?;
        let agents = self.agent_numbers().await?;
        let mut seen = HashSet::new();
        Ok(records.into_iter().filter(|record| seen.insert(record.id.clone())).map(|record| user(record, &agents)).collect())
    }

    /// None: a 3CX server has no sub-accounts.
    async fn list_sub_accounts(&self, _account: &str) -> Result<Vec<PbxAccount>, PbxError> {
        Ok(Vec::new())
    }
}

/// The XAPI records the client reads (only the fields it selects).
mod wire {
    use super::{Deserialize, text};

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct User {
        #[serde(deserialize_with = "id")]
        pub id: String,
        #[serde(default, deserialize_with = "text")]
        pub number: Option<String>,
        #[serde(default, deserialize_with = "text")]
        pub first_name: Option<String>,
        #[serde(default, deserialize_with = "text")]
        pub last_name: Option<String>,
        #[serde(default, deserialize_with = "text")]
        pub display_name: Option<String>,
        #[serde(default, deserialize_with = "text")]
        pub email_address: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct Queue {
        #[serde(default)]
        pub agents: Option<Vec<Agent>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct Agent {
        #[serde(default, deserialize_with = "text")]
        pub number: Option<String>,
    }

    /// A user's `Id`: a number in 3CX's JSON, accepted as a string too; never empty.
    fn id<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
        text(deserializer)?.ok_or_else(|| serde::de::Error::custom("a user has no Id"))
    }
}

/// A string or number field, trimmed; absent, null and empty are `None`.
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let text = match Option::<serde_json::Value>::deserialize(deserializer)? {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::String(s)) => s.trim().to_string(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(other) => return Err(serde::de::Error::custom(format!("expected a string or a number, found {other}"))),
    };
    Ok(Some(text).filter(|t| !t.is_empty()))
}

fn user(record: wire::User, agents: &HashSet<String>) -> PbxUser {
    let full_name = [record.first_name.as_deref(), record.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let display_name = Some(full_name)
        .filter(|name| !name.is_empty())
        .or(record.display_name)
        .or_else(|| record.number.clone())
        .unwrap_or_else(|| record.id.clone());
    PbxUser {
        is_agent: record.number.as_ref().is_some_and(|number| agents.contains(number)),
        pbx_id: record.id,
        display_name,
        email: record.email_address,
        account_id: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(json: &str) -> wire::User {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_server_url_may_end_with_the_api_path() {
        for url in ["https://pbx.example.com:5001", " https://pbx.example.com:5001/ ", "https://pbx.example.com:5001/xapi/v1/"] {
            assert_eq!(ThreeCxClient::new(url, "id", "secret").server_url(), "https://pbx.example.com:5001");
        }
        assert_eq!(ThreeCxClient::new("https://pbx.example.com:5001", "id", "secret").host(), "pbx.example.com");
    }

    #[test]
    fn ids_and_numbers_may_be_numbers_or_strings() {
        let numeric = record(r#"{"Id":12,"Number":100}"#);
        assert_eq!((numeric.id.as_str(), numeric.number.as_deref()), ("12", Some("100")));
        let textual = record(r#"{"Id":" 12 ","Number":"100"}"#);
        assert_eq!((textual.id.as_str(), textual.number.as_deref()), ("12", Some("100")));
        for bad in [r#"{"Number":"100"}"#, r#"{"Id":null}"#, r#"{"Id":""}"#, r#"{"Id":{"a":1}}"#] {
            assert!(serde_json::from_str::<wire::User>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn users_get_a_name_whatever_the_record_has() {
        let none = HashSet::new();
        let name = |json: &str| user(record(json), &none).display_name;
        assert_eq!(name(r#"{"Id":1,"FirstName":" Ada ","LastName":"Lovelace","DisplayName":"AL"}"#), "Ada Lovelace");
        assert_eq!(name(r#"{"Id":1,"FirstName":"Ada","LastName":""}"#), "Ada");
        assert_eq!(name(r#"{"Id":1,"LastName":"Lovelace"}"#), "Lovelace");
        assert_eq!(name(r#"{"Id":1,"FirstName":" ","DisplayName":"Front Desk","Number":"100"}"#), "Front Desk");
        assert_eq!(name(r#"{"Id":1,"Number":"100"}"#), "100");
        assert_eq!(name(r#"{"Id":1}"#), "1");
    }

    #[test]
    fn emails_are_trimmed_and_empty_ones_are_none() {
        let none = HashSet::new();
        assert_eq!(user(record(r#"{"Id":1,"EmailAddress":" ada@example.com "}"#), &none).email.as_deref(), Some("ada@example.com"));
        assert_eq!(user(record(r#"{"Id":1,"EmailAddress":"  "}"#), &none).email, None);
        assert_eq!(user(record(r#"{"Id":1,"EmailAddress":null}"#), &none).email, None);
    }

    #[test]
    fn agents_are_the_numbers_in_some_queue() {
        let agents = HashSet::from(["100".to_string()]);
        let agent = user(record(r#"{"Id":1,"Number":"100"}"#), &agents);
        assert!(agent.is_agent);
        assert_eq!((agent.pbx_id.as_str(), agent.account_id.as_str()), ("1", ""));
        assert!(!user(record(r#"{"Id":2,"Number":"101"}"#), &agents).is_agent);
        assert!(!user(record(r#"{"Id":3}"#), &agents).is_agent);
        let queue: wire::Queue = serde_json::from_str(r#"{"Id":1,"Name":"Sales","Agents":[{"Number":"100"},{"Number":null}]}"#).unwrap();
        assert_eq!(queue.agents.unwrap().into_iter().filter_map(|a| a.number).collect::<Vec<_>>(), ["100"]);
        let empty: wire::Queue = serde_json::from_str(r#"{"Id":2,"Name":"Empty","Agents":null}"#).unwrap();
        assert!(empty.agents.is_none());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let client = ThreeCxClient::new("https://pbx.example.com", "portal", "s3cret-value");
        let debug = format!("{client:?}");
        assert!(debug.contains("portal") && debug.contains("pbx.example.com") && !debug.contains("s3cret-value"), "{debug}");
    }
}
