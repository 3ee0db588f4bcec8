//! Demo mode only: the emails the portal has queued (there is no SMTP server in the demo).
//! Outside demo mode the server function answers `NotFound` and so does this page.

use crate::api::outbox::{list_outbox, OutboxEmail};
use crate::components::error_panel::ErrorPanel;
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn OutboxPage() -> impl IntoView {
    let emails = crate::wire::resource(|| (), |_| list_outbox());
    view! {
        <Suspense fallback=|| view! { <p class="page-loading" role="status">"Loading the outbox…"</p> }>
            {move || Suspend::new(async move {
                match emails.await {
                    Ok(list) => view! { <Outbox list /> }.into_any(),
                    Err(AppError::NotFound) => view! { <OutboxNotFound /> }.into_any(),
                    Err(AppError::Forbidden) => view! {
                        <Title text="Outbox" />
                        <section class="card empty-state">
                            <h1>"You cannot see the outbox"</h1>
                            <p>"The outbox holds activation and invitation links, so it needs the Manage Users permission."</p>
                        </section>
                    }.into_any(),
                    Err(error) => view! { <Title text="Outbox" /> <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Outbox(list: Vec<OutboxEmail>) -> impl IntoView {
    let count = list.len();
    view! {
        <Title text="Outbox" />
        <div class="page-header">
            <h1>"Outbox"</h1>
        </div>
        <p class="notice demo-banner">
            "Demo mode: no mail server is configured, so emails are shown here instead of being sent."
        </p>
        {if list.is_empty() {
            view! {
                <section class="card empty-state">
                    <h2>"No emails yet"</h2>
                    <p>"Invitations appear here when you create a customer or give a customer user access."</p>
                </section>
            }
            .into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="grid stack-table outbox-table">
                        <caption class="visually-hidden">"Emails, newest first, " {count} " in all"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"To"</th>
                                <th scope="col">"Subject"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">"Queued at"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {list.into_iter().map(|email| view! { <OutboxRow email /> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }
            .into_any()
        }}
    }
}

#[component]
fn OutboxRow(email: OutboxEmail) -> impl IntoView {
    let (label, class) = match email.status.as_str() {
        "sent" => ("Sent", "status status-sent"),
        "failed" => ("Failed", "status status-failed"),
        _ => ("Queued", "status status-queued"),
    };
    let sent = email.sent_at.map(|at| view! { <span class="muted outbox-sent">"at " {at}</span> });
    let to_name = (!email.to_name.is_empty()).then(|| view! { <span class="outbox-to-name">{email.to_name.clone()}</span> });
    view! {
        <tr>
            <td class="outbox-to" data-label="To">
                {to_name}
                <span class="muted outbox-address">{email.to_address}</span>
            </td>
            <td class="outbox-subject" data-label="Subject">
                <details>
                    <summary>{email.subject}</summary>
                    <pre class="outbox-body">{email.body}</pre>
                </details>
            </td>
            <td data-label="Status"><span class=class>{label}</span> {sent}</td>
            <td data-label="Queued at"><time>{email.queued_at}</time></td>
        </tr>
    }
}

/// What the page shows outside demo mode: the same as any unknown address.
#[component]
fn OutboxNotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <h1>"Page not found"</h1>
        <p>"There is no page at this address. It may have moved, or the link may be mistyped."</p>
        <p><a href="/customers">"Go to Customers"</a></p>
    }
}
