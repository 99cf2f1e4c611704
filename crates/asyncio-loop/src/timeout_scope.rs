//! Layer 4 (the public surface): [`TimeoutScope`], asyncio 3.11's `asyncio.timeout()`
//! context manager as an object: its deadline can be read and moved from inside the work
//! it bounds (`when()`, `reschedule()`), and it says afterwards whether it fired
//! (`expired()`). The work runs in a [`Timeout`] (`sleep.rs`), so a deadline that passes
//! cancels it exactly as `timeout` does; the scope only tells that `Timeout` when its
//! deadline moved.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use crate::error::TimeoutError;
use crate::sleep::{Timeout, timeout_at};
use crate::timers::saturating_add;

/// When a scope's deadline is.
#[derive(Clone, Copy, Debug)]
enum Deadline {
    Never,
    /// A delay from the moment the scope is entered (its first poll).
    After(Duration),
    At(Instant),
}

#[derive(Debug)]
struct ScopeState {
    deadline: Cell<Deadline>,
    /// Bumped by every `reschedule`, so the running work sees the change.
    generation: Cell<u64>,
    expired: Cell<bool>,
}

/// asyncio's `asyncio.timeout(delay)` / `timeout_at(when)` object: a deadline for the work
/// given to [`run`](Self::run), readable and movable from inside that work through a clone.
///
/// ```
/// use std::time::{Duration, Instant};
/// use asyncio_loop::{EventLoop, TimeoutScope, sleep};
///
/// EventLoop::new().run_until_complete(async {
///     let scope = TimeoutScope::new(None); // asyncio.timeout(None): no deadline yet
///     let inside = scope.clone();
///     let out = scope
///         .run(async move {
///             assert_eq!(inside.when(), None);
///             inside.reschedule(Some(Instant::now() + Duration::from_millis(5)));
///             sleep(Duration::from_secs(3600)).await;
///         })
///         .await;
///     assert!(out.is_err() && scope.expired());
/// })
/// .unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct TimeoutScope {
    state: Rc<ScopeState>,
}

impl TimeoutScope {
    /// asyncio's `timeout(delay)`: the deadline is `delay` after the scope is entered (the
    /// first poll of [`run`](Self::run)'s future); `None`: no deadline until one is set.
    pub fn new(delay: Option<Duration>) -> TimeoutScope {
        TimeoutScope::with(delay.map_or(Deadline::Never, Deadline::After))
    }

    /// asyncio's `timeout_at(when)`.
    pub fn at(when: Option<Instant>) -> TimeoutScope {
        TimeoutScope::with(when.map_or(Deadline::Never, Deadline::At))
    }

    fn with(deadline: Deadline) -> TimeoutScope {
        TimeoutScope {
            state: Rc::new(ScopeState {
                deadline: Cell::new(deadline),
                generation: Cell::new(0),
                expired: Cell::new(false),
            }),
        }
    }

    /// asyncio's `when()`: the deadline (`None`: none, or a delay not yet entered).
    pub fn when(&self) -> Option<Instant> {
        match self.state.deadline.get() {
            Deadline::At(at) => Some(at),
            Deadline::Never | Deadline::After(_) => None,
        }
    }

    /// asyncio's `reschedule(when)`: moves the deadline (`None`: no deadline).
    ///
    /// # Panics
    ///
    /// Once the deadline has passed, with asyncio's message, "Cannot change state of
    /// expired Timeout".
    pub fn reschedule(&self, when: Option<Instant>) {
        assert!(
            !self.state.expired.get(),
            "Cannot change state of expired Timeout"
        );
        self.state
            .deadline
            .set(when.map_or(Deadline::Never, Deadline::At));
        self.state.generation.set(self.state.generation.get() + 1);
    }

    /// asyncio's `expired()`: whether the deadline passed while the work was pending.
    pub fn expired(&self) -> bool {
        self.state.expired.get()
    }

    /// asyncio's `async with scope:` around `future`: its output, or `Err(TimeoutError)`
    /// once the deadline passed and `future` finished its cancellation (see
    /// [`timeout`](crate::timeout)). Cancel safety: as `timeout`'s.
    pub fn run<F: Future>(&self, future: F) -> Scoped<F> {
        Scoped {
            timeout: timeout_at(far_future(), future),
            scope: self.clone(),
            seen: None,
        }
    }
}

/// A placeholder deadline replaced at the first poll.
fn far_future() -> Instant {
    saturating_add(Instant::now(), Duration::MAX)
}

pin_project! {
    /// The future of [`TimeoutScope::run`].
    #[must_use = "futures do nothing unless awaited"]
    pub struct Scoped<F> {
        #[pin]
        timeout: Timeout<F>,
        scope: TimeoutScope,
        // The scope's generation the timer was last set from (`None`: not entered).
        seen: Option<u64>,
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = Result<F::Output, TimeoutError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let state = &this.scope.state;
        if this.seen.is_none()
            && let Deadline::After(delay) = state.deadline.get()
        {
            let at = saturating_add(Instant::now(), delay);
            state.deadline.set(Deadline::At(at));
        }
        sync(this.timeout.as_mut(), state, this.seen);
        let polled = this.timeout.as_mut().poll(cx);
        if polled.is_pending() && sync(this.timeout.as_mut(), state, this.seen) {
            // Moved from inside the work: the new deadline is armed at the next poll.
            cx.waker().wake_by_ref();
        }
        if this.timeout.expired() {
            state.expired.set(true);
        }
        polled
    }
}

/// Hands the scope's deadline to the timeout if it moved since `seen`; whether it did.
fn sync<F>(timeout: Pin<&mut Timeout<F>>, state: &ScopeState, seen: &mut Option<u64>) -> bool {
    let generation = state.generation.get();
    if *seen == Some(generation) || timeout.expired() {
        return false;
    }
    *seen = Some(generation);
    let when = match state.deadline.get() {
        Deadline::At(at) => Some(at),
        Deadline::Never | Deadline::After(_) => None,
    };
    timeout.reschedule(when);
    true
}
