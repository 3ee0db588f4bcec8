//! The mail worker: delivers the outbox's queued emails through the SMTP server given by
//! `--smtp-url`, one at a time, and retries failures with exponential backoff.
//!
//! Each email is claimed for a lease (`domain::outbox::claim_due`) before it is sent, so two
//! workers on one database never send the same email; one claimed by a worker that stopped
//! midway becomes claimable again when its lease runs out. The worker wakes when a service
//! queued an email (`AppContext::mail_queued`, woken by every commit: `domain::db::Work`) and otherwise every `poll_interval`.
//! Without `--smtp-url` there is no worker: emails stay queued (demo mode lists them).

use chrono::Utc;
use domain::db::DatabaseConnection;
use domain::entity::outbox as entity;
use domain::outbox::{self, AfterFailure, RetryPolicy};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// How long one SMTP command may take before the attempt counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The worker's timing. The defaults suit production; tests shorten them.
#[derive(Clone, Debug)]
pub struct MailerSettings {
    /// How often to look for due emails when nothing wakes the worker (retries fall due this way).
    pub poll_interval: Duration,
    /// How long a claim keeps other workers off an email. Far longer than one delivery may take
    /// (a handful of SMTP commands, each cut off after 30 s).
    pub lease: Duration,
    /// Attempts and backoff.
    pub retry: RetryPolicy,
}

impl Default for MailerSettings {
    fn default() -> Self {
        MailerSettings { poll_interval: Duration::from_secs(10), lease: Duration::from_secs(600), retry: RetryPolicy::default() }
    }
}

/// Sends outbox emails through one SMTP server.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    pub settings: MailerSettings,
}

impl Mailer {
    /// A mailer for `smtp_url` (`smtp://host:port`, `smtp://host:587?tls=required` for
    /// STARTTLS, `smtps://user:password@host:465`; the path, if any, is the EHLO name) sending
    /// from `mail_from` (`Name <address>` or a bare address).
    pub fn new(smtp_url: &str, mail_from: &str) -> anyhow::Result<Mailer> {
        let from: Mailbox = mail_from.parse().map_err(|e| anyhow::anyhow!("--mail-from is not a valid address ({e}): {mail_from}"))?;
        // The URL may hold a password: the error message must not quote it.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| anyhow::anyhow!("--smtp-url is not usable: {e}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Mailer { transport, from, settings: MailerSettings::default() })
    }

    /// Delivers due emails until `stop` turns true (or its sender goes away). An email being
    /// sent when the stop comes is finished first.
    pub async fn run(self, db: DatabaseConnection, wake: Arc<Notify>, mut stop: watch::Receiver<bool>) {
        tracing::info!(from = %self.from, "mail worker started");
        loop {
            if let Err(e) = self.deliver_due(&db, &stop).await {
                tracing::warn!(error = %e, "mail worker could not read the outbox");
            }
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(self.settings.poll_interval) => {}
                _ = stop.wait_for(|stopped| *stopped) => {}
            }
            if stopped(&stop) {
                break;
            }
        }
        tracing::info!("mail worker stopped");
    }

    /// Claims and sends due emails one at a time until none is due or a stop is requested;
    /// returns how many it tried.
    pub async fn deliver_due(&self, db: &DatabaseConnection, stop: &watch::Receiver<bool>) -> domain::Result<usize> {
        let mut tried = 0;
        // One at a time: each claim's lease then only has to cover one delivery.
        while !stopped(stop) {
            let Some(email) = outbox::claim_due(db, Utc::now(), self.settings.lease, 1).await?.pop() else {
                break;
            };
            self.deliver(db, email).await;
            tried += 1;
        }
        Ok(tried)
    }

    /// Sends one claimed email and records the outcome. Logs never contain the body.
    async fn deliver(&self, db: &DatabaseConnection, email: entity::Model) {
        let (id, kind, attempt) = (email.id, email.kind.clone(), email.attempts + 1);
        let message = match self.message(&email) {
            Ok(message) => message,
            Err(error) => {
                tracing::warn!(outbox_id = id, %kind, %error, "email cannot be delivered; giving up");
                if let Err(e) = outbox::mark_undeliverable(db, id, &error, Utc::now()).await {
                    tracing::error!(outbox_id = id, error = %e, "could not record an undeliverable email");
                }
                return;
            }
        };
        match self.transport.send(message).await {
            Ok(_) => {
                tracing::info!(outbox_id = id, %kind, attempt, "email sent");
                // The SMTP server has it: try hard to record that, or it is sent again once the
                // lease runs out.
                for wait in [0, 1, 5] {
                    tokio::time::sleep(Duration::from_secs(wait)).await;
                    match outbox::mark_sent(db, id).await {
                        Ok(()) => return,
                        Err(e) => tracing::error!(outbox_id = id, error = %e, "could not record a sent email"),
                    }
                }
            }
            Err(e) => {
                let error = e.to_string();
                match outbox::mark_failed_attempt(db, id, &error, Utc::now(), &self.settings.retry).await {
                    Ok(AfterFailure::RetryAt(at)) => {
                        tracing::warn!(outbox_id = id, %kind, attempt, %error, retry_at = %at, "email not sent; will retry")
                    }
                    Ok(AfterFailure::GaveUp) => tracing::error!(outbox_id = id, %kind, attempt, %error, "email not sent; giving up"),
                    Ok(AfterFailure::Stale) => tracing::warn!(outbox_id = id, %kind, attempt, %error, "email not sent; its claim had run out"),
                    Err(db_error) => tracing::error!(outbox_id = id, %kind, attempt, %error, %db_error, "email not sent; could not record it"),
                }
            }
        }
    }

    /// The email as a plain-text message; `Err` when it can never be built (a bad address).
    fn message(&self, email: &entity::Model) -> Result<Message, String> {
        let address: Address = email.to_address.trim().parse().map_err(|e| format!("invalid recipient address: {e}"))?;
        let name = Some(email.to_name.trim().to_owned()).filter(|n| !n.is_empty());
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(name, address))
            .subject(email.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(email.body.clone())
            .map_err(|e| format!("the message cannot be built: {e}"))
    }
}

fn stopped(stop: &watch::Receiver<bool>) -> bool {
    *stop.borrow() || stop.has_changed().is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_senders_are_checked_when_the_mailer_is_built() {
        assert!(Mailer::new("smtp://127.0.0.1:2525", "Portal <no-reply@example.com>").is_ok());
        assert!(Mailer::new("smtps://user:secret@mail.example.com:465", "no-reply@example.com").is_ok());
        assert!(Mailer::new("smtp://mail.example.com:587?tls=required", "no-reply@example.com").is_ok());
        let bad_from = Mailer::new("smtp://127.0.0.1:2525", "not an address").err().unwrap().to_string();
        assert!(bad_from.contains("--mail-from"), "{bad_from}");
        let bad_url = Mailer::new("smtp://user:hunter2@mail.example.com?tls=sometimes", "no-reply@example.com").err().unwrap().to_string();
        assert!(bad_url.contains("--smtp-url") && !bad_url.contains("hunter2"), "{bad_url}");
    }
}
