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

/// In place of a page the user's permissions do not open: which permission it needs, what it
/// holds, and whom to ask.
#[component]
pub fn MissingPermission(permission: &'static str, holds: &'static str) -> impl IntoView {
    view! {
        <section class="card empty-state" role="alert">
            <h2>{format!("You need the {permission} permission")}</h2>
            <p>{format!("{holds} are open to {permission}s only. Ask a user administrator of your company to grant it.")}</p>
        </section>
    }
}
