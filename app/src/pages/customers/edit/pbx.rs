//! The customer page's PBX tab: the connection's settings and its live sync status.

use crate::api::customers::{
    customer_connection, customer_sync_status, sync_customer_now, update_connection,
};
use crate::components::error_panel::ErrorPanel;
use crate::components::customer_fields::ConnectionFields;
use crate::components::form::CheckField;
use crate::components::form_state::FormState;
use crate::components::request::Request;
use crate::AppError;
use leptos::either::{EitherOf3, EitherOf4};
use leptos::prelude::*;
use model::customer_form::ConnectionView;
use model::pbx::ConnectionForm;
use model::sync::{Outcome, Phase, SyncRun, SyncState, SyncStatus};
use super::Problem;

#[component]
pub(super) fn PbxTab(id: String, read_only: bool) -> impl IntoView {
    let id = StoredValue::new(id);
    let connection = LocalResource::new(move || customer_connection(id.get_value()));
    // Bumped when the connection is saved, so the sync panel shows the new schedule at once.
    let changed = RwSignal::new(0u32);
    view! {
        <h2>"PBX connection"</h2>
        // Straight from the resource, as in every tab: the tab renders only in the browser.
        {move || match connection.get() {
            None => EitherOf4::A(view! { <p class="page-loading" role="status">"Loading…"</p> }),
            Some(Ok(Some(view))) => EitherOf4::B(view! {
                <SyncPanel id=id.get_value() changed read_only />
                <ConnectionEditor id=id.get_value() view read_only changed />
            }),
            Some(Ok(None)) => EitherOf4::C(view! { <p class="empty-state">"This customer has no PBX connection."</p> }),
            Some(Err(error)) => EitherOf4::D(view! { <ErrorPanel error /> }),
        }}
    }
}

#[component]
fn ConnectionEditor(id: String, view: ConnectionView, read_only: bool, changed: RwSignal<u32>) -> impl IntoView {
    let templates = StoredValue::new(view.templates.clone());
    let kind_of = move |chosen: Option<i64>| templates.with_value(|ts| ts.iter().find(|t| Some(t.id) == chosen).map(|t| t.kind));
    let form = FormState::new(view.form.clone(), move |f: &ConnectionForm| f.validate(kind_of(f.template_id)));
    form.guard_unsaved();
    let kind = form.read(move |f| kind_of(f.template_id));
    let enabled = RwSignal::new(view.enabled);
    let version = RwSignal::new(view.version);
    let save = Request::new();
    let problem = RwSignal::new(None::<(String, bool)>);
    let saved = move |answer: Result<i32, AppError>| match answer {
        Ok(v) => {
            version.set(v);
            form.mark_saved();
            changed.update(|n| *n += 1);
        }
        Err(AppError::Invalid(found)) => form.refuse(found),
        Err(AppError::Refused(m)) => problem.set(Some((m, true))),
        Err(e) => problem.set(Some((e.to_string(), false))),
    };
    view! {
        <form class="stack" novalidate on:submit=move |ev| {
            ev.prevent_default();
            problem.set(None);
            if form.attempt() {
                save.send(update_connection(id.clone(), version.get_untracked(), form.get_untracked(), enabled.get_untracked()), saved);
            }
        }>
            <h3>"Settings"</h3>
            <fieldset class="plain" disabled=read_only>
                <div class="stack">
                    <CheckField id="pbx-enabled" label="Connection enabled" checked=enabled
                        on_change=Callback::new(move |v| {
                            enabled.set(v);
                            // Not part of the form's value, but an edit all the same.
                            form.edit("enabled", |_| {});
                        })
                        hint=Signal::derive(|| Some("When enabled, the portal connects to the PBX and imports its users.".to_string())) />
                    <ConnectionFields form templates=view.templates.clone() kind id="pbx-edit" />
                    <p class="hint">"The template's credentials are kept on the server and never shown here."</p>
                </div>
            </fieldset>
            {move || problem.get().map(|(m, reload)| view! { <Problem message=m reload /> })}
            {move || form.saved().get().then(|| view! { <p class="notice success" role="status">"Saved."</p> })}
            {(!read_only).then(|| view! {
                <div class="form-actions"><button type="submit" class="primary" disabled=move || save.pending()>"Save"</button></div>
            })}
        </form>
    }
}

/// The user sync: its state (updated live while a run goes), "Sync now", and recent runs.
#[component]
fn SyncPanel(id: String, changed: RwSignal<u32>, read_only: bool) -> impl IntoView {
    let id = StoredValue::new(id);
    let tick = RwSignal::new(0u32);
    let status = LocalResource::new(move || {
        tick.track();
        changed.track();
        customer_sync_status(id.get_value())
    });
    // Poll every second while a run is going or about to start, every ten seconds otherwise.
    let busy = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(Some(s))) = status.get() {
            busy.set(s.is_busy());
        }
    });
    let seconds = StoredValue::new(0u32);
    if let Ok(handle) = set_interval_with_handle(
        move || {
            seconds.update_value(|n| *n += 1);
            if busy.get_untracked() || seconds.get_value().is_multiple_of(10) {
                tick.update(|n| *n += 1);
            }
        },
        std::time::Duration::from_secs(1),
    ) {
        on_cleanup(move || handle.clear());
    }
    let sync_now = Request::new();
    let problem = RwSignal::new(None::<String>);
    let asked = move |answer: Result<(), AppError>| match answer {
        Ok(()) => {
            problem.set(None);
            busy.set(true);
            tick.update(|n| *n += 1);
        }
        Err(e) => problem.set(Some(e.to_string())),
    };
    view! {
        <section class="sync-panel" aria-labelledby="sync-heading">
            // Redrawn when an answer arrives; the last one stays while the next is asked for.
            {move || match status.get() {
                None => EitherOf3::A(view! { <p class="page-loading" role="status">"Loading sync status…"</p> }.into_any()),
                Some(Ok(Some(s))) => EitherOf3::A(view! {
                    <div class="tab-header">
                        <h3 id="sync-heading">"User sync"</h3>
                        {(!read_only).then(|| {
                            let can = s.can_sync_now;
                            view! {
                                <button type="button" class="link-button" disabled=move || !can || sync_now.pending()
                                    on:click=move |_| sync_now.send(sync_customer_now(id.get_value()), asked)>
                                    {move || if sync_now.pending() { "Asking…" } else { "Sync now" }}
                                </button>
                            }
                        })}
                    </div>
                    <SyncSummary status=s />
                }.into_any()),
                Some(Ok(None)) => EitherOf3::B(()),
                Some(Err(error)) => EitherOf3::C(view! { <ErrorPanel error /> }),
            }}
            {move || problem.get().map(|m| view! { <Problem message=m /> })}
        </section>
    }
}

#[component]
fn SyncSummary(status: SyncStatus) -> impl IntoView {
    let (class, line) = match &status.state {
        SyncState::Disabled => ("sync-state disabled", "Connection disabled: no users are imported until it is enabled.".to_string()),
        SyncState::NeverSynced => ("sync-state waiting", "Never synced. The first sync starts in a moment.".to_string()),
        SyncState::Syncing { phase: Phase::Connecting, .. } => ("sync-state running", "Syncing: connecting to the PBX…".to_string()),
        SyncState::Syncing { phase: Phase::Listing, found } => ("sync-state running", format!("Syncing: {found} users found so far…")),
        SyncState::Syncing { phase: Phase::Saving, found } => ("sync-state running", format!("Syncing: saving {found} users…")),
        SyncState::Synced { at } => ("sync-state ok", format!("Synced at {at}")),
        SyncState::Failed { error, .. } => ("sync-state failed", format!("Failed: {error}")),
    };
    let running = matches!(status.state, SyncState::Syncing { .. });
    let last = status.runs.iter().find(|r| r.outcome != Outcome::Running).cloned();
    let next = status.next_at.clone().map(|at| if status.due_now { "Next sync: starting now".to_string() } else { format!("Next sync: {at}") });
    let runs = status.runs.clone();
    view! {
        <p class=class role="status" aria-live="polite" data-testid="sync-state">
            <strong>{line}</strong>
            {running.then(|| view! { <progress aria-label="Sync progress"></progress> })}
        </p>
        {next.map(|n| view! { <p class="muted">{n}</p> })}
        {last.map(|r| view! {
            <dl class="sync-counts" aria-label="Last sync">
                <div><dt>"Found"</dt><dd>{r.counts.found}</dd></div>
                <div><dt>"Added"</dt><dd>{r.counts.added}</dd></div>
                <div><dt>"Updated"</dt><dd>{r.counts.updated}</dd></div>
                <div><dt>"Unchanged"</dt><dd>{r.counts.unchanged}</dd></div>
                <div><dt>"Failed"</dt><dd>{r.counts.failed}</dd></div>
                <div><dt>"Removed"</dt><dd>{r.counts.removed}</dd></div>
            </dl>
            {(!r.error.is_empty() && r.outcome == Outcome::Succeeded).then(|| view! { <p class="hint">{r.error.clone()}</p> })}
        })}
        {(!runs.is_empty()).then(|| view! {
            <details class="sync-runs">
                <summary>"Recent runs"</summary>
                <div class="table-wrap">
                    <table class="grid">
                        <thead><tr>
                            <th scope="col">"Started"</th><th scope="col">"Why"</th><th scope="col">"Result"</th><th scope="col">"Took"</th>
                            <th scope="col">"Found"</th><th scope="col">"Added"</th><th scope="col">"Updated"</th><th scope="col">"Failed"</th><th scope="col">"Removed"</th>
                        </tr></thead>
                        <tbody>{runs.into_iter().map(|r| view! { <RunRow run=r /> }).collect_view()}</tbody>
                    </table>
                </div>
            </details>
        })}
    }
}

#[component]
fn RunRow(run: SyncRun) -> impl IntoView {
    let result = match run.outcome {
        Outcome::Running => "Running".to_string(),
        Outcome::Succeeded => "Succeeded".to_string(),
        Outcome::Failed => format!("Failed: {}", run.error),
    };
    let took = match run.duration_ms {
        ms if ms < 1000 => format!("{ms} ms"),
        ms if ms < 120_000 => format!("{:.1} s", ms as f64 / 1000.0),
        ms => format!("{} min", ms / 60_000),
    };
    view! {
        <tr>
            <td>{run.started_at}</td>
            <td>{run.reason.label()}</td>
            <td>{result}</td>
            <td>{took}</td>
            <td>{run.counts.found}</td>
            <td>{run.counts.added}</td>
            <td>{run.counts.updated}</td>
            <td>{run.counts.failed}</td>
            <td>{run.counts.removed}</td>
        </tr>
    }
}
