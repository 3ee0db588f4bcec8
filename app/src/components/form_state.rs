//! The state every form in the portal keeps, in one place: the value being edited, the
//! verdict of the same `model` rules the server applies (recomputed as the user types), which
//! fields were touched, whether a submit was attempted, what the server refused, and whether
//! the last save went through.
//!
//! A field's error shows once the field was touched or a submit was attempted; before that it
//! stays quiet so an empty form does not shout. The server's verdict (a taken name, a rule only
//! it can check) shows until that field is edited again.

use leptos::prelude::*;
use model::FieldErrors;
use std::collections::HashSet;

pub struct FormState<T: Send + Sync + 'static> {
    value: RwSignal<T>,
    verdict: Memo<FieldErrors>,
    touched: RwSignal<HashSet<&'static str>>,
    attempted: RwSignal<bool>,
    server: RwSignal<FieldErrors>,
    saved: RwSignal<bool>,
    /// The value as last opened or saved: what "unsaved changes" are measured against.
    baseline: RwSignal<T>,
}

impl<T: Send + Sync + 'static> Clone for FormState<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for FormState<T> {}

impl<T: Clone + Send + Sync + 'static> FormState<T> {
    /// A form over `initial`, checked by `rules` (which may read other signals, e.g. the
    /// chosen template's kind).
    pub fn new(initial: T, rules: impl Fn(&T) -> FieldErrors + Send + Sync + 'static) -> Self {
        let value = RwSignal::new(initial.clone());
        Self {
            baseline: RwSignal::new(initial),
            value,
            verdict: Memo::new(move |_| value.with(&rules)),
            touched: RwSignal::new(HashSet::new()),
            attempted: RwSignal::new(false),
            server: RwSignal::new(FieldErrors::new()),
            saved: RwSignal::new(false),
        }
    }

    /// The value as edited so far (tracked).
    pub fn value(&self) -> Signal<T> {
        self.value.into()
    }

    /// Reads the value (tracked) without cloning it.
    pub fn with_value<R>(&self, read: impl FnOnce(&T) -> R) -> R {
        self.value.with(read)
    }

    pub fn get_untracked(&self) -> T {
        self.value.get_untracked()
    }

    /// The value itself, for a widget that edits it in place (e.g. the roles editor).
    pub fn signal(&self) -> RwSignal<T> {
        self.value
    }

    /// One part of the value, tracked.
    pub fn read<R: Send + Sync + 'static>(&self, part: impl Fn(&T) -> R + Send + Sync + 'static) -> Signal<R> {
        let value = self.value;
        Signal::derive(move || value.with(&part))
    }

    /// The client-side verdict, as the user types.
    pub fn verdict(&self) -> Memo<FieldErrors> {
        self.verdict
    }

    /// What to show beside `key`: the rules' verdict once it matters, else the server's.
    pub fn error(&self, key: &'static str) -> Signal<Option<String>> {
        let this = *self;
        Signal::derive(move || {
            let shown = this.attempted.get() || this.touched.with(|t| t.contains(key));
            shown
                .then(|| this.verdict.with(|e| e.get(key).map(str::to_owned)))
                .flatten()
                .or_else(|| this.server.with(|e| e.get(key).map(str::to_owned)))
        })
    }

    /// The user changed `key`: apply it, mark the field touched and drop the server's stale
    /// verdict on it.
    pub fn edit(&self, key: &'static str, change: impl FnOnce(&mut T)) {
        self.saved.set(false);
        self.value.update(change);
        self.touched.update(|t| {
            t.insert(key);
        });
        self.server.update(|e| e.0.retain(|f| f.field != key));
    }

    /// A text field's value and input handler.
    pub fn text(&self, key: &'static str, get: fn(&T) -> &String, set: fn(&mut T) -> &mut String) -> (Signal<String>, Callback<String>) {
        let this = *self;
        (self.read(move |v| get(v).clone()), Callback::new(move |input: String| this.edit(key, |v| *set(v) = input)))
    }

    /// A checkbox's value and change handler.
    pub fn flag(&self, key: &'static str, get: fn(&T) -> bool, set: fn(&mut T) -> &mut bool) -> (Signal<bool>, Callback<bool>) {
        let this = *self;
        (self.read(get), Callback::new(move |on: bool| this.edit(key, |v| *set(v) = on)))
    }

    /// A submit: every problem shows from now on. True when the rules let it be sent.
    pub fn attempt(&self) -> bool {
        self.attempted.set(true);
        self.saved.set(false);
        self.verdict.with_untracked(FieldErrors::is_empty)
    }

    /// Shows every problem (e.g. when returning to a step that the server refused).
    pub fn show_all(&self) {
        self.attempted.set(true);
    }

    /// The server refused the save: its verdicts go beside their fields.
    pub fn refuse(&self, found: FieldErrors) {
        self.server.set(found);
    }

    /// Drops the server's verdict on `key` (an edit elsewhere made it stale).
    pub fn forget_refusal(&self, key: &'static str) {
        self.server.update(|e| e.0.retain(|f| f.field != key));
    }

    /// The server accepted the save: the form starts clean and says so.
    pub fn mark_saved(&self) {
        self.baseline.set(self.value.get_untracked());
        self.touched.set(HashSet::new());
        self.attempted.set(false);
        self.server.set(FieldErrors::new());
        self.saved.set(true);
    }

    /// Starts over from `value`, as if the form had just opened.
    pub fn reset(&self, value: T) {
        self.baseline.set(value.clone());
        self.value.set(value);
        self.touched.set(HashSet::new());
        self.attempted.set(false);
        self.server.set(FieldErrors::new());
        self.saved.set(false);
    }

    /// Whether the last save went through and nothing was edited since.
    pub fn saved(&self) -> Signal<bool> {
        self.saved.into()
    }
}

impl<T: Clone + PartialEq + Send + Sync + 'static> FormState<T> {
    /// Whether the value differs from the one last opened or saved (tracked).
    pub fn changed(&self) -> Signal<bool> {
        let (value, baseline) = (self.value, self.baseline);
        Signal::derive(move || baseline.with(|b| value.with(|v| v != b)))
    }

    /// Asks before a link throws this form's unsaved changes away (see [`super::unsaved`]).
    pub fn guard_unsaved(&self) {
        super::unsaved::guard(self.changed());
    }
}
