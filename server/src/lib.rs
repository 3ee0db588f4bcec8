#![recursion_limit = "256"]
//! The Reseller Portal server as a library: `main.rs` only parses the command line, and the
//! integration tests start the very same application on a free port.

pub mod cli;
pub mod config;
pub mod export;
pub mod http;

use app::ssr::AppContext;
use config::Config;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// A portal ready to serve: database migrated, state built.
pub struct Portal {
    pub state: http::AppState,
    pub config: Config,
}

impl Portal {
    /// Connects to the database, applies migrations and seeds what a fresh installation needs
    /// (the product-type catalogue, and demo data in demo mode).
    pub async fn prepare(config: Config) -> anyhow::Result<Portal> {
        config.validate().map_err(anyhow::Error::msg)?;
        let secret_key = config.load_or_create_secret_key().map_err(anyhow::Error::msg)?;
        let db = domain::db::connect(&config.database_url).await?;
        let secrets = domain::secret::SecretBox::new(&secret_key);
        domain::seed::product_types(&db).await?;
        if config.demo && domain::seed::demo(&db, &secrets).await? {
            tracing::info!("seeded demo data into the new database");
        }
        let ctx = AppContext {
            db,
            auth: config.auth_policy(),
            https: config.https(),
            trust_forwarded_for: config.trust_forwarded_for,
            demo: config.demo,
            secrets,
            mail_queued: Default::default(),
        };
        let state = http::AppState {
            leptos_options: http::leptos_options(&config),
            ctx,
            public_origin: config.public_url(),
        };
        Ok(Portal { state, config })
    }

    /// Serves on `listener` until `shutdown` completes.
    pub async fn serve(self, listener: TcpListener, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let router = http::router(self.state);
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown)
            .await?;
        Ok(())
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
