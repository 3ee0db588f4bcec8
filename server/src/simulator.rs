//! **Kazoo simulator** — not a PBX. A small in-memory stand-in for a 2600Hz Kazoo cluster's
//! Crossbar v2 API, so the demo can show a real sync over HTTP and the tests have a PBX to talk
//! to. It speaks exactly what `domain::pbx::kazoo` uses, with the same JSON (the wire types are
//! shared):
//!
//! - `PUT /v2/api_auth` — `{"data":{"api_key":"…"}}` → an `auth_token` and the key's account;
//!   a wrong key is a 401 with Kazoo's error envelope.
//! - `GET /v2/accounts/{id}/users` and `GET /v2/accounts/{id}/children` — need `X-Auth-Token`;
//!   paged by `page_size` (default 50) and `start_key`, answering `next_start_key` while more
//!   follow; an unknown account is a 404.
//!
//! Its data is generated and deterministic: a top account with N users, and two child accounts
//! with a few users each. The demo's simulator is *open*: any other well-formed account id (32
//! hexadecimal digits) is answered too, with a generated account of [`DEMO_USERS`] users and two
//! children of its own — so every demo customer, and any a newcomer creates, has users to sync. Names come from small word lists, emails are
//! `first.last@<account>.example`, and every 7th user is a call-centre agent (a non-empty
//! `queues` list). Nothing is persisted; nothing here talks to a real PBX.

use axum::Json;
use axum::Router;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use domain::pbx::kazoo::wire;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

/// The demo's API key for the simulator (the demo's default template uses it).
pub const DEMO_API_KEY: &str = "demo-kazoo-simulator-key";
/// The simulator's top account id (32 hex digits, like Kazoo's).
pub const DEMO_ACCOUNT_ID: &str = "5a11a70000000000000000000000000a";
/// How many users the demo's top account has.
pub const DEMO_USERS: usize = 36;

const DEFAULT_PAGE_SIZE: usize = 50;
const MAX_PAGE_SIZE: usize = 1000;

const FIRST_NAMES: [&str; 16] = [
    "Ada", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kara",
    "Liam", "Maya", "Noah", "Olga", "Pablo",
];
const LAST_NAMES: [&str; 16] = [
    "Adams", "Brooks", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ito", "Jensen",
    "Kowalski", "Lopez", "Moreau", "Novak", "Okafor", "Petrov",
];

/// One simulated account.
#[derive(Debug, Clone)]
pub struct SimAccount {
    pub id: String,
    pub name: String,
    pub parent: Option<String>,
    /// Sorted by id, which is also the paging order.
    pub users: Vec<wire::UserDoc>,
}

/// The simulator's data and behaviour; cheap to clone (clones share everything).
#[derive(Clone)]
pub struct SimulatorState {
    inner: Arc<Inner>,
}

struct Inner {
    api_key: String,
    root: String,
    accounts: Mutex<HashMap<String, Arc<SimAccount>>>,
    /// Generate unknown (well-formed) accounts on first use instead of answering 404.
    open: bool,
    tokens: Mutex<HashMap<String, String>>,
    issued: AtomicU64,
    fail_next: AtomicU32,
    requests: AtomicU64,
    /// From this request count on, listings answer with a body that is not JSON (0: never).
    garble_from: AtomicU64,
    /// Added to every answer, in milliseconds.
    delay_ms: AtomicU64,
}

impl SimulatorState {
    /// A top account `account_id` named `account_name` with `users` users, and two child
    /// accounts ("<name> East" with 5 users, "<name> West" with 3).
    pub fn new(
        api_key: &str,
        account_id: &str,
        account_name: &str,
        users: usize,
    ) -> SimulatorState {
        let mut accounts = HashMap::new();
        generate_family(&mut accounts, account_id, account_name, users);
        SimulatorState {
            inner: Arc::new(Inner {
                api_key: api_key.to_string(),
                root: account_id.to_string(),
                accounts: Mutex::new(accounts),
                open: false,
                tokens: Mutex::new(HashMap::new()),
                issued: AtomicU64::new(0),
                fail_next: AtomicU32::new(0),
                requests: AtomicU64::new(0),
                garble_from: AtomicU64::new(0),
                delay_ms: AtomicU64::new(0),
            }),
        }
    }

    /// What the demo shows: [`DEMO_USERS`] users in "Northwind Trading" plus two sub-accounts.
    /// It is open: other well-formed account ids get generated accounts.
    pub fn demo() -> SimulatorState {
        SimulatorState::new(
            DEMO_API_KEY,
            DEMO_ACCOUNT_ID,
            "Northwind Trading",
            DEMO_USERS,
        )
        .open()
    }

    /// Answers any well-formed account id (32 hex digits) with a generated account of
    /// [`DEMO_USERS`] users and two children, instead of 404.
    pub fn open(self) -> SimulatorState {
        let inner = Arc::try_unwrap(self.inner).unwrap_or_else(|_| panic!("open() is called before the simulator is shared"));
        SimulatorState { inner: Arc::new(Inner { open: true, ..inner }) }
    }

    /// Answers the next `n` requests (of any kind) with 503 Service Unavailable.
    pub fn failing_first(self, n: u32) -> SimulatorState {
        self.inner.fail_next.store(n, Ordering::SeqCst);
        self
    }

    /// Listings answer with a body that is not JSON once `more` further requests were served;
    /// [`SimulatorState::repair`] ends that.
    pub fn garble_after(&self, more: u64) {
        self.inner.garble_from.store(self.requests() + more + 1, Ordering::SeqCst);
    }

    pub fn repair(&self) {
        self.inner.garble_from.store(0, Ordering::SeqCst);
    }

    /// Delays every answer by `delay` (a slow PBX).
    pub fn set_delay(&self, delay: std::time::Duration) {
        self.inner.delay_ms.store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// Keeps only the first `n` users of account `id` (users leaving the PBX).
    pub fn keep_users(&self, id: &str, n: usize) {
        let mut accounts = self.inner.accounts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(account) = accounts.get_mut(id) {
            let mut changed = (**account).clone();
            changed.users.truncate(n);
            *account = Arc::new(changed);
        }
    }

    /// Renames user `user_id` of account `id` on the PBX.
    pub fn rename_user(&self, id: &str, user_id: &str, first: &str, last: &str) {
        let mut accounts = self.inner.accounts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(account) = accounts.get_mut(id) {
            let mut changed = (**account).clone();
            for user in changed.users.iter_mut().filter(|u| u.id == user_id) {
                user.first_name = Some(first.into());
                user.last_name = Some(last.into());
            }
            *account = Arc::new(changed);
        }
    }

    /// Invalidates every token handed out, as if they had expired.
    pub fn expire_tokens(&self) {
        self.inner
            .tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// How many requests the simulator has received.
    pub fn requests(&self) -> u64 {
        self.inner.requests.load(Ordering::SeqCst)
    }

    /// How many tokens `api_auth` has handed out.
    pub fn tokens_issued(&self) -> u64 {
        self.inner.issued.load(Ordering::SeqCst)
    }

    /// The top account's id.
    pub fn root_account_id(&self) -> &str {
        &self.inner.root
    }

    /// An account by id (generated on first use when the simulator is open).
    pub fn account(&self, id: &str) -> Option<Arc<SimAccount>> {
        let mut accounts = self.inner.accounts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(account) = accounts.get(id) {
            return Some(account.clone());
        }
        let well_formed = id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
        if !(self.inner.open && well_formed) {
            return None;
        }
        // Bounded memory: a demo server on the internet cannot be made to hold accounts without end.
        if accounts.len() >= MAX_ACCOUNTS {
            return None;
        }
        let name = generated_name(id);
        generate_family(&mut accounts, id, &name, DEMO_USERS);
        accounts.get(id).cloned()
    }

    /// The child accounts of `id`, by id.
    pub fn children_of(&self, id: &str) -> Vec<Arc<SimAccount>> {
        let accounts = self.inner.accounts.lock().unwrap_or_else(|e| e.into_inner());
        let mut children: Vec<_> = accounts
            .values()
            .filter(|a| a.parent.as_deref() == Some(id))
            .cloned()
            .collect();
        children.sort_by(|a, b| a.id.cmp(&b.id));
        children
    }

    /// Counts the request; `Some` 503 while the failure mode lasts.
    fn begin(&self) -> Option<Response> {
        self.inner.requests.fetch_add(1, Ordering::SeqCst);
        let failing = self
            .inner
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        failing.then(|| error(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable"))
    }

    async fn pause(&self) {
        let ms = self.inner.delay_ms.load(Ordering::SeqCst);
        if ms > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
    }

    /// Whether the request just counted falls in the garbled stretch.
    fn garbled(&self) -> bool {
        let from = self.inner.garble_from.load(Ordering::SeqCst);
        from != 0 && self.requests() >= from
    }

    fn token_is_valid(&self, headers: &HeaderMap) -> bool {
        let Some(token) = headers.get("x-auth-token").and_then(|v| v.to_str().ok()) else {
            return false;
        };
        self.inner
            .tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(token)
    }
}

/// The most accounts an open simulator holds (each generated family is three); unknown ids past
/// it answer 404.
pub const MAX_ACCOUNTS: usize = 3_000;
/// The most tokens the simulator remembers.
pub const MAX_TOKENS: usize = 10_000;

/// The simulator's routes (mounted at the root: they start with `/v2`).
pub fn kazoo_router(state: SimulatorState) -> Router {
    Router::new()
        .route("/v2/api_auth", put(api_auth))
        .route("/v2/accounts/{account_id}/users", get(users))
        .route("/v2/accounts/{account_id}/children", get(children))
        .with_state(state)
}

/// Serves the simulator on `listener` until the task is dropped or the listener fails.
pub async fn serve_kazoo(listener: TcpListener, state: SimulatorState) -> std::io::Result<()> {
    axum::serve(listener, kazoo_router(state)).await
}

async fn api_auth(
    State(sim): State<SimulatorState>,
    body: Result<Json<wire::AuthRequest>, JsonRejection>,
) -> Response {
    sim.pause().await;
    if let Some(failure) = sim.begin() {
        return failure;
    }
    let Ok(Json(request)) = body else {
        return error(StatusCode::BAD_REQUEST, "invalid_data");
    };
    if request.data.api_key != sim.inner.api_key {
        return error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    let n = sim.inner.issued.fetch_add(1, Ordering::SeqCst) + 1;
    let token = format!("simulated-token-{n:08}");
    {
        let mut tokens = sim.inner.tokens.lock().unwrap_or_else(|e| e.into_inner());
        // Bounded memory: past the limit every earlier token expires (clients authenticate again).
        if tokens.len() >= MAX_TOKENS {
            tokens.clear();
        }
        tokens.insert(token.clone(), sim.inner.root.clone());
    }
    let Some(root) = sim.account(&sim.inner.root) else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "internal_error");
    };
    let answer = wire::AuthResponse {
        auth_token: token,
        data: wire::AuthData {
            account_id: root.id.clone(),
            account_name: Some(root.name.clone()),
        },
        status: "success".into(),
    };
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn users(
    State(sim): State<SimulatorState>,
    Path(account_id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<wire::ListQuery>, QueryRejection>,
) -> Response {
    sim.pause().await;
    match admit(&sim, &account_id, &headers, query) {
        Ok(_) if sim.garbled() => garbage(),
        Ok((account, query)) => {
            Json(page(&account.users, query, |user| &user.id)).into_response()
        }
        Err(refusal) => *refusal,
    }
}

async fn children(
    State(sim): State<SimulatorState>,
    Path(account_id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<wire::ListQuery>, QueryRejection>,
) -> Response {
    sim.pause().await;
    match admit(&sim, &account_id, &headers, query) {
        Ok(_) if sim.garbled() => garbage(),
        Ok((account, query)) => {
            let children = sim
                .children_of(&account.id)
                .into_iter()
                .map(|child| wire::AccountDoc {
                    id: child.id.clone(),
                    name: child.name.clone(),
                })
                .collect::<Vec<_>>();
            Json(page(&children, query, |child| &child.id)).into_response()
        }
        Err(refusal) => *refusal,
    }
}

/// What every listing checks first: the failure mode, the token, the account, the query.
fn admit(
    sim: &SimulatorState,
    account_id: &str,
    headers: &HeaderMap,
    query: Result<Query<wire::ListQuery>, QueryRejection>,
) -> Result<(Arc<SimAccount>, wire::ListQuery), Box<Response>> {
    if let Some(failure) = sim.begin() {
        return Err(Box::new(failure));
    }
    if !sim.token_is_valid(headers) {
        return Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )));
    }
    let Some(account) = sim.account(account_id) else {
        return Err(Box::new(error(StatusCode::NOT_FOUND, "bad_identifier")));
    };
    let Ok(Query(query)) = query else {
        return Err(Box::new(error(StatusCode::BAD_REQUEST, "invalid_data")));
    };
    Ok((account, query))
}

/// One page of `all` (sorted by `key`): `page_size` records from `start_key` on, and the key
/// of the next record if there is one. `paginate=false` returns everything.
fn page<T: Clone>(all: &[T], query: wire::ListQuery, key: impl Fn(&T) -> &str) -> wire::Page<T> {
    if query.paginate.as_deref() == Some("false") {
        return wire::Page {
            data: all.to_vec(),
            next_start_key: None,
            start_key: None,
            page_size: None,
            status: "success".into(),
        };
    }
    let size = query
        .page_size
        .map_or(DEFAULT_PAGE_SIZE, |n| n as usize)
        .clamp(1, MAX_PAGE_SIZE);
    let from = match query.start_key.as_deref() {
        Some(start) => all.partition_point(|record| key(record) < start),
        None => 0,
    };
    let mut data: Vec<T> = all.iter().skip(from).take(size + 1).cloned().collect();
    let next_start_key = if data.len() > size {
        data.pop().map(|next| key(&next).to_string())
    } else {
        None
    };
    let page_size = Some(data.len() as u64);
    wire::Page {
        data,
        next_start_key,
        start_key: query.start_key,
        page_size,
        status: "success".into(),
    }
}

/// What a broken proxy in front of a PBX might send: HTML with a 200.
fn garbage() -> Response {
    (StatusCode::OK, [("content-type", "text/html")], "<html><body>Gateway says hello</body></html>").into_response()
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(wire::ErrorBody::new(status.as_u16(), message))).into_response()
}

/// An account and its two children ("East" with 5 users, "West" with 3).
fn generate_family(accounts: &mut HashMap<String, Arc<SimAccount>>, id: &str, name: &str, users: usize) {
    for (n, (suffix, count)) in [("East", 5), ("West", 3)].into_iter().enumerate() {
        let child = child_id(id, n as u8 + 1);
        let account = generate_account(&child, &format!("{name} {suffix}"), Some(id), count);
        accounts.insert(child, Arc::new(account));
    }
    accounts.insert(id.to_string(), Arc::new(generate_account(id, name, None, users)));
}

/// A company name for a generated account, picked by its id.
fn generated_name(id: &str) -> String {
    const NAMES: [&str; 8] = [
        "Contoso", "Fabrikam", "Tailspin Toys", "Wide World Importers", "Adventure Works", "Proseware", "Litware", "Alpine Ski House",
    ];
    let n = u64::from_str_radix(id.get(24..).unwrap_or("0"), 16).unwrap_or(0);
    format!("{} {}", NAMES[(n % NAMES.len() as u64) as usize], id.get(..4).unwrap_or(id))
}

/// Child `n`'s id: the parent's with its first byte flipped by `0xc0 + n` — distinct for
/// distinct parents (so neighbouring account ids never share children) and still 32 hex digits.
fn child_id(parent: &str, n: u8) -> String {
    match u128::from_str_radix(parent, 16) {
        Ok(id) if parent.len() == 32 => format!("{:032x}", id ^ (u128::from(0xc0 + n) << 120)),
        _ => format!("{parent}{:02x}", 0xc0 + n),
    }
}

fn generate_account(id: &str, name: &str, parent: Option<&str>, users: usize) -> SimAccount {
    let domain = format!("{}.example", slug(name));
    // Ids start with 16 hex digits folded from the account id (the halves XORed, so an
    // account, its children and its neighbours all differ) and count up, so id order is
    // creation order.
    let stem = match u128::from_str_radix(id, 16) {
        Ok(n) => format!("{:016x}", (n >> 64) as u64 ^ n as u64),
        Err(_) => id.get(..16).unwrap_or(id).to_string(),
    };
    let queue = format!("{stem}{:016x}", 0xacdc_u64);
    let users = (0..users)
        .map(|i| {
            let first = FIRST_NAMES[i % FIRST_NAMES.len()];
            let last = LAST_NAMES[(i / FIRST_NAMES.len()) % LAST_NAMES.len()];
            let round = i / (FIRST_NAMES.len() * LAST_NAMES.len());
            let suffix = if round == 0 {
                String::new()
            } else {
                round.to_string()
            };
            let local = format!("{}.{}{suffix}", first.to_lowercase(), last.to_lowercase());
            wire::UserDoc {
                id: format!("{stem}{:016x}", 0x1000 + i as u64),
                first_name: Some(first.into()),
                last_name: Some(last.into()),
                email: Some(format!("{local}@{domain}")),
                username: Some(local),
                queues: if (i + 1) % 7 == 0 {
                    vec![queue.clone()]
                } else {
                    Vec::new()
                },
            }
        })
        .collect();
    SimAccount {
        id: id.to_string(),
        name: name.to_string(),
        parent: parent.map(Into::into),
        users,
    }
}

fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbouring_open_accounts_have_their_own_children() {
        let sim = SimulatorState::demo();
        let a = sim.account("000000000000000000000000deadbeef").unwrap();
        let b = sim.account("000000000000000000000000deadbef0").unwrap();
        let kids = |id: &str| sim.children_of(id).iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(kids(&a.id).len(), 2);
        assert_eq!(kids(&b.id).len(), 2);
        assert!(kids(&a.id).iter().all(|k| !kids(&b.id).contains(k)));
        assert!(sim.account("not-an-account").is_none());
        assert!(SimulatorState::new("k", DEMO_ACCOUNT_ID, "Acme", 1).account("000000000000000000000000deadbeef").is_none(), "only the demo is open");
    }

    #[test]
    fn data_is_deterministic_and_unique() {
        let sim = SimulatorState::new("k", DEMO_ACCOUNT_ID, "Acme Corp", 600);
        let root = sim.account(DEMO_ACCOUNT_ID).unwrap();
        assert_eq!(root.users.len(), 600);
        let emails: std::collections::HashSet<_> = root
            .users
            .iter()
            .map(|u| u.email.clone().unwrap())
            .collect();
        assert_eq!(emails.len(), 600);
        assert_eq!(
            root.users[0].email.as_deref(),
            Some("ada.adams@acme-corp.example")
        );
        assert!(root.users.windows(2).all(|w| w[0].id < w[1].id));
        assert_eq!(
            root.users.iter().filter(|u| !u.queues.is_empty()).count(),
            600 / 7
        );
        let mut children = sim.children_of(DEMO_ACCOUNT_ID);
        children.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(
            children
                .iter()
                .map(|c| (c.name.as_str(), c.users.len()))
                .collect::<Vec<_>>(),
            [("Acme Corp East", 5), ("Acme Corp West", 3)]
        );
        // No user id is shared between an account and its children.
        let ids: std::collections::HashSet<_> = root.users.iter().chain(children.iter().flat_map(|c| c.users.iter())).map(|u| u.id.clone()).collect();
        assert_eq!(ids.len(), 608);
        assert!(
            children
                .iter()
                .all(|c| c.id.len() == 32 && c.id.chars().all(|ch| ch.is_ascii_hexdigit()))
        );
    }

    #[test]
    fn an_open_simulator_holds_a_bounded_number_of_accounts() {
        let sim = SimulatorState::demo();
        let mut made = 0;
        for n in 0..(MAX_ACCOUNTS as u64) {
            if sim.account(&format!("{n:032x}")).is_some() {
                made += 1;
            }
        }
        assert!(made < MAX_ACCOUNTS, "families of three fill it before {MAX_ACCOUNTS} ids");
        let held = sim.inner.accounts.lock().unwrap().len();
        assert!(held <= MAX_ACCOUNTS + 2, "{held}");
        assert!(sim.account(&format!("{:032x}", u64::MAX)).is_none(), "a new id past the limit is unknown");
        assert!(sim.account(DEMO_ACCOUNT_ID).is_some(), "known accounts still answer");
    }
}
