#![recursion_limit = "256"]
//! The Reseller Portal server as a library: `main.rs` only parses the command line, and the
//! integration tests start the very same application on a free port.

pub mod billing_export;
pub mod cli;
pub mod config;
pub mod export;
pub mod http;
pub mod mailer;
pub mod rest;
pub mod scheduler;
pub mod simulator;
pub mod state;
pub mod syncer;
pub mod webhooker;

use app::ssr::AppContext;
use config::Config;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// A portal ready to serve: database migrated, state built.
pub struct Portal {
    pub state: http::AppState,
    pub config: Config,
    /// Delivers queued email while the portal serves; `None` without `--smtp-url`.
    pub mailer: Option<mailer::Mailer>,
    /// Syncs users from customers' PBXs while the portal serves (`None`: this process does not
    /// sync; the integration tests start one only where they test syncing).
    pub syncer: Option<syncer::Syncer>,
    /// Does the life cycle's dated work (terminations, trial ends) while the portal serves.
    pub scheduler: Option<scheduler::Scheduler>,
    /// Delivers events to webhook endpoints while the portal serves.
    pub webhooker: Option<webhooker::Webhooker>,
}

impl Portal {
    /// Connects to the database, applies migrations and seeds what a fresh installation needs
    /// (the product-type catalogue, and demo data in demo mode).
    pub async fn prepare(config: Config) -> anyhow::Result<Portal> {
        config.validate().map_err(anyhow::Error::msg)?;
        let secret_key = config.load_or_create_secret_key().map_err(anyhow::Error::msg)?;
        let mailer = config.smtp_url.as_deref().map(|url| mailer::Mailer::new(url, &config.mail_from)).transpose()?;
        let db = domain::db::connect(&config.database_url).await?;
        let secrets = domain::secret::SecretBox::new(&secret_key);
        domain::seed::product_types(&db).await?;
        let resealed = domain::pbx_templates::reseal_unbound(&db, &secrets).await?;
        if resealed > 0 {
            tracing::info!(resealed, "bound stored PBX secrets to their templates");
        }
        // The demo's default PBX template points at the Kazoo simulator this server mounts.
        let simulator = format!("{}{}", config.public_url(), http::KAZOO_SIMULATOR_PATH);
        let demo_pbx = domain::seed::DemoPbx {
            api_url: format!("{simulator}/v2"),
            websocket_url: simulator.replacen("http", "ws", 1),
            api_key: simulator::DEMO_API_KEY.into(),
        };
        if config.demo && domain::seed::demo(&db, &secrets, &demo_pbx).await? {
            tracing::info!("seeded demo data into the new database");
        }
        let egress = config.egress_policy(&format!("{simulator}/")).map_err(anyhow::Error::msg)?;
        if !egress.rules().is_empty() {
            tracing::info!(exceptions = ?egress.rules(), "egress policy: public addresses and these exceptions");
        }
        let http = domain::egress::HttpClient::new(egress, domain::pbx::DEFAULT_TIMEOUT);
        let ctx = AppContext {
            db,
            http: http.clone(),
            connection_tests: Default::default(),
            auth: config.auth_policy(),
            https: config.https(),
            trust_forwarded_for: config.trust_forwarded_for.then_some(config.trusted_proxy_hops),
            demo: config.demo,
            secrets,
            mail_queued: Default::default(),
            sync_requested: Default::default(),
            public_url: config.public_url(),
        };
        // The workers look for due work after every commit (`domain::db::Work::commit`).
        domain::db::wake_on_commit(&ctx.mail_queued);
        domain::db::wake_on_commit(&ctx.sync_requested);
        let syncer = syncer::Syncer::new(
            syncer::SyncerSettings {
                sync: domain::sync::SyncSettings {
                    interval: std::time::Duration::from_secs(config.sync_interval_minutes * 60),
                    ..Default::default()
                },
                workers: config.sync_workers as usize,
                ..Default::default()
            },
            ctx.secrets.clone(),
            http.clone(),
        );
        let webhooker = webhooker::Webhooker::new(Default::default(), ctx.secrets.clone(), http);
        let state = http::AppState {
            leptos_options: http::leptos_options(&config),
            ctx,
            public_origin: config.public_url(),
            api_limit: rest::RateLimit::per_minute(config.api_requests_per_minute),
        };
        Ok(Portal { state, config, mailer, syncer: Some(syncer), scheduler: Some(scheduler::Scheduler::default()), webhooker: Some(webhooker) })
    }

    /// Serves on `listener` (and runs the PBX sync worker, and the mail worker if there is one)
    /// until `shutdown` completes; then waits for the mail worker to finish the email it is
    /// sending.
    pub async fn serve(self, listener: TcpListener, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let ctx = &self.state.ctx;
        let scheduler = self.scheduler.map(|s| tokio::spawn(s.run(ctx.db.clone(), ctx.auth.clone(), stopped.clone())));
        let syncer = self.syncer.map(|syncer| tokio::spawn(syncer.run(ctx.db.clone(), ctx.sync_requested.clone(), stopped.clone())));
        let webhooker = self.webhooker.map(|w| tokio::spawn(w.run(ctx.db.clone(), stopped.clone())));
        let worker = self.mailer.map(|mailer| tokio::spawn(mailer.run(ctx.db.clone(), ctx.mail_queued.clone(), stopped)));
        let router = http::router(self.state);
        // Pages stream in several writes (the shell, then each resolved part): with Nagle's
        // algorithm on, each write after the first waits for the client's delayed ACK, about
        // 40 ms a page (measured: a grid page took 44 ms over HTTP against 11 ms for its data).
        let listener = axum::serve::ListenerExt::tap_io(listener, |stream: &mut tokio::net::TcpStream| {
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!("TCP_NODELAY could not be set: {e}");
            }
        });
        let served = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                shutdown.await;
                let _ = stop.send(true);
            })
            .await;
        // The stop sender is gone by now, which also stops the worker if serving failed.
        if let Some(worker) = worker {
            let _ = worker.await;
        }
        if let Some(syncer) = syncer {
            let _ = syncer.await;
        }
        if let Some(scheduler) = scheduler {
            let _ = scheduler.await;
        }
        if let Some(webhooker) = webhooker {
            let _ = webhooker.await;
        }
        Ok(served?)
    }
}

/// Sets up structured logs: `RUST_LOG` filters (default: info for the portal, warnings for
/// the database drivers).
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
