//! `GET /customers/export`: the grid's current view (all pages) as CSV, streamed in chunks so
//! 100,000 customers never sit in memory at once.

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
    let first = encode(&[HEADER.map(str::to_owned).to_vec()]);

    // Offsets advance in the grid's total order (name, then id), so chunks neither overlap
    // nor skip rows.
    let chunks = futures::stream::try_unfold(Some(0u64), move |offset| {
        let ctx = ctx.clone();
        let query = query.clone();
        async move {
            let Some(offset) = offset else { return Ok(None) };
            let rows = domain::customers::rows(&ctx.db, reseller_id, &query, offset, CHUNK).await.map_err(|e| {
                tracing::error!("CSV export failed at row {offset}: {e}");
                std::io::Error::other("export failed")
            })?;
            let next = (rows.len() as u64 == CHUNK).then_some(offset + CHUNK);
            if rows.is_empty() {
                return Ok(None);
            }
            Ok::<_, std::io::Error>(Some((Bytes::from(encode(&rows.iter().map(record).collect::<Vec<_>>())), next)))
        }
    });
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(first)) });
    let stream = futures::StreamExt::chain(body, chunks);
    let filename = format!("customers-{}.csv", chrono::Utc::now().format("%Y-%m-%d"));
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        Body::from_stream(stream),
    )
        .into_response()
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
