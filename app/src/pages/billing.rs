//! `/billing`: monthly billing runs. Pick an ended month, run it (running is idempotent: a month
//! once run is a record, so no confirmation is asked), read its lines and download them as CSV
//! or JSON; the months run so far are listed below.
//!
//! The page loads once (the months, the runs and the chosen month's run, rendered on the
//! server); after that, choosing a month or running one updates signals in place, so the month
//! picker keeps its focus. `?month=YYYY-MM` picks the month a reload shows.

use crate::api::billing::{billing_run, billing_runs, billing_start, run_billing};
use crate::components::error_panel::{ErrorPanel, MissingPermission};
use crate::components::request::Request;
use crate::AppError;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use model::billing::{file_name, BillingRun, BillingRunSummary, BillingStart, Period};

/// `October 2026` for `2026-10` (the text itself if it is not a month).
fn label(period: &str) -> String {
    Period::parse(period).map(Period::label).unwrap_or_else(|_| period.to_owned())
}

#[component]
pub fn BillingPage() -> impl IntoView {
    let wanted = use_query_map().with_untracked(|q| q.get("month"));
    // Created here, outside the Suspense that reads it, so it is created once.
    let loaded = crate::wire::resource(|| (), move |_| billing_start(wanted.clone()));
    view! {
        <Title text="Billing" />
        <div class="page-header">
            <h1>"Billing"</h1>
        </div>
        <p class="muted page-intro">
            "One line per customer for each month: prorated by day from the day it was created, up to the day before it was terminated. "
            "In-house and trial days are zero-rated; disabled customers are billed."
        </p>
        <Suspense fallback=|| view! { <p class="page-loading" role="status">"Loading billing…"</p> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok(start) => {
                        let reseller = start.reseller_name.clone();
                        view! { <Board start reseller /> }.into_any()
                    }
                    Err(AppError::Forbidden) => view! { <MissingPermission permission="Billing Administrator" holds="Billing runs and their downloads" /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The month picker, the chosen month's run and the list of runs, kept in signals.
#[component]
fn Board(start: BillingStart, reseller: String) -> impl IntoView {
    let months = start.overview.months.clone();
    let month = RwSignal::new(start.month.clone().unwrap_or_default());
    let run = RwSignal::new(start.run);
    let runs = RwSignal::new(start.overview.runs);
    // The chosen month's run is being fetched.
    let fetching = RwSignal::new(false);
    let fetch_error = RwSignal::new(None::<AppError>);
    let run_error = RwSignal::new(None::<String>);

    // Runs the month and shows the outcome; the list of runs is reloaded to include it.
    let running = Request::new();
    let run_month = move |period: String| {
        let outcome = async move {
            match run_billing(period).await {
                Ok(done) => {
                    // A failure to reload the list must not hide the run.
                    if let Ok(overview) = billing_runs().await {
                        runs.set(overview.runs);
                    }
                    if done.period == month.get_untracked() {
                        run.set(Some(done));
                    }
                }
                Err(AppError::Invalid(errors)) => {
                    let message = errors.get("period").map(str::to_owned);
                    run_error.set(Some(message.unwrap_or_else(|| AppError::Invalid(errors).to_string())));
                }
                Err(e) => run_error.set(Some(e.to_string())),
            }
        };
        running.send(outcome, |()| ());
    };

    let navigate = use_navigate();
    let choose = move |period: String| {
        month.set(period.clone());
        run.set(None);
        run_error.set(None);
        fetch_error.set(None);
        fetching.set(true);
        navigate(&format!("/billing?month={period}"), NavigateOptions { replace: true, scroll: false, ..Default::default() });
        spawn_local(async move {
            let result = billing_run(period.clone()).await;
            // A later choice wins over an answer that arrives late.
            if month.get_untracked() != period {
                return;
            }
            fetching.set(false);
            match result {
                Ok(found) => run.set(found),
                Err(e) => fetch_error.set(Some(e)),
            }
        });
    };

    // The picker also offers a month older than the newest 24 when it was chosen from the list.
    // A memo: the options are rebuilt only when that extra month changes, not on every choice.
    let no_months = months.is_empty() && start.month.is_none();
    let extra = Memo::new({
        let months = months.clone();
        move |_| Some(month.get()).filter(|m| !m.is_empty() && !months.contains(m))
    });
    let options = move || months.iter().cloned().chain(extra.get()).collect::<Vec<_>>();
    let run_label = move || label(&month.get());
    let reseller_for_lists = reseller.clone();
    let choose_from_list = choose.clone();

    view! {
        <section class="card billing-toolbar" aria-label="Run billing">
            <div class="field">
                <label for="billing-month">"Month"</label>
                <select
                    id="billing-month"
                    disabled=no_months
                    aria-describedby=move || run_error.with(Option::is_some).then_some("billing-month-error")
                    prop:value=move || month.get()
                    on:change=move |ev| choose(event_target_value(&ev))
                >
                    {move || options().into_iter().map(|m| {
                        let text = label(&m);
                        let value = m.clone();
                        view! { <option value=value selected=move || month.get() == m>{text}</option> }
                    }).collect_view()}
                </select>
            </div>
            <button
                type="button"
                class="primary"
                disabled=move || no_months || running.pending() || fetching.get()
                aria-busy=move || running.pending().to_string()
                on:click=move |_| {
                    run_error.set(None);
                    run_month(month.get_untracked());
                }
            >
                {move || if running.pending() { "Running…" } else { "Run billing" }}
            </button>
            {move || run_error.get().map(|e| view! { <p class="form-error" id="billing-month-error" role="alert">{e}</p> })}
        </section>

        <section class="billing-run" aria-labelledby="billing-run-heading" aria-busy=move || fetching.get().to_string()>
            <h2 id="billing-run-heading">{run_label}</h2>
            {move || {
                if let Some(error) = fetch_error.get() {
                    return view! { <ErrorPanel error /> }.into_any();
                }
                if fetching.get() {
                    return view! { <p class="page-loading" role="status">"Loading " {run_label()} "…"</p> }.into_any();
                }
                match run.get() {
                    Some(done) => {
                        let ran_at = runs.with(|list| list.iter().find(|s| s.period == done.period).map(|s| s.created_at.clone()))
                            .unwrap_or_else(|| done.created_at.replace('T', " ").replace('Z', " UTC"));
                        view! { <RunView run=done ran_at reseller=reseller.clone() /> }.into_any()
                    }
                    None if no_months => view! {
                        <section class="card empty-state"><p>"There is no ended month to bill yet."</p></section>
                    }.into_any(),
                    None => view! {
                        <section class="card empty-state">
                            <p>{run_label()} " has not been run yet. " <strong>"Run billing"</strong> " to create its lines: once run, a month is kept as it was and every download reads the same."</p>
                        </section>
                    }.into_any(),
                }
            }}
        </section>

        <section class="billing-history" aria-labelledby="billing-history-heading">
            <h2 id="billing-history-heading">"Earlier runs"</h2>
            {move || {
                let list = runs.get();
                if list.is_empty() {
                    view! { <p class="muted">"No month has been run yet."</p> }.into_any()
                } else {
                    view! { <RunList list reseller=reseller_for_lists.clone() month choose=choose_from_list.clone() /> }.into_any()
                }
            }}
        </section>
    }
}

/// One run: who ran it and when, its downloads, its lines and total.
#[component]
fn RunView(run: BillingRun, ran_at: String, reseller: String) -> impl IntoView {
    let period = run.period.clone();
    let count = run.lines.len();
    let downloads = view! {
        <p class="billing-downloads">
            <a class="link-button" href=format!("/billing/{period}.csv") download=file_name(&reseller, &period, "csv")>"Download CSV"</a>
            <a class="link-button" href=format!("/billing/{period}.json") download=file_name(&reseller, &period, "json")>"Download JSON"</a>
        </p>
    };
    view! {
        <p class="billing-meta">"Run on " <time>{ran_at}</time> " by " {run.created_by.clone()} ". "
            {count} {if count == 1 { " line" } else { " lines" }} ", total " <strong class="billing-total">{run.total.clone()}</strong> "."</p>
        {downloads}
        {if run.lines.is_empty() {
            view! { <section class="card empty-state"><p>"No customer was billable in " {label(&period)} "."</p></section> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="grid stack-table billing-table">
                        <caption class="visually-hidden">"Billing lines of " {label(&period)} ", " {count} " in all"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Customer"</th>
                                <th scope="col">"Tenant code"</th>
                                <th scope="col">"Product type"</th>
                                <th scope="col">"From"</th>
                                <th scope="col">"To"</th>
                                <th scope="col" class="number">"Days"</th>
                                <th scope="col" class="number">"Unit price"</th>
                                <th scope="col" class="number">"Value"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {run.lines.into_iter().map(|l| view! {
                                <tr>
                                    <td class="name" data-label="Customer">{l.customer_name}</td>
                                    <td class="code" data-label="Tenant code">{l.tenant_code}</td>
                                    <td data-label="Product type">{l.product_type} <span class="muted part-number">{l.part_number}</span></td>
                                    <td data-label="From">{l.from}</td>
                                    <td data-label="To">{l.to}</td>
                                    <td class="number" data-label="Days">{l.quantity} <span class="muted">" of " {l.days_in_period}</span></td>
                                    <td class="number" data-label="Unit price">{l.unit_price}</td>
                                    <td class="number" data-label="Value">{l.value}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                        <tfoot>
                            <tr>
                                <th scope="row" colspan="7">"Total"</th>
                                <td class="number" data-label="Total"><strong>{run.total}</strong></td>
                            </tr>
                        </tfoot>
                    </table>
                </div>
            }
            .into_any()
        }}
    }
}

/// The stored runs, newest month first, each with its downloads.
#[component]
fn RunList(
    list: Vec<BillingRunSummary>,
    reseller: String,
    month: RwSignal<String>,
    choose: impl Fn(String) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let count = list.len();
    view! {
        <div class="table-wrap">
            <table class="grid stack-table billing-runs-table">
                <caption class="visually-hidden">"Billing runs, newest month first, " {count} " in all"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Month"</th>
                        <th scope="col">"Run on"</th>
                        <th scope="col">"By"</th>
                        <th scope="col" class="number">"Lines"</th>
                        <th scope="col" class="number">"Total"</th>
                        <th scope="col"><span class="visually-hidden">"Downloads"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|s| {
                        let period = s.period.clone();
                        let shown = period.clone();
                        let choose = choose.clone();
                        let name = label(&period);
                        view! {
                            <tr>
                                <td class="name" data-label="Month">
                                    <button type="button" class="link-button" aria-label=format!("Show {name}")
                                        aria-current=move || (month.get() == shown).then_some("true")
                                        on:click=move |_| choose(period.clone())>{name.clone()}</button>
                                </td>
                                <td data-label="Run on"><time>{s.created_at}</time></td>
                                <td data-label="By">{s.created_by}</td>
                                <td class="number" data-label="Lines">{s.lines}</td>
                                <td class="number" data-label="Total">{s.total}</td>
                                <td class="row-actions-cell">
                                    <span class="row-actions">
                                        <a class="link-button" href=format!("/billing/{}.csv", s.period) download=file_name(&reseller, &s.period, "csv")
                                            aria-label=format!("Download {name} as CSV")>"CSV"</a>
                                        <a class="link-button" href=format!("/billing/{}.json", s.period) download=file_name(&reseller, &s.period, "json")
                                            aria-label=format!("Download {name} as JSON")>"JSON"</a>
                                    </span>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
