//! Layer 0 (leaf types): the operating system's readiness queue, Linux's epoll, as the loop
//! uses it: one `epoll_wait` per iteration and nothing else on the way.
//!
//! The loop used `polling`'s `Poller` before. Its every wait also sets a timerfd (for
//! sub-millisecond timeouts), re-arms it in epoll, and re-arms its notifier, whether or not
//! a notification came: five system calls where epoll needs one. This loop rounds its
//! timeouts up to whole milliseconds anyway (as CPython's selector does), so epoll's own
//! timeout serves; and its notifier, an eventfd registered edge-triggered once, is read
//! only on the wait that a notification ended. An idle loop with nothing registered never
//! makes one (`shared.rs` creates it on first use), which also lets the loop run where
//! epoll is not there, such as under Miri.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// The key of the notifier's own events: never a registration's (see `reactor.rs`).
const NOTIFY_KEY: u64 = u64::MAX;

/// How many events one wait takes at most; more wait for the next iteration.
const EVENTS: usize = 1024;

/// How a registration reports readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// While the descriptor is ready, every wait reports it (asyncio's selector loops).
    Level,
    /// Once per change to ready: the owner reads or writes until `WouldBlock`.
    Edge,
}

/// What a registration wants to hear of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Interest {
    pub(crate) readable: bool,
    pub(crate) writable: bool,
}

/// One descriptor's readiness, as a wait reports it. An error or a hang-up counts as both:
/// the next operation says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Event {
    pub(crate) key: usize,
    pub(crate) readable: bool,
    pub(crate) writable: bool,
    /// The peer shut its side down, or the descriptor hung up or failed: final, whatever
    /// is read or written next (see `SourceState::clear_ready_after_short`).
    pub(crate) closed: bool,
}

/// The buffer a wait fills.
pub(crate) struct Events {
    list: Vec<libc::epoll_event>,
}

impl Events {
    pub(crate) fn new() -> Events {
        Events {
            list: Vec::with_capacity(EVENTS),
        }
    }

    /// The events of the last wait, the notifier's left out.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Event> + '_ {
        self.list.iter().filter(|e| e.u64 != NOTIFY_KEY).map(|e| {
            let flags = e.events as i32;
            let error = flags & (libc::EPOLLHUP | libc::EPOLLERR) != 0;
            Event {
                key: e.u64 as usize,
                readable: error || flags & (libc::EPOLLIN | libc::EPOLLPRI | libc::EPOLLRDHUP) != 0,
                writable: error || flags & libc::EPOLLOUT != 0,
                closed: error || flags & libc::EPOLLRDHUP != 0,
            }
        })
    }
}

/// An epoll instance and its notifier.
#[derive(Debug)]
pub(crate) struct Poller {
    epoll: OwnedFd,
    /// An eventfd: writing to it ends the current or the next wait.
    notifier: OwnedFd,
}

/// `Ok(value)` unless a libc call returned -1.
fn check(value: libc::c_int) -> io::Result<libc::c_int> {
    if value == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(value)
    }
}

/// The epoll flags for `interest` in `mode`.
fn flags(interest: Interest, mode: Mode) -> u32 {
    let mut flags = 0;
    if interest.readable {
        flags |= libc::EPOLLIN | libc::EPOLLRDHUP;
    }
    if interest.writable {
        flags |= libc::EPOLLOUT;
    }
    if mode == Mode::Edge {
        flags |= libc::EPOLLET;
    }
    flags as u32
}

impl Poller {
    pub(crate) fn new() -> io::Result<Poller> {
        // SAFETY: `epoll_create1` takes no pointer; a non-negative result is a new
        // descriptor that nothing else owns, so `OwnedFd` may take it.
        let epoll =
            unsafe { OwnedFd::from_raw_fd(check(libc::epoll_create1(libc::EPOLL_CLOEXEC))?) };
        let flags = libc::EFD_CLOEXEC | libc::EFD_NONBLOCK;
        // SAFETY: as for `epoll_create1`: no pointer, a new descriptor owned by nobody else.
        let notifier = unsafe { OwnedFd::from_raw_fd(check(libc::eventfd(0, flags))?) };
        let poller = Poller { epoll, notifier };
        poller.ctl(
            libc::EPOLL_CTL_ADD,
            poller.notifier.as_raw_fd(),
            NOTIFY_KEY,
            (libc::EPOLLIN | libc::EPOLLET) as u32,
        )?;
        Ok(poller)
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, key: u64, flags: u32) -> io::Result<()> {
        let mut event = libc::epoll_event {
            events: flags,
            u64: key,
        };
        // SAFETY: `event` is a valid `epoll_event` for the call's duration, which is all
        // the kernel reads of it; `fd` is checked by the kernel (a bad one is `EBADF`).
        check(unsafe { libc::epoll_ctl(self.epoll.as_raw_fd(), op, fd, &mut event) })?;
        Ok(())
    }

    /// Registers `fd` under `key`.
    ///
    /// # Safety
    ///
    /// `fd` stays open until it is [`delete`](Self::delete)d, or until the poller is
    /// dropped: epoll would otherwise go on reporting the open file under `key`, for
    /// whoever gets the descriptor's number next.
    pub(crate) unsafe fn add(
        &self,
        fd: RawFd,
        key: usize,
        interest: Interest,
        mode: Mode,
    ) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, key as u64, flags(interest, mode))
    }

    /// Changes what a registered `fd` reports, and under which key.
    pub(crate) fn modify(
        &self,
        fd: BorrowedFd<'_>,
        key: usize,
        interest: Interest,
        mode: Mode,
    ) -> io::Result<()> {
        let flags = flags(interest, mode);
        self.ctl(libc::EPOLL_CTL_MOD, fd.as_raw_fd(), key as u64, flags)
    }

    /// Stops watching `fd`.
    pub(crate) fn delete(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_DEL, fd.as_raw_fd(), 0, 0)
    }

    /// Waits until a registered descriptor is ready, a [`notify`](Self::notify), or
    /// `timeout` (rounded up to whole milliseconds; `None`: no limit). An interrupted wait
    /// reports nothing.
    pub(crate) fn wait(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        let timeout_ms = match timeout {
            None => -1,
            Some(timeout) => {
                let ms = timeout.as_nanos().div_ceil(1_000_000);
                libc::c_int::try_from(ms).unwrap_or(libc::c_int::MAX)
            }
        };
        events.list.clear();
        // SAFETY: the kernel writes at most `capacity` events into the buffer, which has
        // room for that many; nothing else uses the buffer meanwhile.
        let count = unsafe {
            libc::epoll_wait(
                self.epoll.as_raw_fd(),
                events.list.as_mut_ptr(),
                EVENTS as libc::c_int,
                timeout_ms,
            )
        };
        let count = match check(count) {
            Ok(count) => count as usize,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => 0,
            Err(error) => return Err(error),
        };
        // SAFETY: `epoll_wait` initialized the first `count` events (`count <= EVENTS`,
        // the capacity).
        unsafe { events.list.set_len(count) };
        if events.list.iter().any(|e| e.u64 == NOTIFY_KEY) {
            // Resets the counter, so that writes never find it full. The edge-triggered
            // registration reports the next write as a new event whatever the counter.
            let mut buf = [0_u8; 8];
            // SAFETY: `buf` is 8 writable bytes, as eventfd's read needs.
            let _ = unsafe { libc::read(self.notifier.as_raw_fd(), buf.as_mut_ptr().cast(), 8) };
        }
        Ok(())
    }

    /// Ends the current wait, or the next one if none is under way. Any thread may call it.
    pub(crate) fn notify(&self) -> io::Result<()> {
        let one = 1_u64.to_ne_bytes();
        // SAFETY: `one` is 8 readable bytes, as eventfd's write needs.
        let written = unsafe { libc::write(self.notifier.as_raw_fd(), one.as_ptr().cast(), 8) };
        match written {
            // A full counter (`EAGAIN`) already means "notified".
            -1 if io::Error::last_os_error().kind() != io::ErrorKind::WouldBlock => {
                Err(io::Error::last_os_error())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::os::fd::AsFd;
    use std::os::unix::net::UnixStream;
    use std::time::{Duration, Instant};

    use super::*;

    const READ: Interest = Interest {
        readable: true,
        writable: false,
    };

    #[test]
    #[cfg_attr(miri, ignore = "Miri's epoll has edge-triggered registrations only")]
    fn reports_a_readable_descriptor_under_its_key_then_forgets_it_once_deleted() {
        let poller = Poller::new().unwrap();
        let (mut a, b) = UnixStream::pair().unwrap();
        // SAFETY: `b` outlives its registration (deleted below).
        unsafe { poller.add(b.as_raw_fd(), 7, READ, Mode::Level).unwrap() };
        let mut events = Events::new();
        poller.wait(&mut events, Some(Duration::ZERO)).unwrap();
        assert_eq!(events.iter().count(), 0);
        a.write_all(b"x").unwrap();
        poller.wait(&mut events, None).unwrap();
        let got: Vec<_> = events.iter().collect();
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].key, got[0].readable, got[0].writable),
            (7, true, false)
        );
        // Level: still readable, still reported.
        poller.wait(&mut events, Some(Duration::ZERO)).unwrap();
        assert_eq!(events.iter().count(), 1);
        poller.delete(b.as_fd()).unwrap();
        poller.wait(&mut events, Some(Duration::ZERO)).unwrap();
        assert_eq!(events.iter().count(), 0);
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri cannot register a Unix socket pair with epoll")]
    fn edge_mode_reports_each_change_once() {
        let poller = Poller::new().unwrap();
        let (mut a, b) = UnixStream::pair().unwrap();
        // SAFETY: `b` outlives the poller's use of it (the poller is dropped first).
        unsafe { poller.add(b.as_raw_fd(), 1, READ, Mode::Edge).unwrap() };
        let mut events = Events::new();
        a.write_all(b"x").unwrap();
        poller.wait(&mut events, Some(Duration::ZERO)).unwrap();
        assert_eq!(events.iter().count(), 1);
        poller.wait(&mut events, Some(Duration::ZERO)).unwrap();
        assert_eq!(events.iter().count(), 0, "no new data, no new edge");
        a.write_all(b"y").unwrap();
        poller.wait(&mut events, Some(Duration::ZERO)).unwrap();
        assert_eq!(events.iter().count(), 1);
        drop(poller);
    }

    #[test]
    fn a_notify_ends_a_wait_from_another_thread_and_reports_no_event() {
        let poller = std::sync::Arc::new(Poller::new().unwrap());
        let remote = std::sync::Arc::clone(&poller);
        let notifier = std::thread::spawn(move || remote.notify().unwrap());
        let mut events = Events::new();
        let started = Instant::now();
        // Bounded: a lost notify fails the test after 10 s instead of hanging.
        poller
            .wait(&mut events, Some(Duration::from_secs(10)))
            .unwrap();
        notifier.join().unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the notify was lost"
        );
        assert_eq!(events.iter().count(), 0);
        // Consumed: the next wait times out.
        poller.wait(&mut events, Some(Duration::ZERO)).unwrap();
        assert_eq!(events.iter().count(), 0);
    }

    #[test]
    fn a_timeout_is_rounded_up_to_whole_milliseconds() {
        let poller = Poller::new().unwrap();
        let mut events = Events::new();
        let started = Instant::now();
        poller
            .wait(&mut events, Some(Duration::from_micros(10)))
            .unwrap();
        assert!(started.elapsed() >= Duration::from_millis(1));
    }
}
