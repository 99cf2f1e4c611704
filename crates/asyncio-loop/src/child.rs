//! Layer 4 (the public surface): [`ChildWatch`], the loop noticing that one child process
//! exited, as asyncio's `PidfdChildWatcher` does it: a pidfd (Linux ≥ 5.3), readable once
//! the child has exited, is watched with [`EventLoop::add_reader`]; its callback reaps that
//! pid alone (`waitid(P_PID, pid)`), so no thread waits per child and other code reaping
//! other children is never raced. Where `pidfd_open` is refused (an older kernel, a
//! seccomp filter, another Unix), the loop polls that pid instead with a non-blocking
//! `waitid` on a timer, backing off from 1 ms to 50 ms (so an exit is noticed up to 50 ms
//! late); [`ChildWatch::uses_pidfd`] says which.
//!
//! The watch belongs to the loop, not to whoever awaits it: dropping the [`ChildWatch`] of
//! a child still running leaves the callback (or timer) registered, and the child is reaped
//! when it exits, as asyncio keeps watching the child of a dropped `Process`. If the loop is
//! closed first, the last owner of the watch reaps the child if it has exited, else hands
//! the blocking `waitid` to a detached thread: no zombie is left behind either way.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::current::get_running_loop;
use crate::event_loop::EventLoop;

/// The first and the longest pause between two looks at a child without a pidfd.
const POLL_FIRST: Duration = Duration::from_millis(1);
const POLL_MAX: Duration = Duration::from_millis(50);

/// The return code asyncio reports for a child someone else reaped (its unix_events: "Unknown
/// child process pid %d, will report returncode 255").
const UNKNOWN_RETURNCODE: i32 = 255;

/// Watches one child process of this one on the running loop: its exit is noticed by the
/// loop (a pidfd's readiness), the child is reaped there, and [`wait`](Self::wait) resolves
/// with asyncio's `returncode`: the exit status, or minus the signal that killed it.
///
/// ```
/// use asyncio_loop::{ChildWatch, EventLoop};
///
/// let code = EventLoop::new().run_until_complete(async {
///     let child = std::process::Command::new("sh").args(["-c", "exit 3"]).spawn()?;
///     let watch = ChildWatch::new(child)?;
///     Ok::<_, std::io::Error>(watch.wait().await)
/// });
/// assert_eq!(code.unwrap().unwrap(), 3);
/// ```
pub struct ChildWatch {
    state: Rc<State>,
}

/// What the watch, its loop callback and the process's owner share.
struct State {
    pid: u32,
    /// The child's pidfd; `None` where the kernel refused one (the timer polls then), and
    /// after the child is reaped (closed then, after its reader was removed).
    pidfd: RefCell<Option<Rc<OwnedFd>>>,
    uses_pidfd: Cell<bool>,
    returncode: Cell<Option<i32>>,
    waiters: RefCell<Vec<Waker>>,
}

impl ChildWatch {
    /// Watches `child`, a child of this process that nobody has waited for, on the running
    /// loop. Its standard streams still in `child` are closed here: take them first.
    ///
    /// Errors: `NotConnected` without a running loop, "Event loop is closed" (`Other`) on
    /// a closed one. The child is killed and reaped then, not left behind.
    pub fn new(mut child: std::process::Child) -> io::Result<ChildWatch> {
        let event_loop = match get_running_loop() {
            Ok(event_loop) if !event_loop.is_closed() => event_loop,
            outcome => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(match outcome {
                    Ok(_) => io::Error::other("Event loop is closed"),
                    Err(_) => io::Error::new(io::ErrorKind::NotConnected, "no running event loop"),
                });
            }
        };
        let pid = child.id();
        // From here the child is ours to reap; std's handle is only its pid and pipes.
        drop(child);
        let pidfd = pidfd_open(pid).ok().map(Rc::new);
        let state = Rc::new(State {
            pid,
            uses_pidfd: Cell::new(pidfd.is_some()),
            pidfd: RefCell::new(pidfd),
            returncode: Cell::new(None),
            waiters: RefCell::new(Vec::new()),
        });
        let registered = match state.pidfd.borrow().as_ref() {
            // The loop shares the descriptor (no duplicate: one child's spawn-and-wait is
            // three system calls fewer) and keeps this callback (with the state) until the
            // callback removes it, whether or not the watch is kept. The callback finds
            // its loop running rather than keeping it (no cycle).
            Some(fd) => event_loop
                .add_shared_reader(Rc::clone(fd), {
                    let state = Rc::clone(&state);
                    move || state.on_readable()
                })
                .is_ok(),
            None => false,
        };
        if !registered {
            // No pidfd, or the poller refused it: poll instead.
            drop(state.pidfd.borrow_mut().take());
            return Ok(ChildWatch::polling(&event_loop, state));
        }
        Ok(ChildWatch { state })
    }

    fn polling(event_loop: &EventLoop, state: Rc<State>) -> ChildWatch {
        state.uses_pidfd.set(false);
        poll_later(event_loop, Rc::clone(&state), POLL_FIRST);
        ChildWatch { state }
    }

    /// The child's process id (asyncio's `Process.pid`).
    pub fn pid(&self) -> u32 {
        self.state.pid
    }

    /// Whether the exit is noticed through a pidfd (else by polling; see the module).
    pub fn uses_pidfd(&self) -> bool {
        self.state.uses_pidfd.get()
    }

    /// asyncio's `returncode`: `None` until the loop noticed the exit; then the exit
    /// status, or `-signal` for a child a signal killed (`-9` after `kill`), or 255 when
    /// some other code reaped the child first.
    pub fn returncode(&self) -> Option<i32> {
        self.state.returncode.get()
    }

    /// [`wait`](Self::wait) in poll form.
    pub fn poll_wait(&self, cx: &mut Context<'_>) -> Poll<i32> {
        if let Some(code) = self.state.returncode.get() {
            return Poll::Ready(code);
        }
        let mut waiters = self.state.waiters.borrow_mut();
        if !waiters.iter().any(|waker| waker.will_wake(cx.waker())) {
            waiters.push(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Waits until the child has exited and gives its [`returncode`](Self::returncode).
    /// Any number of tasks may wait at once.
    ///
    /// Cancel safety: cancel-safe; the loop keeps watching the child.
    pub async fn wait(&self) -> i32 {
        poll_fn(|cx| self.poll_wait(cx)).await
    }

    /// Sends `signal` to the child (asyncio's `send_signal`). Through the pidfd where
    /// there is one, so a pid reused by another process after the reap is never signalled.
    ///
    /// Errors: `ESRCH` ("No such process", asyncio's `ProcessLookupError`) once the child
    /// has been reaped; the OS's error for an invalid signal.
    pub fn send_signal(&self, signal: i32) -> io::Result<()> {
        if self.state.returncode.get().is_some() {
            return Err(io::Error::from_raw_os_error(libc::ESRCH));
        }
        if let Some(pidfd) = self.state.pidfd.borrow().as_ref() {
            return pidfd_send_signal(pidfd, signal);
        }
        // Not reaped yet (the loop's thread alone reaps it, and it is here), so the pid is
        // still this child's.
        // SAFETY: kill takes plain integers.
        if unsafe { libc::kill(self.state.pid as libc::pid_t, signal) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

impl State {
    /// The pidfd is readable: the child has exited. Reaps it and stops watching.
    fn on_readable(&self) {
        let Some(code) = reap(self.pid, false) else {
            return;
        };
        if let (Some(pidfd), Ok(event_loop)) = (self.pidfd.borrow_mut().take(), get_running_loop())
        {
            event_loop.remove_reader(pidfd.as_raw_fd());
        }
        self.exited(code);
    }

    fn exited(&self, code: i32) {
        self.returncode.set(Some(code));
        let waiters = self.waiters.take();
        for waker in waiters {
            waker.wake();
        }
    }
}

/// Looks at the child after `delay`, then again later until it has exited.
fn poll_later(event_loop: &EventLoop, state: Rc<State>, delay: Duration) {
    event_loop.call_later(delay, move || match reap(state.pid, false) {
        Some(code) => state.exited(code),
        // A timer runs on its loop, so it is running (else `State`'s drop would reap).
        None => {
            if let Ok(event_loop) = get_running_loop() {
                poll_later(&event_loop, state, (delay * 2).min(POLL_MAX));
            }
        }
    });
}

impl Drop for State {
    fn drop(&mut self) {
        // The last owner is gone without the child reaped (the loop closed with it
        // running): reap it now if it has exited, else in a thread that waits for it.
        if self.returncode.get().is_some() || reap(self.pid, false).is_some() {
            return;
        }
        let pid = self.pid;
        let _ = std::thread::Builder::new()
            .name(format!("asyncio-reap-{pid}"))
            .spawn(move || reap(pid, true));
    }
}

impl fmt::Debug for ChildWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildWatch")
            .field("pid", &self.state.pid)
            .field("returncode", &self.state.returncode.get())
            .field("uses_pidfd", &self.state.uses_pidfd.get())
            .finish()
    }
}

/// Reaps `pid` if it has exited (waits for it to if `block`): its asyncio return code, or
/// `None` while it runs. A child reaped by someone else reports 255, as asyncio does.
fn reap(pid: u32, block: bool) -> Option<i32> {
    let flags = libc::WEXITED | if block { 0 } else { libc::WNOHANG };
    loop {
        // SAFETY: an all-zero siginfo_t is a valid value (plain integers and unions of
        // them); waitid writes into it.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is a valid, writable siginfo_t.
        let done = unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, flags) };
        if done < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            // ECHILD: not our child any more (reaped elsewhere).
            return Some(UNKNOWN_RETURNCODE);
        }
        // SAFETY: waitid filled `info` for a SIGCHLD (or left it zeroed with WNOHANG).
        let (child, status) = unsafe { (info.si_pid(), info.si_status()) };
        if child == 0 {
            return None;
        }
        return Some(match info.si_code {
            libc::CLD_EXITED => status,
            _ => -status,
        });
    }
}

#[cfg(target_os = "linux")]
fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags (0: the fd is close-on-exec).
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this new descriptor; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) })
}

#[cfg(not(target_os = "linux"))]
fn pidfd_open(_pid: u32) -> io::Result<OwnedFd> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

#[cfg(target_os = "linux")]
fn pidfd_send_signal(pidfd: &OwnedFd, signal: i32) -> io::Result<()> {
    // SAFETY: `pidfd` is open (borrowed); a null siginfo and flags 0 ask for a plain
    // kill-like signal.
    let sent = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            signal,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn pidfd_send_signal(_pidfd: &OwnedFd, _signal: i32) -> io::Result<()> {
    unreachable!("no pidfd is opened on this system")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// The fallback path, forced: a watch whose pidfd is not used polls the pid.
    #[test]
    #[cfg_attr(miri, ignore = "Miri cannot start processes")]
    fn without_a_pidfd_the_loop_polls_and_reaps() {
        let event_loop = EventLoop::new();
        let (code, pid, uses_pidfd) = event_loop
            .run_until_complete(async {
                let event_loop = get_running_loop().unwrap();
                let child = Command::new("sh").args(["-c", "exit 7"]).spawn().unwrap();
                let pid = child.id();
                drop(child);
                let state = Rc::new(State {
                    pid,
                    pidfd: RefCell::new(None),
                    uses_pidfd: Cell::new(true),
                    returncode: Cell::new(None),
                    waiters: RefCell::new(Vec::new()),
                });
                let watch = ChildWatch::polling(&event_loop, state);
                (watch.wait().await, pid, watch.uses_pidfd())
            })
            .unwrap();
        assert_eq!(code, 7);
        assert!(!uses_pidfd);
        assert!(
            reap(pid, false) == Some(UNKNOWN_RETURNCODE),
            "reaped already"
        );
        event_loop.close().unwrap();
    }

    /// A child still running when its loop closes (its watch dropped too) is reaped by
    /// the detached thread once it exits: no zombie.
    #[test]
    #[cfg_attr(miri, ignore = "Miri cannot start processes")]
    fn a_child_outliving_its_loop_is_reaped_by_a_thread() {
        let event_loop = EventLoop::new();
        let (pid, stdin) = event_loop
            .run_until_complete(async {
                let mut child = Command::new("sh")
                    .args(["-c", "read line"])
                    .stdin(std::process::Stdio::piped())
                    .spawn()
                    .unwrap();
                let stdin = child.stdin.take().unwrap();
                let watch = ChildWatch::new(child).unwrap();
                (watch.pid(), stdin)
            })
            .unwrap();
        event_loop.close().unwrap();
        assert!(unreaped(pid), "still running: the read waits for input");
        drop(stdin); // EOF: the shell exits
        let mut looks = 0;
        while unreaped(pid) {
            looks += 1;
            assert!(looks < 5000, "child {pid} left a zombie");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Other code reaped the child first (a `waitpid` of its own): asyncio's 255, and the
    /// watch ends instead of waiting forever.
    #[test]
    #[cfg_attr(miri, ignore = "Miri cannot start processes")]
    fn a_child_reaped_by_someone_else_reports_255() {
        let event_loop = EventLoop::new();
        let code = event_loop
            .run_until_complete(async {
                let child = Command::new("true").spawn().unwrap();
                let pid = child.id();
                let watch = ChildWatch::new(child).unwrap();
                // SAFETY: a null status pointer is allowed.
                let reaped = unsafe { libc::waitpid(pid as libc::pid_t, std::ptr::null_mut(), 0) };
                assert_eq!(reaped, pid as libc::pid_t);
                watch.wait().await
            })
            .unwrap();
        assert_eq!(code, UNKNOWN_RETURNCODE);
        event_loop.close().unwrap();
    }

    /// The pidfd is used wherever the system gives one (not under valgrind, which does
    /// not know `pidfd_open`: the polling path runs there, and these tests still pass).
    #[test]
    #[cfg_attr(miri, ignore = "Miri cannot start processes")]
    fn the_pidfd_is_used_where_the_system_has_it() {
        let probe = Command::new("true").spawn().unwrap();
        let available = pidfd_open(probe.id()).is_ok();
        let event_loop = EventLoop::new();
        let uses_pidfd = event_loop
            .run_until_complete(async {
                let watch = ChildWatch::new(probe).unwrap();
                watch.wait().await;
                watch.uses_pidfd()
            })
            .unwrap();
        assert_eq!(uses_pidfd, available);
        event_loop.close().unwrap();
    }

    /// A child of ours not reaped yet, looked at without reaping it (`WNOWAIT`).
    fn unreaped(pid: u32) -> bool {
        // SAFETY: all-zero is a valid siginfo_t; waitid writes into it.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
        // SAFETY: `info` is valid and writable.
        unsafe { libc::waitid(libc::P_PID, pid, &mut info, flags) == 0 }
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri cannot start processes")]
    fn a_signal_gives_a_negative_returncode_and_a_reaped_child_is_esrch() {
        let event_loop = EventLoop::new();
        let out = event_loop.run_until_complete(async {
            let child = Command::new("sleep").arg("30").spawn()?;
            let watch = ChildWatch::new(child)?;
            assert_eq!(watch.returncode(), None);
            watch.send_signal(libc::SIGKILL)?;
            let code = watch.wait().await;
            let after = watch.send_signal(libc::SIGTERM).unwrap_err();
            Ok::<_, io::Error>((code, watch.returncode(), after.raw_os_error()))
        });
        let (code, returncode, after) = out.unwrap().unwrap();
        assert_eq!(code, -libc::SIGKILL);
        assert_eq!(returncode, Some(-libc::SIGKILL));
        assert_eq!(after, Some(libc::ESRCH));
        event_loop.close().unwrap();
    }
}
