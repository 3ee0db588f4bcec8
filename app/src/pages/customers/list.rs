//! `/customers`: the customer grid. Its whole state lives in the URL query.

use crate::api::customers::{list_customers, list_product_types};
use crate::components::error_panel::ErrorPanel;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use model::customer::{flag_value, parse_flag, CustomerPage, CustomerStatus, GridQuery, SortColumn, PAGE_SIZES, SEARCH_MAX};
use std::time::Duration;

const QUERY_KEYS: [&str; 9] = ["q", "sort", "dir", "status", "type", "trial", "inhouse", "page", "size"];

fn href(query: &GridQuery) -> String {
    format!("/customers{}", query.to_query_string())
}

#[component]
pub fn CustomerList() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        let params = params.read();
        GridQuery::from_pairs(QUERY_KEYS.iter().filter_map(|k| params.get_str(k).map(|v| (*k, v))))
    });
    let customers = crate::wire::resource(move || query.get(), list_customers);
    // While a new page loads, the old rows stay (dimmed) instead of a flash of emptiness.
    let (pending, set_pending) = signal(false);

    let navigate = use_navigate();
    let go = move |next: GridQuery, replace: bool| {
        navigate(&href(&next), NavigateOptions { replace, scroll: false, ..Default::default() });
    };

    // Typing searches without a reload, a quarter second after the last keystroke.
    let search_go = go.clone();
    let mut search = debounce(Duration::from_millis(250), move |text: String| {
        search_go(query.get_untracked().refined(|q| q.search = text), true);
    });

    view! {
        <Title text="Customers" />
        <div class="page-header">
            <h1>"Customers"</h1>
            <a class="primary button" href="/customers/new" on:mouseenter=|_| crate::routes::preload("/customers/new") on:focus=|_| crate::routes::preload("/customers/new")>"+ Create New Customer"</a>
        </div>
        <section class="grid-tools" aria-label="Filters">
            <div class="field search-field">
                <label for="customer-search">"Search"</label>
                <input
                    id="customer-search"
                    type="search"
                    maxlength=SEARCH_MAX
                    placeholder="Name, reference, country, status…"
                    prop:value=move || query.get().search
                    on:input=move |ev| search(event_target_value(&ev))
                />
            </div>
            <Filters query go=go.clone() />
            <SortField query go=go.clone() />
            <a class="link-button" href=move || format!("/customers/export{}", query.get().to_query_string()) download="customers.csv">
                "Export CSV"
            </a>
        </section>
        <Transition set_pending fallback=|| view! { <p class="page-loading" role="status">"Loading customers…"</p> }>
            {move || {
                let go = go.clone();
                Suspend::new(async move {
                    match customers.await {
                        Ok(page) => view! { <Grid page query go pending /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

/// The sort order as a field, for narrow screens, where the rows are cards and the column
/// headers (which sort on wide screens) are not shown.
#[component]
fn SortField(query: Memo<GridQuery>, go: impl Fn(GridQuery, bool) + Clone + Send + Sync + 'static) -> impl IntoView {
    let value = move || query.with(|q| format!("{}:{}", q.sort.as_str(), if q.descending { "desc" } else { "asc" }));
    view! {
        <div class="field sort-field">
            <label for="grid-sort">"Sort by"</label>
            <select id="grid-sort" prop:value=value on:change=move |ev| {
                let chosen = event_target_value(&ev);
                let (column, order) = chosen.split_once(':').unwrap_or((chosen.as_str(), "asc"));
                if let Some(column) = SortColumn::parse(column) {
                    go(query.get_untracked().refined(|q| { q.sort = column; q.descending = order == "desc"; }), false)
                }
            }>
                {SortColumn::ALL.into_iter().flat_map(|c| [(c, false), (c, true)]).map(|(c, descending)| {
                    let (order, words) = match (c, descending) {
                        (SortColumn::Created, false) => ("asc", "oldest first"),
                        (SortColumn::Created, true) => ("desc", "newest first"),
                        (_, false) => ("asc", "A to Z"),
                        (_, true) => ("desc", "Z to A"),
                    };
                    view! { <option value=format!("{}:{order}", c.as_str())>{format!("{} ({words})", c.label())}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

#[component]
fn Filters(
    query: Memo<GridQuery>,
    go: impl Fn(GridQuery, bool) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    // Loaded once, inside its own Suspense: server and browser render the same options, so
    // hydration never races the grid's data.
    let product_types = crate::wire::resource(|| (), |_| list_product_types());
    let (go_status, go_type, go_trial, go_inhouse) = (go.clone(), go.clone(), go.clone(), go);
    view! {
        <div class="field">
            <label for="filter-status">"Status"</label>
            <select id="filter-status" prop:value=move || query.get().status.map(|s| s.as_str()).unwrap_or("")
                on:change=move |ev| { let v = event_target_value(&ev); go_status(query.get_untracked().refined(|q| q.status = CustomerStatus::parse(&v)), false) }>
                <option value="">"Any status"</option>
                {CustomerStatus::ALL.into_iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
            </select>
        </div>
        <Suspense fallback=|| view! {
            <div class="field">
                <label for="filter-type">"Product Type"</label>
                <select id="filter-type" disabled><option value="">"Any product type"</option></select>
            </div>
        }>
            {move || {
                let go_type = go_type.clone();
                Suspend::new(async move {
                    let types = product_types.await.unwrap_or_default();
                    view! {
                        <div class="field">
                            <label for="filter-type">"Product Type"</label>
                            <select id="filter-type" prop:value=move || query.get().product_type.unwrap_or_default()
                                on:change=move |ev| { let v = event_target_value(&ev); go_type(query.get_untracked().refined(|q| q.product_type = (!v.is_empty()).then_some(v)), false) }>
                                <option value="">"Any product type"</option>
                                {types.into_iter().map(|t| {
                                    let code = t.code.clone();
                                    view! { <option value=t.code selected=move || query.get().product_type.as_deref() == Some(code.as_str())>{t.name}</option> }
                                }).collect_view()}
                            </select>
                        </div>
                    }
                })
            }}
        </Suspense>
        <FlagFilter
            id="filter-trial"
            label="Trial"
            choices=["Trial or not", "In trial", "Not in trial"]
            value=Signal::derive(move || query.get().trial)
            pick=move |v| go_trial(query.get_untracked().refined(|q| q.trial = v), false)
        />
        <FlagFilter
            id="filter-inhouse"
            label="In-house"
            choices=["In-house or not", "In-house only", "Not in-house"]
            value=Signal::derive(move || query.get().in_house)
            pick=move |v| go_inhouse(query.get_untracked().refined(|q| q.in_house = v), false)
        />
    }
}

/// A select for a yes / no / either filter; `choices` label either, yes and no.
#[component]
fn FlagFilter(
    id: &'static str,
    label: &'static str,
    choices: [&'static str; 3],
    value: Signal<Option<bool>>,
    pick: impl Fn(Option<bool>) + 'static,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id prop:value=move || flag_value(value.get()) on:change=move |ev| pick(parse_flag(&event_target_value(&ev)))>
                <option value="">{choices[0]}</option>
                <option value="yes">{choices[1]}</option>
                <option value="no">{choices[2]}</option>
            </select>
        </div>
    }
}

#[component]
fn Grid(
    page: CustomerPage,
    query: Memo<GridQuery>,
    go: impl Fn(GridQuery, bool) + Clone + Send + Sync + 'static,
    pending: ReadSignal<bool>,
) -> impl IntoView {
    let q = query.get_untracked();
    if page.total == 0 {
        return if q.is_filtered() {
            view! {
                <section class="card empty-state">
                    <h2>"No customers match"</h2>
                    <p>"Nothing matches this search and these filters."</p>
                    <a href="/customers">"Clear search and filters"</a>
                </section>
            }
            .into_any()
        } else {
            view! {
                <section class="card empty-state">
                    <h2>"No customers yet"</h2>
                    <p>"Create your first customer: details, primary user, PBX connection and roles, in four steps."</p>
                    <a class="primary button" href="/customers/new" on:mouseenter=|_| crate::routes::preload("/customers/new") on:focus=|_| crate::routes::preload("/customers/new")>"+ Create New Customer"</a>
                </section>
            }
            .into_any()
        };
    }
    let pages = page.page_count(q.page_size);
    if page.rows.is_empty() {
        // A link or a back button can point past the end after customers were removed.
        let last_page = href(&q.at_page(pages));
        return view! {
            <section class="card empty-state">
                <h2>"No customers on this page"</h2>
                <p>{format!("The list has {} in all, on {}{pages} page{}.", page.total_text(), if page.total_is_lower_bound { "more than " } else { "" }, if pages == 1 { "" } else { "s" })}</p>
                <a href=last_page>{format!("Go to page {pages}")}</a>
            </section>
        }
        .into_any();
    }
    let ending = page.trials_ending_soon;
    let notice = (ending > 0).then(|| view! {
        <p class="notice warning" role="status">
            {if ending == 1 { "1 trial ends within 7 days. ".to_string() } else { format!("{ending} trials end within 7 days. ") }}
            <a href="/customers?trial=yes&sort=name">"Show customers in trial"</a>
        </p>
    });
    // A count that stopped at its cap does not know the last page: any page can be asked for.
    let open_ended = page.total_is_lower_bound;
    let current = if open_ended { q.page } else { q.page.min(pages) };
    let has_next = current < pages || (open_ended && page.rows.len() == q.page_size as usize);
    let total_text = page.total_text();
    let first = q.offset() + 1;
    let last = q.offset() + page.rows.len() as u64;
    let go_size = go.clone();
    let header = move |column: SortColumn| {
        let aria = if q.sort != column { "none" } else if q.descending { "descending" } else { "ascending" };
        let go = go.clone();
        view! {
            <th scope="col" aria-sort=aria>
                <button type="button" class="sort" on:click=move |_| go(query.get_untracked().sorted_by(column), false)>
                    {column.label()}
                    <span class="sort-mark" aria-hidden="true">{match aria { "ascending" => "▲", "descending" => "▼", _ => "" }}</span>
                </button>
            </th>
        }
    };
    view! {
        {notice}
        <div class="table-wrap" aria-busy=crate::components::busy::aria_busy(pending)>
            <table class="grid stack-table customers-table">
                <caption class="visually-hidden">"Customers, " {total_text.clone()} " in all"</caption>
                <thead>
                    <tr>
                        {SortColumn::ALL.into_iter().map(header).collect_view()}
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {page.rows.into_iter().map(|row| {
                        let trial = row.trial_ends_on.clone().map(|d| match row.trial_days_left {
                            Some(left) if left <= 7 => {
                                let text = match left { ..=0 => "Trial ends today".to_string(), 1 => "Trial ends tomorrow".to_string(), n => format!("Trial ends in {n} days") };
                                view! { <span class="tag trial ending" title=format!("Trial end {d}")>{text}</span> }.into_any()
                            }
                            _ => view! { <span class="tag trial" title="Trial end">"Trial until " {d}</span> }.into_any(),
                        });
                        let in_house = row.in_house.then(|| view! { <span class="tag">"In-house"</span> });
                        view! {
                            <tr>
                                <td class="name"><a class="row-link" href=format!("/customers/{}", row.id) on:mouseenter=|_| crate::routes::preload("/customers/:id") on:focus=|_| crate::routes::preload("/customers/:id")>{row.name.clone()}</a> {trial} {in_house}</td>
                                <td data-label="Date Created">{row.created_on.clone()}</td>
                                <td data-label="Status"><span class=format!("status status-{}", row.status.as_str())>{row.status.label()}</span></td>
                                <td data-label="Reference">{row.reference.clone()}</td>
                                <td data-label="Product Type">{row.product_type.clone()}</td>
                                <td data-label="Country">{match model::country::find(&row.country) {
                                    Some(c) => view! { <abbr title=c.name>{c.code}</abbr> }.into_any(),
                                    None => row.country.clone().into_any(),
                                }}</td>
                                <td class="row-edit"><a href=format!("/customers/{}", row.id) aria-label=format!("Edit {}", row.name) on:mouseenter=|_| crate::routes::preload("/customers/:id") on:focus=|_| crate::routes::preload("/customers/:id")>"Edit"</a></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Pages">
            <span class="pager-count">{format!("{first}–{last} of {total_text}")}</span>
            <span class="pager-pages">
                {(current > 1).then(|| view! { <a class="link-button" href=href(&q.at_page(current - 1))>"Previous"</a> })}
                <span>{if open_ended { format!("Page {current}") } else { format!("Page {current} of {pages}") }}</span>
                {has_next.then(|| view! { <a class="link-button" href=href(&q.at_page(current + 1))>"Next"</a> })}
            </span>
            <span class="field inline">
                <label for="page-size">"Rows per page"</label>
                <select id="page-size" on:change=move |ev| {
                    let size = event_target_value(&ev).parse().unwrap_or(PAGE_SIZES[0]);
                    go_size(query.get_untracked().refined(|q| q.page_size = size), false)
                }>
                    {PAGE_SIZES.into_iter().map(|s| view! { <option value=s.to_string() selected=s == q.page_size>{s}</option> }).collect_view()}
                </select>
            </span>
        </nav>
    }
    .into_any()
}
