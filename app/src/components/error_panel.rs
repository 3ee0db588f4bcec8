use crate::AppError;
use leptos::prelude::*;

/// A readable error in place of the content that failed to load. Unexpected errors carry the
/// request id that the server logged them under.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    let reference = match &error {
        AppError::Internal { request_id } => Some(request_id.clone()),
        _ => None,
    };
    view! {
        <section class="error-panel" role="alert">
            <h2>"Something went wrong"</h2>
            <p>{error.to_string()}</p>
            {reference.map(|id| view! { <p class="muted">"Request id: " <code>{id}</code></p> })}
            <p><a href="javascript:location.reload()" on:click=|ev| { ev.prevent_default(); let _ = window().location().reload(); }>"Try again"</a></p>
        </section>
    }
}
