//! `/customers/{tenant id}`: one customer, in tabs (Details, Users, PBX, Activity). The tab
//! lives in the URL (`?tab=users`), so it survives a reload and can be linked to.

use crate::api::customers::{
    add_customer_user, customer_activity, customer_connection, customer_sync_status, customer_users, ignored_pbx_users, import_pbx_user_again, load_customer, remove_customer_user,
    resend_invitation, set_customer_user_roles, sync_customer_now, update_connection, update_customer,
};
use crate::components::error_panel::ErrorPanel;
use crate::components::form::{CheckField, SelectField, TextField};
use crate::components::roles::RolesEditor;
use super::lifecycle::{LifecycleNotices, MoreMenu};
use crate::AppError;
use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use model::country::{self, COUNTRIES};
use model::customer::CustomerStatus;
use model::customer_form::{ConnectionView, CustomerDetail, CustomerUser, DetailsForm, IgnoredPbxUser, PrimaryUserForm, UserQuery};
use model::pbx::PbxKind;
use model::roles::{Invitation, Roles};
use model::sync::{Outcome, Phase, SyncRun, SyncState, SyncStatus};
use model::FieldErrors;
use std::collections::HashSet;

const TABS: [(&str, &str); 4] = [("details", "Details"), ("users", "Users"), ("pbx", "PBX"), ("activity", "Activity")];

#[component]
pub fn CustomerPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let detail = Resource::new(move || id.get(), load_customer);
    // After a life-cycle change (disable, terminate, trial) the page shows the customer anew.
    let reload = Callback::new(move |_| detail.refetch());
    view! {
        <Suspense fallback=|| view! { <p class="page-loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => EitherOf3::A(view! { <Customer detail query reload /> }),
                    Err(AppError::NotFound) => EitherOf3::B(view! {
                        <Title text="Customer not found" />
                        <h1>"Customer not found"</h1>
                        <p>"There is no customer with this Tenant ID among yours."</p>
                        <p><a href="/customers">"Back to Customers"</a></p>
                    }),
                    Err(error) => EitherOf3::C(view! { <ErrorPanel error /> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Customer(detail: CustomerDetail, query: Memo<leptos_router::params::ParamsMap>, reload: Callback<()>) -> impl IntoView {
    let tab = Memo::new(move |_| query.read().get("tab").filter(|t| TABS.iter().any(|(k, _)| k == t)).unwrap_or_else(|| "details".into()));
    let created = move || query.read().get("created").is_some();
    let name = RwSignal::new(detail.details.name.clone());
    // The latest saved details: the Details tab is rebuilt from it whenever the user comes
    // back to it, so it never shows what was there before a save (nor its old version).
    let current = RwSignal::new(detail.clone());
    let id = detail.id.clone();
    let read_only = detail.status == CustomerStatus::Terminated;
    let status = detail.status;
    // The Users, PBX and Activity tabs fetch their data once the page runs in the browser:
    // their resources sit inside the page's own streamed Suspense, and hydrating nested
    // suspense boundaries there proved fragile. The server renders a loading line instead.
    let in_browser = RwSignal::new(false);
    Effect::new(move |_| in_browser.set(true));
    view! {
        // `try_get`: after a reload this page is rebuilt, while the old title may still be asked.
        <Title text=move || name.try_get().unwrap_or_default() />
        <div class="page-header">
            <div>
                <p class="breadcrumb"><a href="/customers">"Customers"</a></p>
                <h1>{move || name.get()} " " <span class=format!("status status-{}", status.as_str())>{status.label()}</span></h1>
                <p class="muted">"Tenant ID " <code>{id.clone()}</code> " · created " {detail.created_at.clone()} " by " {detail.created_by.clone()}</p>
            </div>
            {(!read_only).then(|| view! { <MoreMenu detail=detail.clone() reload /> })}
        </div>
        <LifecycleNotices detail=detail.clone() reload />
        {move || created().then(|| view! {
            <p class="notice success" role="status">"Customer created. The primary user's invitation is on its way."</p>
        })}
        {read_only.then(|| {
            let when = detail.terminate_on.clone().map(|day| format!(" on {day}")).unwrap_or_default();
            view! { <p class="notice" role="status">{format!("This customer was terminated{when}: its details can be viewed but not changed, and its PBX users are no longer synced.")}</p> }
        })}
        <nav class="tabs" aria-label="Customer sections">
            {TABS.iter().map(|(key, label)| {
                let key = *key;
                view! {
                    <a href=format!("?tab={key}") class="tab" aria-current=move || (tab.get() == key).then_some("page")>{*label}</a>
                }
            }).collect_view()}
        </nav>
        <section class="tab-panel card">
            {move || match (tab.get().as_str(), in_browser.get()) {
                ("details", _) => view! { <DetailsTab detail=current.get_untracked() current name read_only /> }.into_any(),
                (_, false) => view! { <p class="page-loading" role="status">"Loading…"</p> }.into_any(),
                ("users", true) => view! { <UsersTab id=id.clone() read_only /> }.into_any(),
                ("pbx", true) => view! { <PbxTab id=id.clone() read_only /> }.into_any(),
                _ => view! { <ActivityTab id=id.clone() /> }.into_any(),
            }}
        </section>
    }
}

/// A conflict or other refusal, with a way to reload.
#[component]
fn Problem(message: String, #[prop(optional)] reload: bool) -> impl IntoView {
    view! {
        <div class="form-error" role="alert">
            <p>{message}</p>
            {reload.then(|| view! {
                <button type="button" class="link-button" on:click=|_| { let _ = window().location().reload(); }>"Reload"</button>
            })}
        </div>
    }
}

#[component]
fn DetailsTab(detail: CustomerDetail, current: RwSignal<CustomerDetail>, name: RwSignal<String>, read_only: bool) -> impl IntoView {
    let id = detail.id.clone();
    let rules = StoredValue::new(detail.rules.clone());
    let form = RwSignal::new(detail.details.clone());
    let version = RwSignal::new(detail.version);
    let country_text = RwSignal::new(country::find(&detail.details.country).map(|c| format!("{} ({})", c.name, c.code)).unwrap_or_default());
    let touched = RwSignal::new(HashSet::<&'static str>::new());
    let server_errors = RwSignal::new(FieldErrors::new());
    let was_in_house = detail.details.in_house;
    let errors = Memo::new(move |_| {
        let mut e = rules.with_value(|r| form.with(|f| f.validate(r, false)));
        if was_in_house {
            e.0.retain(|f| f.field != "in_house");
        }
        e
    });
    let attempted = RwSignal::new(false);
    let error_for = move |key: &'static str| {
        Signal::derive(move || {
            let visible = attempted.get() || touched.with(|t| t.contains(key));
            visible
                .then(|| errors.with(|e| e.get(key).map(str::to_owned)))
                .flatten()
                .or_else(|| server_errors.with(|e| e.get(key).map(str::to_owned)))
        })
    };
    let saved = RwSignal::new(false);
    let edit = move |key: &'static str, change: Box<dyn FnOnce(&mut DetailsForm)>| {
        saved.set(false);
        form.update(change);
        touched.update(|t| {
            t.insert(key);
        });
        server_errors.update(|e| e.0.retain(|f| f.field != key));
    };
    let text = move |key: &'static str, get: fn(&DetailsForm) -> &String, set: fn(&mut DetailsForm) -> &mut String| {
        (
            Signal::derive(move || form.with(|f| get(f).clone())),
            Callback::new(move |v: String| edit(key, Box::new(move |f| *set(f) = v))),
        )
    };
    let (name_value, on_name) = text("name", |f| &f.name, |f| &mut f.name);
    let (product_type, on_product_type) = text("product_type", |f| &f.product_type, |f| &mut f.product_type);
    let (reference, on_reference) = text("reference", |f| &f.reference, |f| &mut f.reference);
    let (notes, on_notes) = text("notes", |f| &f.notes, |f| &mut f.notes);
    let in_house = Signal::derive(move || form.with(|f| f.in_house));
    let on_in_house = Callback::new(move |v: bool| edit("in_house", Box::new(move |f| f.in_house = v)));
    let on_country = Callback::new(move |value: String| {
        let code = super::new::resolve_country(&value);
        country_text.set(value);
        edit("country", Box::new(move |f| f.country = code));
    });
    let types: Vec<(String, String)> = detail.rules.product_types.iter().map(|p| (p.code.clone(), p.name.clone())).collect();
    let locked = detail.product_type_locked;
    let in_house_reason = if was_in_house { None } else { detail.rules.in_house_unavailable() };
    let in_house_blocked = in_house_reason.is_some();
    let in_house_hint = Signal::derive(move || {
        Some(in_house_reason.clone().unwrap_or_else(|| "A demonstration account for your own use. It is never charged.".into()))
    });
    let trial = match detail.details.trial {
        true => format!("Trial until {}", detail.details.trial_expires_on),
        false => "No trial".to_string(),
    };
    let save = Action::new(move |(id, version, form): &(String, i32, DetailsForm)| update_customer(id.clone(), *version, form.clone()));
    let problem = RwSignal::new(None::<(String, bool)>);
    Effect::new(move |_| match save.value().get() {
        Some(Ok(v)) => {
            version.set(v);
            let saved_form = form.get_untracked();
            name.set(saved_form.name.trim().to_owned());
            current.update(|d| {
                d.details = saved_form;
                d.version = v;
            });
            touched.set(HashSet::new());
            saved.set(true);
        }
        Some(Err(AppError::Invalid(found))) => server_errors.set(found),
        Some(Err(AppError::Refused(m))) => problem.set(Some((m, true))),
        Some(Err(e)) => problem.set(Some((e.to_string(), false))),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        attempted.set(true);
        saved.set(false);
        problem.set(None);
        if errors.with_untracked(|e| e.is_empty()) {
            save.dispatch((id.clone(), version.get_untracked(), form.get_untracked()));
        }
    };
    let country_info = move || form.with(|f| country::find(&f.country)).map(|c| format!("Time zone {} · numbers written {}", c.time_zone, c.number_format.example()));
    view! {
        <form class="stack details-form" novalidate on:submit=submit>
            <fieldset class="plain" disabled=read_only>
                <div class="stack">
                    <TextField id="detail-name" label="Name" value=name_value on_input=on_name required=true autocomplete="off" error=error_for("name") />
                    <SelectField id="detail-product-type" label="Product Type" value=product_type on_change=on_product_type
                        options=Signal::derive(move || types.clone()) disabled=Signal::stored(locked)
                        hint=Signal::stored(locked.then(|| format!("{} is a locked product type: it cannot be changed.", detail.product_type_name)))
                        error=error_for("product_type") />
                    <TextField id="detail-reference" label="Reference" value=reference on_input=on_reference error=error_for("reference") />
                    <TextField id="detail-country" label="Country" list="detail-country-list" autocomplete="off" required=true
                        value=Signal::derive(move || country_text.get()) on_input=on_country error=error_for("country") />
                    <datalist id="detail-country-list">
                        {COUNTRIES.iter().map(|c| view! { <option value=format!("{} ({})", c.name, c.code)></option> }).collect_view()}
                    </datalist>
                    <p class="hint country-info" aria-live="polite">{country_info}</p>
                    <TextField id="detail-notes" label="Notes" multiline=true value=notes on_input=on_notes error=error_for("notes") />
                    <div class="field">
                        <span class="label">"Trial"</span>
                        <p class="read-only">{trial}</p>
                    </div>
                    <CheckField id="detail-in-house" label="In-house System" checked=in_house on_change=on_in_house
                        disabled=Signal::derive(move || in_house_blocked && !in_house.get()) hint=in_house_hint error=error_for("in_house") />
                </div>
            </fieldset>
            {move || problem.get().map(|(m, reload)| view! { <Problem message=m reload /> })}
            {move || saved.get().then(|| view! { <p class="notice success" role="status">"Saved."</p> })}
            {(!read_only).then(|| view! {
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || save.pending().get() aria-busy=move || save.pending().get().to_string()>
                        {move || if save.pending().get() { "Saving…" } else { "Save" }}
                    </button>
                </div>
            })}
        </form>
    }
}

// The tabs below render only in the browser (see `in_browser`), so their data are local
// resources.
#[component]
fn UsersTab(id: String, read_only: bool) -> impl IntoView {
    let id = StoredValue::new(id);
    // A customer synced from a big PBX has thousands of users: the tab searches and pages on
    // the server.
    let query = RwSignal::new(UserQuery { search: String::new(), page: 1 });
    let users = LocalResource::new(move || customer_users(id.get_value(), query.get()));
    let mut search = debounce(std::time::Duration::from_millis(250), move |text: String| {
        query.set(UserQuery { search: text, page: 1 });
    });
    let adding = RwSignal::new(false);
    let problem = RwSignal::new(None::<(String, bool)>);
    let notice = RwSignal::new(None::<String>);
    let ignored = LocalResource::new(move || ignored_pbx_users(id.get_value()));
    let refresh = move || {
        users.refetch();
        ignored.refetch();
    };
    view! {
        <div class="tab-header">
            <h2>"Users"</h2>
            {(!read_only).then(|| view! {
                <button type="button" class="primary" on:click=move |_| adding.update(|a| *a = !*a) aria-expanded=move || adding.get().to_string()>
                    "+ Add User"
                </button>
            })}
        </div>
        {move || notice.get().map(|n| view! { <p class="notice success" role="status">{n}</p> })}
        {move || problem.get().map(|(m, reload)| view! { <Problem message=m reload /> })}
        {move || adding.get().then(|| view! { <AddUser id=id.get_value() on_done=Callback::new(move |added: Option<String>| {
            adding.set(false);
            if let Some(name) = added {
                notice.set(Some(format!("{name} was added.")));
                refresh();
            }
        }) /> })}
        <div class="field search-field">
            <label for="user-search">"Search users"</label>
            <input id="user-search" type="search" autocomplete="off" maxlength="200" placeholder="Name or email"
                prop:value=move || query.with(|q| q.search.clone())
                on:input=move |ev| search(event_target_value(&ev)) />
        </div>
        <Transition fallback=|| view! { <p class="page-loading" role="status">"Loading users…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(page) if page.total == 0 => Either::Left(view! { <p class="empty-state">"No users yet."</p> }.into_any()),
                    Ok(page) if page.matching == 0 => Either::Left(view! { <p class="empty-state">"No user matches this search."</p> }.into_any()),
                    Ok(page) => {
                        let (current, pages) = (page.page, page.pages());
                        let first = u64::from(current - 1) * u64::from(page.page_size) + 1;
                        let last = first + page.users.len() as u64 - 1;
                        let count = if page.matching == page.total {
                            format!("{first}–{last} of {} users", page.total)
                        } else {
                            format!("{first}–{last} of {} matching users ({} in all)", page.matching, page.total)
                        };
                        let go = move |to: u32| query.update(|q| q.page = to);
                        Either::Left(view! {
                            <div class="table-wrap">
                                <table class="grid">
                                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Roles"</th><th scope="col">"Invitation"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                                    <tbody>
                                        {page.users.into_iter().map(|user| view! {
                                            <UserRow id=id.get_value() user read_only problem notice refresh=Callback::new(move |_| refresh()) />
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <nav class="pager" aria-label="User pages">
                                <span class="pager-count">{count}</span>
                                {(pages > 1).then(|| view! {
                                    <span class="pager-pages">
                                        <button type="button" class="link-button" disabled=current <= 1 on:click=move |_| go(current - 1)>"Previous"</button>
                                        <span>{format!("Page {current} of {pages}")}</span>
                                        <button type="button" class="link-button" disabled=current >= pages on:click=move |_| go(current + 1)>"Next"</button>
                                    </span>
                                })}
                            </nav>
                        }.into_any())
                    }
                    Err(error) => Either::Right(view! { <ErrorPanel error /> }),
                }
            })}
        </Transition>
        <Transition>
            {move || Suspend::new(async move {
                match ignored.await {
                    Ok(list) if !list.is_empty() => Some(view! {
                        <RemovedPbxUsers id=id.get_value() list read_only problem notice refresh=Callback::new(move |_| refresh()) />
                    }),
                    _ => None,
                }
            })}
        </Transition>
    }
}

/// PBX users removed from the customer: the sync leaves them out until one is imported again.
#[component]
fn RemovedPbxUsers(
    id: String,
    list: Vec<IgnoredPbxUser>,
    read_only: bool,
    problem: RwSignal<Option<(String, bool)>>,
    notice: RwSignal<Option<String>>,
    refresh: Callback<()>,
) -> impl IntoView {
    let id = StoredValue::new(id);
    let import = Action::new(move |user: &IgnoredPbxUser| {
        let user = user.clone();
        async move { import_pbx_user_again(id.get_value(), user.pbx_id.clone()).await.map(|_| user.display_name) }
    });
    Effect::new(move |_| match import.value().get() {
        Some(Ok(name)) => {
            problem.set(None);
            notice.set(Some(format!("{name} will be imported again at the next sync, which has been asked for.")));
            refresh.run(());
        }
        Some(Err(e)) => problem.set(Some((e.to_string(), false))),
        None => {}
    });
    view! {
        <section class="removed-pbx-users" aria-labelledby="removed-pbx-users-heading">
            <h3 id="removed-pbx-users-heading">{format!("Removed PBX users ({})", list.len())}</h3>
            <p class="muted">"The PBX sync does not import these users again while they are listed here."</p>
            <div class="table-wrap">
                <table class="grid">
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Removed"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                    <tbody>
                        {list.into_iter().map(|user| {
                            let label = format!("Import {} again", user.display_name);
                            let removed = format!("{} by {}", user.removed_at, user.removed_by);
                            view! {
                                <tr>
                                    <td class="name">{user.display_name.clone()}</td>
                                    <td>{user.email.clone()}</td>
                                    <td>{removed}</td>
                                    <td>{(!read_only).then(|| view! {
                                        <button type="button" class="link-button" aria-label=label disabled=move || import.pending().get()
                                            on:click=move |_| { import.dispatch(user.clone()); }>"Import again"</button>
                                    })}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn UserRow(
    id: String,
    user: CustomerUser,
    read_only: bool,
    problem: RwSignal<Option<(String, bool)>>,
    notice: RwSignal<Option<String>>,
    refresh: Callback<()>,
) -> impl IntoView {
    let editing = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let roles = RwSignal::new(user.roles);
    let user = StoredValue::new(user);
    let id = StoredValue::new(id);
    let report = move |result: Result<String, AppError>| match result {
        Ok(message) => {
            problem.set(None);
            notice.set(Some(message));
            refresh.run(());
        }
        Err(AppError::Refused(m)) => problem.set(Some((m, true))),
        Err(AppError::Invalid(e)) => problem.set(Some((e.0.first().map(|f| f.message.clone()).unwrap_or_default(), false))),
        Err(e) => problem.set(Some((e.to_string(), false))),
    };
    let save_roles = Action::new(move |_: &()| {
        let (uid, version, name) = user.with_value(|u| (u.id, u.version, u.display_name.clone()));
        let roles = roles.get_untracked();
        async move { set_customer_user_roles(id.get_value(), uid, version, roles).await.map(|_| format!("Roles of {name} saved.")) }
    });
    let resend = Action::new(move |_: &()| {
        let (uid, name) = user.with_value(|u| (u.id, u.display_name.clone()));
        async move { resend_invitation(id.get_value(), uid).await.map(|_| format!("Invitation to {name} queued.")) }
    });
    let remove = Action::new(move |_: &()| {
        let (uid, name, from_pbx) = user.with_value(|u| (u.id, u.display_name.clone(), u.from_pbx));
        let after = if from_pbx { " The PBX sync no longer imports them." } else { "" };
        async move { remove_customer_user(id.get_value(), uid).await.map(|_| format!("{name} was removed.{after}")) }
    });
    for action in [save_roles, resend, remove] {
        Effect::new(move |_| {
            if let Some(result) = action.value().get() {
                report(result);
            }
        });
    }
    let u = user.get_value();
    let editor_id = format!("user-{}-roles", u.id);
    let invitation = u.invitation;
    view! {
        <tr>
            <td class="name">{u.display_name.clone()}{u.from_pbx.then(|| view! { <span class="tag">"From PBX"</span> })}</td>
            <td>{u.email.clone()}</td>
            <td class="wrap">{u.roles.summary()}</td>
            <td><span class=format!("invitation invitation-{}", invitation.as_str())>{invitation.label()}</span></td>
            <td><div class="row-actions">
                {(!read_only).then(|| view! {
                    <button type="button" class="link-button" aria-expanded=move || editing.get().to_string()
                        on:click=move |_| editing.update(|e| *e = !*e)>"Edit roles"<span class="visually-hidden">{format!(" of {}", u.display_name)}</span></button>
                    {(invitation != Invitation::NotInvited || u.roles.grants_access()).then(|| view! {
                        <button type="button" class="link-button" disabled=move || resend.pending().get() on:click=move |_| { resend.dispatch(()); }>
                            {if invitation == Invitation::NotInvited { "Send invitation" } else { "Resend invitation" }}
                        </button>
                    })}
                    <button type="button" class="link-button danger" on:click=move |_| confirming.set(true)>"Remove"</button>
                })}
            </div></td>
        </tr>
        {move || confirming.get().then(|| view! {
            <tr class="confirm-row"><td colspan="5">
                <div class="confirm" role="alertdialog" aria-label="Confirm removal">
                    <p>{user.with_value(|u| if u.from_pbx {
                        format!("Remove {} from this customer? They lose access to the analytics service, and the PBX sync no longer imports them (until you choose “Import again” under Removed PBX users).", u.display_name)
                    } else {
                        format!("Remove {} from this customer? They lose access to the analytics service.", u.display_name)
                    })}</p>
                    <button type="button" class="danger-button" on:click=move |_| { confirming.set(false); remove.dispatch(()); }>"Remove user"</button>
                    <button type="button" class="link-button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            </td></tr>
        })}
        {move || editing.get().then(|| view! {
            <tr class="editor-row"><td colspan="5">
                <RolesEditor id=editor_id.clone() roles />
                <div class="form-actions">
                    <button type="button" class="primary" disabled=move || save_roles.pending().get()
                        on:click=move |_| { editing.set(false); save_roles.dispatch(()); }>"Save roles"</button>
                    <button type="button" class="link-button" on:click=move |_| { roles.set(user.with_value(|u| u.roles)); editing.set(false); }>"Cancel"</button>
                </div>
            </td></tr>
        })}
    }
}

#[component]
fn AddUser(id: String, on_done: Callback<Option<String>>) -> impl IntoView {
    let form = RwSignal::new(PrimaryUserForm::default());
    let roles = RwSignal::new(Roles { essential: true, ..Roles::default() });
    let attempted = RwSignal::new(false);
    let server_errors = RwSignal::new(FieldErrors::new());
    let problem = RwSignal::new(None::<String>);
    let errors = Memo::new(move |_| form.with(|f| f.validate()));
    let error_for = move |key: &'static str| {
        Signal::derive(move || {
            attempted.get().then(|| errors.with(|e| e.get(key).map(str::to_owned))).flatten().or_else(|| server_errors.with(|e| e.get(key).map(str::to_owned)))
        })
    };
    let add = Action::new(move |(id, f, r): &(String, PrimaryUserForm, Roles)| add_customer_user(id.clone(), f.clone(), *r));
    Effect::new(move |_| match add.value().get() {
        Some(Ok(user)) => on_done.run(Some(user.display_name)),
        Some(Err(AppError::Invalid(found))) => server_errors.set(found),
        Some(Err(e)) => problem.set(Some(e.to_string())),
        None => {}
    });
    let id = StoredValue::new(id);
    view! {
        <form class="stack add-user card inset" novalidate on:submit=move |ev| {
            ev.prevent_default();
            attempted.set(true);
            if errors.with_untracked(|e| e.is_empty()) {
                add.dispatch((id.get_value(), form.get_untracked(), roles.get_untracked()));
            }
        }>
            <h3>"Add a user"</h3>
            <TextField id="new-user-name" label="Display Name" required=true autocomplete="off"
                value=Signal::derive(move || form.with(|f| f.display_name.clone()))
                on_input=Callback::new(move |v| { form.update(|f| f.display_name = v); server_errors.set(FieldErrors::new()); })
                error=error_for("display_name") />
            <TextField id="new-user-email" label="Email" kind="email" required=true autocomplete="off"
                value=Signal::derive(move || form.with(|f| f.email.clone()))
                on_input=Callback::new(move |v| { form.update(|f| f.email = v); server_errors.set(FieldErrors::new()); })
                error=error_for("email") />
            <RolesEditor id="new-user-roles" roles error=Signal::derive(move || server_errors.with(|e| e.get("roles").map(str::to_owned))) />
            {move || problem.get().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <div class="form-actions">
                <button type="submit" class="primary" disabled=move || add.pending().get()>"Add user"</button>
                <button type="button" class="link-button" on:click=move |_| on_done.run(None)>"Cancel"</button>
            </div>
        </form>
    }
}

#[component]
fn PbxTab(id: String, read_only: bool) -> impl IntoView {
    let id = StoredValue::new(id);
    let connection = LocalResource::new(move || customer_connection(id.get_value()));
    // Bumped when the connection is saved, so the sync panel shows the new schedule at once.
    let changed = RwSignal::new(0u32);
    view! {
        <h2>"PBX connection"</h2>
        <Suspense fallback=|| view! { <p class="page-loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match connection.await {
                    Ok(Some(view)) => EitherOf3::A(view! {
                        <SyncPanel id=id.get_value() changed read_only />
                        <ConnectionEditor id=id.get_value() view read_only changed />
                    }),
                    Ok(None) => EitherOf3::B(view! { <p class="empty-state">"This customer has no PBX connection."</p> }),
                    Err(error) => EitherOf3::C(view! { <ErrorPanel error /> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ConnectionEditor(id: String, view: ConnectionView, read_only: bool, changed: RwSignal<u32>) -> impl IntoView {
    let form = RwSignal::new(view.form.clone());
    let enabled = RwSignal::new(view.enabled);
    let version = RwSignal::new(view.version);
    let templates = StoredValue::new(view.templates.clone());
    let kind = Memo::new(move |_| {
        let chosen = form.with(|f| f.template_id);
        templates.with_value(|ts| ts.iter().find(|t| Some(t.id) == chosen).map(|t| t.kind))
    });
    let attempted = RwSignal::new(false);
    let server_errors = RwSignal::new(FieldErrors::new());
    let errors = Memo::new(move |_| form.with(|f| f.validate(kind.get())));
    let error_for = move |key: &'static str| {
        Signal::derive(move || {
            attempted.get().then(|| errors.with(|e| e.get(key).map(str::to_owned))).flatten().or_else(|| server_errors.with(|e| e.get(key).map(str::to_owned)))
        })
    };
    let save = Action::new(move |(id, v, f, e): &(String, i32, model::pbx::ConnectionForm, bool)| update_connection(id.clone(), *v, f.clone(), *e));
    let saved = RwSignal::new(false);
    // Any edit makes earlier verdicts stale.
    Effect::new(move |first: Option<()>| {
        form.track();
        enabled.track();
        if first.is_some() {
            saved.set(false);
            server_errors.set(FieldErrors::new());
        }
    });
    let problem = RwSignal::new(None::<(String, bool)>);
    Effect::new(move |_| match save.value().get() {
        Some(Ok(v)) => {
            version.set(v);
            saved.set(true);
            changed.update(|n| *n += 1);
        }
        Some(Err(AppError::Invalid(found))) => server_errors.set(found),
        Some(Err(AppError::Refused(m))) => problem.set(Some((m, true))),
        Some(Err(e)) => problem.set(Some((e.to_string(), false))),
        None => {}
    });
    let template_options: Vec<(String, String)> =
        view.templates.iter().map(|t| (t.id.to_string(), format!("{} ({})", t.name, t.kind.label()))).collect();
    let sub_accounts = if view.form.auto_provision_sub_accounts { "Yes (set at creation)" } else { "No (set at creation)" };
    view! {
        <form class="stack" novalidate on:submit=move |ev| {
            ev.prevent_default();
            attempted.set(true);
            saved.set(false);
            problem.set(None);
            if errors.with_untracked(|e| e.is_empty()) {
                save.dispatch((id.clone(), version.get_untracked(), form.get_untracked(), enabled.get_untracked()));
            }
        }>
            <h3>"Settings"</h3>
            <fieldset class="plain" disabled=read_only>
                <div class="stack">
                    <CheckField id="pbx-enabled" label="Connection enabled" checked=enabled on_change=Callback::new(move |v| enabled.set(v))
                        hint=Signal::derive(|| Some("When enabled, the portal connects to the PBX and imports its users.".to_string())) />
                    <SelectField id="pbx-edit-template" label="PBX Template" required=true
                        value=Signal::derive(move || form.with(|f| f.template_id.map(|i| i.to_string()).unwrap_or_default()))
                        on_change=Callback::new(move |v: String| form.update(|f| f.template_id = v.parse().ok()))
                        options=Signal::derive(move || template_options.clone()) error=error_for("template_id") />
                    <div hidden=move || kind.get() != Some(PbxKind::Kazoo)>
                        <TextField id="pbx-edit-account" label="Account ID" autocomplete="off"
                            value=Signal::derive(move || form.with(|f| f.account_id.clone()))
                            on_input=Callback::new(move |v| form.update(|f| f.account_id = v)) error=error_for("account_id") />
                    </div>
                    <div hidden=move || kind.get() != Some(PbxKind::Teams)>
                        <TextField id="pbx-edit-tenant" label="Directory Tenant ID" autocomplete="off"
                            value=Signal::derive(move || form.with(|f| f.directory_tenant_id.clone()))
                            on_input=Callback::new(move |v| form.update(|f| f.directory_tenant_id = v)) error=error_for("directory_tenant_id") />
                    </div>
                    <CheckField id="pbx-edit-agent" label="Give PBX agents the Agent add-on"
                        checked=Signal::derive(move || form.with(|f| f.auto_agent_addon))
                        on_change=Callback::new(move |v| form.update(|f| f.auto_agent_addon = v)) />
                    <div class="field"><span class="label">"Auto provision sub accounts"</span><p class="read-only">{sub_accounts}</p></div>
                    <p class="hint">"The template's credentials are kept on the server and never shown here."</p>
                </div>
            </fieldset>
            {move || problem.get().map(|(m, reload)| view! { <Problem message=m reload /> })}
            {move || saved.get().then(|| view! { <p class="notice success" role="status">"Saved."</p> })}
            {(!read_only).then(|| view! {
                <div class="form-actions"><button type="submit" class="primary" disabled=move || save.pending().get()>"Save"</button></div>
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
    let sync_now = Action::new(move |id: &String| sync_customer_now(id.clone()));
    let problem = RwSignal::new(None::<String>);
    Effect::new(move |_| match sync_now.value().get() {
        Some(Ok(())) => {
            problem.set(None);
            busy.set(true);
            tick.update(|n| *n += 1);
        }
        Some(Err(e)) => problem.set(Some(e.to_string())),
        None => {}
    });
    view! {
        <section class="sync-panel" aria-labelledby="sync-heading">
            <Transition fallback=|| view! { <p class="page-loading" role="status">"Loading sync status…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(Some(s)) => Either::Left(view! {
                            <div class="tab-header">
                                <h3 id="sync-heading">"User sync"</h3>
                                {(!read_only).then(|| {
                                    let can = s.can_sync_now;
                                    view! {
                                        <button type="button" class="link-button" disabled=move || !can || sync_now.pending().get()
                                            on:click=move |_| { sync_now.dispatch(id.get_value()); }>
                                            {move || if sync_now.pending().get() { "Asking…" } else { "Sync now" }}
                                        </button>
                                    }
                                })}
                            </div>
                            <SyncSummary status=s />
                        }.into_any()),
                        Ok(None) => Either::Left(().into_any()),
                        Err(error) => Either::Right(view! { <ErrorPanel error /> }),
                    }
                })}
            </Transition>
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

#[component]
fn ActivityTab(id: String) -> impl IntoView {
    let entries = LocalResource::new(move || customer_activity(id.clone()));
    view! {
        <h2>"Activity"</h2>
        <Transition fallback=|| view! { <p class="page-loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match entries.await {
                    Ok(list) if list.is_empty() => EitherOf3::A(view! { <p class="empty-state">"Nothing has happened yet."</p> }),
                    Ok(list) => EitherOf3::B(view! {
                        <ol class="activity">
                            {list.into_iter().map(|e| view! {
                                <li>
                                    <time>{e.at}</time>
                                    <span class="actor">{e.actor}</span>
                                    <span class="summary">{e.summary}</span>
                                </li>
                            }).collect_view()}
                        </ol>
                    }),
                    Err(error) => EitherOf3::C(view! { <ErrorPanel error /> }),
                }
            })}
        </Transition>
    }
}
