//! `GET /billing/{period}.csv` and `GET /billing/{period}.json`: a stored billing run as a file.
//!
//! Both are rendered from the run's stored lines, so every download of a month is byte for byte
//! the same. Only the signed-in reseller's Billing Administrators get them; a month that was not
//! run, or another reseller's, is 404 alike.

use app::ssr::{AppContext, Session};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;

/// The route, mounted by `http::router`. The router cannot match a parameter followed by a
/// suffix in one segment, so the handler splits `2026-10.csv` itself.
pub const ROUTE: &str = "/billing/{file}";

pub async fn download(State(ctx): State<AppContext>, session: Option<Extension<Session>>, Path(file): Path<String>) -> Response {
    let Some(Extension(session)) = session else {
        return (StatusCode::UNAUTHORIZED, "Please sign in.").into_response();
    };
    let Some((period, format)) = file.rsplit_once('.').and_then(|(period, ext)| Format::parse(ext).map(|f| (period, f))) else {
        return not_found();
    };
    let actor = session.actor.clone();
    let run = match domain::billing::get(&ctx.db, &actor, period).await {
        Ok(Some(run)) => run,
        Ok(None) | Err(domain::Error::NotFound | domain::Error::Invalid(_)) => return not_found(),
        Err(domain::Error::Forbidden) => {
            return (StatusCode::FORBIDDEN, "Billing downloads need the Billing Administrator permission.").into_response();
        }
        Err(e) => {
            tracing::error!(%period, "billing download failed: {e}");
            return (StatusCode::INTERNAL_SERVER_ERROR, "The download failed on our side. Please try again.").into_response();
        }
    };
    let (content_type, body) = match format {
        Format::Csv => ("text/csv; charset=utf-8", model::billing::csv(&run)),
        Format::Json => ("application/json", domain::billing::json(&run)),
    };
    let filename = model::billing::file_name(&session.user.reseller_name, &run.period, format.extension());
    ([(header::CONTENT_TYPE, content_type.to_owned()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\""))], body)
        .into_response()
}

#[derive(Clone, Copy)]
enum Format {
    Csv,
    Json,
}

impl Format {
    fn parse(extension: &str) -> Option<Format> {
        match extension {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "There is no billing run for that month.").into_response()
}
