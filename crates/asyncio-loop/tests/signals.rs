//! `add_signal_handler` / `remove_signal_handler`. Signals are per process and the tests of
//! this file run on threads of one process: each test uses signals no other test here
//! uses, and only raises a signal while a handler of it is installed.

#![cfg(unix)]

mod common;

use std::time::{Duration, Instant};

use asyncio_loop::{EventLoop, SignalError, get_running_loop, signal_is_default, sleep};
use common::Log;

/// Raises `sig` in this thread: the kernel runs the handler before `raise` returns.
fn raise(sig: i32) {
    // SAFETY: the callers raise only signals this process handles at that point.
    assert_eq!(unsafe { libc::raise(sig) }, 0);
}

/// The signal's disposition, as `sigaction` reports it.
fn disposition(sig: i32) -> libc::sighandler_t {
    // SAFETY: a query (null new action) into a local.
    unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        assert_eq!(libc::sigaction(sig, std::ptr::null(), &mut current), 0);
        current.sa_sigaction
    }
}

/// tests/python/signal_order.py: the callback is queued by the loop's reader of its
/// wake-up pipe, so it runs one iteration after the reader, behind what was ready then;
/// then removal, and asyncio's errors.
#[test]
fn handler_runs_in_order() {
    let log = Log::default();
    let event_loop = EventLoop::new();
    let l = log.clone();
    event_loop
        .run_until_complete(async move {
            let event_loop = get_running_loop().unwrap();
            event_loop
                .add_signal_handler(libc::SIGUSR1, l.pusher("signal"))
                .unwrap();
            event_loop.call_soon(l.pusher("a"));
            raise(libc::SIGUSR1);
            event_loop.call_soon(l.pusher("b"));
            for i in 0..4 {
                l.push(format!("step {i}"));
                sleep(Duration::ZERO).await;
            }
            assert!(event_loop.remove_signal_handler(libc::SIGUSR1).unwrap());
            assert!(!event_loop.remove_signal_handler(libc::SIGUSR1).unwrap());
            assert_eq!(disposition(libc::SIGUSR1), libc::SIG_DFL);
            for bad in [0, 32, 65] {
                let error = event_loop.add_signal_handler(bad, || {}).unwrap_err();
                l.push(format!("ValueError: {error}"));
            }
            let error = event_loop
                .add_signal_handler(libc::SIGKILL, || {})
                .unwrap_err();
            l.push(format!("RuntimeError: {error}"));
        })
        .unwrap();
    event_loop.close().unwrap();
    assert_eq!(
        log.lines(),
        [
            "step 0",
            "a",
            "b",
            "step 1",
            "step 2",
            "signal",
            "step 3",
            "ValueError: invalid signal number 0",
            "ValueError: invalid signal number 32",
            "ValueError: invalid signal number 65",
            "RuntimeError: sig 9 cannot be caught",
        ]
    );
}

#[test]
fn errors_are_typed() {
    let event_loop = EventLoop::new();
    assert!(matches!(
        event_loop.add_signal_handler(libc::SIGSTOP, || {}),
        Err(SignalError::CannotCatch(sig)) if sig == libc::SIGSTOP
    ));
    assert!(matches!(
        event_loop.remove_signal_handler(-1),
        Err(SignalError::Invalid(-1))
    ));
    event_loop.close().unwrap();
    let error = event_loop
        .add_signal_handler(libc::SIGUSR1, || {})
        .unwrap_err();
    assert!(matches!(error, SignalError::Closed));
    assert_eq!(error.to_string(), "Event loop is closed");
}

/// Removed then added again: the second handler runs, the first does not, and the
/// disposition in place before the first add (here SIG_IGN) is back after each removal.
#[test]
fn removed_and_added_again() {
    let sig = libc::SIGPROF;
    // SAFETY: ignoring a signal nothing else in this test binary uses.
    unsafe { libc::signal(sig, libc::SIG_IGN) };
    let log = Log::default();
    let event_loop = EventLoop::new();
    for (round, line) in [(1, "first"), (2, "second")] {
        event_loop
            .add_signal_handler(sig, log.pusher(line))
            .unwrap();
        assert_ne!(disposition(sig), libc::SIG_IGN, "round {round}");
        event_loop
            .run_until_complete(async {
                raise(sig);
                for _ in 0..3 {
                    sleep(Duration::ZERO).await;
                }
            })
            .unwrap();
        assert!(event_loop.remove_signal_handler(sig).unwrap());
        assert_eq!(disposition(sig), libc::SIG_IGN, "round {round}");
    }
    // Re-adding replaces: only the later callback runs.
    event_loop
        .add_signal_handler(sig, log.pusher("replaced"))
        .unwrap();
    event_loop
        .add_signal_handler(sig, log.pusher("third"))
        .unwrap();
    event_loop
        .run_until_complete(async {
            raise(sig);
            raise(sig);
            for _ in 0..3 {
                sleep(Duration::ZERO).await;
            }
        })
        .unwrap();
    event_loop.close().unwrap();
    assert_eq!(
        disposition(sig),
        libc::SIG_IGN,
        "close() removes the handlers"
    );
    assert_eq!(log.lines(), ["first", "second", "third", "third"]);
    // SAFETY: back to the default of a signal nothing else here uses.
    unsafe { libc::signal(sig, libc::SIG_DFL) };
}

/// A loop asleep on a long timer wakes for a signal sent from another thread.
#[test]
fn a_sleeping_loop_wakes() {
    let sig = libc::SIGUSR2;
    let event_loop = EventLoop::new();
    let stopper = event_loop.clone();
    event_loop
        .add_signal_handler(sig, move || stopper.stop())
        .unwrap();
    let started = Instant::now();
    let sender = std::thread::spawn(move || {
        // Not a wait for a result: a head start so the signal most likely finds the loop
        // blocked in epoll. The test holds either way (a byte written before the loop
        // sleeps makes its poll return at once).
        std::thread::sleep(Duration::from_millis(20));
        // SAFETY: signalling this process, which handles `sig`.
        unsafe { libc::kill(libc::getpid(), sig) };
    });
    event_loop.call_later(Duration::from_secs(30), || panic!("not woken"));
    event_loop.run_forever().unwrap();
    sender.join().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    event_loop.close().unwrap();
    assert!(signal_is_default(sig));
}

/// One handler per signal per process: a second loop is refused the signal while the
/// first has it, and may take it once the first let it go.
#[test]
fn one_loop_per_signal() {
    let sig = libc::SIGWINCH;
    let (first, second) = (EventLoop::new(), EventLoop::new());
    first.add_signal_handler(sig, || {}).unwrap();
    assert!(!signal_is_default(sig));
    let error = second.add_signal_handler(sig, || {}).unwrap_err();
    assert!(matches!(error, SignalError::InUse(s) if s == sig));
    assert!(!second.remove_signal_handler(sig).unwrap());
    assert!(
        !signal_is_default(sig),
        "the second loop's removal leaves the first's"
    );
    assert!(first.remove_signal_handler(sig).unwrap());
    assert!(signal_is_default(sig));
    second.add_signal_handler(sig, || {}).unwrap();
    drop(second);
    assert!(
        signal_is_default(sig),
        "dropping the loop removes its handlers"
    );
    first.close().unwrap();
}
