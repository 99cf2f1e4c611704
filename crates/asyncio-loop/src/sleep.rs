//! Timer futures: [`sleep`], [`sleep_until`], [`timeout`], [`timeout_at`].
//!
//! Each costs one timer entry holding the waker of the task that polls it, and nothing
//! else: when the timer fires, the loop queues that waker, the task's step runs the next
//! iteration and sees from the deadline that its timer has fired. Dropping one before then
//! cancels its entry (O(1) with the wheel). They must be polled by a task of a running
//! [`EventLoop`](crate::EventLoop) and wake the task that first polled them; they are
//! `Send`, so they can live in futures handed to [`LoopHandle::spawn`](crate::LoopHandle::spawn).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use crate::current::running_loop;
use crate::error::TimeoutError;
use crate::event_loop::LoopInner;
use crate::timers::TimerId;

/// The running loop, for a timer future being polled.
fn loop_for(what: &str) -> std::rc::Rc<LoopInner> {
    running_loop().unwrap_or_else(|| panic!("{what}: no running event loop"))
}

/// When a timer future ends. A delay becomes a deadline at the first poll, which is when
/// asyncio's `sleep` / `wait_for` coroutines read the clock (their first step); a future
/// that completes without waiting never reads it.
#[derive(Debug, Clone, Copy)]
enum When {
    After(Duration),
    At(Instant),
}

impl When {
    fn deadline(self) -> Instant {
        match self {
            When::After(delay) => Instant::now() + delay,
            When::At(at) => at,
        }
    }
}

/// A timer entry owned by a future: which loop holds it, and its id there.
#[derive(Default)]
struct TimerSlot {
    timer: Option<(usize, TimerId)>,
}

impl TimerSlot {
    fn loop_id(event_loop: &LoopInner) -> usize {
        Arc::as_ptr(&event_loop.shared) as usize
    }

    /// `Some(true)` once the timer has fired, `Some(false)` while pending, `None` when no
    /// timer is set (first poll).
    fn fired(&self, event_loop: &LoopInner) -> Option<bool> {
        let (owner, id) = self.timer?;
        Some(owner == Self::loop_id(event_loop) && event_loop.timer_fired(id))
    }

    fn set(&mut self, event_loop: &LoopInner, deadline: Instant, cx: &Context<'_>) {
        let id = event_loop.insert_timer(deadline, event_loop.wake_entry(cx.waker()));
        self.timer = Some((Self::loop_id(event_loop), id));
    }

    /// Cancels a pending entry. Only on the running loop that holds it: a closed loop has
    /// dropped its timers already, and anywhere else leaving the entry to fire is harmless
    /// (it wakes a task that ignores the wake).
    ///
    /// Inline so that the common case of a future that never armed its timer (a `timeout`
    /// whose future was ready at once) costs one branch.
    #[inline(always)]
    fn cancel(&mut self) {
        if let Some(timer) = self.timer.take() {
            Self::cancel_armed(timer);
        }
    }

    #[inline(never)]
    fn cancel_armed((owner, id): (usize, TimerId)) {
        if let Some(event_loop) = running_loop()
            && owner == Self::loop_id(&event_loop)
            && !event_loop.timer_fired(id)
        {
            event_loop.cancel_timer(id);
        }
    }
}

impl Drop for TimerSlot {
    #[inline(always)]
    fn drop(&mut self) {
        self.cancel();
    }
}

/// The future of [`sleep`] and [`sleep_until`].
#[derive(Default)]
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    /// `None`: `sleep(Duration::ZERO)`, a bare yield of one iteration.
    when: Option<When>,
    yielded: bool,
    done: bool,
    slot: TimerSlot,
}

/// Completes `delay` after its first poll (asyncio's `sleep`, whose coroutine reads the
/// clock when it starts). `sleep(Duration::ZERO)` yields exactly one loop iteration and
/// sets no timer.
///
/// ```
/// use std::time::Duration;
/// asyncio_loop::EventLoop::new()
///     .run_until_complete(asyncio_loop::sleep(Duration::from_millis(2)))
///     .unwrap();
/// ```
pub fn sleep(delay: Duration) -> Sleep {
    if delay.is_zero() {
        Sleep::default()
    } else {
        Sleep {
            when: Some(When::After(delay)),
            ..Sleep::default()
        }
    }
}

/// Completes at `when`, or the iteration after next if it has passed.
pub fn sleep_until(when: Instant) -> Sleep {
    Sleep {
        when: Some(When::At(when)),
        ..Sleep::default()
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.done {
            return Poll::Ready(());
        }
        let Some(when) = self.when else {
            if self.yielded {
                self.done = true;
                return Poll::Ready(());
            }
            self.yielded = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        };
        let event_loop = loop_for("sleep");
        match self.slot.fired(&event_loop) {
            None => {
                self.slot.set(&event_loop, when.deadline(), cx);
                Poll::Pending
            }
            Some(false) => Poll::Pending,
            Some(true) => {
                self.slot.timer = None;
                self.done = true;
                Poll::Ready(())
            }
        }
    }
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sleep")
            .field("when", &self.when)
            .field("done", &self.done)
            .finish()
    }
}

/// Where the timer of a [`Timeout`] is: the deadline it sets at its first pending poll,
/// then the entry it set. One enum, not a deadline beside an `Option` of entry (as
/// [`Sleep`] keeps them), because a `timeout` whose future is ready at once then writes one
/// word less when it is made (`loop/wait_for_ready`: the whole cost of such a timeout is
/// those writes).
#[derive(Clone, Copy)]
enum TimerState {
    After(Duration),
    At(Instant),
    /// The entry, on the loop with this id; see [`TimerSlot::loop_id`].
    Armed(usize, TimerId),
    /// Fired, or cancelled: nothing left to cancel.
    Done,
}

/// The timer of a [`Timeout`]. The `Drop` is here rather than on [`TimerState`] so that
/// assigning a state drops nothing (with it, each assignment would run the drop glue).
struct TimeoutTimer {
    state: TimerState,
}

impl TimeoutTimer {
    /// Arms the timer at the first call, then `Ready` once it has fired.
    fn poll_fired(&mut self, cx: &Context<'_>) -> Poll<()> {
        let event_loop = loop_for("timeout");
        let deadline = match self.state {
            TimerState::After(delay) => Instant::now() + delay,
            TimerState::At(at) => at,
            TimerState::Armed(owner, id) => {
                if owner == TimerSlot::loop_id(&event_loop) && event_loop.timer_fired(id) {
                    self.state = TimerState::Done;
                    return Poll::Ready(());
                }
                return Poll::Pending;
            }
            TimerState::Done => return Poll::Ready(()),
        };
        let id = event_loop.insert_timer(deadline, event_loop.wake_entry(cx.waker()));
        self.state = TimerState::Armed(TimerSlot::loop_id(&event_loop), id);
        Poll::Pending
    }

    /// Inline so that a timeout that never armed its timer pays one branch, folded away
    /// where the compiler sees the state.
    #[inline(always)]
    fn cancel(&mut self) {
        if let TimerState::Armed(owner, id) = self.state {
            self.state = TimerState::Done;
            TimerSlot::cancel_armed((owner, id));
        }
    }
}

impl Drop for TimeoutTimer {
    #[inline(always)]
    fn drop(&mut self) {
        self.cancel();
    }
}

pin_project! {
    /// The future of [`timeout`] and [`timeout_at`]: `Ok(output)`, or `Err(TimeoutError)`
    /// once the deadline passed, with the inner future dropped first.
    #[must_use = "futures do nothing unless awaited"]
    pub struct Timeout<F> {
        #[pin]
        future: Option<F>,
        timer: TimeoutTimer,
    }
}

/// Runs `future` for at most `delay` from the first poll (asyncio's `wait_for`). A future
/// that is ready at once costs no timer and no clock read; otherwise one timer entry,
/// cancelled when the future wins.
///
/// ```
/// use std::time::Duration;
/// use asyncio_loop::{EventLoop, TimeoutError, sleep, timeout};
///
/// let out = EventLoop::new().run_until_complete(async {
///     timeout(Duration::from_millis(1), sleep(Duration::from_secs(60))).await
/// });
/// assert_eq!(out, Ok(Err(TimeoutError)));
/// ```
pub fn timeout<F: Future>(delay: Duration, future: F) -> Timeout<F> {
    Timeout {
        future: Some(future),
        timer: TimeoutTimer {
            state: TimerState::After(delay),
        },
    }
}

/// Runs `future` until `when` at the latest; see [`timeout`].
pub fn timeout_at<F: Future>(when: Instant, future: F) -> Timeout<F> {
    Timeout {
        future: Some(future),
        timer: TimeoutTimer {
            state: TimerState::At(when),
        },
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, TimeoutError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            panic!("timeout: polled after completion");
        };
        if let Poll::Ready(output) = future.poll(cx) {
            this.future.set(None);
            this.timer.cancel();
            return Poll::Ready(Ok(output));
        }
        if this.timer.poll_fired(cx).is_pending() {
            return Poll::Pending;
        }
        this.future.set(None);
        Poll::Ready(Err(TimeoutError))
    }
}
