//! Layer 0 (leaf types): the process-wide side of signal handling, all the unsafe FFI of
//! `EventLoop::add_signal_handler` (`signal.rs`).
//!
//! Why our own `sigaction` and not `signal-hook-registry`: asyncio's
//! `remove_signal_handler` puts the signal's disposition back (`SIG_DFL`, so a Ctrl-C
//! after it kills the process again), and `asyncio.run` puts SIGINT's back after the run.
//! signal-hook-registry never uninstalls its handler (its `unregister` leaves a handler
//! that swallows the signal when the previous disposition was `SIG_DFL`), so neither
//! could be done with it. Why not `signalfd`: it needs the signal blocked in every thread
//! of the process, including threads that other code started before us (where it would
//! still be delivered, with its default action), and a blocked mask is inherited by
//! children. A plain `sigaction` handler is per process, works whatever thread the kernel
//! picks, and restores exactly.
//!
//! The handler does only async-signal-safe work: it loads the descriptor of the owning
//! loop's wake-up pipe from an atomic and writes the signal's number to it, as CPython's
//! `set_wakeup_fd` does. The loop reads the pipe (it is one of its descriptors, so a
//! sleeping loop wakes) and runs the user's callback as an ordinary ready item. Pipes are
//! never closed once made: a loop done with signals gives its pipe back to a pool, so a
//! handler that loaded a descriptor just before it was unset writes into one of our pipes
//! (at worst a spurious byte a later owner drains), never into a reused descriptor.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::shared::LoopId;

/// One past the highest signal number a table slot exists for (Linux's `SIGRTMAX` is 64).
const SLOTS: usize = 65;

/// Per signal, the write end of the owning loop's pipe, or -1: what the handler reads.
static WAKE_FD: [AtomicI32; SLOTS] = [const { AtomicI32::new(-1) }; SLOTS];

/// Per signal, the loop handling it and the disposition in place before it did.
static OWNERS: Mutex<[Option<Owner>; SLOTS]> = Mutex::new([const { None }; SLOTS]);

/// Pipes given back by loops done with signals, kept open (see the module's comment).
static POOL: Mutex<Vec<WakePipe>> = Mutex::new(Vec::new());

struct Owner {
    event_loop: LoopId,
    previous: libc::sigaction,
}

// SAFETY: `libc::sigaction` is plain data (a function address, flags, a mask); it is only
// handed back to the kernel.
unsafe impl Send for Owner {}

/// Why `add_signal_handler` or `remove_signal_handler` refused, with asyncio's wording.
#[derive(Debug)]
#[non_exhaustive]
pub enum SignalError {
    /// Not a signal of this system (asyncio's `ValueError`).
    Invalid(i32),
    /// SIGKILL or SIGSTOP (asyncio's `RuntimeError`).
    CannotCatch(i32),
    /// The loop is closed (asyncio's `RuntimeError`).
    Closed,
    /// Another event loop handles this signal: a process has one handler per signal.
    /// asyncio has one wake-up descriptor per process and lets the last loop take every
    /// signal silently; this is refused instead.
    InUse(i32),
    /// The system refused otherwise (making the wake-up pipe, registering it).
    Os(io::Error),
}

impl fmt::Display for SignalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignalError::Invalid(sig) => write!(f, "invalid signal number {sig}"),
            SignalError::CannotCatch(sig) => write!(f, "sig {sig} cannot be caught"),
            SignalError::Closed => f.write_str("Event loop is closed"),
            SignalError::InUse(sig) => {
                write!(f, "sig {sig} is already handled by another event loop")
            }
            SignalError::Os(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for SignalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SignalError::Os(error) => error.source(),
            _ => None,
        }
    }
}

/// Checks `sig` as asyncio's `_check_signal` (`sig in signal.valid_signals()`): a member
/// of the full signal set, which leaves out 0, numbers past `SIGRTMAX` and the ones the C
/// library keeps for itself.
pub(crate) fn check_signal(sig: i32) -> Result<(), SignalError> {
    if sig <= 0 || sig as usize >= SLOTS {
        return Err(SignalError::Invalid(sig));
    }
    // SAFETY: `set` is a local the calls fill; `sig` is in range for `sigismember`.
    let member = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        libc::sigismember(&set, sig)
    };
    if member == 1 {
        Ok(())
    } else {
        Err(SignalError::Invalid(sig))
    }
}

/// The handler the kernel runs: writes `sig`'s number to its owner's pipe. Only
/// async-signal-safe calls; `errno` is kept for the code it interrupted.
extern "C" fn on_signal(sig: libc::c_int) {
    let Some(slot) = WAKE_FD.get(sig as usize) else {
        return;
    };
    let fd = slot.load(Ordering::Acquire);
    if fd < 0 {
        return;
    }
    // SAFETY: `errno` is thread-local; `fd` is one of our pipes, never closed (see the
    // module's comment); a full pipe drops the byte, as CPython's wake-up fd does.
    unsafe {
        let errno = *libc::__errno_location();
        let byte = sig as u8;
        libc::write(fd, (&byte as *const u8).cast(), 1);
        *libc::__errno_location() = errno;
    }
}

fn owners() -> MutexGuard<'static, [Option<Owner>; SLOTS]> {
    OWNERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Makes `event_loop` the handler of `sig` (checked with [`check_signal`]): its pipe's
/// write end `wake` gets the signal's number. The first time, our handler replaces the
/// disposition in place, which is kept for [`uninstall`].
pub(crate) fn install(
    sig: i32,
    event_loop: LoopId,
    wake: BorrowedFd<'_>,
) -> Result<(), SignalError> {
    use std::os::fd::AsRawFd;
    let mut owners = owners();
    let slot = &mut owners[sig as usize];
    match slot {
        Some(owner) if owner.event_loop == event_loop => return Ok(()),
        Some(_) => return Err(SignalError::InUse(sig)),
        None => {}
    }
    WAKE_FD[sig as usize].store(wake.as_raw_fd(), Ordering::Release);
    // SAFETY: `action` is fully initialised below; `on_signal` is async-signal-safe.
    let result = unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SA_RESTART, as asyncio's `siginterrupt(sig, False)`: other threads' blocking
        // calls are not cut short with EINTR.
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        let mut previous: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(sig, &action, &mut previous) == 0 {
            Ok(previous)
        } else {
            Err(io::Error::last_os_error())
        }
    };
    match result {
        Ok(previous) => {
            *slot = Some(Owner {
                event_loop,
                previous,
            });
            Ok(())
        }
        Err(error) => {
            WAKE_FD[sig as usize].store(-1, Ordering::Release);
            if error.raw_os_error() == Some(libc::EINVAL) {
                Err(SignalError::CannotCatch(sig))
            } else {
                Err(SignalError::Os(error))
            }
        }
    }
}

/// Puts back the disposition `sig` had before `event_loop` handled it. Nothing happens if
/// another loop (or none) handles it.
pub(crate) fn uninstall(sig: i32, event_loop: LoopId) {
    let mut owners = owners();
    let slot = &mut owners[sig as usize];
    if !matches!(slot, Some(owner) if owner.event_loop == event_loop) {
        return;
    }
    let owner = slot.take().expect("matched above");
    WAKE_FD[sig as usize].store(-1, Ordering::Release);
    // SAFETY: `previous` is what the kernel gave us for this signal.
    unsafe {
        libc::sigaction(sig, &owner.previous, std::ptr::null_mut());
    }
}

/// Whether `sig` has its default disposition (`SIG_DFL`) and no event loop handles it:
/// Python's `signal.getsignal(SIGINT) is signal.default_int_handler`, the test by which
/// `asyncio.run` decides to handle Ctrl-C itself. `false` for an invalid signal.
///
/// ```
/// assert!(asyncio_loop::signal_is_default(libc::SIGWINCH));
/// assert!(!asyncio_loop::signal_is_default(0));
/// ```
pub fn signal_is_default(sig: i32) -> bool {
    if check_signal(sig).is_err() || owners()[sig as usize].is_some() {
        return false;
    }
    // SAFETY: a query (null new action) into a local.
    unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        libc::sigaction(sig, std::ptr::null(), &mut current) == 0
            && current.sa_sigaction == libc::SIG_DFL
    }
}

/// Whether this is the process's main thread (the one `main` runs on): `asyncio.run`
/// handles Ctrl-C only there, as Python's `Runner` does.
///
/// ```
/// // A thread `main` spawned is never the main one.
/// assert!(!std::thread::spawn(asyncio_loop::is_main_thread).join().unwrap());
/// ```
pub fn is_main_thread() -> bool {
    // SAFETY: both calls only read the caller's ids.
    unsafe { libc::getpid() == libc::gettid() }
}

/// A loop's wake-up pipe: both ends non-blocking and close-on-exec.
pub(crate) struct WakePipe {
    pub(crate) read: OwnedFd,
    pub(crate) write: OwnedFd,
}

impl WakePipe {
    /// A pipe from the pool (drained of any stale byte), else a new one.
    pub(crate) fn take() -> io::Result<WakePipe> {
        let pooled = POOL
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        if let Some(pipe) = pooled {
            pipe.drain(|_| {});
            return Ok(pipe);
        }
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors `pipe2` writes.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: both descriptors were just opened and are owned by nothing else.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        Ok(WakePipe { read, write })
    }

    /// Gives the pipe back to the pool, open (see the module's comment).
    pub(crate) fn give_back(self) {
        POOL.lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(self);
    }

    /// Reads every byte waiting, in order, passing each signal number to `each`.
    pub(crate) fn drain(&self, mut each: impl FnMut(i32)) {
        let mut buf = [0_u8; 64];
        loop {
            let fd = self.read.as_fd();
            // SAFETY: `buf` is a local of the length given.
            let n = unsafe {
                libc::read(
                    std::os::fd::AsRawFd::as_raw_fd(&fd),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                )
            };
            if n <= 0 {
                // Empty (EAGAIN), or interrupted: the next readiness edge brings us back.
                if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return;
            }
            for &sig in &buf[..n as usize] {
                each(i32::from(sig));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsRawFd;

    use super::*;

    #[test]
    #[cfg_attr(miri, ignore = "Miri has no sigfillset")]
    fn valid_signals_are_pythons() {
        // Python 3.11 on Linux: `signal.valid_signals()` is 1..=64 without 32 and 33
        // (glibc keeps them for threads).
        for sig in [0, -1, 32, 33, 65, 1000] {
            assert!(matches!(check_signal(sig), Err(SignalError::Invalid(s)) if s == sig));
        }
        for sig in [1, libc::SIGINT, libc::SIGKILL, 31, 34, 64] {
            assert!(check_signal(sig).is_ok(), "{sig}");
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri's pipes are not the OS's; this checks the OS's")]
    fn a_pipe_gives_signal_numbers_in_order_and_comes_back_drained() {
        let pipe = WakePipe::take().unwrap();
        for byte in [10_u8, 12, 10] {
            // SAFETY: writing one byte from a local to our pipe.
            let written =
                unsafe { libc::write(pipe.write.as_raw_fd(), (&byte as *const u8).cast(), 1) };
            assert_eq!(written, 1);
        }
        let mut seen = Vec::new();
        pipe.drain(|sig| seen.push(sig));
        assert_eq!(seen, [10, 12, 10]);
        // A stale byte (a handler that raced a removal) is not seen by the next owner.
        // SAFETY: as above.
        unsafe { libc::write(pipe.write.as_raw_fd(), b"\x0a".as_ptr().cast(), 1) };
        let read = pipe.read.as_raw_fd();
        pipe.give_back();
        // The pool is a stack, and no other unit test of this crate uses it.
        let again = WakePipe::take().unwrap();
        assert_eq!(
            again.read.as_raw_fd(),
            read,
            "the pooled pipe, not a new one"
        );
        let mut stale = Vec::new();
        again.drain(|sig| stale.push(sig));
        assert!(stale.is_empty());
        again.give_back();
    }
}
