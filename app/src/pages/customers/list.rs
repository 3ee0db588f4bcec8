//! `/customers`: the customer grid. Its whole state lives in the URL query.

use crate::api::customers::list_customers;
use crate::components::error_panel::ErrorPanel;
use crate::AppError;
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
            <a class="primary button" href="/customers/new">"+ Create New Customer"</a>
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
            <Filters query customers go=go.clone() />
            <QuerySelect id="grid-sort" label="Sort by" class="field sort-field" query go=go.clone() options=sort_options() read=read_sort write=write_sort />
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
fn sort_options() -> Vec<(String, String)> {
    SortColumn::ALL
        .into_iter()
        .flat_map(|c| [(c, false), (c, true)])
        .map(|(c, descending)| {
            let (order, words) = match (c, descending) {
                (SortColumn::Created, false) => ("asc", "oldest first"),
                (SortColumn::Created, true) => ("desc", "newest first"),
                (_, false) => ("asc", "A to Z"),
                (_, true) => ("desc", "Z to A"),
            };
            (format!("{}:{order}", c.as_str()), format!("{} ({words})", c.label()))
        })
        .collect()
}

fn read_sort(q: &GridQuery) -> String {
    format!("{}:{}", q.sort.as_str(), if q.descending { "desc" } else { "asc" })
}

fn write_sort(q: &mut GridQuery, chosen: &str) {
    let (column, order) = chosen.split_once(':').unwrap_or((chosen, "asc"));
    if let Some(column) = SortColumn::parse(column) {
        q.sort = column;
        q.descending = order == "desc";
    }
}

/// `(value, label)` pairs: "any" first, then the choices.
fn choices<'a>(any: &'a str, rest: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    std::iter::once(("", any)).chain(rest).map(|(v, l)| (v.to_owned(), l.to_owned())).collect()
}

/// A labelled select showing one part of the grid's query (`read`), which navigates to the
/// query with the chosen value (`write`). Every select of the grid is this one component, with
/// plain functions for its part, so the bundle carries the code of one select, not six.
#[component]
fn QuerySelect(
    id: &'static str,
    label: &'static str,
    #[prop(default = "field")] class: &'static str,
    options: Vec<(String, String)>,
    query: Memo<GridQuery>,
    read: fn(&GridQuery) -> String,
    write: fn(&mut GridQuery, &str),
    go: impl Fn(GridQuery, bool) + 'static,
) -> impl IntoView {
    view! {
        <div class=class>
            <label for=id>{label}</label>
            <select id=id prop:value=move || query.with(read) on:change=move |ev| {
                let chosen = event_target_value(&ev);
                go(query.get_untracked().refined(|q| write(q, &chosen)), false)
            }>
                {options.into_iter().map(|(value, text)| {
                    // Rendered on the server too, so the page shows the query's choice before the
                    // bundle has loaded.
                    let selected = { let value = value.clone(); move || query.with(|q| read(q) == value) };
                    view! { <option value=value selected=selected>{text}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

#[component]
fn Filters(
    query: Memo<GridQuery>,
    customers: crate::wire::Loaded<Result<CustomerPage, AppError>>,
    go: impl Fn(GridQuery, bool) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    // The product types come with each page of the grid (no request, and no resource in the
    // bundle, of their own). A Transition keeps the options while the next page loads, and
    // its rebuild keeps the select itself (and its focus).
    let (go_status, go_type, go_trial, go_inhouse) = (go.clone(), go.clone(), go.clone(), go);
    let flags = |any, yes, no| choices(any, [("yes", yes), ("no", no)]);
    view! {
        <QuerySelect id="filter-status" label="Status" query go=go_status
            options=choices("Any status", CustomerStatus::ALL.into_iter().map(|s| (s.as_str(), s.label())))
            read=|q| q.status.map(|s| s.as_str()).unwrap_or_default().to_owned()
            write=|q, v| q.status = CustomerStatus::parse(v) />
        <Transition fallback=|| view! {
            <div class="field">
                <label for="filter-type">"Product Type"</label>
                <select id="filter-type" disabled><option value="">"Any product type"</option></select>
            </div>
        }>
            {move || {
                let go_type = go_type.clone();
                Suspend::new(async move {
                    let types = customers.await.map(|page| page.product_types).unwrap_or_default();
                    view! {
                        <QuerySelect id="filter-type" label="Product Type" query go=go_type
                            options=choices("Any product type", types.iter().map(|t| (t.code.as_str(), t.name.as_str())))
                            read=|q| q.product_type.clone().unwrap_or_default()
                            write=|q, v| q.product_type = (!v.is_empty()).then(|| v.to_owned()) />
                    }
                })
            }}
        </Transition>
        <QuerySelect id="filter-trial" label="Trial" query go=go_trial options=flags("Trial or not", "In trial", "Not in trial")
            read=|q| flag_value(q.trial).to_owned() write=|q, v| q.trial = parse_flag(v) />
        <QuerySelect id="filter-inhouse" label="In-house" query go=go_inhouse options=flags("In-house or not", "In-house only", "Not in-house")
            read=|q| flag_value(q.in_house).to_owned() write=|q, v| q.in_house = parse_flag(v) />
    }
}

/// The card shown instead of the table when there are no rows, with the link onward.
fn empty_state(title: &'static str, text: String, link_class: Option<&'static str>, link: String, link_text: String) -> AnyView {
    view! {
        <section class="card empty-state">
            <h2>{title}</h2>
            <p>{text}</p>
            <a class=link_class href=link>{link_text}</a>
        </section>
    }
    .into_any()
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
            empty_state("No customers match", "Nothing matches this search and these filters.".into(), None, "/customers".into(), "Clear search and filters".into())
        } else {
            empty_state(
                "No customers yet",
                "Create your first customer: details, primary user, PBX connection and roles, in four steps.".into(),
                Some("primary button"),
                "/customers/new".into(),
                "+ Create New Customer".into(),
            )
        };
    }
    let pages = page.page_count(q.page_size);
    if page.rows.is_empty() {
        // A link or a back button can point past the end after customers were removed.
        let text = format!("The list has {} in all, on {}{pages} page{}.", page.total_text(), if page.total_is_lower_bound { "more than " } else { "" }, if pages == 1 { "" } else { "s" });
        return empty_state("No customers on this page", text, None, href(&q.at_page(pages)), format!("Go to page {pages}"));
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
                        // One element whose text and class vary, rather than a view per case: each
                        // distinct view is code of its own in the bundle.
                        let trial = row.trial_ends_on.clone().map(|d| {
                            let (class, title, text) = match row.trial_days_left {
                                Some(left) if left <= 7 => ("tag trial ending", format!("Trial end {d}"), match left {
                                    ..=0 => "Trial ends today".to_string(),
                                    1 => "Trial ends tomorrow".to_string(),
                                    n => format!("Trial ends in {n} days"),
                                }),
                                _ => ("tag trial", "Trial end".to_string(), format!("Trial until {d}")),
                            };
                            view! { <span class=class title=title>{text}</span> }
                        });
                        let in_house = row.in_house.then(|| view! { <span class="tag">"In-house"</span> });
                        view! {
                            <tr>
                                <td class="name"><a class="row-link" href=format!("/customers/{}", row.id)>{row.name.clone()}</a> {trial} {in_house}</td>
                                <td data-label="Date Created">{row.created_on.clone()}</td>
                                <td data-label="Status"><span class=format!("status status-{}", row.status.as_str())>{row.status.label()}</span></td>
                                <td data-label="Reference">{row.reference.clone()}</td>
                                <td data-label="Product Type">{row.product_type.clone()}</td>
                                <td data-label="Country"><abbr title=(!row.country_name.is_empty()).then_some(row.country_name)>{row.country.clone()}</abbr></td>
                                <td class="row-edit"><a href=format!("/customers/{}", row.id) aria-label=format!("Edit {}", row.name)>"Edit"</a></td>
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
            <QuerySelect id="page-size" label="Rows per page" class="field inline" query go=go_size
                options=PAGE_SIZES.into_iter().map(|s| (s.to_string(), s.to_string())).collect()
                read=|q| q.page_size.to_string()
                write=|q, v| q.page_size = v.parse().unwrap_or(PAGE_SIZES[0]) />
        </nav>
    }
    .into_any()
}
