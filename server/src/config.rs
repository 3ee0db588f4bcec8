//! The server's configuration: one struct, read from flags or the environment.

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Every setting of a running portal. Each flag can also be given as the environment variable
/// shown in `--help`.
#[derive(Args, Clone, Debug)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "PORTAL_BIND", default_value = "127.0.0.1:3000", global = true)]
    pub bind: SocketAddr,

    /// Database: `sqlite://path/to/file.db` (embedded, the default) or
    /// `postgres://user:password@host:port/database`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/portal.db", global = true)]
    pub database_url: String,

    /// The address browsers use to reach the portal, e.g. `https://portal.example.com`.
    /// Links in emails are built from it; `https` turns on Secure, `__Host-` session cookies.
    /// Defaults to `http://` plus the bind address.
    #[arg(long, env = "PORTAL_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Hex-encoded 32-byte key that encrypts stored PBX credentials. When absent, a key is
    /// generated once and kept in `<data dir>/secret.key` (readable only by its owner).
    #[arg(long, env = "PORTAL_SECRET_KEY", hide_env_values = true, global = true)]
    pub secret_key: Option<String>,

    /// Where the generated secret key is kept when `--secret-key` is not given.
    #[arg(long, env = "PORTAL_SECRET_KEY_FILE", default_value = "data/secret.key", global = true)]
    pub secret_key_file: PathBuf,

    /// SMTP server for outgoing mail, e.g. `smtps://user:password@mail.example.com:465`,
    /// `smtp://user:password@mail.example.com:587?tls=required` (STARTTLS) or
    /// `smtp://127.0.0.1:2525` (a local relay; plain `smtp://` sends credentials unencrypted).
    /// Without it mail stays queued and is listed in demo mode.
    #[arg(long, env = "PORTAL_SMTP_URL", hide_env_values = true, global = true)]
    pub smtp_url: Option<String>,

    /// The From address of outgoing mail.
    #[arg(long, env = "PORTAL_MAIL_FROM", default_value = "Reseller Portal <no-reply@localhost>", global = true)]
    pub mail_from: String,

    /// Minutes between re-syncs of each enabled PBX connection's users.
    #[arg(long, env = "PORTAL_SYNC_INTERVAL_MINUTES", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=1440), global = true)]
    pub sync_interval_minutes: u64,

    /// How many PBX syncs this process runs at the same time.
    #[arg(long, env = "PORTAL_SYNC_WORKERS", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64), global = true)]
    pub sync_workers: u64,

    /// How many REST API requests each API client may make per minute (then 429).
    #[arg(long, env = "PORTAL_API_REQUESTS_PER_MINUTE", default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub api_requests_per_minute: u32,

    /// Minutes of inactivity after which a session ends.
    #[arg(long, env = "PORTAL_SESSION_IDLE_MINUTES", default_value_t = 30, global = true)]
    pub session_idle_minutes: u64,

    /// Hours after sign-in after which a session ends however active it is.
    #[arg(long, env = "PORTAL_SESSION_ABSOLUTE_HOURS", default_value_t = 12, global = true)]
    pub session_absolute_hours: u64,

    /// Take the client address from `X-Forwarded-For`, as added by the trusted reverse
    /// proxies in front of the portal (see `--trusted-proxy-hops`). Only behind such a proxy:
    /// otherwise clients could dodge sign-in throttling.
    #[arg(long, env = "PORTAL_TRUST_FORWARDED_FOR", global = true, value_parser = BoolishValueParser::new(), action = ArgAction::SetTrue)]
    pub trust_forwarded_for: bool,

    /// How many trusted reverse proxies stand in front of the portal. The client address is
    /// the entry that many places from the right of `X-Forwarded-For` (each proxy appends the
    /// address it saw), so whatever a client writes into the header itself is ignored.
    #[arg(long, env = "PORTAL_TRUSTED_PROXY_HOPS", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=10), global = true)]
    pub trusted_proxy_hops: u8,

    /// Exceptions to the egress policy, which otherwise lets the server's outbound requests
    /// (PBX connectors, "Test connection") reach public addresses only — never loopback,
    /// private (RFC 1918), link-local (169.254.169.254), CGNAT, unique-local IPv6, multicast or
    /// other reserved ranges. Each exception is a network (`10.20.0.0/16`), an address
    /// (`10.20.0.5`), a host name allowed to resolve anywhere (`pbx.internal.example`), or a
    /// URL prefix (`http://10.20.0.5:8000/v2/`); separate several with commas or repeat the
    /// flag. Demo mode adds exactly its built-in PBX simulator.
    #[arg(long, env = "PORTAL_EGRESS_ALLOW", value_delimiter = ',', global = true)]
    pub egress_allow: Vec<String>,

    /// The built site (wasm, js, css, public files), as produced by `cargo leptos build`.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site", global = true)]
    pub site_root: String,

    /// Seed demo data into an empty database and show the demo sign-in on the login page.
    #[arg(long, env = "PORTAL_DEMO", global = true, value_parser = BoolishValueParser::new(), action = ArgAction::SetTrue)]
    pub demo: bool,
}

impl Config {
    /// The origin browsers see, without a trailing slash.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind))
            .trim_end_matches('/')
            .to_owned()
    }

    pub fn https(&self) -> bool {
        self.public_url().starts_with("https://")
    }

    pub fn auth_policy(&self) -> domain::auth::AuthPolicy {
        domain::auth::AuthPolicy {
            idle_timeout: Duration::from_secs(self.session_idle_minutes * 60),
            absolute_timeout: Duration::from_secs(self.session_absolute_hours * 3600),
            ..Default::default()
        }
    }

    /// The egress policy: public addresses, the operator's exceptions, and in demo mode the
    /// built-in simulator (`simulator_prefix`).
    pub fn egress_policy(&self, simulator_prefix: &str) -> Result<domain::egress::EgressPolicy, String> {
        use domain::egress::{EgressPolicy, Rule};
        let mut rules = Vec::new();
        for text in self.egress_allow.iter().filter(|t| !t.trim().is_empty()) {
            rules.push(Rule::parse(text).map_err(|e| format!("--egress-allow: {e}"))?);
        }
        if self.demo {
            rules.push(Rule::parse(simulator_prefix).map_err(|e| format!("the demo simulator's address: {e}"))?);
        }
        Ok(EgressPolicy::with_rules(rules))
    }

    /// Checks what clap cannot: URL shapes and the key's format.
    pub fn validate(&self) -> Result<(), String> {
        let public = self.public_url();
        if !(public.starts_with("http://") || public.starts_with("https://")) {
            return Err(format!("--public-url must start with http:// or https:// (got {public})"));
        }
        if !(self.database_url.starts_with("sqlite:") || self.database_url.starts_with("postgres://") || self.database_url.starts_with("postgresql://")) {
            return Err("--database-url must be a sqlite:// or postgres:// URL".into());
        }
        if let Some(key) = &self.secret_key {
            parse_key(key)?;
        }
        if let Some(smtp) = &self.smtp_url
            && !(smtp.starts_with("smtp://") || smtp.starts_with("smtps://"))
        {
            return Err("--smtp-url must start with smtp:// or smtps://".into());
        }
        self.egress_policy("http://127.0.0.1/")?;
        if self.session_idle_minutes == 0 || self.session_absolute_hours == 0 {
            return Err("session timeouts must be at least one minute / one hour".into());
        }
        Ok(())
    }

    /// The key that encrypts stored credentials: the configured one, or the one kept in
    /// `secret_key_file`, created on first use.
    pub fn load_or_create_secret_key(&self) -> Result<[u8; 32], String> {
        if let Some(key) = &self.secret_key {
            return parse_key(key);
        }
        let path = &self.secret_key_file;
        match std::fs::read_to_string(path) {
            Ok(text) => parse_key(text.trim()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = rand_key();
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                }
                write_private(path, &hex_encode(&key)).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                tracing::info!(path = %path.display(), "generated a new secret key");
                Ok(key)
            }
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }
}

fn parse_key(hex: &str) -> Result<[u8; 32], String> {
    let bytes: Option<Vec<u8>> = (hex.len() == 64)
        .then(|| (0..32).map(|i| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).ok()).collect())
        .flatten();
    bytes
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| "the secret key must be 64 hexadecimal characters (32 bytes)".to_string())
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn rand_key() -> [u8; 32] {
    use rand::RngCore;
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    key
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_accept_the_usual_spellings_from_the_environment() {
        use clap::Parser;
        // Only this test touches PORTAL_DEMO.
        unsafe { std::env::set_var("PORTAL_DEMO", "1") };
        let cli = crate::cli::Cli::try_parse_from(["server"]).unwrap();
        assert!(cli.config.demo);
        unsafe { std::env::set_var("PORTAL_DEMO", "false") };
        assert!(!crate::cli::Cli::try_parse_from(["server"]).unwrap().config.demo);
        unsafe { std::env::remove_var("PORTAL_DEMO") };
        assert!(crate::cli::Cli::try_parse_from(["server", "--demo"]).unwrap().config.demo);
    }

    #[test]
    fn keys_must_be_64_hex_characters() {
        assert!(parse_key(&"ab".repeat(32)).is_ok());
        assert!(parse_key(&"ab".repeat(31)).is_err());
        assert!(parse_key(&"zz".repeat(32)).is_err());
        assert_eq!(parse_key(&hex_encode(&[7u8; 32])).unwrap(), [7u8; 32]);
    }
}
