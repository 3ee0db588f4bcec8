//! The question asked before a change that cannot be taken back (delete, rotate a secret).

use crate::AppError;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::future::Future;

/// A modal `alertdialog`, open while `target` holds something. Its confirm button runs `action`
/// on the target once (a second press while it runs does nothing); on success the dialog
/// closes and `on_done` gets the target and the answer, and a refusal replaces the question in
/// place, with only "Close" left. Escape, "Cancel" and "Close" close it without a change, and
/// "Cancel" has the focus when it opens, so Enter never confirms by accident.
#[component]
pub fn ConfirmDialog<T, R, F, Fut>(
    target: RwSignal<Option<T>>,
    /// Prefix of the ids of its title (`{id}-title`) and text (`{id}-text`).
    id: &'static str,
    title: &'static str,
    /// The question, for the target.
    question: Callback<T, AnyView>,
    /// Why the change cannot be made at all, if it cannot (then there is no confirm button).
    #[prop(optional, into)]
    impossible: Option<Callback<T, Option<String>>>,
    confirm_label: &'static str,
    busy_label: &'static str,
    /// A destructive change gets the danger style; otherwise the primary one.
    #[prop(optional)]
    danger: bool,
    action: F,
    on_done: Callback<(T, R)>,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    R: 'static,
    F: Fn(T) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<R, AppError>> + 'static,
{
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let refusal = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    Effect::new(move |_| {
        let open = target.with(Option::is_some);
        if let Some(d) = dialog.get() {
            if open && !d.open() {
                refusal.set(None);
                let _ = d.show_modal();
            } else if !open && d.open() {
                d.close();
            }
        }
    });
    let why_not = move |t: &T| impossible.and_then(|why| why.run(t.clone()));
    // Nothing left to confirm: the server refused, or the change is impossible.
    let blocked = move || refusal.with(Option::is_some) || target.with(|t| t.as_ref().and_then(why_not).is_some());
    let confirm = move |_| {
        let Some(t) = target.get_untracked() else { return };
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let result = action(t.clone()).await;
            busy.set(false);
            match result {
                Ok(answer) => {
                    target.set(None);
                    on_done.run((t, answer));
                }
                Err(e) => refusal.set(Some(e.to_string())),
            }
        });
    };
    let title_id = format!("{id}-title");
    let text_id = format!("{id}-text");
    let labelled_by = title_id.clone();
    let text_id_for_body = text_id.clone();
    view! {
        <dialog node_ref=dialog class="confirm-dialog" role="alertdialog" aria-labelledby=labelled_by
            aria-describedby=text_id on:close=move |_| target.set(None)>
            <h2 id=title_id>{title}</h2>
            {move || {
                let text_id = text_id_for_body.clone();
                match (refusal.get(), target.get()) {
                    (Some(r), _) => view! { <p id=text_id class="form-error" role="alert">{r}</p> }.into_any(),
                    (None, Some(t)) => match why_not(&t) {
                        Some(why) => view! { <p id=text_id>{why}</p> }.into_any(),
                        None => view! { <p id=text_id>{question.run(t)}</p> }.into_any(),
                    },
                    (None, None) => view! { <p id=text_id></p> }.into_any(),
                }
            }}
            <div class="form-actions">
                <Show when=move || !blocked()>
                    <button type="button" class=if danger { "danger-button" } else { "primary" } aria-busy=move || busy.get().to_string() on:click=confirm>
                        {move || if busy.get() { busy_label } else { confirm_label }}
                    </button>
                </Show>
                <button type="button" class="link-button" autofocus on:click=move |_| target.set(None)>
                    {move || if blocked() { "Close" } else { "Cancel" }}
                </button>
            </div>
        </dialog>
    }
}
