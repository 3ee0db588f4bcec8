//! `GET /customers/export` and `GET /activity/export`: the grid's current view (all pages) and
//! the filtered activity log as CSV, streamed in chunks so 100,000 rows never sit in memory at
//! once.

use app::ssr::{AppContext, Session};
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use model::customer::{CustomerRow, GridQuery};

const CHUNK: u64 = 1000;
const HEADER: [&str; 9] = ["Name", "Date Created", "Status", "Reference", "Product Type", "Country", "Trial End", "In-house", "Tenant ID"];

pub async fn customers_csv(
    State(ctx): State<AppContext>,
    session: Option<Extension<Session>>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let Some(Extension(session)) = session else {
        return (StatusCode::UNAUTHORIZED, "Please sign in.").into_response();
    };
    let query = GridQuery::from_pairs(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let reseller_id = session.actor.reseller_id;
    // Offsets advance in the grid's total order (name, then id), so chunks neither overlap
    // nor skip rows.
    let chunks = futures::stream::try_unfold(Some(0u64), move |offset| {
        let ctx = ctx.clone();
        let query = query.clone();
        async move {
            let Some(offset) = offset else { return Ok(None) };
            let rows = domain::customers::rows(&ctx.db, reseller_id, &query, offset, CHUNK)
                .await
                .map_err(|e| failed(&format!("CSV export failed at row {offset}"), e))?;
            let next = (rows.len() as u64 == CHUNK).then_some(offset + CHUNK);
            if rows.is_empty() {
                return Ok(None);
            }
            Ok::<_, std::io::Error>(Some((Bytes::from(encode(&rows.iter().map(record).collect::<Vec<_>>())), next)))
        }
    });
    csv_download("customers", &HEADER, chunks)
}

/// `GET /activity/export`: the reseller's activity log as the Activity page filters it
/// (`actor`, `customer`, `types`, `from`, `to`), newest first, streamed page by page.
pub async fn activity_csv(
    State(ctx): State<AppContext>,
    session: Option<Extension<Session>>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let Some(Extension(session)) = session else {
        return (StatusCode::UNAUTHORIZED, "Please sign in.").into_response();
    };
    let actor = session.actor.clone();
    if actor.require(model::Permission::WebsiteAccess).is_err() {
        return (StatusCode::FORBIDDEN, "You do not have permission to do this.").into_response();
    }
    let value = |key: &str| params.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default();
    let filter = model::events::EventFilter { actor: value("actor"), customer: value("customer"), types: value("types"), from: value("from"), to: value("to") };
    let zone = match domain::activity::time_zone(&ctx.db, actor.reseller_id).await {
        Ok(zone) => zone,
        Err(e) => {
            tracing::error!("activity export failed: {e}");
            return (StatusCode::INTERNAL_SERVER_ERROR, "The export failed; it has been logged.").into_response();
        }
    };
    let parsed = match domain::activity::Filter::parse(&filter, &zone) {
        Ok(parsed) => parsed,
        Err(domain::Error::Invalid(errors)) => {
            let message = errors.0.first().map(|f| format!("{}: {}", f.field, f.message)).unwrap_or_default();
            return (StatusCode::BAD_REQUEST, message).into_response();
        }
        Err(e) => {
            tracing::error!("activity export failed: {e}");
            return (StatusCode::INTERNAL_SERVER_ERROR, "The export failed; it has been logged.").into_response();
        }
    };
    // Each page starts below the last one's oldest event: pages neither overlap nor skip.
    let chunks = futures::stream::try_unfold(Some(None::<String>), move |before| {
        let ctx = ctx.clone();
        let parsed = parsed.clone();
        let zone = zone.clone();
        let reseller_id = actor.reseller_id;
        async move {
            let Some(before) = before else { return Ok(None) };
            let (events, older) = domain::activity::log(&ctx.db, reseller_id, &parsed, before.as_deref(), domain::activity::MAX_PAGE)
                .await
                .map_err(|e| failed("activity export failed", e))?;
            if events.is_empty() {
                return Ok(None);
            }
            let records: Vec<Vec<String>> = events.iter().map(|e| event_record(e, &zone)).collect();
            Ok::<_, std::io::Error>(Some((Bytes::from(encode(&records)), older.map(Some))))
        }
    });
    csv_download("activity", &ACTIVITY_HEADER, chunks)
}

/// A CSV download named `{name}-{today}.csv`: the `columns` row at once, then `rows` as each
/// chunk is read. A chunk that fails ends the download early (the browser reports it).
fn csv_download<S>(name: &str, columns: &[&str], rows: S) -> Response
where
    S: futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
{
    let first = Bytes::from(encode(&[columns.iter().map(|c| (*c).to_owned()).collect()]));
    let head = futures::stream::once(async move { Ok::<_, std::io::Error>(first) });
    let filename = format!("{name}-{}.csv", chrono::Utc::now().format("%Y-%m-%d"));
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        Body::from_stream(futures::StreamExt::chain(head, rows)),
    )
        .into_response()
}

/// Logs why a chunk of an export could not be read; the stream's error says no more.
fn failed(what: &str, e: impl std::fmt::Display) -> std::io::Error {
    tracing::error!("{what}: {e}");
    std::io::Error::other("export failed")
}

const ACTIVITY_HEADER: [&str; 7] = ["Time", "Actor", "Event", "Customer", "Tenant ID", "Summary", "Event ID"];

fn event_record(e: &domain::activity::Event, zone: &str) -> Vec<String> {
    vec![
        domain::activity::local_time(e.at, zone),
        e.actor.clone(),
        e.event_type.clone(),
        e.customer_name().unwrap_or_default().to_owned(),
        e.customer_id.map(|id| id.to_string()).unwrap_or_default(),
        e.summary.clone(),
        e.id.to_string(),
    ]
}

fn record(row: &CustomerRow) -> Vec<String> {
    vec![
        row.name.clone(),
        row.created_on.clone(),
        row.status.label().to_owned(),
        row.reference.clone(),
        row.product_type.clone(),
        row.country.clone(),
        row.trial_ends_on.clone().unwrap_or_default(),
        if row.in_house { "Yes" } else { "No" }.to_owned(),
        row.id.clone(),
    ]
}

fn encode(records: &[Vec<String>]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in records {
        // A cell starting with = + - @ would run as a formula in a spreadsheet: neutralise it.
        let safe: Vec<String> = record.iter().map(|c| neutralise_formula(c)).collect();
        writer.write_record(&safe).expect("writing CSV to memory cannot fail");
    }
    writer.into_inner().expect("flushing CSV to memory cannot fail")
}

fn neutralise_formula(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreadsheet_formulas_are_neutralised() {
        assert_eq!(neutralise_formula("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise_formula("Acme"), "Acme");
    }

    #[test]
    fn cells_with_commas_and_quotes_are_quoted() {
        let out = String::from_utf8(encode(&[vec!["Smith, \"Jones\" & Co".into(), "x".into()]])).unwrap();
        assert_eq!(out, "\"Smith, \"\"Jones\"\" & Co\",x\n");
    }
}
