//! What 3CX's XAPI and Microsoft Graph have in common: a token from the OAuth2 client
//! credentials grant, sent as `Authorization: Bearer …`, and OData listings
//! (`{"value":[…],"@odata.nextLink":"…"}`).

use super::{MAX_PAGES, MAX_RECORDS, PbxError, Progress, read_json, send};
use crate::egress::HttpClient;
use reqwest::Url;
use serde::{Deserialize, Deserializer};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A token endpoint's error answer (RFC 6749, section 5.2), e.g.
/// `{"error":"invalid_client","error_description":"…"}`.
#[derive(Debug, Default, Deserialize)]
pub(in crate::pbx) struct Refusal {
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub error_description: String,
}

/// How a platform reads its token endpoint's refusal: the HTTP status and the error body.
pub(in crate::pbx) type ReadRefusal = Arc<dyn Fn(u16, &Refusal) -> PbxError + Send + Sync>;

/// The reading both platforms start from: a refused client or grant means the credentials
/// are wrong; anything else is an error status.
pub(in crate::pbx) fn refusal(status: u16, refusal: &Refusal) -> PbxError {
    match (status, refusal.error.as_str()) {
        (401 | 403, _) | (400, "invalid_client" | "unauthorized_client" | "invalid_grant") => PbxError::Rejected,
        _ => PbxError::Server(status),
    }
}

/// How a listing gets from one page to the next.
#[derive(Debug, Clone, Copy)]
pub(in crate::pbx) enum Paging {
    /// Only `@odata.nextLink` leads on (Microsoft Graph).
    NextLink,
    /// `$top=N&$skip=K` until a page comes back short; an `@odata.nextLink` is followed
    /// instead when the server sends one (3CX).
    TopSkip(u32),
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default, deserialize_with = "seconds")]
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct Page {
    value: Vec<serde_json::Value>,
    #[serde(default, rename = "@odata.nextLink")]
    next_link: Option<String>,
}

/// How long a token lives when the answer does not say (3CX's tokens live a minute).
const ASSUMED_LIFETIME: Duration = Duration::from_secs(60);

/// An access token and when to stop using it.
struct Token {
    value: String,
    renew_at: Instant,
}

/// When a token fetched at `fetched` that lives `lifetime` is replaced: a fifth of its
/// lifetime (at most a minute) early, so no request sets out with a token about to lapse.
pub(in crate::pbx) fn renew_at(fetched: Instant, lifetime: Duration) -> Instant {
    // Whatever a server claims, a token is kept at most a day (and no huge number overflows).
    let lifetime = lifetime.min(Duration::from_secs(24 * 3600));
    fetched + lifetime - (lifetime / 5).min(Duration::from_secs(60))
}

/// One platform's token endpoint and the requests that carry its tokens. Cheap to clone
/// (clones share the token); its `Debug` never shows the secret or the token.
#[derive(Clone)]
pub(in crate::pbx) struct Api {
    pub http: HttpClient,
    pub timeout: Duration,
    /// The token endpoint, or why the settings cannot name one (then nothing is sent).
    token_url: Result<String, PbxError>,
    /// The token request's form fields besides `grant_type`; one is the client secret.
    form: Vec<(&'static str, String)>,
    read_refusal: ReadRefusal,
    token: Arc<tokio::sync::Mutex<Option<Token>>>,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api").field("token_url", &self.token_url).field("timeout", &self.timeout).finish_non_exhaustive()
    }
}

impl Api {
    pub fn new(token_url: Result<String, PbxError>, form: Vec<(&'static str, String)>, read_refusal: ReadRefusal) -> Api {
        Api {
            http: HttpClient::default(),
            timeout: super::DEFAULT_TIMEOUT,
            token_url,
            form,
            read_refusal,
            token: Default::default(),
        }
    }

    /// GETs `url` and checks the answer is an OData page: proves the token may read it.
    pub async fn probe(&self, url: &str, forbidden: &str) -> Result<(), PbxError> {
        let response = self.get(&parse(url)?, forbidden, &mut false).await?;
        read_json::<Page>(response).await.map(|_| ())
    }

    /// Every record of the listing that starts at `first` (for [`Paging::TopSkip`], without
    /// `$top` and `$skip`), counting them into `progress` page by page. `what` names the
    /// listing in messages; `forbidden` says what a 403 means.
    pub async fn list<T: serde::de::DeserializeOwned>(
        &self,
        first: &str,
        paging: Paging,
        what: &str,
        forbidden: &str,
        progress: &Progress,
    ) -> Result<Vec<T>, PbxError> {
        let at_skip = |skip: usize| {
            let separator = if first.contains('?') { '&' } else { '?' };
            match paging {
                Paging::NextLink => parse(first),
                Paging::TopSkip(top) => parse(&format!("{first}{separator}$top={top}&$skip={skip}")),
            }
        };
        let mut url = at_skip(0)?;
        let mut requested = HashSet::from([url.to_string()]);
        let mut previous: Option<Vec<serde_json::Value>> = None;
        let mut records = Vec::new();
        let mut reauthenticated = false;
        loop {
            if requested.len() > MAX_PAGES {
                return Err(PbxError::TooMany("pages"));
            }
            let response = self.get(&url, forbidden, &mut reauthenticated).await?;
            let page: Page = read_json(response).await?;
            let count = page.value.len();
            if count > 0 && previous.as_ref() == Some(&page.value) {
                // A server that ignores $skip would otherwise be asked forever.
                return Err(PbxError::Malformed(format!("the {what} listing sends the same page again")));
            }
            progress.add(count);
            for value in &page.value {
                let record = T::deserialize(value).map_err(|e| {
                    tracing::info!(error = %e, "a PBX listing record does not have the documented shape");
                    PbxError::Malformed(format!("a record of the {what} listing does not have the documented shape"))
                })?;
                records.push(record);
            }
            if records.len() > MAX_RECORDS {
                return Err(PbxError::TooMany("records"));
            }
            let next = match page.next_link.as_deref().map(str::trim) {
                Some(link) if !link.is_empty() => {
                    let next = url
                        .join(link)
                        .map_err(|_| PbxError::Malformed(format!("the {what} listing's next link is not a URL")))?;
                    if next.origin() != url.origin() {
                        // Where it points is the PBX's text: it stays out of the message.
                        return Err(PbxError::Malformed(format!("the {what} listing's next page is on another server")));
                    }
                    next
                }
                _ => match paging {
                    Paging::TopSkip(top) if count >= top as usize => at_skip(records.len())?,
                    _ => return Ok(records),
                },
            };
            if !requested.insert(next.to_string()) {
                return Err(PbxError::Malformed(format!("the {what} listing repeats a page")));
            }
            url = next;
            previous = Some(page.value);
        }
    }

    /// GETs `url` with the token; a 401 (the token expired or was revoked) fetches a new
    /// token and asks again, once per `reauthenticated`.
    async fn get(&self, url: &Url, forbidden: &str, reauthenticated: &mut bool) -> Result<reqwest::Response, PbxError> {
        loop {
            let token = self.token().await?;
            let request = self
                .http
                .get(url.clone())
                .bearer_auth(&token)
                .header(reqwest::header::ACCEPT, "application/json")
                .timeout(self.timeout);
            let response = send(&self.http, request).await?;
            match response.status().as_u16() {
                401 if !*reauthenticated => {
                    *reauthenticated = true;
                    self.forget(&token).await;
                }
                401 => return Err(PbxError::Rejected),
                403 => return Err(PbxError::Forbidden(forbidden.to_string())),
                status if !(200..300).contains(&status) => return Err(PbxError::Server(status)),
                _ => return Ok(response),
            }
        }
    }

    /// The token held while it is fresh, or a new one.
    async fn token(&self) -> Result<String, PbxError> {
        let mut token = self.token.lock().await;
        if let Some(token) = token.as_ref().filter(|t| Instant::now() < t.renew_at) {
            return Ok(token.value.clone());
        }
        let fresh = self.fetch_token().await?;
        let value = fresh.value.clone();
        *token = Some(fresh);
        Ok(value)
    }

    /// Drops `stale` unless another call already replaced it.
    async fn forget(&self, stale: &str) {
        let mut token = self.token.lock().await;
        if token.as_ref().is_some_and(|t| t.value == stale) {
            *token = None;
        }
    }

    async fn fetch_token(&self) -> Result<Token, PbxError> {
        let url = self.token_url.as_ref().map_err(Clone::clone)?;
        let mut form: Vec<(&str, &str)> = self.form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        form.push(("grant_type", "client_credentials"));
        let fetched = Instant::now();
        let response = send(&self.http, self.http.post(url).form(&form).timeout(self.timeout)).await?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            // The body only explains the refusal; one that cannot be read explains nothing.
            let refusal = read_json::<Refusal>(response).await.unwrap_or_default();
            return Err((self.read_refusal)(status, &refusal));
        }
        let answer: TokenAnswer = read_json(response).await?;
        if answer.access_token.is_empty() {
            return Err(PbxError::Malformed("the token answer has no access_token".into()));
        }
        let lifetime = answer.expires_in.map_or(ASSUMED_LIFETIME, Duration::from_secs);
        Ok(Token { value: answer.access_token, renew_at: renew_at(fetched, lifetime) })
    }
}

fn parse(url: &str) -> Result<Url, PbxError> {
    Url::parse(url).map_err(|_| PbxError::InvalidUrl)
}

/// `expires_in` as a number of seconds; some servers send it as a string.
fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    use serde::de::Error;
    match Option::<serde_json::Value>::deserialize(deserializer)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| D::Error::custom("expires_in is not a number of seconds")),
        Some(serde_json::Value::String(s)) => s.trim().parse().map(Some).map_err(|_| D::Error::custom("expires_in is not a number of seconds")),
        Some(_) => Err(D::Error::custom("expires_in is not a number of seconds")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_renewed_before_they_expire() {
        let now = Instant::now();
        assert_eq!(renew_at(now, Duration::from_secs(60)), now + Duration::from_secs(48), "3CX: a minute");
        assert_eq!(renew_at(now, Duration::from_secs(3599)), now + Duration::from_secs(3539), "Entra: an hour");
        assert_eq!(renew_at(now, Duration::ZERO), now, "a token without lifetime is used once");
        assert_eq!(renew_at(now, Duration::from_secs(u64::MAX)), now + Duration::from_secs(24 * 3600 - 60), "capped, never an overflow");
    }

    #[test]
    fn expires_in_may_be_a_number_or_a_string() {
        let answer = |json: &str| serde_json::from_str::<TokenAnswer>(json).map(|a| a.expires_in);
        assert_eq!(answer(r#"{"access_token":"t","expires_in":60}"#).unwrap(), Some(60));
        assert_eq!(answer(r#"{"access_token":"t","expires_in":"3599"}"#).unwrap(), Some(3599));
        assert_eq!(answer(r#"{"access_token":"t"}"#).unwrap(), None);
        assert!(answer(r#"{"access_token":"t","expires_in":-1}"#).is_err());
    }

    #[test]
    fn refused_clients_are_rejected_other_refusals_are_errors() {
        let body = |error: &str| Refusal { error: error.into(), error_description: String::new() };
        assert_eq!(refusal(400, &body("invalid_client")), PbxError::Rejected);
        assert_eq!(refusal(401, &body("")), PbxError::Rejected);
        assert_eq!(refusal(400, &body("unsupported_grant_type")), PbxError::Server(400));
        assert_eq!(refusal(503, &body("")), PbxError::Server(503));
    }
}
