//! The mail worker against a real (tiny) SMTP server in the test: invitations are delivered and
//! marked, refusals are retried with backoff and finally given up on, claims never overlap, a
//! claim left behind runs out; and demo mode's outbox page lists only the caller's emails.

use crate::support::*;
use app::api::customers::ResendInvitation;
use app::api::outbox::{DemoMode, ListOutbox, OutboxEmail};
use app::AppError;
use chrono::Utc;
use domain::entity::{customer, customer_user, outbox, reseller};
use domain::outbox::{claim_due, RetryPolicy};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde_json::{json, Value};
use server::mailer::MailerSettings;
use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Notify};

const FROM_ADDRESS: &str = "portal@mail-test.example";
const FROM: &str = "Portal Test <portal@mail-test.example>";

// ---------------------------------------------------------------------------------------------
// A tiny SMTP server: enough of RFC 5321 for lettre to hand over a message.

/// One message the test SMTP server accepted.
#[derive(Debug)]
struct Received {
    mail_from: String,
    rcpt_to: Vec<String>,
    /// The message as transmitted (dot-stuffing undone), CRLF line ends.
    data: String,
}

impl Received {
    /// A header's value, unfolded (None when absent).
    fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default().replace("\r\n ", " ").replace("\r\n\t", " ");
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
        })
    }

    /// The body, transfer encoding undone, with `\n` line ends.
    fn body(&self) -> String {
        let raw = self.data.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
        let text = match self.header("Content-Transfer-Encoding").as_deref() {
            Some(e) if e.eq_ignore_ascii_case("quoted-printable") => decode_quoted_printable(raw),
            _ => raw.to_owned(),
        };
        text.replace("\r\n", "\n")
    }
}

fn decode_quoted_printable(text: &str) -> String {
    let text = text.replace("=\r\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(b) = text.get(i + 1..i + 3).and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).expect("utf-8 body")
}

struct SmtpServer {
    url: String,
    received: mpsc::UnboundedReceiver<Received>,
    /// Messages offered (at the end of DATA) so far, refused or not.
    offered: Arc<AtomicUsize>,
}

impl SmtpServer {
    /// Listens on a free port; answers the first `refuse` messages with `451` at the end of DATA
    /// (a temporary failure) and accepts the rest.
    async fn start(refuse: usize) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let (tx, received) = mpsc::unbounded_channel();
        let offered = Arc::new(AtomicUsize::new(0));
        let counter = offered.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(smtp_session(stream, tx.clone(), counter.clone(), refuse));
            }
        });
        SmtpServer { url, received, offered }
    }

    /// The next accepted message (fails the test after 15 s).
    async fn next(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(15), self.received.recv())
            .await
            .expect("an email reaches the SMTP server")
            .expect("the SMTP server runs")
    }

    fn offered(&self) -> usize {
        self.offered.load(Ordering::SeqCst)
    }
}

async fn smtp_session(stream: TcpStream, tx: mpsc::UnboundedSender<Received>, offered: Arc<AtomicUsize>, refuse: usize) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    write.write_all(b"220 smtp.test ESMTP ready\r\n").await?;
    let (mut mail_from, mut rcpt_to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end_matches(['\r', '\n']);
        let verb = command.split([' ', ':']).next().unwrap_or_default().to_ascii_uppercase();
        let argument = |prefix: &str| command.get(prefix.len()..).unwrap_or_default().trim().to_owned();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 smtp.test at your service\r\n",
            "MAIL" => {
                mail_from = argument("MAIL FROM:");
                rcpt_to.clear();
                b"250 2.1.0 ok\r\n"
            }
            "RCPT" => {
                rcpt_to.push(argument("RCPT TO:"));
                b"250 2.1.5 ok\r\n"
            }
            "DATA" => {
                write.write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').filter(|_| line.starts_with("..")).unwrap_or(&line));
                }
                if offered.fetch_add(1, Ordering::SeqCst) < refuse {
                    b"451 4.3.0 mailbox busy, try again later\r\n"
                } else {
                    let _ = tx.send(Received { mail_from: std::mem::take(&mut mail_from), rcpt_to: std::mem::take(&mut rcpt_to), data });
                    b"250 2.0.0 queued\r\n"
                }
            }
            "RSET" => {
                (mail_from, rcpt_to) = (String::new(), Vec::new());
                b"250 2.0.0 ok\r\n"
            }
            "NOOP" => b"250 2.0.0 ok\r\n",
            "QUIT" => {
                write.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 5.5.2 command not recognised\r\n",
        };
        write.write_all(reply).await?;
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// A portal (demo data) that delivers mail to `smtp` with `settings`; also returns the handle
/// that wakes its worker.
async fn portal_with_mail(smtp: &SmtpServer, settings: MailerSettings) -> (TestPortal, Arc<Notify>) {
    let mut wake = None;
    let portal = spawn_with(&["--smtp-url", &smtp.url, "--mail-from", FROM], |p| {
        p.mailer.as_mut().expect("--smtp-url starts a mail worker").settings = settings;
        wake = Some(p.state.ctx.mail_queued.clone());
    })
    .await;
    (portal, wake.unwrap())
}

/// Fast timing for tests: retries after `first_delay`, doubling.
fn fast(first_delay: Duration, max_attempts: i32) -> MailerSettings {
    MailerSettings {
        poll_interval: Duration::from_millis(100),
        lease: Duration::from_secs(60),
        retry: RetryPolicy { max_attempts, first_delay, max_delay: Duration::from_secs(60) },
    }
}

/// Polls `probe` every 50 ms until it yields a value (fails the test after 15 s).
async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn row(db: &DatabaseConnection, id: i64) -> outbox::Model {
    outbox::Entity::find_by_id(id).one(db).await.unwrap().expect("the outbox row exists")
}

async fn user(db: &DatabaseConnection, id: i64) -> customer_user::Model {
    customer_user::Entity::find_by_id(id).one(db).await.unwrap().expect("the customer user exists")
}

async fn reseller_id(db: &DatabaseConnection, name: &str) -> i64 {
    reseller::Entity::find().filter(reseller::Column::Name.eq(name)).one(db).await.unwrap().expect("seeded reseller").id
}

/// An active demo customer of `reseller` and its (seeded, already invited) user.
async fn customer_and_user(db: &DatabaseConnection, reseller: &str, skip: usize) -> (customer::Model, customer_user::Model) {
    let reseller_id = reseller_id(db, reseller).await;
    let customers = customer::Entity::find()
        .filter(customer::Column::ResellerId.eq(reseller_id))
        .filter(customer::Column::Status.eq("active"))
        .all(db)
        .await
        .unwrap();
    let c = customers.into_iter().nth(skip).expect("enough active demo customers");
    let u = customer_user::Entity::find().filter(customer_user::Column::CustomerId.eq(c.id)).one(db).await.unwrap().expect("a demo user");
    (c, u)
}

/// Queues `u`'s invitation directly (as a service does inside its transaction) and marks them
/// queued; returns the outbox id.
async fn queue_invitation(db: &DatabaseConnection, c: &customer::Model, u: &customer_user::Model) -> i64 {
    let r = reseller::Entity::find_by_id(c.reseller_id).one(db).await.unwrap().unwrap();
    let id = domain::outbox::queue(db, domain::outbox::invitation(&r.name, &c.name, u.id, &u.display_name, &u.email, r.id)).await.unwrap();
    let mut active = u.clone().into_active_model();
    active.invitation = Set(model::roles::Invitation::Queued);
    active.update(db).await.unwrap();
    id
}

fn email(reseller_id: Option<i64>, to: &str, subject: &str) -> domain::outbox::Email {
    domain::outbox::Email {
        reseller_id,
        customer_user_id: None,
        kind: "notice",
        to_address: to.into(),
        to_name: "Test Recipient".into(),
        subject: subject.into(),
        body: format!("Body of {subject}.\n"),
    }
}

/// Calls a JSON server function; returns the status and the raw body.
async fn call<S: WireFn>(portal: &TestPortal, body: Value, session: Option<&str>) -> (StatusCode, String) {
    call_fn_text::<S>(portal, session, body).await
}

/// Calls a form-encoded (default codec) server function without arguments.
async fn call_form<S: WireFn>(portal: &TestPortal, session: &str) -> (StatusCode, String) {
    answer_text::<S>(portal.call::<S>(&[], Some(session), Default::default()).await).await
}

fn parse<T: leptos::server_fn::serde::de::DeserializeOwned>(body: &str) -> T {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

// ---------------------------------------------------------------------------------------------
// Tests

#[tokio::test]
async fn an_invitation_is_delivered_over_smtp_and_the_user_is_marked_invited() {
    let mut smtp = SmtpServer::start(0).await;
    // The worker polls only once an hour: only the commit's wake-up can bring the email out in
    // the 15 s this test waits.
    let (portal, _) = portal_with_mail(&smtp, MailerSettings { poll_interval: Duration::from_secs(3600), ..MailerSettings::default() }).await;
    let db = portal.database().await;
    let (c, u) = customer_and_user(&db, domain::seed::DEMO_RESELLER, 0).await;
    let before = Utc::now();

    // The Users tab's "Resend invitation": queued in the service's transaction, whose commit
    // wakes the worker (no door does it by hand).
    let session = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let (status, body) = call::<ResendInvitation>(&portal, json!({ "id": c.id.to_string(), "user_id": u.id }), Some(&session)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let queued = outbox::Entity::find().filter(outbox::Column::CustomerUserId.eq(u.id)).one(&db).await.unwrap().expect("the invitation is queued");

    let message = smtp.next().await;
    assert_eq!(message.mail_from, format!("<{FROM_ADDRESS}>"));
    assert_eq!(message.rcpt_to, vec![format!("<{}>", u.email)]);
    let to = message.header("To").expect("a To header");
    assert!(to.contains(&u.display_name) && to.contains(&format!("<{}>", u.email)), "To: {to}");
    let from = message.header("From").expect("a From header");
    assert!(from.contains("Portal Test") && from.ends_with(&format!("<{FROM_ADDRESS}>")), "From: {from}");
    assert_eq!(message.header("Subject"), Some(format!("Your call analytics account for {}", c.name)));
    assert!(message.header("Content-Type").unwrap_or_default().starts_with("text/plain"), "{:?}", message.header("Content-Type"));
    assert_eq!(message.body().trim_end(), queued.body.trim_end());
    assert!(message.body().contains(&format!("Hello {},", u.display_name)));

    let sent = eventually("the email to be marked sent", || {
        let db = &db;
        async move { Some(row(db, queued.id).await).filter(|r| r.status == domain::entity::outbox::Status::Sent) }
    })
    .await;
    assert_eq!(sent.attempts, 1);
    assert!(sent.sent_at.is_some_and(|at| at >= before));
    assert_eq!(sent.claimed_until, None);
    assert_eq!(sent.last_error, "");
    let invited = user(&db, u.id).await;
    assert_eq!(invited.invitation, model::roles::Invitation::Sent);
    assert!(invited.invited_at.is_some_and(|at| at >= before), "invited_at is the send time");
    assert_eq!(invited.version, u.version, "a delivery does not collide with a roles edit");
    assert_eq!(smtp.offered(), 1, "sent once");
}

#[tokio::test]
async fn a_refused_email_waits_with_backoff_and_is_sent_on_a_later_attempt() {
    let mut smtp = SmtpServer::start(1).await;
    let first_delay = Duration::from_secs(2);
    let (portal, wake) = portal_with_mail(&smtp, fast(first_delay, 8)).await;
    let db = portal.database().await;
    let (c, u) = customer_and_user(&db, domain::seed::DEMO_RESELLER, 1).await;
    let id = queue_invitation(&db, &c, &u).await;
    let queued_at = row(&db, id).await.created_at;
    wake.notify_one();

    // The first attempt is refused with 451: still queued, one attempt, the error kept, the
    // next attempt `first_delay` later, the claim released.
    let waiting = eventually("the first attempt to fail", || {
        let db = &db;
        async move { Some(row(db, id).await).filter(|r| r.attempts >= 1) }
    })
    .await;
    assert_eq!((waiting.status, waiting.attempts), (domain::entity::outbox::Status::Queued, 1), "{waiting:?}");
    assert!(waiting.last_error.contains("451"), "last_error: {}", waiting.last_error);
    assert!(waiting.next_attempt_at >= queued_at + first_delay, "backoff: {} vs queued {}", waiting.next_attempt_at, queued_at);
    assert!(waiting.next_attempt_at <= Utc::now() + first_delay * 2);
    assert_eq!(waiting.claimed_until, None);
    assert_eq!(user(&db, u.id).await.invitation, model::roles::Invitation::Queued, "not failed yet");

    // The retry falls due and goes through.
    let message = smtp.next().await;
    assert_eq!(message.rcpt_to, vec![format!("<{}>", u.email)]);
    let sent = eventually("the retry to be marked sent", || {
        let db = &db;
        async move { Some(row(db, id).await).filter(|r| r.status == domain::entity::outbox::Status::Sent) }
    })
    .await;
    assert_eq!(sent.attempts, 2);
    assert!(sent.sent_at.unwrap() >= waiting.next_attempt_at, "not retried before it was due");
    assert_eq!(user(&db, u.id).await.invitation, model::roles::Invitation::Sent);
    assert_eq!(smtp.offered(), 2);
}

#[tokio::test]
async fn an_email_refused_every_time_fails_after_the_last_attempt_and_so_does_the_invitation() {
    let smtp = SmtpServer::start(usize::MAX).await;
    let (portal, wake) = portal_with_mail(&smtp, fast(Duration::from_millis(200), 3)).await;
    let db = portal.database().await;
    let (c, u) = customer_and_user(&db, domain::seed::DEMO_RESELLER, 2).await;
    let id = queue_invitation(&db, &c, &u).await;
    wake.notify_one();

    let failed = eventually("the email to be given up on", || {
        let db = &db;
        async move { Some(row(db, id).await).filter(|r| r.status != domain::entity::outbox::Status::Queued) }
    })
    .await;
    assert_eq!((failed.status, failed.attempts), (domain::entity::outbox::Status::Failed, 3), "{failed:?}");
    assert!(failed.last_error.contains("451"), "{}", failed.last_error);
    assert_eq!(failed.sent_at, None);
    assert_eq!(user(&db, u.id).await.invitation, model::roles::Invitation::Failed);
    // Given up means no more attempts.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(smtp.offered(), 3);
}

#[tokio::test]
async fn an_unusable_address_fails_at_once() {
    let smtp = SmtpServer::start(0).await;
    let (portal, wake) = portal_with_mail(&smtp, fast(Duration::from_millis(200), 8)).await;
    let db = portal.database().await;
    let id = domain::outbox::queue(&db, email(None, "not an address", "Broken")).await.unwrap();
    wake.notify_one();
    let failed = eventually("the email to fail", || {
        let db = &db;
        async move { Some(row(db, id).await).filter(|r| r.status != domain::entity::outbox::Status::Queued) }
    })
    .await;
    assert_eq!((failed.status, failed.attempts), (domain::entity::outbox::Status::Failed, 1));
    assert!(failed.last_error.contains("address"), "{}", failed.last_error);
    assert_eq!(smtp.offered(), 0);
}

#[tokio::test]
async fn a_claim_left_by_a_stopped_worker_runs_out_and_the_email_is_sent() {
    let mut smtp = SmtpServer::start(0).await;
    let (portal, wake) = portal_with_mail(&smtp, fast(Duration::from_secs(1), 8)).await;
    let db = portal.database().await;
    // Another process queued it and claimed it for two seconds (in one transaction, so this
    // portal's own worker, polling every 100 ms, cannot take it first) and died before sending it.
    let lease = Duration::from_secs(2);
    let txn = sea_orm::TransactionTrait::begin(&db).await.unwrap();
    let id = domain::outbox::queue(&txn, email(None, "left@mail-test.example", "Left behind")).await.unwrap();
    let claimed = claim_due(&txn, Utc::now(), lease, 10).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(claimed.iter().map(|r| r.id).collect::<Vec<_>>(), vec![id], "nothing else is due");
    let claimed_at = Instant::now();
    wake.notify_one();

    let message = smtp.next().await;
    assert!(claimed_at.elapsed() >= lease - Duration::from_millis(100), "sent while another worker held it");
    assert_eq!(message.header("Subject").as_deref(), Some("Left behind"));
    eventually("the email to be marked sent", || {
        let db = &db;
        async move { Some(row(db, id).await).filter(|r| r.status == domain::entity::outbox::Status::Sent) }
    })
    .await;
}

#[tokio::test]
async fn concurrent_claims_never_hand_out_the_same_email() {
    // No --smtp-url: no worker, the test is the only claimant.
    let portal = spawn().await;
    let setup = portal.database().await;
    let mut queued = HashSet::new();
    for i in 0..40 {
        queued.insert(domain::outbox::queue(&setup, email(None, &format!("r{i}@mail-test.example"), &format!("Email {i}"))).await.unwrap());
    }
    let now = Utc::now() + Duration::from_secs(1);
    let lease = Duration::from_secs(300);

    // Four workers, each with its own connection pool, claim in small batches until nothing
    // is left.
    let mut workers = Vec::new();
    for _ in 0..4 {
        let db = portal.database().await;
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = claim_due(&db, now, lease, 3).await.unwrap();
                if batch.is_empty() {
                    return mine;
                }
                assert!(batch.iter().all(|r| r.claimed_until.is_some()));
                mine.extend(batch.into_iter().map(|r| r.id));
            }
        }));
    }
    let mut seen = HashSet::new();
    for worker in workers {
        for id in worker.await.unwrap() {
            assert!(seen.insert(id), "email {id} was claimed twice");
        }
    }
    assert_eq!(seen, queued, "every email was claimed exactly once");

    // While the claims last nobody gets them; once they run out they are claimable again.
    assert!(claim_due(&setup, now + Duration::from_secs(299), lease, 100).await.unwrap().is_empty());
    let again = claim_due(&setup, now + Duration::from_secs(301), lease, 100).await.unwrap();
    assert_eq!(again.into_iter().map(|r| r.id).collect::<HashSet<_>>(), queued);
    // Not yet due: not claimed.
    let later = domain::outbox::queue(&setup, email(None, "later@mail-test.example", "Later")).await.unwrap();
    outbox::Entity::update_many()
        .col_expr(outbox::Column::NextAttemptAt, sea_orm::sea_query::Expr::value(Utc::now() + Duration::from_secs(3600)))
        .filter(outbox::Column::Id.eq(later))
        .exec(&setup)
        .await
        .unwrap();
    assert!(claim_due(&setup, Utc::now(), lease, 100).await.unwrap().iter().all(|r| r.id != later));
}

#[tokio::test]
async fn the_demo_outbox_lists_only_the_callers_emails() {
    let portal = spawn().await;
    let db = portal.database().await;
    let demo = reseller_id(&db, domain::seed::DEMO_RESELLER).await;
    let other = reseller_id(&db, domain::seed::OTHER_RESELLER).await;
    let first = domain::outbox::queue(&db, email(Some(demo), "first@mail-test.example", "Demo first")).await.unwrap();
    let second = domain::outbox::queue(&db, email(Some(demo), "second@mail-test.example", "Demo second")).await.unwrap();
    let theirs = domain::outbox::queue(&db, email(Some(other), "theirs@mail-test.example", "Northwind only")).await.unwrap();

    let session = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let (status, body) = call_form::<DemoMode>(&portal, &session).await;
    assert_eq!((status, parse::<bool>(&body)), (StatusCode::OK, true));
    let (status, body) = call::<ListOutbox>(&portal, json!({}), Some(&session)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let listed: Vec<OutboxEmail> = parse(&body);
    assert_eq!(listed.iter().map(|e| e.id).collect::<Vec<_>>(), vec![second, first], "newest first, only the demo reseller's");
    assert_eq!(listed[0].subject, "Demo second");
    assert_eq!(listed[0].to_address, "second@mail-test.example");
    assert_eq!(listed[0].to_name, "Test Recipient");
    assert_eq!(listed[0].status, "queued");
    assert_eq!(listed[0].body, "Body of Demo second.\n");
    assert!(!listed[0].queued_at.is_empty());

    let northwind = portal.sign_in(OTHER_EMAIL, DEMO_PASSWORD).await;
    let (_, body) = call::<ListOutbox>(&portal, json!({}), Some(&northwind)).await;
    assert_eq!(parse::<Vec<OutboxEmail>>(&body).iter().map(|e| e.id).collect::<Vec<_>>(), vec![theirs]);

    let (status, _) = call::<ListOutbox>(&portal, json!({}), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The page, rendered on the server: heading, banner, the emails; the navigation links it.
    let page = portal.get("/outbox", Some(&session)).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("<h1>Outbox</h1>"), "{html}");
    assert!(html.contains("Demo mode: no mail server is configured"));
    assert!(html.contains("Demo second") && html.contains("Body of Demo first."));
    assert!(!html.contains("Northwind only"));
    assert!(html.contains(r#"href="/outbox""#), "the navigation links the outbox in demo mode");
}

#[tokio::test]
async fn the_outbox_is_not_found_outside_demo_mode() {
    // Demo data (to sign in with), but the portal runs as a real installation.
    let portal = spawn_with(&[], |p| p.state.ctx.demo = false).await;
    let db = portal.database().await;
    let demo = reseller_id(&db, domain::seed::DEMO_RESELLER).await;
    domain::outbox::queue(&db, email(Some(demo), "hidden@mail-test.example", "Not for show")).await.unwrap();

    let session = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let (status, body) = call_form::<DemoMode>(&portal, &session).await;
    assert_eq!((status, parse::<bool>(&body)), (StatusCode::OK, false));
    let (status, body) = call::<ListOutbox>(&portal, json!({}), Some(&session)).await;
    assert_eq!((status, parse::<AppError>(&body)), (StatusCode::NOT_FOUND, AppError::NotFound));

    let page = portal.get("/outbox", Some(&session)).await;
    let status = page.status();
    let html = page.text().await.unwrap();
    assert!(html.contains("Page not found"), "{html}");
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!html.contains("Not for show"));
    assert!(!html.contains(r#"href="/outbox""#), "no outbox link outside demo mode");
}
