//! `/api-access` (REST API Administrator): client credentials for the REST provisioning API —
//! create (the secret is shown once), list with when each was last used, revoke.

use crate::api::api_clients::{create_api_client, list_api_clients, revoke_api_client};
use crate::components::copy::CopyValue;
use crate::components::error_panel::ErrorPanel;
use crate::components::focus::focus_later;
use crate::components::form::{CheckField, TextField};
use crate::components::form_state::FormState;
use crate::components::on_demand::on_demand;
use crate::AppError;
use leptos::either::EitherOf3;
use leptos::lazy;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use model::api::{client_name, ApiClientView, NewApiClient, API_PERMISSIONS};
use model::{FieldErrors, Permission, Permissions};

/// Where clients exchange their credentials for a bearer token.
const TOKEN_URL: &str = "/api/v1/oauth/token";

#[component]
pub fn ApiAccessPage() -> impl IntoView {
    let clients = crate::wire::resource(|| (), |_| list_api_clients());
    let created = RwSignal::new(None::<NewApiClient>);
    let notice = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<String>);
    let refresh = Callback::new(move |_| clients.refetch());
    // "+ New Credentials" opens the form (a chunk of its own: the page opens without it).
    let creating = RwSignal::new(false);
    let close = Callback::new(move |_| {
        creating.set(false);
        focus_later("new-credentials");
    });
    view! {
        <Title text="API Access" />
        <div class="page-header"><h1>"API Access"</h1></div>
        <section class="card api-intro">
            <p>"Client credentials let your own systems provision customers through the REST API, without the browser. \
                Each system exchanges its Client ID and Client Secret for a bearer token that works for one hour:"</p>
            <p class="api-endpoint"><code>{format!("POST {TOKEN_URL}")}</code></p>
            <p class="muted">"Send " <code>"grant_type=client_credentials"</code> " with " <code>"client_id"</code> " and "
                <code>"client_secret"</code> " (form fields or HTTP Basic), then call the API with "
                <code>"Authorization: Bearer <token>"</code> ". Revoking credentials stops their tokens at once."</p>
            <p>"Every endpoint, field and answer is described in the "
                <a href="/api/v1/openapi.json" rel="external" target="_blank">"OpenAPI document"</a>
                " (load it into any OpenAPI tool to browse it or generate a client)."</p>
        </section>
        {move || notice.get().map(|n| view! { <p class="notice success" role="status">{n}</p> })}
        {move || problem.get().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
        {move || created.get().map(|c| on_demand(move || secret_panel(c.clone(), Callback::new(move |_| created.set(None)))))}
        <Transition fallback=|| view! { <p class="page-loading" role="status">"Loading credentials…"</p> }>
            {move || Suspend::new(async move {
                match clients.await {
                    Ok(list) => EitherOf3::A(view! {
                        {move || if creating.get() {
                            on_demand(move || create_form(created, notice, problem, refresh, close))
                        } else {
                            view! {
                                <p class="api-create-open">
                                    <button type="button" id="new-credentials" class="primary" on:pointerenter=preload_form on:focus=preload_form
                                        on:click=move |_| { notice.set(None); creating.set(true); }>"+ New Credentials"</button>
                                </p>
                            }.into_any()
                        }}
                        <h2 class="section-title">"Credentials"</h2>
                        {if list.is_empty() {
                            view! {
                                <section class="card empty-state">
                                    <h3>"No credentials yet"</h3>
                                    <p>"Use \u{201c}+ New Credentials\u{201d} above for each system that should use the REST API."</p>
                                </section>
                            }.into_any()
                        } else {
                            view! {
                                <div class="table-wrap">
                                    <table class="grid stack-table api-clients-table">
                                        <thead><tr>
                                            <th scope="col">"Name"</th><th scope="col">"Client ID"</th><th scope="col">"Created"</th>
                                            <th scope="col">"Last used"</th><th scope="col">"Status"</th>
                                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                        </tr></thead>
                                        <tbody>
                                            {list.into_iter().map(|client| view! { <ClientRow client notice problem refresh /> }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }.into_any()
                        }}
                    }),
                    Err(AppError::Forbidden) => EitherOf3::B(view! {
                        <section class="card empty-state">
                            <h2>"You cannot manage API access"</h2>
                            <p>"You need the REST API Administrator permission to see, create and revoke client credentials. \
                                Ask a user administrator to grant it."</p>
                        </section>
                    }),
                    Err(error) => EitherOf3::C(view! { <ErrorPanel error /> }),
                }
            })}
        </Transition>
    }
}

/// What "Create credentials" asks for.
#[derive(Clone)]
struct Request {
    name: String,
    permissions: Permissions,
}

// The form and the new secret's panel are chunks of their own: the list opens without them.
// Pointing at or focusing "+ New Credentials" fetches the form's code; sending the form
// fetches the panel's while the server creates the credentials.

#[lazy]
fn create_form(
    created: RwSignal<Option<NewApiClient>>,
    notice: RwSignal<Option<String>>,
    problem: RwSignal<Option<String>>,
    refresh: Callback<()>,
    close: Callback<()>,
) -> AnyView {
    view! { <CreateForm created notice problem refresh close /> }.into_any()
}

/// Starts fetching the form's code ("+ New Credentials" is about to be pressed).
fn preload_form<E>(_: E) {
    #[cfg(feature = "hydrate")]
    spawn_local(__preload_create_form());
}

/// "Name", what they may do, and "Create credentials". It stays open after a create, for the
/// next system's.
#[component]
fn CreateForm(
    created: RwSignal<Option<NewApiClient>>,
    notice: RwSignal<Option<String>>,
    problem: RwSignal<Option<String>>,
    refresh: Callback<()>,
    close: Callback<()>,
) -> impl IntoView {
    Effect::new(|_| focus_later("api-client-name"));
    let all = API_PERMISSIONS.into_iter().fold(Permissions::default().with(Permission::WebsiteAccess), Permissions::with);
    let form = FormState::new(Request { name: String::new(), permissions: all }, |r: &Request| {
        let mut e = FieldErrors::new();
        e.check("name", client_name(&r.name));
        e
    });
    let busy = RwSignal::new(false);
    let (name, on_name) = form.text("name", |r| &r.name, |r| &mut r.name);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !form.attempt() || busy.get_untracked() {
            return;
        }
        busy.set(true);
        notice.set(None);
        problem.set(None);
        // The panel that shows the new secret is fetched while the server creates it.
        #[cfg(feature = "hydrate")]
        spawn_local(__preload_secret_panel());
        let Request { name, permissions } = form.get_untracked();
        spawn_local(async move {
            let result = create_api_client(name, permissions).await;
            busy.set(false);
            match result {
                Ok(new) => {
                    form.reset(Request { name: String::new(), permissions });
                    created.set(Some(new));
                    refresh.run(());
                }
                Err(AppError::Invalid(found)) => form.refuse(found),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <section class="card api-create" aria-labelledby="api-create-title">
            <h2 id="api-create-title">"New credentials"</h2>
            <form class="api-create-form" novalidate on:submit=submit>
                <TextField id="api-client-name" label="Name" required=true
                    value=name on_input=on_name error=form.error("name") hint="Which system will use them, e.g. \u{201c}Billing system\u{201d}." />
                <fieldset class="plain permissions">
                    <legend>"What they may do"</legend>
                    {API_PERMISSIONS.into_iter().map(|p| view! {
                        <CheckField id=format!("api-perm-{}", p.slug()) label=p.label()
                            checked=form.read(move |r| r.permissions.contains(p))
                            on_change=Callback::new(move |on: bool| form.edit("permissions", |r| {
                                let g = r.permissions;
                                r.permissions = if on { g.with(p) } else { Permissions::from_bits(g.bits() & !Permissions::default().with(p).bits()) };
                            }))
                            hint=Signal::derive(move || Some(match p {
                                Permission::CustomerAdministrator => "Create, change, disable and terminate customers, their users and PBX connections.".to_string(),
                                Permission::WebhooksAdministrator => "Add, change and remove webhook endpoints; read their delivery logs.".to_string(),
                                _ => "Read billing and bill ended months.".to_string(),
                            })) />
                    }).collect_view()}
                    <p class="hint">"At most what you may do yourself; they stop working if you are deactivated."</p>
                    {move || form.error("permissions").get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                </fieldset>
                <div class="form-actions">
                    <button type="submit" class="primary" aria-busy=move || busy.get().to_string()>"Create credentials"</button>
                    <button type="button" class="link-button" on:click=move |_| close.run(())>"Cancel"</button>
                </div>
            </form>
        </section>
    }
}

#[lazy]
fn secret_panel(created: NewApiClient, dismiss: Callback<()>) -> AnyView {
    view! { <SecretPanel created dismiss /> }.into_any()
}

/// The new credentials, with the only sight of their secret.
#[component]
fn SecretPanel(created: NewApiClient, dismiss: Callback<()>) -> impl IntoView {
    let NewApiClient { client, secret } = created;
    view! {
        <section class="card secret-panel" aria-labelledby="secret-panel-title">
            <h2 id="secret-panel-title">{format!("Credentials created: \u{201c}{}\u{201d}", client.name)}</h2>
            <p class="secret-warning" role="status"><strong>"This secret is shown only now: store it safely."</strong>
                " If it is lost, revoke these credentials and create new ones."</p>
            <dl class="secret-values">
                <CopyValue id="new-client-id" label="Client ID" value=client.client_id />
                <CopyValue id="new-client-secret" label="Client Secret" value=secret />
            </dl>
            <div class="form-actions">
                <button type="button" class="link-button" on:click=move |_| dismiss.run(())>"I have stored the secret"</button>
            </div>
        </section>
    }
}

#[component]
fn ClientRow(client: ApiClientView, notice: RwSignal<Option<String>>, problem: RwSignal<Option<String>>, refresh: Callback<()>) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let id = client.id;
    let name = StoredValue::new(client.name.clone());
    let revoke = move |_| {
        busy.set(true);
        problem.set(None);
        spawn_local(async move {
            let result = revoke_api_client(id).await;
            busy.set(false);
            confirming.set(false);
            match result {
                Ok(()) => {
                    notice.set(Some(format!("\u{201c}{}\u{201d} was revoked: its tokens no longer work.", name.get_value())));
                    refresh.run(());
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let status = match (&client.revoked, &client.stopped) {
        (true, _) => ("Revoked", "status status-terminated"),
        (false, Some(_)) => ("Stopped", "status status-disabled"),
        (false, None) => ("Active", "status status-active"),
    };
    view! {
        <tr class:revoked=client.revoked>
            <td class="name" data-label="Name">{client.name.clone()}
                <span class="muted client-permissions">{client.permissions.iter().filter(|p| *p != Permission::WebsiteAccess).map(Permission::label).collect::<Vec<_>>().join(", ")}</span>
            </td>
            <td data-label="Client ID"><code>{client.client_id.clone()}</code></td>
            <td data-label="Created">{client.created_at.clone()}<span class="muted">{format!(" by {}", client.created_by)}</span></td>
            <td data-label="Last used">{client.last_used_at.clone().unwrap_or_else(|| "Never".into())}</td>
            <td data-label="Status"><span class=status.1>{status.0}</span>
                {client.stopped.clone().map(|why| view! { <span class="muted stopped-reason">{why}</span> })}
            </td>
            <td class="actions">
                {(!client.revoked).then(|| view! {
                    <button type="button" class="link-button danger" on:click=move |_| { notice.set(None); confirming.set(true) }>
                        "Revoke"<span class="visually-hidden">{format!(" {}", client.name)}</span>
                    </button>
                })}
            </td>
        </tr>
        {move || confirming.get().then(|| view! {
            <tr class="confirm-row"><td colspan="6">
                <div class="confirm" role="alertdialog" aria-label="Confirm revocation">
                    <p>{format!("Revoke \u{201c}{}\u{201d}? Systems using them stop working at once; this cannot be undone.", name.get_value())}</p>
                    <button type="button" class="danger-button" disabled=move || busy.get() on:click=revoke>"Revoke credentials"</button>
                    <button type="button" class="link-button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            </td></tr>
        })}
    }
}
