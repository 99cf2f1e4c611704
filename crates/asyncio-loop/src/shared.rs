//! The part of a loop that other threads may touch: the injection queue, the poller the
//! loop sleeps in, and the wake hook for host loops.
//!
//! A remote wake pushes onto the injection queue under a mutex and then notifies the poller
//! only if the loop may be sleeping in it (the `SLEEPING` state); wakes that arrive while the
//! loop is busy cost the push alone. The loop drains the queue at the start of every
//! iteration, beside I/O readiness.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Waker;

/// The loop is running callbacks: no notify needed, it will drain the queue next iteration.
const AWAKE: u8 = 0;
/// The loop is (about to be) blocked in `Poller::wait`: a wake must notify the poller.
const SLEEPING: u8 = 1;
/// Someone already notified since the loop last looked: further wakes only push.
const NOTIFIED: u8 = 2;

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

/// What other threads share with the loop.
pub(crate) struct Shared {
    queue: Mutex<Vec<Injected>>,
    /// Set after a push, cleared by the drain: lets the loop skip the mutex when idle.
    has_injected: AtomicBool,
    state: AtomicU8,
    pub(crate) poller: polling::Poller,
    closed: AtomicBool,
    hook: Mutex<Option<WakeHook>>,
    has_hook: AtomicBool,
}

impl Shared {
    pub(crate) fn new() -> std::io::Result<Shared> {
        Ok(Shared {
            queue: Mutex::new(Vec::new()),
            has_injected: AtomicBool::new(false),
            state: AtomicU8::new(AWAKE),
            poller: polling::Poller::new()?,
            closed: AtomicBool::new(false),
            hook: Mutex::new(None),
            has_hook: AtomicBool::new(false),
        })
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
            self.has_injected.store(true, Ordering::Release);
        }
        self.notify();
        Ok(())
    }

    /// Makes a sleeping loop return from `Poller::wait`, and tells a host loop through the
    /// wake hook; coalesced until the loop next looks at the queue.
    pub(crate) fn notify(&self) {
        let previous = self.state.swap(NOTIFIED, Ordering::SeqCst);
        if previous == NOTIFIED {
            return;
        }
        if previous == SLEEPING {
            // A failed notify leaves the loop waiting until its timeout; there is no better
            // recovery on a remote thread than to carry on.
            let _ = self.poller.notify();
        }
        if self.has_hook.load(Ordering::Acquire) {
            let hook = lock(&self.hook).clone();
            if let Some(hook) = hook {
                hook();
            }
        }
    }

    /// The loop is about to block in the poller; returns whether work was injected
    /// meanwhile (then it must not block).
    pub(crate) fn prepare_sleep(&self) -> bool {
        self.state.store(SLEEPING, Ordering::SeqCst);
        self.has_injected.load(Ordering::SeqCst)
    }

    /// The loop is back from the poller (or never went).
    pub(crate) fn awake(&self) {
        self.state.store(AWAKE, Ordering::SeqCst);
    }

    /// Takes everything injected so far.
    pub(crate) fn drain(&self, into: &mut Vec<Injected>) {
        if !self.has_injected.load(Ordering::Acquire) {
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

/// Locks `mutex`, ignoring poisoning: nothing in this crate panics while holding these
/// locks, and a panicking hook must not take the loop down.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
