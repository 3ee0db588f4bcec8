//! Kazoo (2600Hz) over its Crossbar REST API, version 2.
//!
//! - `PUT {base}/v2/api_auth` with `{"data":{"api_key":"…"}}` answers
//!   `{"auth_token":"…","data":{"account_id":"…",…},"status":"success"}`; every later request
//!   carries the token in `X-Auth-Token`. A 401 here is [`PbxError::Rejected`].
//! - `GET {base}/v2/accounts/{id}/users?paginate=true&page_size=N[&start_key=K]` and
//!   `GET {base}/v2/accounts/{id}/children?…` answer `{"data":[…],"next_start_key":…,…}`; the
//!   client follows `next_start_key` until it is absent. A 401 in the middle of a listing (the
//!   token expired) re-authenticates once and repeats the page.
//! - **Agents**: ACDc (Kazoo's call centre) treats a user as an agent when its document has a
//!   non-empty `queues` list (the queue ids it belongs to), so that is what
//!   [`PbxUser::is_agent`] reports.
//!
//! The base URL is the template's REST API URL, with or without the trailing `/v2`.

use super::{DEFAULT_TIMEOUT, MAX_PAGES, MAX_RECORDS, Pbx, PbxAccount, PbxError, PbxUser, Progress, read_json, send};
use crate::egress::HttpClient;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// How many records one listing page asks for.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// The JSON Kazoo speaks, shared with the server's Kazoo simulator so the two cannot drift.
pub mod wire {
    use serde::{Deserialize, Deserializer, Serialize};

    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct AuthRequest {
        pub data: AuthRequestData,
    }

    #[derive(Clone, Serialize, Deserialize)]
    pub struct AuthRequestData {
        pub api_key: String,
    }

    impl std::fmt::Debug for AuthRequestData {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("AuthRequestData { api_key: <redacted> }")
        }
    }

    #[derive(Clone, Serialize, Deserialize)]
    pub struct AuthResponse {
        pub auth_token: String,
        pub data: AuthData,
        #[serde(default)]
        pub status: String,
    }

    impl std::fmt::Debug for AuthResponse {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("AuthResponse").field("auth_token", &"<redacted>").field("data", &self.data).field("status", &self.status).finish()
        }
    }

    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct AuthData {
        pub account_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub account_name: Option<String>,
    }

    /// One page of a listing.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct Page<T> {
        pub data: Vec<T>,
        /// Kazoo's start keys are view keys: usually strings, sometimes numbers or arrays.
        /// Anything other than a string is kept as its JSON text, which is how it goes back.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "any_key"
        )]
        pub next_start_key: Option<String>,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "any_key"
        )]
        pub start_key: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub page_size: Option<u64>,
        #[serde(default)]
        pub status: String,
    }

    /// A user as the users listing shows it.
    #[derive(Debug, Clone, Default, Serialize, Deserialize)]
    pub struct UserDoc {
        pub id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub first_name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub last_name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub email: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub username: Option<String>,
        /// ACDc queue ids; non-empty means the user is a call-centre agent.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub queues: Vec<String>,
    }

    /// An account as the children listing shows it.
    #[derive(Debug, Clone, Default, Serialize, Deserialize)]
    pub struct AccountDoc {
        pub id: String,
        #[serde(default)]
        pub name: String,
    }

    /// Query parameters of a listing.
    #[derive(Debug, Clone, Default, Serialize, Deserialize)]
    pub struct ListQuery {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub paginate: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub page_size: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub start_key: Option<String>,
    }

    /// Kazoo's error envelope.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct ErrorBody {
        pub data: ErrorData,
        pub error: String,
        pub message: String,
        pub status: String,
    }

    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct ErrorData {
        pub message: String,
    }

    impl ErrorBody {
        pub fn new(code: u16, message: &str) -> ErrorBody {
            ErrorBody {
                data: ErrorData {
                    message: message.replace('_', " "),
                },
                error: code.to_string(),
                message: message.into(),
                status: "error".into(),
            }
        }
    }

    fn any_key<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
        Ok(
            match Option::<serde_json::Value>::deserialize(deserializer)? {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(key)) => Some(key),
                Some(other) => Some(other.to_string()),
            },
        )
    }
}

/// The account the API key belongs to, as `api_auth` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KazooAuth {
    pub account_id: String,
    pub account_name: Option<String>,
}

/// A Kazoo cluster reached with one API key. Cheap to clone (clones share the token).
/// Its `Debug` shows the URL only: the key and token never reach a log.
#[derive(Clone)]
pub struct KazooClient {
    http: HttpClient,
    /// The REST API URL without a trailing `/` or `/v2`.
    base: String,
    api_key: String,
    timeout: Duration,
    page_size: u32,
    token: Arc<tokio::sync::Mutex<Option<String>>>,
}

impl std::fmt::Debug for KazooClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KazooClient").field("base", &self.base).field("api_key", &"<redacted>").finish_non_exhaustive()
    }
}

impl KazooClient {
    /// A client for the REST API at `api_url` (e.g. `https://kazoo.example.com:8443` or
    /// `…:8443/v2`). Nothing is sent until the first call.
    pub fn new(api_url: &str, api_key: &str) -> KazooClient {
        let base = api_url.trim().trim_end_matches('/');
        let base = base
            .strip_suffix("/v2")
            .unwrap_or(base)
            .trim_end_matches('/');
        KazooClient {
            http: HttpClient::default(),
            base: base.to_string(),
            api_key: api_key.to_string(),
            timeout: DEFAULT_TIMEOUT,
            page_size: DEFAULT_PAGE_SIZE,
            token: Default::default(),
        }
    }

    /// Limits each request (connect, send and the whole body) to `timeout`.
    pub fn with_timeout(mut self, timeout: Duration) -> KazooClient {
        self.timeout = timeout;
        self
    }

    /// Asks listings for `page_size` records a page (at least 1).
    pub fn with_page_size(mut self, page_size: u32) -> KazooClient {
        self.page_size = page_size.max(1);
        self
    }

    /// Sends through `http` (its egress policy and connection pool); the default client
    /// reaches public addresses only.
    pub fn with_http(mut self, http: HttpClient) -> KazooClient {
        self.http = http;
        self
    }

    /// The base URL requests go to (without `/v2`).
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Authenticates with the API key now (replacing any token held) and reports its account.
    pub async fn authenticate(&self) -> Result<KazooAuth, PbxError> {
        let mut token = self.token.lock().await;
        let (new_token, auth) = self.api_auth().await?;
        *token = Some(new_token);
        Ok(auth)
    }

    /// Every user of `account_id`, following the pages.
    pub async fn users(&self, account_id: &str) -> Result<Vec<PbxUser>, PbxError> {
        self.list_users(account_id, &Progress::default()).await
    }

    async fn users_counted(&self, account_id: &str, progress: &Progress) -> Result<Vec<PbxUser>, PbxError> {
        let docs: Vec<wire::UserDoc> = self.list(account_id, "users", progress).await?;
        let mut seen = HashSet::new();
        Ok(docs
            .into_iter()
            .filter(|doc| seen.insert(doc.id.clone()))
            .map(|doc| user(doc, account_id))
            .collect())
    }

    /// The direct child accounts of `account_id`, following the pages.
    pub async fn children(&self, account_id: &str) -> Result<Vec<PbxAccount>, PbxError> {
        let docs: Vec<wire::AccountDoc> = self.list(account_id, "children", &Progress::default()).await?;
        let mut seen = HashSet::new();
        Ok(docs
            .into_iter()
            .filter(|doc| seen.insert(doc.id.clone()))
            .map(|doc| PbxAccount {
                name: if doc.name.trim().is_empty() {
                    doc.id.clone()
                } else {
                    doc.name.trim().to_string()
                },
                id: doc.id,
            })
            .collect())
    }

    async fn api_auth(&self) -> Result<(String, KazooAuth), PbxError> {
        let body = wire::AuthRequest {
            data: wire::AuthRequestData {
                api_key: self.api_key.clone(),
            },
        };
        let request = self
            .http
            .put(format!("{}/v2/api_auth", self.base))
            .json(&body)
            .timeout(self.timeout);
        let response = send(&self.http, request).await?;
        match response.status().as_u16() {
            401 | 403 => return Err(PbxError::Rejected),
            status if !(200..300).contains(&status) => return Err(PbxError::Server(status)),
            _ => {}
        }
        let auth: wire::AuthResponse = read_json(response).await?;
        if auth.auth_token.is_empty() {
            return Err(PbxError::Malformed(
                "the authentication answer has no auth_token".into(),
            ));
        }
        Ok((
            auth.auth_token,
            KazooAuth {
                account_id: auth.data.account_id,
                account_name: auth.data.account_name,
            },
        ))
    }

    /// The token held, or a new one.
    async fn token(&self) -> Result<String, PbxError> {
        let mut token = self.token.lock().await;
        if let Some(token) = token.as_ref() {
            return Ok(token.clone());
        }
        let (new_token, _) = self.api_auth().await?;
        *token = Some(new_token.clone());
        Ok(new_token)
    }

    /// Drops `stale` unless another call already replaced it.
    async fn forget(&self, stale: &str) {
        let mut token = self.token.lock().await;
        if token.as_deref() == Some(stale) {
            *token = None;
        }
    }

    async fn list<T: serde::de::DeserializeOwned>(
        &self,
        account_id: &str,
        resource: &str,
        progress: &Progress,
    ) -> Result<Vec<T>, PbxError> {
        // Kazoo account ids are hexadecimal; anything else cannot name an account (and must
        // not change the path).
        if account_id.is_empty()
            || !account_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(PbxError::NotFound(account_id.to_string()));
        }
        let url = format!("{}/v2/accounts/{account_id}/{resource}", self.base);
        let page_size = self.page_size.to_string();
        let mut records = Vec::new();
        let mut start_key: Option<String> = None;
        let mut seen_keys = HashSet::new();
        let mut reauthenticated = false;
        let mut pages = 0usize;
        loop {
            pages += 1;
            if pages > MAX_PAGES {
                return Err(PbxError::TooMany("pages"));
            }
            let token = self.token().await?;
            let mut query = vec![("paginate", "true"), ("page_size", page_size.as_str())];
            if let Some(key) = start_key.as_deref() {
                query.push(("start_key", key));
            }
            let request = self
                .http
                .get(&url)
                .query(&query)
                .header("X-Auth-Token", &token)
                .timeout(self.timeout);
            let response = send(&self.http, request).await?;
            match response.status().as_u16() {
                401 if !reauthenticated => {
                    reauthenticated = true;
                    self.forget(&token).await;
                    continue;
                }
                401 => return Err(PbxError::Rejected),
                403 | 404 => return Err(PbxError::NotFound(account_id.to_string())),
                status if !(200..300).contains(&status) => return Err(PbxError::Server(status)),
                _ => {}
            }
            let page: wire::Page<T> = read_json(response).await?;
            progress.add(page.data.len());
            records.extend(page.data);
            if records.len() > MAX_RECORDS {
                return Err(PbxError::TooMany("users"));
            }
            match page.next_start_key {
                None => return Ok(records),
                Some(key) if key.is_empty() => return Ok(records),
                Some(key) => {
                    if !seen_keys.insert(key.clone()) {
                        // The PBX's own key stays out of the message users see.
                        return Err(PbxError::Malformed(format!("the {resource} listing repeats a page it already sent")));
                    }
                    start_key = Some(key);
                }
            }
        }
    }
}

impl Pbx for KazooClient {
    /// Authenticates and reports the API key's own account.
    async fn test(&self) -> Result<PbxAccount, PbxError> {
        let auth = self.authenticate().await?;
        Ok(PbxAccount { name: auth.account_name.unwrap_or_else(|| auth.account_id.clone()), id: auth.account_id })
    }

    async fn list_users(&self, account: &str, progress: &Progress) -> Result<Vec<PbxUser>, PbxError> {
        self.users_counted(account, progress).await
    }

    async fn list_sub_accounts(&self, account: &str) -> Result<Vec<PbxAccount>, PbxError> {
        self.children(account).await
    }
}

fn user(doc: wire::UserDoc, account_id: &str) -> PbxUser {
    let non_empty = |value: Option<String>| {
        value
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let first = non_empty(doc.first_name).unwrap_or_default();
    let last = non_empty(doc.last_name).unwrap_or_default();
    let username = non_empty(doc.username);
    let email = non_empty(doc.email).or_else(|| username.clone().filter(|u| u.contains('@')));
    let display_name = match format!("{first} {last}").trim() {
        "" => username
            .or_else(|| email.clone())
            .unwrap_or_else(|| doc.id.clone()),
        name => name.to_string(),
    };
    PbxUser {
        is_agent: !doc.queues.is_empty(),
        pbx_id: doc.id,
        display_name,
        email,
        account_id: account_id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_url_may_end_with_v2() {
        for url in [
            "https://k.example:8443",
            "https://k.example:8443/",
            "https://k.example:8443/v2",
            "https://k.example:8443/v2/",
        ] {
            assert_eq!(
                KazooClient::new(url, "key").base_url(),
                "https://k.example:8443"
            );
        }
    }

    #[test]
    fn users_get_a_name_whatever_the_document_has() {
        let doc = |first: &str, last: &str, username: Option<&str>| wire::UserDoc {
            id: "u1".into(),
            first_name: Some(first.into()),
            last_name: Some(last.into()),
            username: username.map(Into::into),
            ..Default::default()
        };
        assert_eq!(
            user(doc("Ada", "Lovelace", None), "a").display_name,
            "Ada Lovelace"
        );
        let by_username = user(doc(" ", "", Some("ada@x.example")), "a");
        assert_eq!(
            (
                by_username.display_name.as_str(),
                by_username.email.as_deref()
            ),
            ("ada@x.example", Some("ada@x.example"))
        );
        assert_eq!(user(doc("", "", None), "a").display_name, "u1");
        assert!(
            user(
                wire::UserDoc {
                    queues: vec!["q".into()],
                    ..doc("A", "B", None)
                },
                "a"
            )
            .is_agent
        );
    }

    #[test]
    fn start_keys_of_any_json_type_are_kept() {
        let page: wire::Page<wire::AccountDoc> =
            serde_json::from_str(r#"{"data":[],"next_start_key":["a",1]}"#).unwrap();
        assert_eq!(page.next_start_key.as_deref(), Some(r#"["a",1]"#));
        let page: wire::Page<wire::AccountDoc> =
            serde_json::from_str(r#"{"data":[],"next_start_key":null}"#).unwrap();
        assert_eq!(page.next_start_key, None);
    }
}
