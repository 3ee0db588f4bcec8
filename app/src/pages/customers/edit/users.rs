//! The customer page's Users tab: the customer's users and roles, invitations, removed PBX users.

use crate::api::customers::{
    add_customer_user, customer_users, ignored_pbx_users, import_pbx_user_again, remove_customer_user,
    resend_invitation, set_customer_user_roles,
};
use crate::components::error_panel::ErrorPanel;
use crate::components::form::TextField;
use crate::components::form_state::FormState;
use crate::components::on_demand::on_demand;
use crate::components::request::Request;
use crate::components::roles::RolesEditor;
use crate::AppError;
use leptos::either::Either;
use leptos::lazy;
use leptos::prelude::*;
use model::customer_form::{CustomerUser, IgnoredPbxUser, Licence, PrimaryUserForm, UserAccess, UserQuery, UserSort};
use model::roles::{Invitation, Roles};
use super::Problem;

// The tabs below render only in the browser (see `in_browser`), so their data are local
// resources.
#[component]
pub(super) fn UsersTab(id: String, read_only: bool) -> impl IntoView {
    let id = StoredValue::new(id);
    // A customer synced from a big PBX has thousands of users: the tab searches and pages on
    // the server.
    let query = RwSignal::new(UserQuery { page: 1, ..UserQuery::default() });
    let users = LocalResource::new(move || customer_users(id.get_value(), query.get()));
    let mut search = debounce(std::time::Duration::from_millis(250), move |text: String| {
        query.update(|q| {
            q.search = text;
            q.page = 1;
        });
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
                <button type="button" class="primary" on:pointerenter=preload_add_user on:focus=preload_add_user
                    on:click=move |_| adding.update(|a| *a = !*a) aria-expanded=move || adding.get().to_string()>
                    "+ Add User"
                </button>
            })}
        </div>
        {move || notice.get().map(|n| view! { <p class="notice success" role="status">{n}</p> })}
        {move || problem.get().map(|(m, reload)| view! { <Problem message=m reload /> })}
        {move || adding.get().then(|| {
            let on_done = Callback::new(move |added: Option<String>| {
                adding.set(false);
                if let Some(name) = added {
                    notice.set(Some(format!("{name} was added.")));
                    refresh();
                }
            });
            on_demand(move || add_user_form(id.get_value(), on_done))
        })}
        <section class="grid-tools users-tools" aria-label="Find users">
            <div class="field search-field">
                <label for="user-search">"Search users"</label>
                <input id="user-search" type="search" autocomplete="off" maxlength="200" placeholder="Name or email"
                    prop:value=move || query.with(|q| q.search.clone())
                    on:input=move |ev| search(event_target_value(&ev)) />
            </div>
            <UserFilters query />
        </section>
        // Straight from the resources (the tab renders only in the browser): the last page
        // stays while the next is asked for, and is replaced when it arrives.
        {move || match users.get() {
            None => Either::Left(view! { <p class="page-loading" role="status">"Loading users…"</p> }.into_any()),
            Some(Ok(page)) if page.total == 0 => Either::Left(view! { <p class="empty-state">"No users yet."</p> }.into_any()),
            Some(Ok(page)) if page.matching == 0 => Either::Left(view! { <p class="empty-state">"No user matches this search and these filters."</p> }.into_any()),
            Some(Ok(page)) => {
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
                        <table class="grid stack-table customer-users-table">
                            <thead><tr>
                                {[UserSort::Name, UserSort::Email, UserSort::Access, UserSort::Invitation].into_iter().map(|column| {
                                    let aria = move || query.with(|q| if q.sort != column { "none" } else if q.descending { "descending" } else { "ascending" });
                                    view! {
                                        <th scope="col" aria-sort=aria>
                                            <button type="button" class="sort" on:click=move |_| query.update(|q| *q = q.sorted_by(column))>
                                                {column.label()}
                                                <span class="sort-mark" aria-hidden="true">{move || match aria() { "ascending" => "▲", "descending" => "▼", _ => "" }}</span>
                                            </button>
                                        </th>
                                    }
                                }).collect_view()}
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr></thead>
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
            Some(Err(error)) => Either::Right(view! { <ErrorPanel error /> }),
        }}
        {move || match ignored.get() {
            Some(Ok(list)) if !list.is_empty() => Some(view! {
                <RemovedPbxUsers id=id.get_value() list read_only problem notice refresh=Callback::new(move |_| refresh()) />
            }),
            _ => None,
        }}
    }
}

/// The Users tab's filters (access, licence, invitation) and, for narrow screens where the
/// column headers are hidden, its order.
#[component]
fn UserFilters(query: RwSignal<UserQuery>) -> impl IntoView {
    let set = move |change: Box<dyn FnOnce(&mut UserQuery)>| query.update(|q| {
        change(q);
        q.page = 1;
    });
    view! {
        <div class="field">
            <label for="user-access">"Access"</label>
            <select id="user-access" prop:value=move || query.with(|q| q.access.map(|a| a.as_str()).unwrap_or(""))
                on:change=move |ev| { let v = event_target_value(&ev); set(Box::new(move |q| q.access = UserAccess::parse(&v))) }>
                <option value="">"Anyone"</option>
                {UserAccess::ALL.into_iter().map(|a| view! { <option value=a.as_str()>{a.label()}</option> }).collect_view()}
            </select>
        </div>
        <div class="field">
            <label for="user-licence">"Licence"</label>
            <select id="user-licence" prop:value=move || query.with(|q| q.licence.map(|l| l.as_str()).unwrap_or(""))
                on:change=move |ev| { let v = event_target_value(&ev); set(Box::new(move |q| q.licence = Licence::parse(&v))) }>
                <option value="">"Any licence"</option>
                {Licence::ALL.into_iter().map(|l| view! { <option value=l.as_str()>{l.label()}</option> }).collect_view()}
            </select>
        </div>
        <div class="field">
            <label for="user-invitation">"Invitation"</label>
            <select id="user-invitation" prop:value=move || query.with(|q| q.invitation.map(|i| i.as_str()).unwrap_or(""))
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    set(Box::new(move |q| q.invitation = (!v.is_empty()).then(|| Invitation::parse(&v))))
                }>
                <option value="">"Any state"</option>
                {[Invitation::NotInvited, Invitation::Queued, Invitation::Sent, Invitation::Failed].into_iter()
                    .map(|i| view! { <option value=i.as_str()>{i.label()}</option> }).collect_view()}
            </select>
        </div>
        <div class="field sort-field">
            <label for="user-sort">"Sort by"</label>
            <select id="user-sort" prop:value=move || query.with(|q| format!("{}:{}", q.sort.as_str(), if q.descending { "desc" } else { "asc" }))
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    let (column, order) = v.split_once(':').unwrap_or((v.as_str(), "asc"));
                    if let Some(column) = UserSort::parse(column) {
                        let descending = order == "desc";
                        set(Box::new(move |q| { q.sort = column; q.descending = descending; }))
                    }
                }>
                <option value="access:asc">"Administrators and access first"</option>
                <option value="name:asc">"Name (A to Z)"</option>
                <option value="name:desc">"Name (Z to A)"</option>
                <option value="email:asc">"Email (A to Z)"</option>
                <option value="invitation:asc">"Failed invitations first"</option>
            </select>
        </div>
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
    let import = Request::new();
    let imported = move |answer: Result<String, AppError>| match answer {
        Ok(name) => {
            problem.set(None);
            notice.set(Some(format!("{name} will be imported again at the next sync, which has been asked for.")));
            refresh.run(());
        }
        Err(e) => problem.set(Some((e.to_string(), false))),
    };
    view! {
        <section class="removed-pbx-users" aria-labelledby="removed-pbx-users-heading">
            <h3 id="removed-pbx-users-heading">{format!("Removed PBX users ({})", list.len())}</h3>
            <p class="muted">"The PBX sync does not import these users again while they are listed here."</p>
            <div class="table-wrap">
                <table class="grid stack-table">
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Removed"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                    <tbody>
                        {list.into_iter().map(|user| {
                            let label = format!("Import {} again", user.display_name);
                            let removed = format!("{} by {}", user.removed_at, user.removed_by);
                            view! {
                                <tr>
                                    <td class="name">{user.display_name.clone()}</td>
                                    <td data-label="Email">{user.email.clone()}</td>
                                    <td data-label="Removed">{removed}</td>
                                    <td>{(!read_only).then(|| view! {
                                        <button type="button" class="link-button" aria-label=label disabled=move || import.pending()
                                            on:click=move |_| {
                                                let name = user.display_name.clone();
                                                let asked = import_pbx_user_again(id.get_value(), user.pbx_id.clone());
                                                import.send(async move { asked.await.map(|_| name) }, imported);
                                            }>"Import again"</button>
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
    let save_roles = Request::new();
    let resend = Request::new();
    let remove = Request::new();
    let send_roles = move || {
        let (uid, version, name) = user.with_value(|u| (u.id, u.version, u.display_name.clone()));
        let asked = set_customer_user_roles(id.get_value(), uid, version, roles.get_untracked());
        save_roles.send(async move { asked.await.map(|_| format!("Roles of {name} saved.")) }, report);
    };
    let send_invitation = move || {
        let (uid, name) = user.with_value(|u| (u.id, u.display_name.clone()));
        let asked = resend_invitation(id.get_value(), uid);
        resend.send(async move { asked.await.map(|_| format!("Invitation to {name} queued.")) }, report);
    };
    let send_removal = move || {
        let (uid, name, from_pbx) = user.with_value(|u| (u.id, u.display_name.clone(), u.from_pbx));
        let after = if from_pbx { " The PBX sync no longer imports them." } else { "" };
        let asked = remove_customer_user(id.get_value(), uid);
        remove.send(async move { asked.await.map(|_| format!("{name} was removed.{after}")) }, report);
    };
    let u = user.get_value();
    let editor_id = format!("user-{}-roles", u.id);
    let invitation = u.invitation;
    view! {
        <tr>
            <td class="name">{u.display_name.clone()}{u.from_pbx.then(|| view! { <span class="tag">"From PBX"</span> })}</td>
            <td data-label="Email">{u.email.clone()}</td>
            <td class="wrap" data-label="Roles">{u.roles.summary()}</td>
            <td data-label="Invitation"><span class=format!("invitation invitation-{}", invitation.as_str())>{invitation.label()}</span></td>
            <td><div class="row-actions">
                {(!read_only).then(|| view! {
                    <button type="button" class="link-button" aria-expanded=move || editing.get().to_string()
                        on:pointerenter=preload_roles_editor on:focus=preload_roles_editor
                        on:click=move |_| editing.update(|e| *e = !*e)>"Edit roles"<span class="visually-hidden">{format!(" of {}", u.display_name)}</span></button>
                    {(invitation != Invitation::NotInvited || u.roles.grants_access()).then(|| view! {
                        <button type="button" class="link-button" disabled=move || resend.pending() on:click=move |_| send_invitation()>
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
                    <button type="button" class="danger-button" on:click=move |_| { confirming.set(false); send_removal(); }>"Remove user"</button>
                    <button type="button" class="link-button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            </td></tr>
        })}
        {move || editing.get().then(|| view! {
            <tr class="editor-row"><td colspan="5">
                {let id = editor_id.clone(); on_demand(move || roles_editor(id.clone(), roles))}
                <div class="form-actions">
                    <button type="button" class="primary" disabled=move || save_roles.pending()
                        on:click=move |_| { editing.set(false); send_roles(); }>"Save roles"</button>
                    <button type="button" class="link-button" on:click=move |_| { roles.set(user.with_value(|u| u.roles)); editing.set(false); }>"Cancel"</button>
                </div>
            </td></tr>
        })}
    }
}

// The forms that change users are chunks of their own (`cargo leptos build --split`): the tab
// opens without them, and a button that opens one fetches its code when hovered or focused.

#[lazy]
fn add_user_form(id: String, on_done: Callback<Option<String>>) -> AnyView {
    view! { <AddUser id on_done /> }.into_any()
}

#[lazy]
fn roles_editor(id: String, roles: RwSignal<Roles>) -> AnyView {
    view! { <RolesEditor id roles /> }.into_any()
}

fn preload_add_user<E>(_: E) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(__preload_add_user_form());
}

fn preload_roles_editor<E>(_: E) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(__preload_roles_editor());
}

#[component]
fn AddUser(id: String, on_done: Callback<Option<String>>) -> impl IntoView {
    let form = FormState::new(PrimaryUserForm::default(), PrimaryUserForm::validate);
    let roles = RwSignal::new(Roles { essential: true, ..Roles::default() });
    let problem = RwSignal::new(None::<String>);
    let add = Request::new();
    let added = move |answer: Result<CustomerUser, AppError>| match answer {
        Ok(user) => on_done.run(Some(user.display_name)),
        Err(AppError::Invalid(found)) => form.refuse(found),
        Err(e) => problem.set(Some(e.to_string())),
    };
    let id = StoredValue::new(id);
    let (name, on_name) = form.text("display_name", |f| &f.display_name, |f| &mut f.display_name);
    let (email, on_email) = form.text("email", |f| &f.email, |f| &mut f.email);
    view! {
        <form class="stack add-user card inset" novalidate on:submit=move |ev| {
            ev.prevent_default();
            if form.attempt() {
                add.send(add_customer_user(id.get_value(), form.get_untracked(), roles.get_untracked()), added);
            }
        }>
            <h3>"Add a user"</h3>
            <TextField id="new-user-name" label="Display Name" required=true autocomplete="off" value=name on_input=on_name
                error=form.error("display_name") />
            <TextField id="new-user-email" label="Email" kind="email" required=true autocomplete="off" value=email on_input=on_email
                error=form.error("email") />
            <RolesEditor id="new-user-roles" roles error=form.error("roles") />
            {move || problem.get().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <div class="form-actions">
                <button type="submit" class="primary" disabled=move || add.pending()>"Add user"</button>
                <button type="button" class="link-button" on:click=move |_| on_done.run(None)>"Cancel"</button>
            </div>
        </form>
    }
}
