//! The part of a loop that other threads may touch: the injection queue, the poller the
//! loop sleeps in, and the wake hook for host loops.
//!
//! A remote wake pushes onto the injection queue under a mutex and then wakes the loop only
//! if it may be sleeping (the `SLEEPING` and `PARKED` states); wakes that arrive while the
//! loop is busy cost the push alone. The loop drains the queue at the start of every
//! iteration, beside I/O readiness.
//!
//! The first wake after the loop last looked at the queue moves the sleep state to
//! `NOTIFIED` and runs the host's wake hook; later wakes see `NOTIFIED` and only push. Every
//! look (`drain`, each iteration, waiting or not) moves it back to `AWAKE`, so a burst of
//! wakes between two looks costs one notify and one hook call, and none is lost.
//!
//! A loop with descriptors registered sleeps in the poller, and a wake notifies it. A loop
//! with none has nothing for the poller to report but the notify itself, so it parks on a
//! condition variable instead (a futex on Linux) and a wake unparks it: one system call on
//! each side where the poller's wait and notify take six (`epoll_pwait`,
//! `timerfd_settime`, two `epoll_ctl`, and the eventfd's write and read). tokio's
//! current-thread runtime without its I/O driver and async-io's `block_on` sleep the same
//! way.

use std::fmt;
use std::num::NonZeroU64;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::Waker;
use std::time::Duration;

use crate::poller::Poller;
use crate::sync::{AtomicBool, AtomicU8, Condvar, Mutex, MutexGuard};

/// The loop is running callbacks: no notify needed, it will drain the queue next iteration.
const AWAKE: u8 = 0;
/// The loop is (about to be) blocked in `Poller::wait`: a wake must notify the poller.
const SLEEPING: u8 = 1;
/// Someone already notified since the loop last looked at the queue (`drain`): further
/// wakes only push.
const NOTIFIED: u8 = 2;
/// The loop's thread is (about to be) parked: a wake must unpark it.
const PARKED: u8 = 3;

/// Where an idle loop waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sleep {
    /// In `Poller::wait`: descriptors are registered.
    Poller,
    /// Its thread parked: nothing is registered, so only a wake or a timer can end the wait.
    Park,
}

/// Work handed to the loop from any thread.
pub(crate) enum Injected {
    /// Schedule the next step of the task this waker of ours belongs to (`waker.rs`).
    Wake(Waker),
    /// Run this callback (`call_soon_threadsafe`).
    Call(Box<dyn FnOnce() + Send>),
    /// Run `stop()` as a callback.
    Stop,
}

/// A host loop's hook, run on a remote wake.
pub(crate) type WakeHook = Arc<dyn Fn() + Send + Sync>;

/// A loop's identity: unique in the process and never reused, the same seen from any
/// thread ([`EventLoop::id`](crate::EventLoop::id), [`LoopHandle::id`](crate::LoopHandle::id)).
/// Loops are numbered from 1 in the order they were made.
///
/// ```
/// use asyncio_loop::EventLoop;
///
/// let event_loop = EventLoop::new();
/// let handle = event_loop.handle();
/// let id = std::thread::spawn(move || handle.id()).join().unwrap();
/// assert_eq!(id, event_loop.id());
/// assert_ne!(EventLoop::new().id(), event_loop.id(), "never reused");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LoopId(NonZeroU64);

impl LoopId {
    /// The number: 1 for the process's first loop, and up.
    pub fn get(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Debug for LoopId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LoopId({})", self.0)
    }
}

impl fmt::Display for LoopId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The next loop's identity. Counted, never reused: an address would be (a loop made after
/// another was dropped often gets its memory), and a timer or task that outlived its loop
/// would take the new loop for its own. From 1, so that an id is a `NonZeroU64` and the
/// timer futures that store one keep their size.
static NEXT_LOOP_ID: AtomicU64 = AtomicU64::new(1);

/// What other threads share with the loop.
pub(crate) struct Shared {
    /// The loop's identity for the process's lifetime (see [`NEXT_LOOP_ID`]).
    id: LoopId,
    queue: Mutex<Vec<Injected>>,
    /// Set after a push, cleared by the drain: lets the loop skip the mutex when idle.
    has_injected: AtomicBool,
    state: AtomicU8,
    /// Made on the first registration (`poller()`): a loop that watches no descriptor
    /// never opens one, and can run where epoll is not there (Miri).
    poller: OnceLock<Poller>,
    parker: Parker,
    closed: AtomicBool,
    hook: Mutex<Option<WakeHook>>,
    has_hook: AtomicBool,
}

impl Shared {
    pub(crate) fn new() -> Shared {
        Shared {
            // Relaxed: only uniqueness matters, which the read-modify-write gives.
            id: LoopId(
                NonZeroU64::new(NEXT_LOOP_ID.fetch_add(1, Ordering::Relaxed))
                    .expect("fewer than 2^64 loops"),
            ),
            queue: Mutex::new(Vec::new()),
            has_injected: AtomicBool::new(false),
            state: AtomicU8::new(AWAKE),
            poller: OnceLock::new(),
            parker: Parker::default(),
            closed: AtomicBool::new(false),
            hook: Mutex::new(None),
            has_hook: AtomicBool::new(false),
        }
    }

    /// The poller, made now if it was not yet (on the loop's thread: only it registers).
    pub(crate) fn poller(&self) -> std::io::Result<&Poller> {
        if let Some(poller) = self.poller.get() {
            return Ok(poller);
        }
        let made = Poller::new()?;
        Ok(self.poller.get_or_init(|| made))
    }

    /// The poller if it was made: descriptors are (or were) registered.
    pub(crate) fn existing_poller(&self) -> Option<&Poller> {
        self.poller.get()
    }

    /// The loop's identity: unique in the process, never reused.
    pub(crate) fn id(&self) -> LoopId {
        self.id
    }

    /// Hands `item` to the loop; `Err` gives it back when the loop is closed.
    pub(crate) fn inject(&self, item: Injected) -> Result<(), Injected> {
        {
            let mut queue = lock(&self.queue);
            // Checked under the lock: `close()` sets `closed` and then drains under it, so
            // nothing pushed here can be left behind in a closed loop.
            if self.closed.load(Ordering::Acquire) {
                return Err(item);
            }
            queue.push(item);
            // SeqCst, like `notify`'s swap and `prepare_sleep`'s store and load: either the
            // loop's check after announcing its sleep sees this push, or `notify` sees the
            // announcement and wakes it. With a `Release` store here, the model would let
            // both miss (Dekker's pattern needs every one of the four accesses SeqCst).
            self.has_injected.store(true, Ordering::SeqCst);
        }
        self.notify();
        Ok(())
    }

    /// Makes a sleeping loop return from its wait, and tells a host loop through the wake
    /// hook; coalesced until the loop next looks at the queue.
    pub(crate) fn notify(&self) {
        let previous = self.state.swap(NOTIFIED, Ordering::SeqCst);
        match previous {
            NOTIFIED => return,
            // A failed notify leaves the loop waiting until its timeout; there is no better
            // recovery on a remote thread than to carry on.
            SLEEPING => {
                if let Some(poller) = self.poller.get() {
                    drop(poller.notify());
                }
            }
            // Unparking before the loop parks is fine: the token makes that park return.
            PARKED => self.parker.unpark(),
            _ => {}
        }
        if self.has_hook.load(Ordering::Acquire) {
            let hook = lock(&self.hook).clone();
            if let Some(hook) = hook {
                run_hook(&hook);
            }
        }
    }

    /// The loop is about to block, in `sleep`; returns whether work was injected meanwhile
    /// (then it must not block).
    pub(crate) fn prepare_sleep(&self, sleep: Sleep) -> bool {
        let state = match sleep {
            Sleep::Poller => SLEEPING,
            Sleep::Park => PARKED,
        };
        self.state.store(state, Ordering::SeqCst);
        self.has_injected.load(Ordering::SeqCst)
    }

    /// Spins for at most `budget` watching for injected work, before the loop announces a
    /// sleep; returns whether some arrived (the loop then looks again instead of sleeping).
    ///
    /// A loop in a cross-thread conversation (a hand-off to another loop and its answer, a
    /// job on the pool) often goes idle a few microseconds before the answer comes. Asleep,
    /// it would take a wake-up of its thread on each side, tens of microseconds on an idle
    /// vCPU; spinning, the answer's `notify` finds it AWAKE and costs nothing, and the loop
    /// sees the push at once. Only loads, and no state change: the handshake that follows
    /// (`prepare_sleep`) is the one that proves nothing is missed, whether the spin ran,
    /// saw nothing, or was cut short. Whether to spin at all is the loop's call
    /// (`iteration.rs`), which spins only after remote work arrived.
    pub(crate) fn spin_for_injection(&self, budget: Duration) -> bool {
        // Under loom one look stands for the spin: each look is the same load, and a loop
        // of them would only multiply the interleavings.
        #[cfg(loom)]
        {
            let _ = budget;
            self.has_injected.load(Ordering::Acquire)
        }
        #[cfg(not(loom))]
        {
            // The clock is read every 64 looks: a look is a load from a cache line that
            // stays shared until a push writes it, the clock a vDSO call.
            let started = std::time::Instant::now();
            loop {
                for _ in 0..64 {
                    // Acquire is enough: the loop then takes the queue's mutex to drain.
                    if self.has_injected.load(Ordering::Acquire) {
                        return true;
                    }
                    std::hint::spin_loop();
                }
                if started.elapsed() >= budget {
                    return false;
                }
            }
        }
    }

    /// Parks the loop's thread (the caller) for at most `timeout`, after
    /// [`prepare_sleep`](Shared::prepare_sleep)`(Sleep::Park)`. It may return early: an
    /// unpark meant for an earlier wait, or a spurious wake-up, which the loop's next
    /// iteration treats like any other (it looks for work and sleeps again).
    pub(crate) fn park(&self, timeout: Option<Duration>) {
        self.parker.park(timeout);
    }

    /// The loop is back from its wait (or never went).
    pub(crate) fn awake(&self) {
        self.state.store(AWAKE, Ordering::SeqCst);
    }

    /// Takes everything injected so far. Looking at the queue ends the coalescing of
    /// notifies: from here on a push notifies (and runs the wake hook) again. Without that,
    /// a loop stepped by `run_once()` with nothing registered, which never waits and so
    /// never calls [`awake`](Shared::awake), stayed `NOTIFIED` after the first remote wake,
    /// and the host never heard of a later one.
    pub(crate) fn drain(&self, into: &mut Vec<Injected>) {
        // Back to AWAKE before the look, not after: a push between the two is drained now
        // (its notify is merely early), while a push after the look finds AWAKE and
        // notifies. Reset after the look, a push slipping in between would be coalesced
        // into the notify already spent and sit in the queue with nobody told.
        //
        // This store and the load of `has_injected` below are the loop's half of the same
        // SeqCst handshake as in `prepare_sleep`: either the load sees a push, or that
        // push's `notify` sees AWAKE. The store is skipped when the state reads AWAKE
        // (a busy loop, or one back from a wait): a SeqCst load of AWAKE means no notify
        // has swapped since the last AWAKE store in the single SeqCst order, so that store
        // stands for this one, and on x86 the load is a plain move where the store is a
        // locked exchange, once per iteration.
        if self.state.load(Ordering::SeqCst) != AWAKE {
            self.state.store(AWAKE, Ordering::SeqCst);
        }
        if !self.has_injected.load(Ordering::SeqCst) {
            return;
        }
        let mut queue = lock(&self.queue);
        self.has_injected.store(false, Ordering::Relaxed);
        std::mem::swap(&mut *queue, into);
    }

    /// Refuses further injections and hands back what is queued.
    pub(crate) fn close(&self) -> Vec<Injected> {
        let mut queue = lock(&self.queue);
        self.closed.store(true, Ordering::Release);
        self.has_injected.store(false, Ordering::Relaxed);
        std::mem::take(&mut *queue)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    pub(crate) fn set_hook(&self, hook: Option<WakeHook>) {
        let mut slot = lock(&self.hook);
        self.has_hook.store(hook.is_some(), Ordering::Release);
        *slot = hook;
    }
}

/// Runs the host's wake hook on the waking thread. It is host code: a panic in it must not
/// unwind into the waker (a `call_soon_threadsafe`, a task's `wake` on any thread), whose
/// work is queued already. Reported on stderr, one line: the loop's exception handler
/// belongs to the loop's thread. (Not `Panic::from_caught`: `error.rs` is of this layer.)
fn run_hook(hook: &WakeHook) {
    let Err(payload) = catch_unwind(AssertUnwindSafe(|| hook())) else {
        return;
    };
    let message = match payload.downcast_ref::<&str>() {
        Some(message) => message,
        None => payload
            .downcast_ref::<String>()
            .map_or("Box<dyn Any>", String::as_str),
    };
    eprintln!("Exception in the loop's wake hook; panicked: {message}");
    // A payload may be any value, whose `Drop` may panic too: that must not unwind either,
    // and its own payload is leaked rather than risk a third.
    if let Err(second) = catch_unwind(AssertUnwindSafe(|| drop(payload))) {
        std::mem::forget(second);
    }
}

/// Where an idle loop without descriptors sleeps. Its own, rather than the thread's
/// `std::thread::park` token, so that the loop's wakes and a user's own parking on the
/// same thread never end each other's waits.
#[derive(Default)]
struct Parker {
    unparked: Mutex<bool>,
    condvar: Condvar,
}

impl Parker {
    /// Waits until unparked or `timeout` passes, and consumes the unpark.
    fn park(&self, timeout: Option<Duration>) {
        let mut unparked = lock(&self.unparked);
        if !*unparked {
            unparked = match timeout {
                Some(timeout) => {
                    let waited = self.condvar.wait_timeout(unparked, timeout);
                    waited.unwrap_or_else(|e| e.into_inner()).0
                }
                None => self
                    .condvar
                    .wait(unparked)
                    .unwrap_or_else(|e| e.into_inner()),
            };
        }
        *unparked = false;
    }

    /// Ends the current or the next `park`.
    fn unpark(&self) {
        *lock(&self.unparked) = true;
        self.condvar.notify_one();
    }
}

/// Locks `mutex`, ignoring poisoning: nothing in this crate panics while holding these
/// locks, and a panicking hook must not take the loop down.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::{Arc, Barrier};
    use std::time::{Duration, Instant};

    use super::{Injected, Shared};

    #[test]
    fn a_spin_sees_work_injected_before_it_and_leaves_it_queued() {
        let shared = Shared::new();
        assert!(shared.inject(Injected::Stop).is_ok());
        assert!(shared.spin_for_injection(Duration::ZERO));
        let mut taken = Vec::new();
        shared.drain(&mut taken);
        assert_eq!(taken.len(), 1, "the spin only looks");
    }

    #[test]
    fn a_spin_with_nothing_coming_gives_up_after_its_budget() {
        let shared = Shared::new();
        let budget = Duration::from_micros(200);
        let started = Instant::now();
        assert!(!shared.spin_for_injection(budget));
        assert!(started.elapsed() >= budget);
    }

    /// The case the spin is for: the push comes from another thread while the loop spins,
    /// and the loop sees it without announcing a sleep (so the pusher's notify found it
    /// awake and had nothing to wake).
    #[test]
    fn a_spin_sees_a_push_from_another_thread() {
        let shared = Arc::new(Shared::new());
        let ready = Arc::new(Barrier::new(2));
        let pusher = std::thread::spawn({
            let (shared, ready) = (Arc::clone(&shared), Arc::clone(&ready));
            move || {
                ready.wait();
                assert!(shared.inject(Injected::Stop).is_ok());
            }
        });
        ready.wait();
        // Generous: the pusher may be descheduled for a while on a loaded machine; the
        // spin returns as soon as the push lands.
        assert!(shared.spin_for_injection(Duration::from_secs(10)));
        pusher.join().unwrap();
        let mut taken = Vec::new();
        shared.drain(&mut taken);
        assert_eq!(taken.len(), 1);
    }
}
