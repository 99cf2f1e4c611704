//! A hook through which a primitive that returns `Pending` says what its caller waits on,
//! for a runtime's task dump ("Task-3 waits on Lock.acquire()").
//!
//! This crate runs on any executor and depends on none, so it cannot tell a loop about the
//! task it is suspending. Instead a runtime installs a plain function once per process
//! ([`set_wait_hook`]; `asyncio-loop` does when its first loop is made) and each primitive
//! calls it with a static [`WaitKind`] on its `Pending` path only: one atomic load and an
//! indirect call, nothing on the path that completes at once. Without a hook (tokio, smol)
//! the load finds nothing and that is all.

use std::fmt;
use std::sync::OnceLock;

/// What a pending primitive operation waits for: one static value per operation, so a
/// runtime can store it as one pointer.
#[derive(PartialEq, Eq)]
pub struct WaitKind {
    what: &'static str,
}

impl WaitKind {
    /// A kind described as `what` (asyncio's own name for the call, `"Lock.acquire()"`).
    pub const fn new(what: &'static str) -> WaitKind {
        WaitKind { what }
    }

    /// The description given at creation.
    pub fn what(&self) -> &'static str {
        self.what
    }
}

impl fmt::Debug for WaitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.what)
    }
}

impl fmt::Display for WaitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.what)
    }
}

/// The function a runtime installs: called on the thread polling the primitive, from
/// inside its `poll`, each time it returns `Pending`.
pub type WaitHook = fn(&'static WaitKind);

static HOOK: OnceLock<WaitHook> = OnceLock::new();

/// Installs the process's hook; `false` if one was installed already (the first stays:
/// one runtime per process describes waits).
///
/// ```
/// use asyncio_sync::{WaitKind, set_wait_hook};
///
/// fn describe(kind: &'static WaitKind) {
///     let _ = kind.what();
/// }
/// let _ = set_wait_hook(describe);
/// ```
pub fn set_wait_hook(hook: WaitHook) -> bool {
    HOOK.set(hook).is_ok()
}

/// Tells the runtime, if it listens, that the caller's poll is returning `Pending` on
/// `kind`.
#[inline]
pub(crate) fn waiting(kind: &'static WaitKind) {
    if let Some(hook) = HOOK.get() {
        hook(kind);
    }
}

pub(crate) static LOCK_ACQUIRE: WaitKind = WaitKind::new("Lock.acquire()");
pub(crate) static SEMAPHORE_ACQUIRE: WaitKind = WaitKind::new("Semaphore.acquire()");
pub(crate) static EVENT_WAIT: WaitKind = WaitKind::new("Event.wait()");
pub(crate) static CONDITION_WAIT: WaitKind = WaitKind::new("Condition.wait()");
pub(crate) static BARRIER_WAIT: WaitKind = WaitKind::new("Barrier.wait()");
pub(crate) static QUEUE_GET: WaitKind = WaitKind::new("Queue.get()");
pub(crate) static QUEUE_PUT: WaitKind = WaitKind::new("Queue.put()");
pub(crate) static QUEUE_JOIN: WaitKind = WaitKind::new("Queue.join()");

/// `Pending`, after telling the runtime what it waits on.
#[inline]
pub(crate) fn pending<T>(kind: &'static WaitKind) -> std::task::Poll<T> {
    waiting(kind);
    std::task::Poll::Pending
}
