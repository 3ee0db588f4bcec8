//! The webhook worker: fans the event stream out to the enabled endpoints
//! (`domain::webhooks::fan_out`) and delivers due deliveries, several at once, each claimed
//! with a lease first so that two processes on one database never send one at the same time
//! (`domain::webhooks::claim_due`). It wakes after every commit (`domain::db::wake_on_commit`)
//! and otherwise every `poll_interval`, which is when retries fall due.

use domain::db::DatabaseConnection;
use domain::egress::HttpClient;
use domain::secret::SecretBox;
use domain::webhooks::{self, Delivery, Outcome};
use futures::StreamExt as _;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// The worker's timing and width. The defaults suit production; tests shorten them.
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    pub delivery: Delivery,
    /// How often to look for due deliveries when nothing wakes the worker.
    pub poll_interval: Duration,
    /// Deliveries in flight at once (a slow receiver holds one slot for up to the timeout).
    pub concurrency: usize,
    /// After a commit wakes it, how long the worker waits for more before it starts: one pass
    /// then fans out and sends what several changes made, instead of one pass per change
    /// competing with the next change for the database.
    pub gather: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings { delivery: Delivery::default(), poll_interval: Duration::from_secs(2), concurrency: 16, gather: Duration::from_millis(25) }
    }
}

/// Delivers events to webhook endpoints.
pub struct Webhooker {
    pub settings: WebhookSettings,
    secrets: SecretBox,
    http: HttpClient,
    /// Woken by every commit.
    pub wake: Arc<Notify>,
}

impl Webhooker {
    pub fn new(settings: WebhookSettings, secrets: SecretBox, http: HttpClient) -> Webhooker {
        let wake = Arc::new(Notify::new());
        domain::db::wake_on_commit(&wake);
        Webhooker { settings, secrets, http, wake }
    }

    /// Works until `stop` turns true; deliveries in flight when it does are finished first.
    pub async fn run(self, db: DatabaseConnection, mut stop: watch::Receiver<bool>) {
        tracing::info!("webhook worker started");
        loop {
            if let Err(e) = self.pass(&db, &stop).await {
                tracing::warn!(error = %e, "webhook worker could not read its work");
            }
            let woken = tokio::select! {
                _ = self.wake.notified() => true,
                _ = tokio::time::sleep(self.settings.poll_interval) => false,
                _ = stop.wait_for(|stopped| *stopped) => false,
            };
            if woken && !self.settings.gather.is_zero() {
                tokio::time::sleep(self.settings.gather).await;
            }
            if *stop.borrow() {
                break;
            }
        }
        tracing::info!("webhook worker stopped");
    }

    /// One round: fan out, then deliver what is due until nothing is. Returns the attempts made.
    pub async fn pass(&self, db: &DatabaseConnection, stop: &watch::Receiver<bool>) -> domain::Result<usize> {
        webhooks::fan_out(db).await?;
        let mut attempts = 0;
        while !*stop.borrow() {
            let now = chrono::Utc::now();
            let claimed = webhooks::claim_due(db, &self.secrets, now, self.settings.delivery.lease, self.settings.concurrency as u64 * 4).await?;
            if claimed.is_empty() {
                break;
            }
            attempts += claimed.len();
            // Up to `concurrency` in flight; whatever has finished is recorded together.
            let settings = &self.settings.delivery;
            let mut finished = futures::stream::iter(claimed)
                .map(|c| async move {
                    let attempted = webhooks::send(&self.http, settings, &c).await;
                    (c, attempted)
                })
                .buffer_unordered(self.settings.concurrency.max(1))
                .ready_chunks(64);
            while let Some(batch) = finished.next().await {
                match webhooks::record(db, settings, &batch).await {
                    Ok(outcomes) => {
                        for ((c, _), outcome) in batch.iter().zip(outcomes) {
                            let id = c.delivery.id;
                            match outcome {
                                Outcome::Delivered { status } => tracing::debug!(delivery = id, status, "webhook delivered"),
                                Outcome::RetryAt(at) => tracing::info!(delivery = id, retry_at = %at, "webhook not delivered; will retry"),
                                Outcome::GaveUp => tracing::warn!(delivery = id, "webhook not delivered; giving up"),
                                Outcome::Stale => tracing::warn!(delivery = id, "webhook attempt finished after its claim ran out"),
                            }
                        }
                    }
                    // Unrecorded attempts are made again when their claims run out (at least once).
                    Err(e) => tracing::error!(error = %e, attempts = batch.len(), "could not record webhook attempts"),
                }
            }
        }
        Ok(attempts)
    }
}
