//! A request a button sends (save, create, run, sync): whether one is on its way, and what its
//! answer does.
//!
//! In place of leptos' `Action`: each use of one brings its generic machinery (input, value and
//! version signals, an owner per dispatch, the effect that reads the value back) into the
//! chunk of the page that uses it, about 4 KB of a route's cold load (BENCHMARKS.md). A
//! [`Request`] is one signal and a spawned future whose answer goes straight to its handler.

use leptos::prelude::*;
use std::future::Future;

/// Whether a request is on its way; [`Request::send`] sends one.
#[derive(Clone, Copy)]
pub struct Request(RwSignal<bool>);

impl Default for Request {
    fn default() -> Self {
        Self::new()
    }
}

impl Request {
    pub fn new() -> Self {
        Self(RwSignal::new(false))
    }

    /// Whether a request is on its way (tracked: for `disabled`, `aria-busy` and "Saving…").
    pub fn pending(self) -> bool {
        self.0.get()
    }

    /// Sends `request` unless one is already on its way (a second press does nothing), then
    /// hands its answer to `done`, unless the view that made this request is gone by then.
    pub fn send<T: 'static>(self, request: impl Future<Output = T> + 'static, done: impl FnOnce(T) + 'static) {
        if self.0.get_untracked() {
            return;
        }
        self.0.set(true);
        leptos::task::spawn_local(async move {
            let answer = request.await;
            if self.0.is_disposed() {
                return;
            }
            self.0.set(false);
            done(answer);
        });
    }
}
