use clap::Parser;
use leptos::server_fn::ServerFn;
use reqwest::header::{HeaderMap, CONTENT_TYPE, COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use serde::{de::DeserializeOwned, Serialize};
use reqwest::{redirect, Response, StatusCode};
use server::cli::Cli;
use server::Portal;
use std::time::Duration;

pub use domain::seed::{DEMO_EMAIL, DEMO_PASSWORD, OTHER_EMAIL};

pub struct TestPortal {
    pub base: String,
    pub client: reqwest::Client,
    pub database_url: String,
    key_file: std::path::PathBuf,
    _dir: Option<tempfile::TempDir>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestPortal {
    /// The box that seals and opens this portal's stored secrets (its key file's key).
    pub fn secret_box(&self) -> domain::secret::SecretBox {
        let hex = std::fs::read_to_string(&self.key_file).unwrap();
        let bytes: Vec<u8> = (0..32).map(|i| u8::from_str_radix(&hex.trim()[i * 2..i * 2 + 2], 16).unwrap()).collect();
        domain::secret::SecretBox::new(&bytes.try_into().unwrap())
    }
}

impl Drop for TestPortal {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A fresh database URL: a new SQLite file, or a new PostgreSQL database.
pub async fn fresh_database(dir: &std::path::Path) -> String {
    match std::env::var("PORTAL_TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            use sea_orm::ConnectionTrait;
            let name = format!("portal_test_{}", uuid::Uuid::new_v4().simple());
            let admin = sea_orm::Database::connect(&admin_url).await.expect("PostgreSQL admin connection");
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
            admin.close().await.ok();
            let (base, _) = admin_url.rsplit_once('/').expect("admin URL ends with /database");
            format!("{base}/{name}")
        }
        _ => format!("sqlite://{}/portal.db", dir.display()),
    }
}

/// Starts the portal with demo data; `adjust` may change the prepared portal before it serves.
/// The PBX sync worker and the scheduler do not run (so demo customers keep their seeded users
/// and tests decide when dated work happens) unless `adjust` puts them back ([`sync_worker`]).
///
/// The egress policy has one exception, loopback's 127.0.0.1, where the tests' PBX doubles
/// listen; [`spawn_strict_with`] starts without it.
pub async fn spawn_with(args: &[&str], adjust: impl FnOnce(&mut Portal)) -> TestPortal {
    let mut argv = vec!["--egress-allow", "127.0.0.1"];
    argv.extend_from_slice(args);
    spawn_strict_with(&argv, adjust).await
}

/// [`spawn_with`] under the production egress policy: public addresses only (and, in demo
/// mode, the built-in simulator), unless `args` add exceptions.
pub async fn spawn_strict_with(args: &[&str], adjust: impl FnOnce(&mut Portal)) -> TestPortal {
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database(dir.path()).await;
    let key_file = dir.path().join("secret.key");
    start(database_url, key_file, Some(dir), args, adjust).await
}

/// A second server process on `first`'s database (and secret key), as in a deployment with
/// several instances behind a load balancer.
pub async fn spawn_sharing(first: &TestPortal, adjust: impl FnOnce(&mut Portal)) -> TestPortal {
    start(first.database_url.clone(), first.key_file.clone(), None, &["--egress-allow", "127.0.0.1"], adjust).await
}

async fn start(database_url: String, key_file: std::path::PathBuf, dir: Option<tempfile::TempDir>, args: &[&str], adjust: impl FnOnce(&mut Portal)) -> TestPortal {
    let key_path = key_file.to_str().unwrap().to_owned();
    let mut argv = vec!["server", "--demo", "--database-url", &database_url, "--secret-key-file", &key_path];
    argv.extend_from_slice(args);
    let cli = Cli::parse_from(argv);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = cli.config;
    config.bind = addr;
    let mut portal = Portal::prepare(config).await.expect("portal starts");
    portal.syncer = None;
    portal.scheduler = None;
    adjust(&mut portal);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(portal.serve(listener, async move {
        let _ = rx.await;
    }));
    let client = reqwest::Client::builder().redirect(redirect::Policy::none()).timeout(Duration::from_secs(30)).build().unwrap();
    TestPortal { base: format!("http://{addr}"), client, database_url, key_file, _dir: dir, shutdown: Some(tx) }
}

/// A sync worker with test timing: quick polls, heartbeats and retries, short PBX timeouts.
pub fn sync_worker(portal: &Portal) -> server::syncer::Syncer {
    use domain::sync::SyncSettings;
    use server::syncer::{Syncer, SyncerSettings};
    let settings = SyncerSettings {
        sync: SyncSettings {
            interval: Duration::from_secs(3600),
            lease: Duration::from_secs(10),
            heartbeat: Duration::from_millis(100),
            retry_base: Duration::from_millis(300),
            request_timeout: Duration::from_secs(2),
            run_deadline: Duration::from_secs(20),
        },
        poll_interval: Duration::from_millis(200),
        workers: 4,
    };
    Syncer::new(settings, portal.state.ctx.secrets.clone(), portal.state.ctx.http.clone())
}

pub async fn spawn() -> TestPortal {
    spawn_with(&[], |_| {}).await
}

/// The URL path of a server function.
pub fn server_fn_path<S: ServerFn>() -> &'static str {
    S::PATH
}

impl TestPortal {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str, session: Option<&str>) -> Response {
        let mut req = self.client.get(self.url(path));
        if let Some(token) = session {
            req = req.header(COOKIE, format!("portal_session={token}"));
        }
        req.send().await.unwrap()
    }

    /// Posts a form to a server function the way a same-origin browser does.
    pub async fn call<S: WireFn>(&self, form: &[(&str, &str)], session: Option<&str>, headers: HeaderMap) -> Response {
        let mut req = self.client.post(self.url(server_fn_path::<S>())).header(ORIGIN, &self.base).headers(headers).form(form);
        if let Some(token) = session {
            req = req.header(COOKIE, format!("portal_session={token}"));
        }
        req.send().await.unwrap()
    }

    /// Signs in and returns the response (with the cookie, if it worked).
    pub async fn sign_in_response(&self, email: &str, password: &str, next: &str, headers: HeaderMap) -> Response {
        self.call::<app::api::auth::SignIn>(&[("email", email), ("password", password), ("next", next)], None, headers).await
    }

    /// Signs in and returns the session token.
    pub async fn sign_in(&self, email: &str, password: &str) -> String {
        let res = self.sign_in_response(email, password, "", HeaderMap::new()).await;
        assert_eq!(res.status(), StatusCode::OK, "sign-in failed: {}", res.text().await.unwrap());
        session_token(&res).expect("a session cookie is set")
    }
}

/// The `portal_session` token a response sets (None if it sets none or clears it).
pub fn session_token(res: &Response) -> Option<String> {
    set_cookie(res).and_then(|c| {
        let value = c.split(';').next()?.strip_prefix("portal_session=")?.to_owned();
        (!value.is_empty()).then_some(value)
    })
}

pub fn set_cookie(res: &Response) -> Option<String> {
    res.headers().get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find(|c| c.starts_with("portal_session=")).map(str::to_owned)
}

pub fn location(res: &Response) -> Option<String> {
    res.headers().get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

impl TestPortal {
    /// Calls a server function (arguments written as JSON, see [`wire_args`]); returns its
    /// answer as JSON (see [`answer_text`]).
    pub async fn call_json<S: WireFn>(&self, body: serde_json::Value, session: &str) -> serde_json::Value {
        let (status, text) = call_fn_text::<S>(self, Some(session), body).await;
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: {e}: {text}"))
    }

    pub async fn database(&self) -> sea_orm::DatabaseConnection {
        domain::db::connect(&self.database_url).await.unwrap()
    }
}

/// A server function whose arguments and answers the tests can write and read as JSON: they
/// travel in the portal's wire format (`app::wire`), which the helpers below translate.
pub trait WireFn: ServerFn<Output: Serialize + DeserializeOwned> + Serialize + DeserializeOwned {}
impl<S> WireFn for S where S: ServerFn<Output: Serialize + DeserializeOwned> + Serialize + DeserializeOwned {}

/// A server function's arguments, written as JSON for the test's sake, encoded as the browser
/// sends them. Panics when they are not the function's arguments: a test that means to send
/// what no browser sends uses [`call_fn_bytes`].
pub fn wire_args<S: WireFn>(body: &serde_json::Value) -> Vec<u8> {
    let args: S = serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{body} are not the arguments of {}: {e}", S::PATH));
    app::wire::encode(&args).unwrap()
}

/// A server function's answer, decoded as its browser client decodes it (its output, or on an
/// error status its `AppError`) and rendered as JSON for the test to read. A body that is
/// neither comes back as its text.
pub async fn answer_text<S: WireFn>(res: Response) -> (StatusCode, String) {
    let status = res.status();
    let bytes = res.bytes().await.unwrap();
    let decoded = if status.is_success() {
        app::wire::decode::<S::Output>(&bytes).map(|v| serde_json::to_string(&v).unwrap())
    } else {
        app::wire::decode::<app::AppError>(&bytes).map(|e| serde_json::to_string(&e).unwrap())
    };
    (status, decoded.unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned()))
}

/// Calls a server function (signed in when `session` is given); returns the status and the
/// answer as JSON (or the raw text as a JSON string).
pub async fn call_fn<S: WireFn>(portal: &TestPortal, session: Option<&str>, body: serde_json::Value) -> (StatusCode, serde_json::Value) {
    let (status, text) = call_fn_text::<S>(portal, session, body).await;
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

/// [`call_fn`], returning the answer as JSON text.
pub async fn call_fn_text<S: WireFn>(portal: &TestPortal, session: Option<&str>, body: serde_json::Value) -> (StatusCode, String) {
    call_fn_bytes::<S>(portal, session, wire_args::<S>(&body)).await
}

/// Sends `body` as a server function's arguments, byte for byte.
pub async fn call_fn_bytes<S: WireFn>(portal: &TestPortal, session: Option<&str>, body: Vec<u8>) -> (StatusCode, String) {
    let mut req = portal.client.post(portal.url(S::PATH)).header(ORIGIN, &portal.base).header(CONTENT_TYPE, "application/x-postcard").body(body);
    if let Some(token) = session {
        req = req.header(COOKIE, format!("portal_session={token}"));
    }
    answer_text::<S>(req.send().await.unwrap()).await
}

/// The field names of a validation error body.
pub fn invalid_fields(body: &serde_json::Value) -> Vec<String> {
    body["Invalid"].as_array().map(|a| a.iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect()).unwrap_or_default()
}

/// A bare active customer row of the demo reseller (`demo_reseller_id`), as an import writes it:
/// no users, no connection, no activity; only its search text, as the domain would write it.
pub fn bare_customer(demo_reseller_id: i64, pt: &domain::entity::product_type::Model, name: &str, reference: &str) -> domain::entity::customer::ActiveModel {
    use sea_orm::Set;
    let now = chrono::Utc::now();
    domain::entity::customer::ActiveModel {
        id: Set(uuid::Uuid::new_v4()),
        reseller_id: Set(demo_reseller_id),
        name: Set(name.to_owned()),
        name_key: Set(name.to_lowercase()),
        product_type_id: Set(pt.id),
        reference: Set(reference.to_owned()),
        country: Set("GB".into()),
        time_zone: Set("Europe/London".into()),
        notes: Set(String::new()),
        trial_expires_on: Set(None),
        in_house: Set(false),
        status: Set(domain::entity::customer::Status::Active),
        terminate_on: Set(None),
        created_at: Set(now),
        created_by: Set(None),
        version: Set(1),
        search_text: Set(domain::common::search_text(name, now.date_naive(), model::customer::CustomerStatus::Active, reference, &pt.name, "GB")),
        request_key: Set(None),
        trial_ended_on: Set(None),
        trial_warned_for: Set(None),
    }
}

/// Adds `count` customers named "`prefix` NNNN" to the demo reseller in one bulk insert per 200
/// (as an import would: no code of the product runs, the database keeps its indexes).
pub async fn add_bulk_customers(portal: &TestPortal, prefix: &str, count: usize) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use domain::entity::{customer, product_type, reseller};
    let db = portal.database().await;
    let demo = reseller::Entity::find().filter(reseller::Column::Name.eq("Demo Reseller")).one(&db).await.unwrap().unwrap();
    let pt = product_type::Entity::find().filter(product_type::Column::Code.eq("essentials")).one(&db).await.unwrap().unwrap();
    let models: Vec<customer::ActiveModel> = (0..count).map(|i| bare_customer(demo.id, &pt, &format!("{prefix} {i:04}"), &format!("B-{i}"))).collect();
    for chunk in models.chunks(200) {
        customer::Entity::insert_many(chunk.to_vec()).exec(&db).await.unwrap();
    }
}
