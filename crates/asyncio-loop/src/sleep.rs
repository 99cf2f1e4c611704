//! Layer 4 (the public surface): the timer futures [`sleep`], [`sleep_until`], [`timeout`], [`timeout_at`].
//!
//! Each costs one timer entry holding the waker of the task that polls it, and nothing
//! else: when the timer fires, the loop queues that waker, the task's step runs the next
//! iteration and sees from the deadline that its timer has fired. Dropping one before then
//! cancels its entry (O(1) with the wheel). They must be polled by a task of a running
//! [`EventLoop`](crate::EventLoop) and wake the task that polled them last, also after
//! moving to another task or another loop, which keeps their deadline; they are `Send`,
//! so they can live in futures handed to [`LoopHandle::spawn`](crate::LoopHandle::spawn).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use crate::catch::{
    Expiry, after_forwarded, awaited, expire, forget_awaited, forwarded_cancelled, take_own,
};
use crate::error::TimeoutError;
use crate::running::running_loop;
use crate::scheduler::{LoopInner, epoch};
use crate::shared::LoopId;
use crate::task::note_waiting;
use crate::timers::{TimerId, saturating_add};
use crate::waiting::Waiting;

/// The running loop, for a timer future being polled.
fn loop_for(what: &str) -> std::rc::Rc<LoopInner> {
    running_loop().unwrap_or_else(|| panic!("{what}: no running event loop"))
}

/// Where the timer of a [`Sleep`] or [`Timeout`] is. A delay becomes a deadline at the
/// first pending poll, which is when asyncio's `sleep` / `wait_for` coroutines read the
/// clock (their first step): a future that completes without waiting never reads it.
///
/// The armed state keeps its deadline, to arm the timer again on another loop. Three words
/// hold it all: the deadline takes one (see [`Deadline`]), and the states without an entry
/// sit in [`Idle`], which the zero that no loop id is tells apart from `Armed` (one niche
/// serves a two-variant enum; a flat one would need a tag word). So a `timeout` whose
/// future is ready at once costs no more than three words to make, which is all it costs
/// (`loop/wait_for_ready`); a unit test pins the size.
#[derive(Clone, Copy, Debug)]
enum TimerState {
    /// No entry to look after.
    Idle(Idle),
    /// The entry `id`, on the loop `owner` (timer ids are per loop), due at `deadline`.
    Armed {
        owner: LoopId,
        id: TimerId,
        deadline: Deadline,
    },
}

/// A timer without an entry: not armed yet, or over.
#[derive(Clone, Copy, Debug)]
enum Idle {
    /// `sleep(Duration::ZERO)` before its poll: a bare yield of one iteration, no timer.
    Yield,
    /// `sleep(Duration::ZERO)` after it yielded.
    Yielded,
    After(Duration),
    At(Deadline),
    /// Fired, cancelled or yielded: nothing left to cancel.
    Done,
}

/// Which loop holds a timer entry: its never-reused id, so that a loop made after the
/// entry's loop was dropped, even at the same address, is not taken for it.
fn loop_id(event_loop: &LoopInner) -> LoopId {
    event_loop.shared.id()
}

/// A deadline in one word: nanoseconds since the loops' common epoch (`time()`'s), where an
/// `Instant` takes two. Instants before the epoch read as the epoch (both are past), and it
/// saturates 584 years after it, which is never in practice.
#[derive(Clone, Copy, Debug)]
struct Deadline(u64);

impl Deadline {
    fn new(at: Instant) -> Deadline {
        let since = at.saturating_duration_since(epoch()).as_nanos();
        Deadline(u64::try_from(since).unwrap_or(u64::MAX))
    }

    fn instant(self) -> Instant {
        saturating_add(epoch(), Duration::from_nanos(self.0))
    }
}

/// Tells the task dump that the running task sleeps until `deadline`, when the timer is a
/// sleep's: a timeout's timer is not what its task waits on (its future is, and said so).
fn note_sleep(what: &str, deadline: Instant) {
    if what == "sleep" {
        note_waiting(Waiting::sleep(deadline));
    }
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
    ///
    /// The timer wakes whoever polled it last: a future moved to another task after its
    /// first poll points its entry at the new task (the old one's wake-up would leave it
    /// waiting forever), and one moved to another loop is armed again there with the same
    /// deadline (its entry on the first loop, if that loop still runs, wakes the old task
    /// once for nothing).
    #[inline(always)]
    fn poll_fired(&mut self, what: &str, cx: &Context<'_>) -> Poll<()> {
        // The yield of `sleep(Duration::ZERO)` is the hottest use of this type: its two
        // polls stay inline and small, and everything that touches a timer is out of line
        // (inlined, it made every yield pay the larger function's prologue).
        match self.state {
            TimerState::Idle(Idle::Yield) => {
                self.state = TimerState::Idle(Idle::Yielded);
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            TimerState::Idle(Idle::Yielded | Idle::Done) => {
                self.state = TimerState::Idle(Idle::Done);
                Poll::Ready(())
            }
            _ => self.poll_timer(what, cx),
        }
    }

    /// [`poll_fired`](Self::poll_fired) for a timer that is, or is about to be, armed.
    #[inline(never)]
    fn poll_timer(&mut self, what: &str, cx: &Context<'_>) -> Poll<()> {
        let event_loop;
        let deadline = match self.state {
            TimerState::Idle(Idle::Yield | Idle::Yielded | Idle::Done) => {
                unreachable!("poll_fired handles the states without a timer")
            }
            TimerState::Idle(Idle::After(delay)) => {
                event_loop = loop_for(what);
                // `Duration::MAX` is "never": past `Instant`'s range it saturates to a
                // deadline that never comes instead of panicking.
                saturating_add(Instant::now(), delay)
            }
            TimerState::Idle(Idle::At(at)) => {
                event_loop = loop_for(what);
                at.instant()
            }
            TimerState::Armed {
                owner,
                id,
                deadline,
            } => {
                event_loop = loop_for(what);
                if owner != loop_id(&event_loop) {
                    deadline.instant()
                } else if event_loop.retarget_timer(id, cx.waker()) {
                    note_sleep(what, deadline.instant());
                    return Poll::Pending;
                } else {
                    self.state = TimerState::Idle(Idle::Done);
                    return Poll::Ready(());
                }
            }
        };
        let id = event_loop.insert_timer(deadline, event_loop.wake_entry(cx.waker()));
        self.state = TimerState::Armed {
            owner: loop_id(&event_loop),
            id,
            deadline: Deadline::new(deadline),
        };
        note_sleep(what, deadline);
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
        if let TimerState::Armed { owner, id, .. } = self.state {
            self.state = TimerState::Idle(Idle::Done);
            Self::cancel_armed(owner, id);
        }
    }

    /// Forgets the entry and sets a new deadline, armed at the next poll (`None`: never).
    fn reset(&mut self, when: Option<Instant>) {
        self.cancel();
        self.state = TimerState::Idle(match when {
            Some(at) => Idle::At(Deadline::new(at)),
            None => Idle::After(Duration::MAX),
        });
    }

    /// The deadline, once known (a delay becomes one at the first pending poll); `None`
    /// also for "never".
    fn when(&self) -> Option<Instant> {
        let deadline = match self.state {
            TimerState::Idle(Idle::At(at)) | TimerState::Armed { deadline: at, .. } => at,
            TimerState::Idle(_) => return None,
        };
        (deadline.0 != u64::MAX).then(|| deadline.instant())
    }

    #[inline(never)]
    fn cancel_armed(owner: LoopId, id: TimerId) {
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
            timer: Timer::new(TimerState::Idle(Idle::Yield)),
        }
    }
}

/// Completes `delay` after its first poll (asyncio's `sleep`, whose coroutine reads the
/// clock when it starts). `sleep(Duration::ZERO)` yields exactly one loop iteration and
/// sets no timer; `sleep(Duration::MAX)` (or any delay past what `Instant` can hold) never
/// completes.
///
/// ```
/// use std::time::Duration;
/// asyncio_loop::EventLoop::new()
///     .run_until_complete(asyncio_loop::sleep(Duration::from_millis(2)))
///     .unwrap();
/// ```
pub fn sleep(delay: Duration) -> Sleep {
    let state = if delay.is_zero() {
        Idle::Yield
    } else {
        Idle::After(delay)
    };
    Sleep {
        timer: Timer::new(TimerState::Idle(state)),
    }
}

/// Completes at `when`, or the iteration after next if it has passed.
pub fn sleep_until(when: Instant) -> Sleep {
    Sleep {
        timer: Timer::new(TimerState::Idle(Idle::At(Deadline::new(when)))),
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
    /// once the deadline passed and the inner future has been cancelled.
    #[project = TimeoutProj]
    #[must_use = "futures do nothing unless awaited"]
    pub struct Timeout<F> {
        #[pin]
        future: Option<F>,
        timer: Timer,
        phase: Phase,
    }
}

/// Where a [`Timeout`] is after its deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// The deadline has not passed.
    Running,
    /// The future was awaiting a task, which is being cancelled: wait for its end.
    Forwarded,
    /// The future was awaiting a gather (a `CancelTarget`), now cancelled: its end is the
    /// timeout.
    ForwardedTarget,
    /// The cancellation went to the catch scopes inside: wait for the future to end or to
    /// pass it back.
    Delivered,
    /// Over: the timeout was reported.
    Expired,
}

/// Runs `future` for at most `delay` from the first poll (asyncio's `wait_for`). A future
/// that is ready at once costs no timer and no clock read; otherwise one timer entry,
/// cancelled when the future wins. `Duration::MAX` never times out.
///
/// At the deadline the future is cancelled as asyncio's `wait_for` cancels it, and the
/// timeout reports only once that has finished: a future suspended on a task has the task
/// cancelled and waits for its end (its result wins if the task swallowed the
/// cancellation); a future with [`catch_cancelled`](crate::catch_cancelled) scopes inside
/// receives the cancellation there and may `await` its cleanup (its output wins if it
/// swallowed it); any other future is dropped at once.
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
        timer: Timer::new(TimerState::Idle(Idle::After(delay))),
        phase: Phase::Running,
    }
}

/// Runs `future` until `when` at the latest; see [`timeout`].
pub fn timeout_at<F: Future>(when: Instant, future: F) -> Timeout<F> {
    Timeout {
        future: Some(future),
        timer: Timer::new(TimerState::Idle(Idle::At(Deadline::new(when)))),
        phase: Phase::Running,
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, TimeoutError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            panic!("timeout: polled after completion");
        };
        if *this.phase != Phase::Running {
            return Self::poll_expired(this, cx);
        }
        if let Poll::Ready(output) = future.poll(cx) {
            this.future.set(None);
            this.timer.cancel();
            return Poll::Ready(Ok(output));
        }
        if this.timer.poll_fired("timeout", cx).is_pending() {
            return Poll::Pending;
        }
        Self::expire(this, cx)
    }
}

impl<F> Timeout<F> {
    /// asyncio's `Timeout.when()`: the deadline, once known (a `timeout` delay becomes one
    /// at the first pending poll; `timeout_at` knows it from the start); `None` for a
    /// deadline that never comes.
    pub fn when(&self) -> Option<Instant> {
        self.timer.when()
    }

    /// asyncio's `Timeout.expired()`: whether the deadline passed while the future was
    /// pending (the future was then cancelled).
    pub fn expired(&self) -> bool {
        self.phase != Phase::Running
    }

    /// asyncio's `Timeout.reschedule(when)`: moves the deadline (`None`: never), as long as
    /// it has not passed yet; armed at the next poll.
    ///
    /// # Panics
    ///
    /// Once the timeout has expired, with asyncio's message, "Cannot change state of
    /// expired Timeout".
    pub fn reschedule(self: Pin<&mut Self>, when: Option<Instant>) {
        let this = self.project();
        assert!(
            *this.phase == Phase::Running,
            "Cannot change state of expired Timeout"
        );
        this.timer.reset(when);
    }
}

impl<F: Future> Timeout<F> {
    /// The identity of this timeout's cancellation: its timer's address, fixed while the
    /// timeout is pinned and alive.
    fn origin(this: &TimeoutProj<'_, F>) -> usize {
        std::ptr::from_ref::<Timer>(this.timer) as usize
    }

    /// The deadline passed while the future was pending: cancel it as `wait_for` does.
    #[cold]
    #[inline(never)]
    fn expire(
        mut this: TimeoutProj<'_, F>,
        cx: &mut Context<'_>,
    ) -> Poll<<Self as Future>::Output> {
        let origin = Self::origin(&this);
        let awaited = if awaited().is_some() {
            // Some poll of this step awaited a task: poll the future once more to learn
            // whether it was this one.
            forget_awaited();
            let future = this.future.as_mut().as_pin_mut().expect("pending");
            if let Poll::Ready(output) = future.poll(cx) {
                this.future.set(None);
                return Poll::Ready(Ok(output));
            }
            awaited()
        } else {
            None
        };
        match expire(origin, awaited) {
            Expiry::Drop => Self::give_up(this),
            Expiry::Forwarded => {
                *this.phase = Phase::Forwarded;
                Poll::Pending
            }
            Expiry::ForwardedTarget => {
                *this.phase = Phase::ForwardedTarget;
                Poll::Pending
            }
            Expiry::Delivered => {
                *this.phase = Phase::Delivered;
                Self::poll_expired(this, cx)
            }
        }
    }

    /// A poll after the deadline: the future finishing its cancellation.
    #[cold]
    #[inline(never)]
    fn poll_expired(
        mut this: TimeoutProj<'_, F>,
        cx: &mut Context<'_>,
    ) -> Poll<<Self as Future>::Output> {
        let origin = Self::origin(&this);
        let future = this.future.as_mut().as_pin_mut().expect("pending");
        let polled = future.poll(cx);
        match *this.phase {
            Phase::Forwarded => match polled {
                Poll::Ready(output) => {
                    this.future.set(None);
                    match forwarded_cancelled(origin) {
                        Some(true) => Poll::Ready(Err(TimeoutError)),
                        _ => Poll::Ready(Ok(output)),
                    }
                }
                Poll::Pending if forwarded_cancelled(origin).is_some() => {
                    match after_forwarded(origin) {
                        Expiry::Delivered => {
                            *this.phase = Phase::Delivered;
                            Self::poll_expired(this, cx)
                        }
                        Expiry::Drop | Expiry::Forwarded | Expiry::ForwardedTarget => {
                            Self::give_up(this)
                        }
                    }
                }
                Poll::Pending => Poll::Pending,
            },
            Phase::ForwardedTarget => match polled {
                Poll::Ready(_) => Self::give_up(this),
                Poll::Pending => Poll::Pending,
            },
            _ => match polled {
                Poll::Ready(output) => {
                    // It swallowed the cancellation (or finished first): its output wins.
                    take_own(origin);
                    this.future.set(None);
                    Poll::Ready(Ok(output))
                }
                Poll::Pending if take_own(origin) => Self::give_up(this),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn give_up(mut this: TimeoutProj<'_, F>) -> Poll<<Self as Future>::Output> {
        *this.phase = Phase::Expired;
        this.future.set(None);
        Poll::Ready(Err(TimeoutError))
    }
}

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    /// A `timeout` costs what its timer state takes to make (`TimerState`): keep it at three
    /// words, which the layout of `TimerState` and `Idle` relies on the compiler for.
    #[test]
    fn a_timer_future_is_three_words() {
        assert_eq!(size_of::<super::Sleep>(), 3 * size_of::<usize>());
        assert_eq!(
            size_of::<super::Timeout<std::future::Ready<()>>>(),
            4 * size_of::<usize>()
        );
    }
}
