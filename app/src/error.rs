//! The one error type every server function returns, and what the browser shows for it.

use leptos::server_fn::codec::PostcardEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use model::FieldErrors;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// No valid session: the browser goes to the sign-in page.
    #[error("Your session has ended. Please sign in again.")]
    Unauthorized,
    #[error("You do not have permission to do this.")]
    Forbidden,
    /// Missing, or another reseller's: the two are indistinguishable on purpose.
    #[error("We could not find that.")]
    NotFound,
    /// Field rules were broken; each message belongs next to its field.
    #[error("Please correct the highlighted fields.")]
    Invalid(FieldErrors),
    /// The request was understood and refused, with a message for the user.
    #[error("{0}")]
    Refused(String),
    /// Something unexpected failed on the server; details are in its log under this id.
    #[error("Something went wrong on our side. If it keeps happening, quote reference {request_id}.")]
    Internal { request_id: String },
    /// The request never got a usable answer (network down, server restarting, a proxy's
    /// error page). The detail is for the browser console, not for the user.
    #[error("The portal could not be reached or did not answer properly. Check your connection and try again; if it keeps happening, reload the page.")]
    Unreachable(String),
}

impl AppError {
    /// The message for one field, when this is a validation error that names it.
    pub fn field(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid(errors) => errors.get(field).map(str::to_owned),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    /// As the server functions' answers (`crate::wire`).
    type Encoder = PostcardEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(e) | ServerFnErrorErr::Response(e) => AppError::Unreachable(e),
            // On the server: arguments that do not parse are the client's mistake (400), said
            // in the product's words; what exactly was wrong goes to the log.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Args(detail) | ServerFnErrorErr::MissingArg(detail) | ServerFnErrorErr::Deserialization(detail)
                if leptos::prelude::use_context::<leptos_axum::ResponseOptions>().is_some() =>
            {
                if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                    response.set_status(http::StatusCode::BAD_REQUEST);
                }
                tracing::info!(%detail, "a server function's arguments could not be read");
                AppError::Refused("The request could not be read. Reload the page and try again.".into())
            }
            // In the browser: an answer that is not one of ours (a proxy's error page, a
            // server restarting, a page older than the server it talks to).
            other => {
                let detail = other.to_string();
                #[cfg(feature = "hydrate")]
                leptos::logging::warn!("a server function's answer could not be used: {detail}");
                AppError::Unreachable(detail)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_that_are_not_ours_are_told_in_the_products_words() {
        for failure in [
            ServerFnErrorErr::Deserialization("expected value at line 1 column 1".into()),
            ServerFnErrorErr::Request("TypeError: Failed to fetch".into()),
            ServerFnErrorErr::Response("502 Bad Gateway".into()),
        ] {
            let shown = AppError::from_server_fn_error(failure).to_string();
            assert!(shown.starts_with("The portal could not be reached or did not answer properly."), "{shown}");
            for developer_words in ["deserializ", "line 1", "TypeError", "502"] {
                assert!(!shown.contains(developer_words), "{shown}");
            }
        }
    }
}
