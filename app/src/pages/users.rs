//! `/users` (Manage Users): the reseller's portal users — list, "+ New User" (an activation
//! email follows), edit name and permissions, deactivate and reactivate, resend activation.

use crate::api::users::{create_reseller_user, list_reseller_users, resend_activation, set_reseller_user_active, update_reseller_user};
use crate::components::error_panel::ErrorPanel;
use crate::components::form::{CheckField, TextField};
use crate::components::form_state::FormState;
use crate::components::on_demand::on_demand;
use crate::AppError;
use leptos::either::Either;
use leptos::lazy;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use model::users::{ResellerUserView, UserForm};
use model::{Permission, Permissions};

#[component]
pub fn ResellerUsersPage() -> impl IntoView {
    let users = crate::wire::resource(|| (), |_| list_reseller_users());
    let editing = RwSignal::new(None::<Option<ResellerUserView>>);
    let notice = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<String>);
    let done = Callback::new(move |message: Option<String>| {
        editing.set(None);
        if let Some(m) = message {
            notice.set(Some(m));
            users.refetch();
        }
    });
    view! {
        <Title text="Users" />
        <div class="page-header">
            <h1>"Users"</h1>
            <button type="button" class="primary" on:pointerenter=preload_editor on:focus=preload_editor
                on:click=move |_| { notice.set(None); editing.set(Some(None)); }>"+ New User"</button>
        </div>
        <p class="muted">"The people of your company who sign in to this portal, and what each may do."</p>
        {move || notice.get().map(|n| view! { <p class="notice success" role="status">{n}</p> })}
        {move || problem.get().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
        {move || editing.get().map(|user| {
            // What the signed-in user may hand out: their own permissions (the "You" row).
            let mine = Signal::derive(move || {
                users.get().and_then(|r| r.ok()).and_then(|list| list.into_iter().find(|u| u.is_you).map(|u| u.permissions)).unwrap_or_default()
            });
            on_demand(move || user_editor(user.clone(), mine, done))
        })}
        <Transition fallback=|| view! { <p class="page-loading" role="status">"Loading users…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(list) => Either::Left(view! {
                        <div class="table-wrap card-table">
                            <table class="grid stack-table">
                                <thead><tr>
                                    <th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Permissions"</th>
                                    <th scope="col">"Status"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|u| view! { <UserRow user=u editing notice problem refresh=Callback::new(move |_| users.refetch()) /> }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }),
                    Err(AppError::Forbidden) => Either::Right(view! {
                        <section class="card empty-state">
                            <h2>"You cannot manage users"</h2>
                            <p>"You need the Manage Users permission to see and change this company's portal users."</p>
                        </section>
                    }.into_any()),
                    Err(error) => Either::Right(view! { <ErrorPanel error /> }.into_any()),
                }
            })}
        </Transition>
    }
}

fn permission_labels(p: Permissions) -> String {
    let labels: Vec<&str> = p.iter().map(Permission::label).collect();
    if labels.is_empty() { "None".into() } else { labels.join(", ") }
}

#[component]
fn UserRow(
    user: ResellerUserView,
    editing: RwSignal<Option<Option<ResellerUserView>>>,
    notice: RwSignal<Option<String>>,
    problem: RwSignal<Option<String>>,
    refresh: Callback<()>,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let u = StoredValue::new(user.clone());
    let act = move |active: bool| {
        busy.set(true);
        problem.set(None);
        let (id, name) = u.with_value(|u| (u.id, u.display_name.clone()));
        spawn_local(async move {
            let result = set_reseller_user_active(id, active).await;
            busy.set(false);
            confirming.set(false);
            match result {
                Ok(_) => {
                    notice.set(Some(if active { format!("{name} was reactivated.") } else { format!("{name} was deactivated and signed out.") }));
                    refresh.run(());
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let resend = move |_| {
        let (id, name) = u.with_value(|u| (u.id, u.display_name.clone()));
        spawn_local(async move {
            match resend_activation(id).await {
                Ok(()) => notice.set(Some(format!("A new activation link is on its way to {name}."))),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let status = if !user.active {
        ("Deactivated", "status status-terminated")
    } else if !user.activated {
        ("Activation pending", "status status-disabled")
    } else {
        ("Active", "status status-active")
    };
    let name = user.display_name.clone();
    view! {
        <tr>
            <td class="name">{user.display_name.clone()}{user.is_you.then(|| view! { <span class="tag">"You"</span> })}</td>
            <td data-label="Email">{user.email.clone()}</td>
            <td class="wrap" data-label="Permissions">{permission_labels(user.permissions)}</td>
            <td data-label="Status"><span class=status.1>{status.0}</span></td>
            <td><div class="row-actions">
                <button type="button" class="link-button" on:pointerenter=preload_editor on:focus=preload_editor
                    on:click=move |_| { notice.set(None); editing.set(Some(Some(u.get_value()))); }>
                    "Edit"<span class="visually-hidden">{format!(" {name}")}</span>
                </button>
                {(user.active && !user.activated).then(|| view! {
                    <button type="button" class="link-button" on:click=resend>"Resend activation"</button>
                })}
                {match (user.active, user.is_you) {
                    (true, false) => Some(view! { <button type="button" class="link-button danger" on:click=move |_| confirming.set(true)>"Deactivate"</button> }.into_any()),
                    (false, _) => Some(view! { <button type="button" class="link-button" disabled=move || busy.get() on:click=move |_| act(true)>"Reactivate"</button> }.into_any()),
                    _ => None,
                }}
            </div></td>
        </tr>
        {move || confirming.get().then(|| view! {
            <tr class="confirm-row"><td colspan="5">
                <div class="confirm" role="alertdialog" aria-label="Confirm deactivation">
                    <p>{u.with_value(|u| format!("Deactivate {}? They are signed out at once and cannot sign in until reactivated.", u.display_name))}</p>
                    <button type="button" class="danger-button" disabled=move || busy.get() on:click=move |_| act(false)>"Deactivate user"</button>
                    <button type="button" class="link-button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            </td></tr>
        })}
    }
}

// The editor is a chunk of its own: the list opens without it, and pointing at or focusing a
// button that opens it fetches its code.
#[lazy]
fn user_editor(user: Option<ResellerUserView>, mine: Signal<Permissions>, done: Callback<Option<String>>) -> AnyView {
    view! { <UserEditor user mine done /> }.into_any()
}

/// Starts fetching the editor's code (a button that opens it is about to be pressed).
fn preload_editor<E>(_: E) {
    #[cfg(feature = "hydrate")]
    spawn_local(__preload_user_editor());
}

/// The new-user form (`user` None) or the edit form.
#[component]
fn UserEditor(user: Option<ResellerUserView>, mine: Signal<Permissions>, done: Callback<Option<String>>) -> impl IntoView {
    let creating = user.is_none();
    let id = user.as_ref().map(|u| u.id);
    let is_you = user.as_ref().is_some_and(|u| u.is_you);
    let form_value = user.as_ref().map_or_else(
        || UserForm { permissions: Permissions::default().with(Permission::WebsiteAccess), ..UserForm::default() },
        |u| UserForm { display_name: u.display_name.clone(), email: u.email.clone(), permissions: u.permissions },
    );
    let form = FormState::new(form_value, move |f: &UserForm| f.validate(creating));
    form.guard_unsaved();
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let website = form.read(|f| f.permissions.contains(Permission::WebsiteAccess));
    let toggle = move |p: Permission, on: bool| {
        form.edit("permissions", |f| {
            f.permissions = if on { f.permissions.with(p) } else { Permissions::from_bits(f.permissions.bits() & !Permissions::default().with(p).bits()) };
            if p == Permission::WebsiteAccess && !on {
                // The others need it: they go with it.
                f.permissions = Permissions::default();
            }
        })
    };
    let (name, on_name) = form.text("display_name", |f| &f.display_name, |f| &mut f.display_name);
    let (email, on_email) = form.text("email", |f| &f.email, |f| &mut f.email);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !form.attempt() || busy.get_untracked() {
            return;
        }
        busy.set(true);
        problem.set(None);
        let f = form.get_untracked();
        spawn_local(async move {
            let result = match id {
                None => create_reseller_user(f).await,
                Some(id) => update_reseller_user(id, f).await,
            };
            busy.set(false);
            match result {
                Ok(saved) if creating => done.run(Some(format!("{} was added; an activation email is on its way to {}.", saved.display_name, saved.email))),
                Ok(saved) => done.run(Some(format!("{} was saved.", saved.display_name))),
                Err(AppError::Invalid(found)) => form.refuse(found),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <section class="card user-editor" aria-labelledby="user-editor-title">
            <h2 id="user-editor-title">{if creating { "New user".to_string() } else { format!("Edit {}", user.as_ref().map(|u| u.display_name.clone()).unwrap_or_default()) }}</h2>
            <form class="stack" novalidate on:submit=submit>
                <TextField id="user-name" label="Display Name" required=true autocomplete="name"
                    value=name on_input=on_name error=form.error("display_name") />
                {creating.then(|| view! {
                    <TextField id="user-email" label="Email" kind="email" required=true autocomplete="email"
                        value=email on_input=on_email error=form.error("email")
                        hint="They get an activation link at this address to choose their password." />
                })}
                <fieldset class="plain permissions">
                    <legend>"Permissions"</legend>
                    {is_you.then(|| view! { <p class="hint">"You cannot change your own permissions: another user who may manage users can."</p> })}
                    {Permission::ALL.into_iter().map(|p| {
                        // Nobody hands out (or takes away) what they do not hold themselves.
                        let not_mine = Signal::derive(move || !mine.get().contains(p));
                        let hint = Signal::derive(move || match p {
                            _ if is_you => None,
                            _ if not_mine.get() => Some("You do not hold this permission, so you cannot grant or remove it.".to_string()),
                            Permission::WebsiteAccess => Some("Needed to sign in at all; the others are unavailable without it.".to_string()),
                            _ => None,
                        });
                        view! {
                            <CheckField id=format!("perm-{}", p.slug()) label=p.label()
                                checked=form.read(move |f| f.permissions.contains(p))
                                disabled=Signal::derive(move || is_you || not_mine.get() || (p != Permission::WebsiteAccess && !website.get()))
                                on_change=Callback::new(move |on| toggle(p, on)) hint />
                        }
                    }).collect_view()}
                    {move || form.error("permissions").get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                </fieldset>
                {move || problem.get().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
                <div class="form-actions">
                    <button type="submit" class="primary" aria-busy=move || busy.get().to_string()>{if creating { "Add user" } else { "Save user" }}</button>
                    <button type="button" class="link-button" on:click=move |_| done.run(None)>"Cancel"</button>
                </div>
            </form>
        </section>
    }
}
