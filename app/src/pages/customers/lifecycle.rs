//! The customer page's life-cycle controls: the notices at the top (disabled → "Re-enable
//! Customer", a scheduled termination → "Cancel termination", a trial → "Convert to paid now" /
//! "Extend trial"), and the **More** menu (Disable, Terminate now, Terminate on specific date),
//! each confirmed in a dialog — terminations by typing the customer's name.

use crate::api::customers::{cancel_termination, convert_trial, disable_customer, extend_trial, reenable_customer, terminate_customer};
use crate::components::on_demand::on_demand;
use crate::AppError;
use leptos::lazy;
use leptos::prelude::*;
use leptos::task::spawn_local;
use model::customer::CustomerStatus;
use model::customer_form::CustomerDetail;
use model::FieldErrors;

/// What the More menu's dialog is confirming.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Act {
    Disable,
    TerminateNow,
    TerminateOn,
}

/// Runs a life-cycle call: on success `reload` shows the customer as it now is; a refusal is
/// kept for the notice or dialog to show (field errors separately, beside their fields).
fn perform(
    busy: RwSignal<bool>,
    problem: RwSignal<Option<String>>,
    fields: RwSignal<FieldErrors>,
    reload: Callback<()>,
    call: impl std::future::Future<Output = Result<i32, AppError>> + 'static,
    on_done: impl FnOnce() + 'static,
) {
    if busy.get_untracked() {
        return;
    }
    busy.set(true);
    problem.set(None);
    fields.set(FieldErrors::new());
    spawn_local(async move {
        let result = call.await;
        busy.set(false);
        match result {
            Ok(_) => {
                on_done();
                reload.run(());
            }
            Err(AppError::Invalid(found)) => fields.set(found),
            Err(e) => problem.set(Some(e.to_string())),
        }
    });
}

#[component]
pub fn LifecycleNotices(detail: CustomerDetail, reload: Callback<()>) -> impl IntoView {
    let id = StoredValue::new(detail.id.clone());
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let fields = RwSignal::new(FieldErrors::new());
    let extending = RwSignal::new(false);
    let until = RwSignal::new(detail.trial_latest_end.clone().unwrap_or_default());
    let terminated = detail.status == CustomerStatus::Terminated;
    let disabled = (detail.status == CustomerStatus::Disabled).then(|| view! {
        <div class="notice lifecycle" role="status">
            <p>"This customer is disabled: its users cannot sign in to the analytics service. Its data is still collected and it is still billed."</p>
            <button type="button" class="link-button" disabled=move || busy.get()
                on:click=move |_| perform(busy, problem, fields, reload, reenable_customer(id.get_value()), || ())>
                "Re-enable Customer"
            </button>
        </div>
    });
    let scheduled = detail.terminate_on.clone().filter(|_| !terminated).map(|day| view! {
        <div class="notice lifecycle warning" role="status">
            <p>{format!("Scheduled to terminate on {day}. Until then nothing changes; on that day it becomes read-only and stops syncing.")}</p>
            <button type="button" class="link-button" disabled=move || busy.get()
                on:click=move |_| perform(busy, problem, fields, reload, cancel_termination(id.get_value()), || ())>
                "Cancel termination"
            </button>
        </div>
    });
    let trial_end = detail.details.trial.then(|| detail.details.trial_expires_on.clone()).filter(|_| !terminated);
    let latest = detail.trial_latest_end.clone().unwrap_or_default();
    let trial = trial_end.map(|end| {
        let can_extend = latest.as_str() > end.as_str();
        let latest_text = latest.clone();
        view! {
            <div class="notice lifecycle" role="status">
                <p>{format!("On a trial until {end} (its last day). Afterwards it becomes a paying account.")}</p>
                <div class="lifecycle-actions">
                    <button type="button" class="link-button" disabled=move || busy.get()
                        on:click=move |_| perform(busy, problem, fields, reload, convert_trial(id.get_value()), || ())>
                        "Convert to paid now"
                    </button>
                    {can_extend.then(|| view! {
                        <button type="button" class="link-button" aria-expanded=move || extending.get().to_string()
                            on:click=move |_| extending.update(|e| *e = !*e)>"Extend trial"</button>
                    })}
                </div>
                {move || extending.get().then(|| {
                    let latest = latest_text.clone();
                    view! {
                        <form class="inline-fields" novalidate on:submit=move |ev| {
                            ev.prevent_default();
                            perform(busy, problem, fields, reload, extend_trial(id.get_value(), until.get_untracked()), move || extending.set(false));
                        }>
                            <div class="field">
                                <label for="trial-until">"New trial end"</label>
                                <input id="trial-until" type="text" inputmode="numeric" autocomplete="off" placeholder="YYYY-MM-DD" required prop:value=move || until.get()
                                    on:input=move |ev| until.set(event_target_value(&ev))
                                    aria-invalid=move || fields.with(|f| f.get("trial_expires_on").is_some()).to_string()
                                    aria-describedby="trial-until-hint trial-until-error" />
                                <p class="hint" id="trial-until-hint">{format!("YYYY-MM-DD, at most {latest}: the reseller's longest trial from the customer's first day.")}</p>
                                <p class="field-error" id="trial-until-error" role="alert">{move || fields.with(|f| f.get("trial_expires_on").map(str::to_owned))}</p>
                            </div>
                            <button type="submit" class="primary" disabled=move || busy.get()>"Save trial end"</button>
                        </form>
                    }
                })}
            </div>
        }
    });
    view! {
        {disabled}
        {scheduled}
        {trial}
        {move || problem.get().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
    }
}

/// The "More" menu and the dialog of the action chosen from it. The menu follows the WAI-ARIA
/// menu button pattern: opening it focuses its first item; arrow keys, Home and End move
/// between items; Escape closes it and returns focus to the button, as closing the dialog
/// does.
#[component]
pub fn MoreMenu(detail: CustomerDetail, reload: Callback<()>) -> impl IntoView {
    let open = RwSignal::new(false);
    let menu = NodeRef::<leptos::html::Div>::new();
    let button = NodeRef::<leptos::html::Button>::new();
    let chosen = RwSignal::new(None::<Act>);
    let active = detail.status == CustomerStatus::Active;
    let items = move || -> Vec<leptos::web_sys::HtmlElement> {
        use leptos::wasm_bindgen::JsCast;
        let Some(menu) = menu.get_untracked() else { return Vec::new() };
        let Ok(found) = menu.query_selector_all("[role=menuitem]") else { return Vec::new() };
        (0..found.length()).filter_map(|i| found.item(i)).filter_map(|n| n.dyn_into().ok()).collect()
    };
    // Moves focus to item `pick(current index, count)`.
    let focus_item = move |pick: &dyn Fn(Option<usize>, usize) -> usize| {
        let items = items();
        if items.is_empty() {
            return;
        }
        let current = document().active_element().and_then(|a| items.iter().position(|i| **i == a));
        let _ = items[pick(current, items.len()) % items.len()].focus();
    };
    let show = move |first: bool| {
        open.set(true);
        // After the list is shown: focus its first (or last) item.
        request_animation_frame(move || focus_item(&|_, n| if first { 0 } else { n - 1 }));
    };
    let close = move |refocus: bool| {
        open.set(false);
        if refocus && let Some(b) = button.get_untracked() {
            let _ = b.focus();
        }
    };
    let choose = move |act: Act| {
        open.set(false);
        chosen.set(Some(act));
    };
    // The dialog's code is fetched when the menu's button is pointed at or focused, and the
    // dialog is built once an action is first chosen (then kept, for the next choice).
    let wanted = Memo::new(move |was: Option<&bool>| was.copied().unwrap_or(false) || chosen.with(Option::is_some));
    view! {
        <div class="more-menu" node_ref=menu
            on:keydown=move |ev| {
                let handled = match ev.key().as_str() {
                    "Escape" if open.get_untracked() => { close(true); true }
                    "ArrowDown" if open.get_untracked() => { focus_item(&|c, n| c.map_or(0, |c| (c + 1) % n)); true }
                    "ArrowUp" if open.get_untracked() => { focus_item(&|c, n| c.map_or(n - 1, |c| (c + n - 1) % n)); true }
                    "Home" if open.get_untracked() => { focus_item(&|_, _| 0); true }
                    "End" if open.get_untracked() => { focus_item(&|_, n| n - 1); true }
                    "ArrowDown" => { show(true); true }
                    "ArrowUp" => { show(false); true }
                    "Tab" => { open.set(false); false }
                    _ => false,
                };
                if handled {
                    ev.prevent_default();
                }
            }
            on:focusout=move |ev: leptos::ev::FocusEvent| {
                // Focus (or a click) went somewhere outside the menu: close it.
                use leptos::wasm_bindgen::JsCast;
                let inside = ev
                    .related_target()
                    .and_then(|t| t.dyn_into::<leptos::web_sys::Node>().ok())
                    .zip(menu.get_untracked())
                    .is_some_and(|(target, menu)| menu.contains(Some(&target)));
                if !inside {
                    open.set(false);
                }
            }>
            <button type="button" class="link-button" node_ref=button aria-haspopup="menu" aria-expanded=move || open.get().to_string()
                on:pointerenter=preload_dialog on:focus=preload_dialog
                aria-controls="customer-more-menu" on:click=move |_| if open.get_untracked() { close(false) } else { show(true) }>
                "More ▾"
            </button>
            <ul id="customer-more-menu" role="menu" aria-label="More actions" hidden=move || !open.get()>
                {active.then(|| view! {
                    <li role="none"><button type="button" role="menuitem" tabindex="-1" on:click=move |_| choose(Act::Disable)>"Disable"</button></li>
                })}
                <li role="none"><button type="button" role="menuitem" tabindex="-1" class="danger" on:click=move |_| choose(Act::TerminateNow)>"Terminate now"</button></li>
                <li role="none"><button type="button" role="menuitem" tabindex="-1" class="danger" on:click=move |_| choose(Act::TerminateOn)>"Terminate on specific date"</button></li>
            </ul>
        </div>
        {move || wanted.get().then(|| {
            let detail = detail.clone();
            on_demand(move || lifecycle_dialog(detail.clone(), chosen, reload, button))
        })}
    }
}

#[lazy]
fn lifecycle_dialog(detail: CustomerDetail, chosen: RwSignal<Option<Act>>, reload: Callback<()>, opener: NodeRef<leptos::html::Button>) -> AnyView {
    view! { <LifecycleDialog detail chosen reload opener /> }.into_any()
}

/// Starts fetching the dialog's code (the menu is about to be opened).
fn preload_dialog<E>(_: E) {
    #[cfg(feature = "hydrate")]
    spawn_local(__preload_lifecycle_dialog());
}

#[component]
fn LifecycleDialog(detail: CustomerDetail, chosen: RwSignal<Option<Act>>, reload: Callback<()>, opener: NodeRef<leptos::html::Button>) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let fields = RwSignal::new(FieldErrors::new());
    let typed = RwSignal::new(String::new());
    let day = RwSignal::new(String::new());
    let id = StoredValue::new(detail.id.clone());
    let name = StoredValue::new(detail.details.name.clone());
    let tomorrow = model::customer_form::next_day(&detail.rules.today).unwrap_or_default();
    Effect::new(move |_| {
        let want = chosen.with(Option::is_some);
        if let Some(d) = dialog.get() {
            if want && !d.open() {
                problem.set(None);
                fields.set(FieldErrors::new());
                typed.set(String::new());
                let _ = d.show_modal();
            } else if !want && d.open() {
                d.close();
            }
        }
    });
    let title = move || match chosen.get() {
        Some(Act::Disable) => "Disable this customer?",
        Some(Act::TerminateNow) => "Terminate this customer now?",
        Some(Act::TerminateOn) => "Terminate this customer on a date?",
        None => "",
    };
    let confirm = move || {
        let Some(act) = chosen.get_untracked() else { return };
        let done = move || chosen.set(None);
        match act {
            Act::Disable => perform(busy, problem, fields, reload, disable_customer(id.get_value()), done),
            Act::TerminateNow => perform(busy, problem, fields, reload, terminate_customer(id.get_value(), typed.get_untracked(), None), done),
            Act::TerminateOn => {
                perform(busy, problem, fields, reload, terminate_customer(id.get_value(), typed.get_untracked(), Some(day.get_untracked())), done)
            }
        }
    };
    let error = move |key: &'static str| move || fields.with(|f| f.get(key).map(str::to_owned));
    let terminating = move || matches!(chosen.get(), Some(Act::TerminateNow | Act::TerminateOn));
    view! {
        <dialog node_ref=dialog class="confirm-dialog" role="alertdialog" aria-labelledby="lifecycle-title" aria-describedby="lifecycle-text"
            on:close=move |_| {
                chosen.set(None);
                // The menu item that opened the dialog is hidden again: focus goes back to
                // the menu's button (if the page still shows it).
                if let Some(b) = opener.get_untracked() {
                    let _ = b.focus();
                }
            }>
            <form method="dialog" novalidate on:submit=move |ev| { ev.prevent_default(); confirm(); }>
                <h2 id="lifecycle-title">{title}</h2>
                <p id="lifecycle-text">{move || match chosen.get() {
                    Some(Act::Disable) => format!("{}'s users will no longer be able to sign in to the analytics service. Its data is still collected and it is still billed. You can re-enable it at any time.", name.get_value()),
                    Some(Act::TerminateNow) => format!("{} will be terminated today: it becomes read-only, its PBX sync stops and it is billed until today. This cannot be undone.", name.get_value()),
                    Some(Act::TerminateOn) => format!("{} will be terminated on the day you choose (it is billed until then). You can cancel this before that day.", name.get_value()),
                    None => String::new(),
                }}</p>
                <div class="field" hidden=move || chosen.get() != Some(Act::TerminateOn)>
                    <label for="terminate-on">"Termination date"</label>
                    <input id="terminate-on" type="text" inputmode="numeric" autocomplete="off" placeholder="YYYY-MM-DD" prop:value=move || day.get() on:input=move |ev| day.set(event_target_value(&ev))
                        aria-invalid=move || fields.with(|f| f.get("terminate_on").is_some()).to_string() aria-describedby="terminate-on-hint terminate-on-error" />
                    <p class="hint" id="terminate-on-hint">{format!("YYYY-MM-DD, {tomorrow} or later.")}</p>
                    <p class="field-error" id="terminate-on-error" role="alert">{error("terminate_on")}</p>
                </div>
                <div class="field" hidden=move || !terminating()>
                    <label for="confirm-name">{move || format!("Type \u{201c}{}\u{201d} to confirm", name.get_value())}</label>
                    <input id="confirm-name" type="text" autocomplete="off" prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))
                        aria-invalid=move || fields.with(|f| f.get("confirm_name").is_some()).to_string() aria-describedby="confirm-name-error" />
                    <p class="field-error" id="confirm-name-error" role="alert">{error("confirm_name")}</p>
                </div>
                {move || problem.get().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
                <div class="form-actions">
                    <button type="submit" class=move || if chosen.get() == Some(Act::Disable) { "primary" } else { "danger-button" }
                        aria-busy=move || busy.get().to_string()
                        disabled=move || busy.get() || (terminating() && typed.with(|t| t.trim().to_lowercase() != name.with_value(|n| n.to_lowercase())))>
                        {move || match (chosen.get(), busy.get()) {
                            (_, true) => "Working…",
                            (Some(Act::Disable), _) => "Disable customer",
                            (Some(Act::TerminateOn), _) => "Schedule termination",
                            _ => "Terminate customer",
                        }}
                    </button>
                    <button type="button" class="link-button" on:click=move |_| chosen.set(None)>"Cancel"</button>
                </div>
            </form>
        </dialog>
    }
}
