//! Layer 4 (the public surface): the timer futures [`sleep`], [`sleep_until`], [`timeout`], [`timeout_at`].
//!
//! Each costs one timer entry holding the waker of the task that polls it, and nothing
//! else: when the timer fires, the loop queues that waker, the task's step runs the next
//! iteration and sees from the deadline that its timer has fired. Dropping one before then
//! cancels its entry (O(1) with the wheel). They must be polled by a task of a running
//! [`EventLoop`](crate::EventLoop) and wake the task that first polled them; they are
//! `Send`, so they can live in futures handed to [`LoopHandle::spawn`](crate::LoopHandle::spawn).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use crate::error::TimeoutError;
use crate::running::running_loop;
use crate::scheduler::LoopInner;
use crate::timers::TimerId;

/// The running loop, for a timer future being polled.
fn loop_for(what: &str) -> std::rc::Rc<LoopInner> {
    running_loop().unwrap_or_else(|| panic!("{what}: no running event loop"))
}

/// Where the timer of a [`Sleep`] or [`Timeout`] is. A delay becomes a deadline at the
/// first pending poll, which is when asyncio's `sleep` / `wait_for` coroutines read the
/// clock (their first step): a future that completes without waiting never reads it. The
/// deadline is not needed once the entry is set, so the two share one enum rather than a
/// deadline lying beside an `Option` of entry: a `timeout` whose future is ready at once
/// then costs one word less to make, and that making is all it costs
/// (`loop/wait_for_ready`).
#[derive(Clone, Copy, Debug)]
enum TimerState {
    /// `sleep(Duration::ZERO)` before its poll: a bare yield of one iteration, no timer.
    Yield,
    /// `sleep(Duration::ZERO)` after it yielded.
    Yielded,
    After(Duration),
    At(Instant),
    /// The entry, on the loop with this id (see [`loop_id`]).
    Armed(usize, TimerId),
    /// Fired, cancelled or yielded: nothing left to cancel.
    Done,
}

/// Which loop holds a timer entry: timer ids are per loop.
fn loop_id(event_loop: &LoopInner) -> usize {
    std::sync::Arc::as_ptr(&event_loop.shared) as usize
}

/// A timer owned by a future. The `Drop` is on this wrapper rather than on [`TimerState`]
/// so that assigning a state drops nothing: with it, every assignment ran the drop glue,
/// which became recursive and stopped being inlined (a call per `timeout`).
struct Timer {
    state: TimerState,
}

impl Timer {
    fn new(state: TimerState) -> Self {
        Timer { state }
    }

    /// Arms the timer at the first call, then `Ready` once it has fired. A zero sleep
    /// instead wakes itself once and is `Ready` at the next call.
    fn poll_fired(&mut self, what: &str, cx: &Context<'_>) -> Poll<()> {
        let deadline = match self.state {
            TimerState::Yield => {
                self.state = TimerState::Yielded;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            TimerState::Yielded | TimerState::Done => {
                self.state = TimerState::Done;
                return Poll::Ready(());
            }
            TimerState::After(delay) => Instant::now() + delay,
            TimerState::At(at) => at,
            TimerState::Armed(owner, id) => {
                let event_loop = loop_for(what);
                if owner == loop_id(&event_loop) && event_loop.timer_fired(id) {
                    self.state = TimerState::Done;
                    return Poll::Ready(());
                }
                return Poll::Pending;
            }
        };
        let event_loop = loop_for(what);
        let id = event_loop.insert_timer(deadline, event_loop.wake_entry(cx.waker()));
        self.state = TimerState::Armed(loop_id(&event_loop), id);
        Poll::Pending
    }

    /// Cancels a pending entry. Only on the running loop that holds it: a closed loop has
    /// dropped its timers already, and anywhere else leaving the entry to fire is harmless
    /// (it wakes a task that ignores the wake).
    ///
    /// Inline so that a timer never armed (a `timeout` whose future was ready at once)
    /// costs one branch, folded away where the compiler sees the state.
    #[inline(always)]
    fn cancel(&mut self) {
        if let TimerState::Armed(owner, id) = self.state {
            self.state = TimerState::Done;
            Self::cancel_armed(owner, id);
        }
    }

    #[inline(never)]
    fn cancel_armed(owner: usize, id: TimerId) {
        if let Some(event_loop) = running_loop()
            && owner == loop_id(&event_loop)
            && !event_loop.timer_fired(id)
        {
            event_loop.cancel_timer(id);
        }
    }
}

impl Drop for Timer {
    #[inline(always)]
    fn drop(&mut self) {
        self.cancel();
    }
}

/// The future of [`sleep`] and [`sleep_until`]. Its `Default` is `sleep(Duration::ZERO)`.
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    timer: Timer,
}

impl Default for Sleep {
    fn default() -> Self {
        Sleep {
            timer: Timer::new(TimerState::Yield),
        }
    }
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
    let state = if delay.is_zero() {
        TimerState::Yield
    } else {
        TimerState::After(delay)
    };
    Sleep {
        timer: Timer::new(state),
    }
}

/// Completes at `when`, or the iteration after next if it has passed.
pub fn sleep_until(when: Instant) -> Sleep {
    Sleep {
        timer: Timer::new(TimerState::At(when)),
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.timer.poll_fired("sleep", cx)
    }
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sleep")
            .field("state", &self.timer.state)
            .finish()
    }
}

pin_project! {
    /// The future of [`timeout`] and [`timeout_at`]: `Ok(output)`, or `Err(TimeoutError)`
    /// once the deadline passed, with the inner future dropped first.
    #[must_use = "futures do nothing unless awaited"]
    pub struct Timeout<F> {
        #[pin]
        future: Option<F>,
        timer: Timer,
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
        timer: Timer::new(TimerState::After(delay)),
    }
}

/// Runs `future` until `when` at the latest; see [`timeout`].
pub fn timeout_at<F: Future>(when: Instant, future: F) -> Timeout<F> {
    Timeout {
        future: Some(future),
        timer: Timer::new(TimerState::At(when)),
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
        if this.timer.poll_fired("timeout", cx).is_pending() {
            return Poll::Pending;
        }
        this.future.set(None);
        Poll::Ready(Err(TimeoutError))
    }
}
