//! The egress policy: every HTTP request the server makes on a reseller's behalf (PBX
//! connectors and their token endpoints, "Test connection", and any later outbound feature)
//! goes through an [`HttpClient`] built here, and nowhere else.
//!
//! A reseller chooses the URLs (a PBX template's), so without a policy a reseller's admin could
//! make the server call the operator's own network: the metadata service at 169.254.169.254,
//! a database on 10.x, the portal's own loopback ports. The policy refuses every address that is
//! not public:
//! loopback, private (RFC 1918), link-local, CGNAT (100.64/10), "this network" (0/8), IETF
//! protocol assignments, benchmarking, documentation, multicast, reserved and broadcast IPv4;
//! and for IPv6 the unspecified and loopback addresses, unique-local (fc00::/7), link-local,
//! site-local (fec0::/10), multicast, documentation, and any IPv4 address embedded in an IPv6
//! one (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16) judged as IPv4.
//!
//! **How it is enforced.** Host names are resolved by the client's own resolver
//! ([`PolicyResolver`]), which drops refused addresses and hands the connector only the
//! addresses it checked, so the connection goes to exactly what was checked (no second lookup
//! that a DNS-rebinding attacker could answer differently). Addresses written in the URL (no
//! lookup at all) are checked by [`HttpClient::send`] before anything is sent. Redirects are
//! followed only within the origin they started at (at most 5); body size is capped by the
//! readers ([`read_capped`]). The client does not use proxy settings from the environment.
//!
//! **Exceptions** are the operator's (`--egress-allow`): networks in CIDR notation, single
//! addresses, host names (any address they resolve to), or URL prefixes
//! (`http://127.0.0.1:3000/pbx-simulator/`, which demo mode adds for its built-in simulator).

use ipnet::IpNet;
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The largest response body the portal reads from a remote server.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// Why a request was not sent (or its answer not read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The URL's address (or every address its host name resolves to) is not public and no
    /// exception allows it.
    #[error("That address is not allowed: the portal does not connect to private, local or reserved networks.")]
    Address,
    /// Only http and https URLs are fetched.
    #[error("Only http:// and https:// addresses can be used.")]
    Scheme,
    /// The host name does not resolve.
    #[error("The host name could not be found.")]
    UnknownHost,
}

/// One exception to the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Addresses in this network may be connected to.
    Net(IpNet),
    /// This host name (lower case) may resolve to any address.
    Host(String),
    /// URLs starting with this prefix (scheme, host, port and path) may be fetched, wherever
    /// their host is.
    Prefix(Url),
}

impl Rule {
    /// Reads `text` as a CIDR (`10.20.0.0/16`), an address (`10.20.0.5`, `::1`), a URL prefix
    /// (`http://127.0.0.1:3000/pbx-simulator/`) or a host name (`pbx.internal.example`).
    pub fn parse(text: &str) -> Result<Rule, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("an empty egress exception".into());
        }
        if let Ok(net) = text.parse::<IpNet>() {
            return Ok(Rule::Net(net.trunc()));
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(Rule::Net(IpNet::from(ip)));
        }
        if text.starts_with("http://") || text.starts_with("https://") {
            let url = Url::parse(text).map_err(|e| format!("{text} is not a URL ({e})"))?;
            if url.host_str().is_none() {
                return Err(format!("{text} has no host"));
            }
            return Ok(Rule::Prefix(url));
        }
        let host = text.trim_end_matches('.').to_ascii_lowercase();
        let valid = host.split('.').all(|label| {
            !label.is_empty() && label.len() <= 63 && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        if !valid || host.len() > 253 {
            return Err(format!("{text} is neither a network (CIDR), an address, a URL nor a host name"));
        }
        Ok(Rule::Host(host))
    }
}

/// Which addresses outbound requests may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EgressPolicy {
    rules: Vec<Rule>,
}

impl EgressPolicy {
    /// Public addresses only.
    pub fn strict() -> EgressPolicy {
        EgressPolicy::default()
    }

    /// Public addresses, and whatever `rules` allow.
    pub fn with_rules(rules: impl IntoIterator<Item = Rule>) -> EgressPolicy {
        EgressPolicy { rules: rules.into_iter().collect() }
    }

    /// Also allows `rule`.
    pub fn allow(mut self, rule: Rule) -> EgressPolicy {
        self.rules.push(rule);
        self
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Whether a connection to `ip` is allowed.
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.rules.iter().any(|r| matches!(r, Rule::Net(net) if net.contains(&canonical(ip))))
    }

    /// Whether `host` (a name) may resolve to any address.
    fn allows_host_name(&self, host: &str) -> bool {
        let host = host_key(host);
        self.rules.iter().any(|r| match r {
            Rule::Host(allowed) => *allowed == host,
            Rule::Prefix(prefix) => prefix.host_str().is_some_and(|h| host_key(h) == host),
            Rule::Net(_) => false,
        })
    }

    fn within_prefix(&self, url: &Url) -> bool {
        self.rules.iter().any(|r| match r {
            Rule::Prefix(prefix) => {
                let path = prefix.path();
                // A whole path segment: `/v2` covers `/v2` and `/v2/…`, never `/v2-admin`.
                let under = url.path() == path
                    || url.path().strip_prefix(path).is_some_and(|rest| path.ends_with('/') || rest.starts_with('/'));
                prefix.scheme() == url.scheme()
                    && prefix.host_str().map(host_key) == url.host_str().map(host_key)
                    && prefix.port_or_known_default() == url.port_or_known_default()
                    && under
            }
            _ => false,
        })
    }

    /// Checks what can be checked of `url` before any lookup: its scheme, an address written in
    /// it, and URL-prefix exceptions (a host named only by a prefix exception may be fetched
    /// only within that prefix).
    pub fn check_url(&self, url: &Url) -> Result<(), Refused> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Refused::Scheme);
        }
        if self.within_prefix(url) {
            return Ok(());
        }
        match url.host() {
            Some(url::Host::Ipv4(ip)) if !self.allows_ip(IpAddr::V4(ip)) => Err(Refused::Address),
            Some(url::Host::Ipv6(ip)) if !self.allows_ip(IpAddr::V6(ip)) => Err(Refused::Address),
            Some(url::Host::Domain(host)) => {
                // Compared as the resolver will see it: `localhost.` is `localhost`.
                let host = host_key(host);
                let named_by_prefix_only = self
                    .rules
                    .iter()
                    .any(|r| matches!(r, Rule::Prefix(p) if p.host_str().is_some_and(|h| host_key(h) == host)))
                    && !self.rules.iter().any(|r| matches!(r, Rule::Host(h) if *h == host));
                if named_by_prefix_only { Err(Refused::Address) } else { Ok(()) }
            }
            None => Err(Refused::Address),
            _ => Ok(()),
        }
    }
}

impl EgressPolicy {
    /// [`EgressPolicy::check_url`], then the addresses the host name resolves to now: a URL
    /// the server would refuse to call is refused when it is entered (a webhook endpoint), not
    /// only when it is called. A name that does not resolve yet passes: calls to it fail and
    /// say so.
    ///
    /// The lookup waits at most [`LOOKUP_BOUND`]: a resolver that does not answer (an offline
    /// network, a DNS server that drops queries) must not hold the request that enters the URL,
    /// so past the bound the name counts as one that does not resolve yet.
    pub async fn check_destination(&self, url: &Url) -> Result<(), Refused> {
        self.check_destination_with(url, |host| async move { tokio::net::lookup_host((host.as_str(), 0)).await.map(|found| found.collect()) })
            .await
    }

    async fn check_destination_with<F, Lookup>(&self, url: &Url, lookup: F) -> Result<(), Refused>
    where
        F: FnOnce(String) -> Lookup,
        Lookup: std::future::Future<Output = std::io::Result<Vec<SocketAddr>>>,
    {
        self.check_url(url)?;
        if self.within_prefix(url) {
            return Ok(());
        }
        let Some(url::Host::Domain(host)) = url.host() else { return Ok(()) };
        if self.allows_host_name(host) {
            return Ok(());
        }
        match tokio::time::timeout(LOOKUP_BOUND, lookup(host.to_owned())).await {
            Ok(Ok(found)) => {
                if !found.is_empty() && !found.iter().any(|a| self.allows_ip(a.ip())) { Err(Refused::Address) } else { Ok(()) }
            }
            Ok(Err(_)) => Ok(()),
            Err(_) => {
                tracing::info!(%host, "checking a destination: the host name did not resolve within {LOOKUP_BOUND:?}; it is judged when it is called");
                Ok(())
            }
        }
    }
}

/// How long [`EgressPolicy::check_destination`] waits for a host name to resolve.
pub const LOOKUP_BOUND: Duration = Duration::from_secs(2);

/// A host name as rules compare it: lower case, without the root's trailing dot.
fn host_key(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// An IPv6 address that embeds an IPv4 one (mapped, compatible, NAT64, 6to4) as that IPv4
/// address; anything else as it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => embedded_v4(v6).map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    // IPv4-compatible (::a.b.c.d, deprecated), but not :: and ::1 themselves.
    if s[..6] == [0; 6] && (s[6] != 0 || s[7] > 1) {
        return Some(tail(s[6], s[7]));
    }
    // SIIT IPv4-translated (::ffff:0:a.b.c.d).
    if s[..4] == [0; 4] && s[4] == 0xffff && s[5] == 0 {
        return Some(tail(s[6], s[7]));
    }
    // NAT64 well-known prefix 64:ff9b::/96 (the local-use 64:ff9b:1::/48 is refused whole).
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4] {
        return Some(tail(s[6], s[7]));
    }
    // 6to4: 2002:AABB:CCDD::/48 carries AA.BB.CC.DD.
    if s[0] == 0x2002 {
        return Some(tail(s[1], s[2]));
    }
    None
}

/// Whether `ip` is an ordinary public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    let refused = o[0] == 0                                   // "this network", 0.0.0.0
        || o[0] == 10                                         // RFC 1918
        || o[0] == 127                                        // loopback
        || (o[0] == 100 && (64..128).contains(&o[1]))         // CGNAT 100.64/10
        || (o[0] == 169 && o[1] == 254)                       // link-local, cloud metadata
        || (o[0] == 172 && (16..32).contains(&o[1]))          // RFC 1918
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)            // IETF protocol assignments
        || (o[0] == 192 && o[1] == 0 && o[2] == 2)            // TEST-NET-1
        || (o[0] == 192 && o[1] == 88 && o[2] == 99)          // 6to4 relay anycast
        || (o[0] == 192 && o[1] == 168)                       // RFC 1918
        || (o[0] == 198 && (o[1] == 18 || o[1] == 19))        // benchmarking
        || (o[0] == 198 && o[1] == 51 && o[2] == 100)         // TEST-NET-2
        || (o[0] == 203 && o[1] == 0 && o[2] == 113)          // TEST-NET-3
        || o[0] >= 224; // multicast, reserved, broadcast
    !refused
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let refused = ip.is_unspecified()
        || ip.is_loopback()
        || (s[0] & 0xfe00) == 0xfc00       // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80       // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0       // site-local fec0::/10 (deprecated)
        || (s[0] & 0xff00) == 0xff00       // multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // discard-only 100::/64
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) // local-use NAT64 64:ff9b:1::/48
        || (s[0] == 0x2001 && s[1] == 0) // Teredo 2001::/32 (tunnels to an embedded IPv4)
        || (s[0] == 0x2001 && s[1] == 2 && s[2] == 0) // benchmarking 2001:2::/48
        || (s[0] & 0xfff0) == 0x3ff0 // documentation 3fff::/20
        || s[..6] == [0; 6]; // the rest of ::/96
    !refused
}

/// Resolves host names for [`HttpClient`], keeping only the addresses the policy allows.
struct PolicyResolver {
    policy: Arc<EgressPolicy>,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = match tokio::net::lookup_host((host.as_str(), 0)).await {
                Ok(addrs) => addrs.collect(),
                Err(e) => {
                    tracing::info!(%host, error = %e, "outbound request: the host name did not resolve");
                    return Err(Box::new(Refused::UnknownHost) as Box<dyn std::error::Error + Send + Sync>);
                }
            };
            let allowed: Vec<SocketAddr> = if policy.allows_host_name(&host) {
                found
            } else {
                found.into_iter().filter(|a| policy.allows_ip(a.ip())).collect()
            };
            if allowed.is_empty() {
                tracing::warn!(%host, "outbound request refused: the host name resolves only to addresses the egress policy refuses");
                return Err(Box::new(Refused::Address) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The only way the server sends HTTP requests on a reseller's behalf. Cheap to clone (one
/// connection pool); requests are built with [`HttpClient::get`] and friends and sent with
/// [`HttpClient::send`].
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    policy: Arc<EgressPolicy>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient").field("policy", &self.policy).finish_non_exhaustive()
    }
}

impl Default for HttpClient {
    /// A client for public addresses only.
    fn default() -> Self {
        static STRICT: std::sync::OnceLock<HttpClient> = std::sync::OnceLock::new();
        STRICT.get_or_init(|| HttpClient::new(EgressPolicy::strict(), Duration::from_secs(10))).clone()
    }
}

/// How many same-origin redirects a request follows.
const MAX_REDIRECTS: usize = 5;

impl HttpClient {
    /// A client under `policy`, connecting within `connect_timeout`. Panics only if no TLS
    /// backend can be set up (it is compiled in), at start-up: it never falls back to a client
    /// without the policy.
    pub fn new(policy: EgressPolicy, connect_timeout: Duration) -> HttpClient {
        let policy = Arc::new(policy);
        let checked = policy.clone();
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            let first = attempt.previous().first().map(Url::origin);
            if attempt.previous().len() > MAX_REDIRECTS {
                attempt.stop()
            } else if first.as_ref() == Some(&attempt.url().origin()) && checked.check_url(attempt.url()).is_ok() {
                // Same origin, and the new URL passes the policy itself (a URL-prefix
                // exception covers its own paths only).
                attempt.follow()
            } else {
                // Another origin, or outside the exception: the 3xx answer is returned as it
                // is, and read as an error.
                attempt.stop()
            }
        });
        let client = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .user_agent(concat!("reseller-portal/", env!("CARGO_PKG_VERSION")))
            .redirect(redirects)
            .no_proxy()
            .dns_resolver(Arc::new(PolicyResolver { policy: policy.clone() }))
            .build()
            .expect("the outbound HTTP client builds (rustls is compiled in)");
        HttpClient { client, policy }
    }

    pub fn policy(&self) -> &EgressPolicy {
        &self.policy
    }

    pub fn get(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        self.client.get(url)
    }

    pub fn post(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        self.client.post(url)
    }

    pub fn put(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        self.client.put(url)
    }

    /// Checks the request's URL against the policy, then sends it. A refused request is not
    /// sent at all.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, SendError> {
        let request = request.build().map_err(SendError::Http)?;
        if let Err(refused) = self.policy.check_url(request.url()) {
            tracing::warn!(host = request.url().host_str().unwrap_or(""), "outbound request refused by the egress policy");
            return Err(SendError::Refused(refused));
        }
        self.client.execute(request).await.map_err(|e| match refused_in(&e) {
            Some(refused) => SendError::Refused(refused),
            None => SendError::Http(e),
        })
    }
}

/// Why [`HttpClient::send`] got no answer.
#[derive(Debug)]
pub enum SendError {
    Refused(Refused),
    Http(reqwest::Error),
}

/// The policy's refusal somewhere in `error`'s causes (the resolver's errors arrive wrapped).
fn refused_in(error: &reqwest::Error) -> Option<Refused> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused.clone());
        }
        cause = e.source();
    }
    None
}

/// Reads a response body of at most `limit` bytes; a longer one is `Err(None)`, a transport
/// failure `Err(Some(error))`.
pub async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, Option<reqwest::Error>> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Some)? {
        if body.len() + chunk.len() > limit {
            return Err(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_public_addresses_are_allowed_by_default() {
        let refused = [
            "127.0.0.1", "127.255.0.9", "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.1", "192.168.1.1",
            "169.254.169.254", "169.254.0.1", "100.64.0.1", "100.127.255.254", "0.0.0.0", "0.1.2.3", "224.0.0.1",
            "239.255.255.250", "240.0.0.1", "255.255.255.255", "192.0.0.8", "198.18.0.1", "192.0.2.1",
            "::", "::1", "fc00::1", "fd12:3456::1", "fe80::1", "fec0::1", "ff02::1", "2001:db8::1",
            "::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:169.254.169.254", "::127.0.0.1", "::10.0.0.1",
            "64:ff9b::a9fe:a9fe", "64:ff9b::7f00:1", "2002:7f00:1::1", "2002:c0a8:101::1",
            "::ffff:0:7f00:1", "64:ff9b:1::808:808", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:2::1", "3fff::1",
        ];
        let policy = EgressPolicy::strict();
        for text in refused {
            assert!(!policy.allows_ip(ip(text)), "{text} must be refused");
        }
        for text in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"] {
            assert!(policy.allows_ip(ip(text)), "{text} is public");
        }
    }

    #[test]
    fn exceptions_allow_exactly_what_they_name() {
        let policy = EgressPolicy::with_rules([Rule::parse("10.20.0.0/16").unwrap(), Rule::parse("127.0.0.1").unwrap()]);
        assert!(policy.allows_ip(ip("10.20.3.4")));
        assert!(!policy.allows_ip(ip("10.21.0.1")));
        assert!(policy.allows_ip(ip("127.0.0.1")));
        assert!(policy.allows_ip(ip("::ffff:127.0.0.1")), "the mapped form of an allowed address");
        assert!(!policy.allows_ip(ip("127.0.0.2")));
    }

    #[test]
    fn rules_parse_networks_addresses_hosts_and_prefixes() {
        assert_eq!(Rule::parse("10.1.2.3/8").unwrap(), Rule::Net("10.0.0.0/8".parse().unwrap()));
        assert_eq!(Rule::parse("::1").unwrap(), Rule::Net("::1/128".parse().unwrap()));
        assert_eq!(Rule::parse("PBX.Internal.Example.").unwrap(), Rule::Host("pbx.internal.example".into()));
        assert!(matches!(Rule::parse("http://127.0.0.1:3000/pbx-simulator/").unwrap(), Rule::Prefix(_)));
        for bad in ["", "not a host", "a..b", "10.0.0.0/33", "http://"] {
            assert!(Rule::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn urls_are_checked_before_any_lookup() {
        let url = |text: &str| Url::parse(text).unwrap();
        let strict = EgressPolicy::strict();
        assert_eq!(strict.check_url(&url("http://127.0.0.1:8080/v2")), Err(Refused::Address));
        assert_eq!(strict.check_url(&url("http://[::1]/")), Err(Refused::Address));
        assert_eq!(strict.check_url(&url("http://[::ffff:7f00:1]/")), Err(Refused::Address));
        assert_eq!(strict.check_url(&url("http://2130706433/")), Err(Refused::Address), "a decimal IPv4 literal");
        assert_eq!(strict.check_url(&url("http://0x7f.1/")), Err(Refused::Address), "a hex IPv4 literal");
        assert_eq!(strict.check_url(&url("ftp://pbx.example/")), Err(Refused::Scheme));
        assert_eq!(strict.check_url(&url("https://pbx.example/")), Ok(()), "names are checked when resolved");

        let demo = EgressPolicy::strict().allow(Rule::parse("http://127.0.0.1:3000/pbx-simulator/").unwrap());
        assert_eq!(demo.check_url(&url("http://127.0.0.1:3000/pbx-simulator/kazoo/v2/api_auth")), Ok(()));
        assert_eq!(demo.check_url(&url("http://127.0.0.1:3000/api/v1/customers")), Err(Refused::Address));
        assert_eq!(demo.check_url(&url("http://127.0.0.1:3001/pbx-simulator/kazoo")), Err(Refused::Address));
        let named = EgressPolicy::strict().allow(Rule::parse("http://localhost:3000/pbx-simulator/").unwrap());
        assert_eq!(named.check_url(&url("http://localhost:3000/pbx-simulator/kazoo/v2")), Ok(()));
        assert_eq!(named.check_url(&url("http://localhost:3000/healthz")), Err(Refused::Address));
        assert_eq!(named.check_url(&url("http://localhost.:3000/healthz")), Err(Refused::Address), "a trailing dot is the same host");
        assert_eq!(named.check_url(&url("http://LOCALHOST.:6379/")), Err(Refused::Address));
        assert_eq!(named.check_url(&url("http://localhost:3000/pbx-simulator-admin")), Err(Refused::Address), "whole path segments only");
        let v2 = EgressPolicy::strict().allow(Rule::parse("http://10.20.0.5:8000/v2").unwrap());
        assert_eq!(v2.check_url(&url("http://10.20.0.5:8000/v2/api_auth")), Ok(()));
        assert_eq!(v2.check_url(&url("http://10.20.0.5:8000/v2-admin")), Err(Refused::Address));
    }

    #[tokio::test]
    async fn a_destination_whose_lookup_does_not_answer_is_judged_within_the_bound() {
        let policy = EgressPolicy::strict();
        let target = Url::parse("https://hooks.unanswered.example/x").unwrap();
        let started = std::time::Instant::now();
        let judged = tokio::time::timeout(
            LOOKUP_BOUND * 3,
            policy.check_destination_with(&target, |_| std::future::pending::<std::io::Result<Vec<SocketAddr>>>()),
        )
        .await
        .expect("the check ends at the bound, not when the resolver answers");
        assert_eq!(judged, Ok(()), "a name that has not resolved passes; calling it is judged then");
        assert!(started.elapsed() >= LOOKUP_BOUND);

        let private = policy.check_destination_with(&target, |_| async { Ok(vec![SocketAddr::from(([10, 0, 0, 7], 0))]) }).await;
        assert_eq!(private, Err(Refused::Address), "an answer within the bound is judged by its addresses");
    }

    #[tokio::test]
    async fn names_resolving_to_refused_addresses_are_refused_and_nothing_is_sent() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while listener.accept().await.is_ok() {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        });
        let strict = HttpClient::new(EgressPolicy::strict(), Duration::from_secs(2));
        for url in [format!("http://localhost:{port}/"), format!("http://127.0.0.1:{port}/"), format!("http://[::ffff:127.0.0.1]:{port}/")] {
            match strict.send(strict.get(&url)).await {
                Err(SendError::Refused(Refused::Address)) => {}
                other => panic!("{url}: {other:?}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 0, "no connection was made");
    }

    #[tokio::test]
    async fn a_same_origin_redirect_is_followed_only_inside_the_exception() {
        use axum::response::Redirect;
        use axum::routing::get;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let outside = Arc::new(AtomicUsize::new(0));
        let inside = Arc::new(AtomicUsize::new(0));
        let (o, i) = (outside.clone(), inside.clone());
        let app = axum::Router::new()
            .route("/pbx/out", get(|| async { Redirect::temporary("/admin") }))
            .route("/pbx/in", get(|| async { Redirect::temporary("/pbx/next") }))
            .route("/admin", get(move || async move { o.fetch_add(1, Ordering::SeqCst); "admin" }))
            .route("/pbx/next", get(move || async move { i.fetch_add(1, Ordering::SeqCst); "next" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let policy = EgressPolicy::strict().allow(Rule::parse(&format!("http://127.0.0.1:{port}/pbx")).unwrap());
        let client = HttpClient::new(policy, Duration::from_secs(2));

        let answer = client.send(client.get(format!("http://127.0.0.1:{port}/pbx/out"))).await.unwrap();
        assert!(answer.status().is_redirection(), "not followed out of the exception: {}", answer.status());
        assert_eq!(outside.load(Ordering::SeqCst), 0, "the path outside the exception got no request");

        let answer = client.send(client.get(format!("http://127.0.0.1:{port}/pbx/in"))).await.unwrap();
        assert_eq!(answer.text().await.unwrap(), "next", "followed inside it");
        assert_eq!(inside.load(Ordering::SeqCst), 1);
    }

}
