//! Layer 2 (the parts the loop drives): descriptor readiness, the registrations behind
//! asyncio's `add_reader` / `add_writer` (whose public methods are in `io.rs`), on the
//! loop's `polling` poller, the same one the loop sleeps in.
//!
//! Two kinds of registration share the poller:
//!
//! - Callbacks (`add_reader` / `add_writer`) are level-triggered, as asyncio's selector
//!   loops: while a descriptor stays readable its reader runs once per iteration. The loop
//!   registers a duplicate of the descriptor that it owns, so the registration stays valid
//!   whatever the caller does with its own descriptor; `remove_reader` / `remove_writer`
//!   (or `close`) end it. Their poller key is the descriptor's number.
//! - Sources (the sockets and `IoSource`) are registered once, for both directions,
//!   edge-triggered: a busy connection costs no `epoll_ctl` per event. A source's
//!   [`SourceState`] keeps, per direction, whether the descriptor may be ready and the
//!   waker of the task waiting for it; an event sets the first and wakes the second, at
//!   once, so the task's step runs in the same iteration. An operation that meets
//!   `WouldBlock` clears the flag and waits for the next edge; a new source waits for its
//!   first read edge too. A source owns its descriptor and is deleted from the poller
//!   before closing it, so a reused descriptor number never sees another's events. Their
//!   poller keys have the top bit set.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::error::IoError;
use crate::poller::{Events, Interest, Mode, Poller};

/// A reader or writer callback.
pub(crate) type IoCallback = Rc<RefCell<dyn FnMut()>>;

struct Registration {
    fd: RegisteredFd,
    /// Which open file that is (device and inode): the caller's number may come to name
    /// another file, if the caller closes it without `remove_reader` and it is reused.
    /// `None` for a descriptor the loop co-owns: its number cannot be reused while the
    /// registration holds it open.
    identity: Option<FileIdentity>,
    reader: Option<IoCallback>,
    writer: Option<IoCallback>,
}

impl Registration {
    fn interest(&self) -> Interest {
        Interest {
            readable: self.reader.is_some(),
            writable: self.writer.is_some(),
        }
    }
}

/// The descriptor a callback registration keeps open until it is deleted from the poller.
enum RegisteredFd {
    /// The loop's own duplicate of the caller's descriptor (`add_reader`).
    Duplicate(OwnedFd),
    /// The descriptor itself, co-owned with this crate's code that registered it
    /// (`add_shared`): no duplicate, no identity check, three system calls fewer.
    Shared(Rc<OwnedFd>),
}

impl AsFd for RegisteredFd {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        match self {
            RegisteredFd::Duplicate(fd) => fd.as_fd(),
            RegisteredFd::Shared(fd) => fd.as_fd(),
        }
    }
}

/// An open file's identity: its device and inode numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileIdentity(u64, u64);

impl FileIdentity {
    fn of(fd: std::os::fd::BorrowedFd<'_>) -> std::io::Result<FileIdentity> {
        let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: `fstat` writes a whole `stat` into the buffer we pass, which has room
        // for one, and reads nothing else; `fd` is open (it is borrowed).
        if unsafe { libc::fstat(fd.as_raw_fd(), stat.as_mut_ptr()) } == -1 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `fstat` succeeded, so it initialised the struct.
        let stat = unsafe { stat.assume_init() };
        Ok(FileIdentity(stat.st_dev, stat.st_ino))
    }
}

/// The callbacks of a registration whose descriptor number was reused by another file:
/// `add` dropped the registration; the caller reports it and drops these (user code)
/// once nothing is borrowed.
pub(crate) struct Stale {
    pub(crate) fd: RawFd,
    pub(crate) callbacks: Vec<IoCallback>,
}

/// Poller keys at or above this are sources (their slot plus this); below, descriptors.
const SOURCE_KEY: usize = 1 << (usize::BITS - 1);

/// Which way a source is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

/// One direction of a source: whether it may be ready, and who waits for it.
#[derive(Default)]
struct Readiness {
    /// Until an operation meets `WouldBlock`, the descriptor may be ready.
    ready: Cell<bool>,
    /// The task waiting for the next edge. One per direction, as tokio's
    /// `poll_read_ready`: a second waiter replaces the first.
    waker: Cell<Option<Waker>>,
}

/// The readiness of one edge-triggered source, shared by the source and the loop.
///
/// A new source may be written at once (a new socket nearly always has room), but is
/// read only after the poller says so: registering a descriptor that has data already
/// queues its event for the next wait, and one with none (a connection just made or just
/// accepted, nearly always) would only have met `WouldBlock`, a system call per
/// connection for nothing. asyncio's transports and tokio start reading so too.
pub(crate) struct SourceState {
    read: Readiness,
    write: Readiness,
    /// An event said the peer shut down or the descriptor hung up or failed. No edge
    /// follows that one, so readiness is never cleared after a short operation from then
    /// on: the next operation must run to see the end (tokio keeps its closed bits so).
    closed: Cell<bool>,
}

impl Default for SourceState {
    fn default() -> Self {
        SourceState {
            read: Readiness::default(),
            write: Readiness {
                ready: Cell::new(true),
                waker: Cell::new(None),
            },
            closed: Cell::new(false),
        }
    }
}

impl SourceState {
    fn readiness(&self, direction: Direction) -> &Readiness {
        match direction {
            Direction::Read => &self.read,
            Direction::Write => &self.write,
        }
    }

    /// `Ready` while the descriptor may be ready for `direction`; else keeps `cx`'s waker
    /// for the next edge.
    pub(crate) fn poll_ready(&self, direction: Direction, cx: &Context<'_>) -> Poll<()> {
        let readiness = self.readiness(direction);
        if readiness.ready.get() {
            return Poll::Ready(());
        }
        let waker = match readiness.waker.take() {
            Some(waker) if waker.will_wake(cx.waker()) => waker,
            _ => cx.waker().clone(),
        };
        readiness.waker.set(Some(waker));
        Poll::Pending
    }

    /// Whether the descriptor may be ready for `direction` (the next operation is tried
    /// without waiting for an edge).
    #[cfg(test)]
    pub(crate) fn may_be_ready(&self, direction: Direction) -> bool {
        self.readiness(direction).ready.get()
    }

    /// An operation met `WouldBlock`: wait for the next edge.
    pub(crate) fn clear_ready(&self, direction: Direction) {
        self.readiness(direction).ready.set(false);
    }

    /// A stream operation did less than asked, so the socket's buffer was empty (or full)
    /// when it returned: wait for the next edge, which any later change brings, unless
    /// the source was closed (no edge comes after that one).
    pub(crate) fn clear_ready_after_short(&self, direction: Direction) {
        if !self.closed.get() {
            self.clear_ready(direction);
        }
    }

    /// An event: the descriptor is ready for `direction`; its waiter goes to `wakers`.
    fn set_ready(&self, direction: Direction, wakers: &mut Vec<Waker>) {
        let readiness = self.readiness(direction);
        readiness.ready.set(true);
        wakers.extend(readiness.waker.take());
    }
}

/// The loop's registrations: callbacks by the caller's descriptor number, sources by slot.
#[derive(Default)]
pub(crate) struct Io {
    registrations: HashMap<RawFd, Registration>,
    sources: Vec<Option<Rc<SourceState>>>,
    free_sources: Vec<usize>,
    live_sources: usize,
    events: Option<Events>,
}

impl Io {
    pub(crate) fn is_empty(&self) -> bool {
        self.registrations.is_empty() && self.live_sources == 0
    }

    /// Registers `fd`, edge-triggered for both directions; returns its key.
    ///
    /// # Safety
    ///
    /// `fd` stays open until [`remove_source`](Self::remove_source) (or `close`) deletes it
    /// from `poller`, as [`Poller::add`] requires.
    pub(crate) unsafe fn add_source(
        &mut self,
        poller: &Poller,
        fd: RawFd,
        state: Rc<SourceState>,
    ) -> std::io::Result<usize> {
        let slot = self.free_sources.pop().unwrap_or_else(|| {
            self.sources.push(None);
            self.sources.len() - 1
        });
        let both = Interest {
            readable: true,
            writable: true,
        };
        // SAFETY: our caller keeps `fd` open until it is deleted.
        let added = unsafe { poller.add(fd, SOURCE_KEY + slot, both, Mode::Edge) };
        if let Err(error) = added {
            self.free_sources.push(slot);
            return Err(error);
        }
        self.sources[slot] = Some(state);
        self.live_sources += 1;
        Ok(slot)
    }

    /// Deletes the source in `slot` (registered for `fd`) from `poller`.
    pub(crate) fn remove_source(&mut self, poller: &Poller, slot: usize, fd: RawFd) {
        if self.sources.get_mut(slot).and_then(Option::take).is_none() {
            return;
        }
        self.free_sources.push(slot);
        self.live_sources -= 1;
        // SAFETY: the source's owner still holds `fd` open: it removes the source first.
        let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
        let _ = poller.delete(fd);
    }

    /// Waits in `poller` (an interrupted wait counts as a wake).
    pub(crate) fn wait(
        &mut self,
        poller: &Poller,
        timeout: Option<Duration>,
    ) -> std::io::Result<()> {
        let events = self.events.get_or_insert_with(Events::new);
        poller.wait(events, timeout)
    }

    /// Calls `ready(fd, writable)` for each registered callback whose descriptor is ready,
    /// and puts the waiters of ready sources in `wakers` (to wake once nothing is
    /// borrowed).
    pub(crate) fn dispatch(&self, mut ready: impl FnMut(RawFd, bool), wakers: &mut Vec<Waker>) {
        let Some(events) = &self.events else { return };
        for event in events.iter() {
            if event.key >= SOURCE_KEY {
                let source = self
                    .sources
                    .get(event.key - SOURCE_KEY)
                    .and_then(Option::as_ref);
                if let Some(source) = source {
                    if event.closed {
                        source.closed.set(true);
                    }
                    // An error or hang-up is reported as both: the next operation says which.
                    if event.readable || !event.writable {
                        source.set_ready(Direction::Read, wakers);
                    }
                    if event.writable || !event.readable {
                        source.set_ready(Direction::Write, wakers);
                    }
                }
                continue;
            }
            let fd = event.key as RawFd;
            let Some(registration) = self.registrations.get(&fd) else {
                continue;
            };
            if event.readable && registration.reader.is_some() {
                ready(fd, false);
            }
            if event.writable && registration.writer.is_some() {
                ready(fd, true);
            }
        }
    }

    pub(crate) fn callback(&self, fd: RawFd, writable: bool) -> Option<IoCallback> {
        let registration = self.registrations.get(&fd)?;
        if writable {
            registration.writer.clone()
        } else {
            registration.reader.clone()
        }
    }

    pub(crate) fn add(
        &mut self,
        poller: &Poller,
        fd: std::os::fd::BorrowedFd<'_>,
        writable: bool,
        callback: IoCallback,
    ) -> Result<Option<Stale>, IoError> {
        let key = fd.as_raw_fd();
        let identity = FileIdentity::of(fd).map_err(IoError::Register)?;
        // The number names another file than the one registered under it: the caller
        // closed that one without `remove_reader` and the number was reused. Asyncio's
        // selector would fail loudly; here the stale registration goes (so the old file is
        // closed and its peer sees the end of it) and the new file is registered, and the
        // caller reports it.
        let stale = match self.registrations.get(&key) {
            Some(registration) if registration.identity.is_some_and(|old| old != identity) => {
                let registration = self.registrations.remove(&key).expect("looked up above");
                let _ = poller.delete(registration.fd.as_fd());
                let callbacks = registration.reader.into_iter().chain(registration.writer);
                Some(Stale {
                    fd: key,
                    callbacks: callbacks.collect(),
                })
            }
            _ => None,
        };
        if let Some(registration) = self.registrations.get_mut(&key) {
            if writable {
                registration.writer = Some(callback);
            } else {
                registration.reader = Some(callback);
            }
            let interest = registration.interest();
            poller
                .modify(registration.fd.as_fd(), key as usize, interest, Mode::Level)
                .map_err(IoError::Register)?;
            return Ok(stale);
        }
        let owned = fd.try_clone_to_owned().map_err(IoError::Register)?;
        let registration = Registration {
            fd: RegisteredFd::Duplicate(owned),
            identity: Some(identity),
            reader: (!writable).then(|| Rc::clone(&callback)),
            writer: writable.then_some(callback),
        };
        self.insert(poller, key, registration)?;
        Ok(stale)
    }

    /// Registers a reader (or writer) for `fd`, a descriptor this crate's caller shares
    /// with the loop rather than lends (a child's pidfd, `child.rs`): the registration
    /// keeps it open, so it needs neither a duplicate nor the identity check of
    /// [`add`](Self::add). Falls back to `add` when its number is registered already:
    /// then by the caller's own registration of the same descriptor, or by a stale one
    /// whose descriptor was closed without `remove_reader` (the number came to this
    /// descriptor), which `add` drops and hands back for the caller to report.
    pub(crate) fn add_shared(
        &mut self,
        poller: &Poller,
        fd: Rc<OwnedFd>,
        writable: bool,
        callback: IoCallback,
    ) -> Result<Option<Stale>, IoError> {
        let key = fd.as_raw_fd();
        if self.registrations.contains_key(&key) {
            return self.add(poller, fd.as_fd(), writable, callback);
        }
        let registration = Registration {
            fd: RegisteredFd::Shared(fd),
            identity: None,
            reader: (!writable).then(|| Rc::clone(&callback)),
            writer: writable.then_some(callback),
        };
        self.insert(poller, key, registration)?;
        Ok(None)
    }

    fn insert(
        &mut self,
        poller: &Poller,
        key: RawFd,
        registration: Registration,
    ) -> Result<(), IoError> {
        let (fd, interest) = (registration.fd.as_fd().as_raw_fd(), registration.interest());
        // SAFETY: the poller requires the registered descriptor to stay open until it is
        // deleted from the poller. `registration` keeps it open (its own duplicate, or a
        // share of the descriptor), and lives in `self.registrations` until `remove` or
        // `close` deletes it from the poller before dropping it.
        unsafe { poller.add(fd, key as usize, interest, Mode::Level) }
            .map_err(IoError::Register)?;
        self.registrations.insert(key, registration);
        Ok(())
    }

    pub(crate) fn remove(&mut self, poller: &Poller, fd: RawFd, writable: bool) -> bool {
        let Some(registration) = self.registrations.get_mut(&fd) else {
            return false;
        };
        let removed = if writable {
            registration.writer.take()
        } else {
            registration.reader.take()
        };
        if removed.is_none() {
            return false;
        }
        if registration.reader.is_none() && registration.writer.is_none() {
            let registration = self.registrations.remove(&fd).expect("looked up above");
            let _ = poller.delete(registration.fd.as_fd());
        } else {
            let interest = registration.interest();
            let _ = poller.modify(registration.fd.as_fd(), fd as usize, interest, Mode::Level);
        }
        true
    }

    /// Deletes every callback registration from the poller and closes the loop's
    /// duplicates, and forgets the sources (loop close): a source's owner deletes its own
    /// descriptor when dropped, and it is still open then. Hands back the callbacks (user
    /// code, whose `Drop` may panic: the caller drops them one by one once every descriptor
    /// is released) and the sources' waiters, woken by the caller to find the loop closed.
    pub(crate) fn close(self, poller: Option<&Poller>) -> (Vec<IoCallback>, Vec<Waker>) {
        let mut callbacks = Vec::new();
        for registration in self.registrations.into_values() {
            if let Some(poller) = poller {
                let _ = poller.delete(registration.fd.as_fd());
            }
            callbacks.extend(registration.reader);
            callbacks.extend(registration.writer);
        }
        let mut wakers = Vec::new();
        for source in self.sources.into_iter().flatten() {
            source.set_ready(Direction::Read, &mut wakers);
            source.set_ready(Direction::Write, &mut wakers);
        }
        (callbacks, wakers)
    }
}
