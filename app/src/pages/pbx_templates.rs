//! `/pbx-templates`: the reseller's master settings per PBX platform. A table of templates, one
//! form for creating and editing (checked as the user types, with the rules the server applies),
//! and a confirmation dialog for deleting. Secrets go in and are never shown again.

use crate::api::pbx_templates::{create_pbx_template, delete_pbx_template, pbx_templates_page, test_pbx_template, update_pbx_template};
use crate::components::confirm::ConfirmDialog;
use crate::components::error_panel::ErrorPanel;
use crate::components::focus::focus_later;
use crate::components::form::{CheckField, SelectField, TextField};
use crate::components::form_state::FormState;
use crate::components::on_demand::on_demand;
use crate::components::request::Request;
use crate::AppError;
use leptos::ev::{KeyboardEvent, SubmitEvent};
use leptos::lazy;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use model::pbx::{PbxKind, TemplateForm, TemplateSummary};
use model::FieldErrors;

/// The form's fields in screen order for a template of `kind`, with their input ids: the first
/// invalid one gets focus. Teams shows its optional cloud URLs after the credentials.
fn fields(kind: PbxKind) -> [(&'static str, &'static str); 8] {
    match kind {
        PbxKind::Kazoo | PbxKind::ThreeCx => [
            ("name", "template-name"),
            ("kind", "template-kind"),
            ("api_url", "template-api-url"),
            ("websocket_url", "template-websocket-url"),
            ("directory_tenant_id", "template-directory-tenant-id"),
            ("client_id", "template-client-id"),
            ("secret", "template-secret"),
            ("is_default", "template-default"),
        ],
        PbxKind::Teams => [
            ("name", "template-name"),
            ("kind", "template-kind"),
            ("directory_tenant_id", "template-directory-tenant-id"),
            ("client_id", "template-client-id"),
            ("secret", "template-secret"),
            ("websocket_url", "template-websocket-url"),
            ("api_url", "template-api-url"),
            ("is_default", "template-default"),
        ],
    }
}

/// What the open form edits.
#[derive(Clone, Debug, PartialEq)]
struct Editing {
    /// `None`: a new template.
    id: Option<i64>,
    /// The version the form was loaded with (optimistic concurrency).
    version: i32,
    /// The name as stored, for the heading.
    name: String,
    kind: PbxKind,
    customers: u64,
    has_secret: bool,
}

impl Editing {
    fn new() -> (Editing, TemplateForm) {
        let editing = Editing { id: None, version: 0, name: String::new(), kind: PbxKind::default(), customers: 0, has_secret: false };
        (editing, TemplateForm::default())
    }

    fn of(t: &TemplateSummary) -> (Editing, TemplateForm) {
        let editing = Editing {
            id: Some(t.id),
            version: t.version,
            name: t.name.clone(),
            kind: t.kind,
            customers: t.customers,
            has_secret: t.has_secret,
        };
        let form = TemplateForm {
            name: t.name.clone(),
            kind: t.kind,
            api_url: t.api_url.clone(),
            websocket_url: t.websocket_url.clone(),
            client_id: t.client_id.clone(),
            directory_tenant_id: t.directory_tenant_id.clone(),
            secret: String::new(),
            is_default: t.is_default,
        };
        (editing, form)
    }
}

#[component]
pub fn PbxTemplatesPage() -> impl IntoView {
    let templates = crate::wire::resource(|| (), |_| pbx_templates_page());
    // Whether the header offers "+ New Template". Set once the page has loaded, in the browser:
    // the resource is read in one Suspense only (below), and the server renders no button.
    let can_change_header = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(page)) = templates.get() {
            can_change_header.set(page.can_change);
        }
    });
    let editing = RwSignal::new(None::<(Editing, TemplateForm)>);
    let to_delete = RwSignal::new(None::<TemplateSummary>);
    let notice = RwSignal::new(None::<String>);
    // The outcome of the last "Test connection": the PBX's answer or why it failed.
    let tested = RwSignal::new(None::<Result<String, String>>);
    let (pending, set_pending) = signal(false);

    let open_new = move || {
        notice.set(None);
        editing.set(Some(Editing::new()));
    };
    let on_saved = Callback::new(move |message: String| {
        editing.set(None);
        notice.set(Some(message));
        templates.refetch();
        focus_later("new-template");
    });
    let on_cancel = Callback::new(move |()| {
        editing.set(None);
        focus_later("new-template");
    });
    let on_deleted = Callback::new(move |message: String| {
        notice.set(Some(message));
        templates.refetch();
        focus_later("pbx-templates-heading");
    });

    view! {
        <Title text="PBX Templates" />
        <div class="page-header">
            <h1 id="pbx-templates-heading" tabindex="-1">"PBX Templates"</h1>
            {move || can_change_header.get().then(|| view! {
                <button type="button" id="new-template" class="primary" on:pointerenter=preload_editor on:focus=preload_editor
                    on:click=move |_| open_new()>"+ New Template"</button>
            })}
        </div>
        <p class="muted page-intro">
            "A template holds the master settings of one PBX platform, shared by many customers. "
            "Keys and secrets are stored encrypted and are never shown again."
        </p>
        <div class="notice-area" role="status">
            {move || notice.get().map(|n| view! { <p class="notice success">{n}</p> })}
            {move || match tested.get() {
                Some(Ok(message)) => Some(view! { <p class="notice success">{message}</p> }.into_any()),
                Some(Err(message)) => Some(view! { <p class="form-error">{message}</p> }.into_any()),
                None => None,
            }}
        </div>
        {move || editing.get().map(|(editing, initial)| on_demand(move || template_editor(editing.clone(), initial.clone(), on_saved, on_cancel)))}
        <Transition set_pending fallback=|| view! { <p class="page-loading" role="status">"Loading PBX templates…"</p> }>
            {move || Suspend::new(async move {
                match templates.await.map(|page| (page.can_change, page.templates)) {
                    Ok((can_change, list)) if list.is_empty() => view! {
                        <Show when=move || editing.with(Option::is_none)>
                            <section class="card empty-state">
                                <h2>"No PBX templates yet"</h2>
                                <p>"Create a template for each PBX platform you connect customers through: Kazoo, 3CX or Microsoft Teams."</p>
                                {can_change.then(|| view! {
                                    <button type="button" class="primary" on:pointerenter=preload_editor on:focus=preload_editor
                                        on:click=move |_| open_new()>"+ New Template"</button>
                                })}
                            </section>
                        </Show>
                    }
                    .into_any(),
                    Ok((can_change, list)) => view! { <TemplateTable list can_change editing to_delete pending tested /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
        // A template in use cannot be deleted: the dialog says so before anyone tries.
        <ConfirmDialog target=to_delete id="delete-template" title="Delete PBX template?"
            question=Callback::new(|t: TemplateSummary| view! {
                "\u{201c}" {t.name} "\u{201d} will be deleted. No customer uses it. This cannot be undone."
            }.into_any())
            impossible=Callback::new(|t: TemplateSummary| (t.customers > 0).then(|| model::pbx::template_in_use(&t.name, t.customers)))
            confirm_label="Delete" busy_label="Deleting…" danger=true
            action=|t: TemplateSummary| delete_pbx_template(t.id)
            on_done=Callback::new(move |(t, ()): (TemplateSummary, ())| on_deleted.run(format!("Deleted \u{201c}{}\u{201d}.", t.name))) />
    }
}

#[component]
fn TemplateTable(
    list: Vec<TemplateSummary>,
    can_change: bool,
    editing: RwSignal<Option<(Editing, TemplateForm)>>,
    to_delete: RwSignal<Option<TemplateSummary>>,
    pending: ReadSignal<bool>,
    tested: RwSignal<Option<Result<String, String>>>,
) -> impl IntoView {
    let count = list.len();
    let test = Request::new();
    view! {
        <div class="table-wrap" aria-busy=crate::components::busy::aria_busy(pending)>
            <table class="grid stack-table templates-table">
                <caption class="visually-hidden">"PBX templates, " {count} " in all"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Type"</th>
                        <th scope="col">"URL"</th>
                        <th scope="col">"Default"</th>
                        <th scope="col">"Customers"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|t| {
                        let url = if t.kind == PbxKind::Teams && t.api_url.is_empty() {
                            view! { <span class="muted">"Microsoft Graph"</span> }.into_any()
                        } else {
                            view! { <span class="url">{t.api_url.clone()}</span> }.into_any()
                        };
                        let default = if t.is_default {
                            view! { <span class="tag default-tag">"Default"</span> }.into_any()
                        } else {
                            view! { <span class="muted" aria-hidden="true">"—"</span><span class="visually-hidden">"No"</span> }.into_any()
                        };
                        let actions = can_change.then(|| {
                            let (edit, delete) = (t.clone(), t.clone());
                            view! {
                                <span class="row-actions">
                                    <button type="button" class="link-button" aria-label=format!("Edit {}", t.name)
                                        on:pointerenter=preload_editor on:focus=preload_editor
                                        on:click=move |_| editing.set(Some(Editing::of(&edit)))>"Edit"</button>
                                    <button type="button" class="link-button danger" aria-label=format!("Delete {}", t.name)
                                        on:click=move |_| to_delete.set(Some(delete.clone()))>"Delete"</button>
                                </span>
                            }
                        });
                        let test_id = t.id;
                        let test_button = view! {
                            <button type="button" class="link-button" aria-label=format!("Test connection of {}", t.name)
                                disabled=move || test.pending()
                                on:click=move |_| {
                                    tested.set(None);
                                    test.send(test_pbx_template(test_id), move |outcome| tested.set(Some(outcome.map_err(|e| e.to_string()))));
                                }>
                                "Test connection"
                            </button>
                        };
                        view! {
                            <tr>
                                <td class="name" data-label="Name">{t.name.clone()}
                                    {(!t.has_secret).then(|| view! {
                                        <span class="tag warning-tag">{format!("No {} stored: edit to enter it", if t.kind == PbxKind::Kazoo { "API key" } else { "client secret" })}</span>
                                    })}
                                </td>
                                <td data-label="Type">{t.kind.label()}</td>
                                <td data-label="URL">{url}</td>
                                <td data-label="Default">{default}</td>
                                <td data-label="Customers">{t.customers}</td>
                                <td class="row-actions-cell"><span class="row-actions">{test_button}{actions}</span></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

// The form is a chunk of its own: the table opens without it, and pointing at or focusing a
// button that opens it fetches its code.
#[lazy]
fn template_editor(editing: Editing, initial: TemplateForm, on_saved: Callback<String>, on_cancel: Callback<()>) -> AnyView {
    view! { <TemplateEditor editing initial on_saved on_cancel /> }.into_any()
}

/// Starts fetching the form's code (a button that opens it is about to be pressed).
fn preload_editor<E>(_: E) {
    #[cfg(feature = "hydrate")]
    spawn_local(__preload_template_editor());
}

/// The create / edit form. Errors appear beside their field as the user types (the same rules
/// the server applies); what only the server can know (a taken name, a stale version) arrives
/// on save, beside the field or in an alert.
#[component]
fn TemplateEditor(editing: Editing, initial: TemplateForm, on_saved: Callback<String>, on_cancel: Callback<()>) -> impl IntoView {
    let Editing { id, version, name: stored_name, kind: stored_kind, customers, has_secret } = editing;
    let creating = id.is_none();
    let original = StoredValue::new(initial.clone());
    let form = FormState::new(initial, move |f: &TemplateForm| f.validate(creating));
    form.guard_unsaved();
    // The stored secret was given for these addresses; on a new one it is not kept.
    let moved = Memo::new(move |_| {
        original.with_value(|o| {
            form.with_value(|f| f.api_url.trim() != o.api_url.trim() || f.websocket_url.trim() != o.websocket_url.trim() || f.client_id.trim() != o.client_id.trim() || f.directory_tenant_id.trim() != o.directory_tenant_id.trim())
        })
    });
    let alert = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let kind = Memo::new(move |_| form.with_value(|f| f.kind));

    let error = move |field: &'static str| form.error(field);
    let value = move |get: fn(&TemplateForm) -> &String| form.read(move |f| get(f).clone());
    let edit = move |field: &'static str, change: fn(&mut TemplateForm, String)| Callback::new(move |input: String| form.edit(field, |f| change(f, input)));
    let focus_first = |errors: &FieldErrors, kind: PbxKind| {
        if let Some((_, id)) = fields(kind).into_iter().find(|(field, _)| errors.get(field).is_some()) {
            focus_later(id);
        }
    };

    Effect::new(move |_| focus_later("template-name"));

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        alert.set(None);
        let current = form.get_untracked();
        let current_kind = current.kind;
        if !form.attempt() {
            focus_first(&form.verdict().get_untracked(), current_kind);
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let name = current.name.trim().to_owned();
            let result = match id {
                None => create_pbx_template(current).await,
                Some(id) => update_pbx_template(id, version, current).await,
            };
            busy.set(false);
            match result {
                Ok(_) if creating => on_saved.run(format!("Created \u{201c}{name}\u{201d}.")),
                Ok(_) => on_saved.run(format!("Saved \u{201c}{name}\u{201d}.")),
                Err(AppError::Invalid(errors)) => {
                    let unplaced: Vec<String> = errors
                        .0
                        .iter()
                        .filter(|e| !fields(current_kind).iter().any(|(field, _)| *field == e.field))
                        .map(|e| e.message.clone())
                        .collect();
                    alert.set(Some(if unplaced.is_empty() {
                        AppError::Invalid(FieldErrors::new()).to_string()
                    } else {
                        unplaced.join(" ")
                    }));
                    focus_first(&errors, current_kind);
                    form.refuse(errors);
                }
                Err(e) => alert.set(Some(e.to_string())),
            }
        });
    };
    let cancel_on_escape = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            on_cancel.run(());
        }
    };

    let title = if creating { "New PBX Template".to_owned() } else { format!("Edit \u{201c}{stored_name}\u{201d}") };
    let kinds: Vec<(String, String)> = PbxKind::ALL.into_iter().map(|k| (k.as_str().to_owned(), k.label().to_owned())).collect();
    let kind_locked = customers > 0;
    let kind_hint = kind_locked.then(|| match customers {
        1 => "The type cannot change while a customer uses this template.".to_owned(),
        n => format!("The type cannot change while {n} customers use this template."),
    });

    view! {
        <section class="card template-editor" aria-labelledby="template-editor-title" on:keydown=cancel_on_escape>
            <h2 id="template-editor-title">{title}</h2>
            <form class="stack" novalidate on:submit=submit>
                <TextField
                    id="template-name"
                    label="Name"
                    value=value(|f| &f.name)
                    on_input=edit("name", |f, v| f.name = v)
                    error=error("name")
                    autocomplete="off"
                    required=true
                />
                <SelectField
                    id="template-kind"
                    label="Type"
                    value=Signal::derive(move || kind.get().as_str().to_owned())
                    on_change=Callback::new(move |v: String| {
                        if let Some(k) = PbxKind::parse(&v) {
                            form.edit("kind", |f| {
                                if (f.kind == PbxKind::Teams) != (k == PbxKind::Teams) {
                                    // On Teams the URLs are optional cloud URLs, not the PBX's: a
                                    // Kazoo or 3CX address must not carry over (nor back).
                                    f.api_url.clear();
                                    f.websocket_url.clear();
                                }
                                f.kind = k;
                            });
                            form.forget_refusal("secret");
                        }
                    })
                    options=kinds
                    disabled=kind_locked
                    hint=kind_hint
                    error=error("kind")
                    required=true
                />
                {move || match kind.get() {
                    PbxKind::Kazoo => view! {
                        <TextField id="template-api-url" label="REST API URL" kind="url" value=value(|f| &f.api_url)
                            on_input=edit("api_url", |f, v| f.api_url = v) error=error("api_url")
                            hint="For example https://kazoo.example.com:8443/v2" required=true />
                        <TextField id="template-websocket-url" label="WebSocket URL" kind="url" value=value(|f| &f.websocket_url)
                            on_input=edit("websocket_url", |f, v| f.websocket_url = v) error=error("websocket_url")
                            hint="For example wss://kazoo.example.com:5443" required=true />
                    }
                    .into_any(),
                    PbxKind::ThreeCx => view! {
                        <TextField id="template-api-url" label="Server URL" kind="url" value=value(|f| &f.api_url)
                            on_input=edit("api_url", |f, v| f.api_url = v) error=error("api_url")
                            hint="For example https://pbx.example.com:5001" required=true />
                        <TextField id="template-client-id" label="Client ID" value=value(|f| &f.client_id)
                            on_input=edit("client_id", |f, v| f.client_id = v) error=error("client_id") autocomplete="off" required=true />
                    }
                    .into_any(),
                    PbxKind::Teams => view! {
                        <TextField id="template-directory-tenant-id" label="Directory Tenant ID" value=value(|f| &f.directory_tenant_id)
                            on_input=edit("directory_tenant_id", |f, v| f.directory_tenant_id = v) error=error("directory_tenant_id")
                            hint="The Microsoft Entra directory your app is registered in, like 72f988bf-86f1-41af-91ab-2d7cd011db47"
                            autocomplete="off" required=true />
                        <TextField id="template-client-id" label="Client ID" value=value(|f| &f.client_id)
                            on_input=edit("client_id", |f, v| f.client_id = v) error=error("client_id") autocomplete="off" required=true />
                    }
                    .into_any(),
                }}
                {move || {
                    let kind = kind.get();
                    let noun = if kind == PbxKind::Kazoo { "key" } else { "secret" };
                    let hint = if !creating && has_secret && kind == stored_kind && moved.get() {
                        format!("The address changed: enter the {noun} again, or the stored one is cleared when you save (it is never sent to a new address).")
                    } else if !creating && has_secret && kind == stored_kind {
                        format!("Leave empty to keep the stored {noun}.")
                    } else {
                        format!("Stored encrypted; the {noun} is never shown again.")
                    };
                    view! {
                        <TextField id="template-secret" label=kind.secret_label() kind="password" value=value(|f| &f.secret)
                            on_input=edit("secret", |f, v| f.secret = v) error=error("secret") hint
                            autocomplete="new-password" required=creating />
                    }
                }}
                {move || (kind.get() == PbxKind::Teams).then(|| view! {
                    <TextField id="template-websocket-url" label="Sign-in URL" kind="url" value=value(|f| &f.websocket_url)
                        on_input=edit("websocket_url", |f, v| f.websocket_url = v) error=error("websocket_url")
                        hint="Leave empty for Microsoft's public cloud (https://login.microsoftonline.com)." />
                    <TextField id="template-api-url" label="Microsoft Graph URL" kind="url" value=value(|f| &f.api_url)
                        on_input=edit("api_url", |f, v| f.api_url = v) error=error("api_url")
                        hint="Leave empty for Microsoft's public cloud (https://graph.microsoft.com)." />
                })}
                <CheckField
                    id="template-default"
                    label="Default"
                    checked=form.read(|f| f.is_default)
                    on_change=Callback::new(move |on: bool| form.edit("is_default", |f| f.is_default = on))
                    hint=Signal::derive(|| Some("New customers get this template unless another is chosen. Making it the default replaces the current default.".to_owned()))
                    error=error("is_default")
                />
                {move || alert.get().map(|a| view! { <p class="form-error" role="alert">{a}</p> })}
                <div class="form-actions">
                    <button type="submit" class="primary" aria-busy=move || busy.get().to_string()>
                        {move || match (busy.get(), creating) {
                            (true, _) => "Saving…",
                            (false, true) => "Create Template",
                            (false, false) => "Save Changes",
                        }}
                    </button>
                    <button type="button" class="link-button" on:click=move |_| on_cancel.run(())>"Cancel"</button>
                </div>
            </form>
        </section>
    }
}

