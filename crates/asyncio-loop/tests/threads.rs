//! Cross-thread: `Send + Sync` wakers, `call_soon_threadsafe` from many threads, remote
//! wakes of a sleeping loop, `LoopHandle::spawn`, the wake hook, and one loop per thread.
//! "Did not hang" checks run the loop on a helper thread and bound the wait generously.

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, mpsc};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use asyncio_loop::{EventLoop, LoopHandle, TaskError, create_task, get_running_loop, sleep};

/// Generous: a hang fails the test after this instead of stalling CI, and a slow run (under
/// Miri, ThreadSanitizer or valgrind, or on a loaded machine) is not taken for one.
const HANG: Duration = Duration::from_secs(120);

/// Runs `f` on a fresh thread and fails the test if it takes longer than `HANG`.
fn within_bound<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(HANG).expect("the loop hung")
}

fn assert_send_sync<T: Send + Sync>(_: &T) {}

/// A future woken by another thread through a shared slot.
#[derive(Clone, Default)]
struct Signal(Arc<Mutex<(bool, Option<Waker>)>>);

impl Signal {
    fn fire(&self) {
        let waker = {
            let mut state = self.0.lock().unwrap();
            state.0 = true;
            state.1.take()
        };
        if let Some(waker) = waker {
            assert_send_sync(&waker);
            waker.wake();
        }
    }
}

impl std::future::Future for Signal {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.0.lock().unwrap();
        if state.0 {
            Poll::Ready(())
        } else {
            state.1 = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// A task awaits a signal fired from another thread once the loop is asleep: with no
/// descriptor registered the loop parks its thread, with one it sleeps in the poller, and
/// either way the remote wake must end the sleep (there are no timers to end it).
fn remote_wake_of_a_sleeping_loop(with_descriptor: bool) {
    within_bound(move || {
        let signal = Signal::default();
        let remote = signal.clone();
        let event_loop = EventLoop::new();
        #[cfg(unix)]
        let _watched = with_descriptor.then(|| {
            // Never written to: it keeps the loop in the poller without ever waking it.
            let (quiet, other_end) = std::os::unix::net::UnixStream::pair().unwrap();
            event_loop
                .add_reader(&quiet, || panic!("nothing is ever written"))
                .unwrap();
            (quiet, other_end)
        });
        let (ready_tx, ready_rx) = mpsc::channel::<()>();
        let firer = std::thread::spawn(move || {
            ready_rx.recv().unwrap();
            // Give the loop time to go to sleep: the wake must then end that sleep.
            std::thread::sleep(Duration::from_millis(50));
            remote.fire();
        });
        event_loop
            .run_until_complete(async move {
                ready_tx.send(()).unwrap();
                signal.await;
            })
            .unwrap();
        firer.join().unwrap();
    });
}

#[test]
fn a_task_woken_from_another_thread_while_the_loop_sleeps_resumes() {
    remote_wake_of_a_sleeping_loop(false);
}

#[cfg(unix)]
#[test]
#[cfg_attr(miri, ignore = "Miri's epoll has edge-triggered registrations only")]
fn a_remote_wake_also_ends_a_sleep_in_the_poller() {
    remote_wake_of_a_sleeping_loop(true);
}

#[test]
fn call_soon_threadsafe_from_many_threads() {
    within_bound(|| {
        const THREADS: usize = 8;
        const EACH: usize = 200;
        let event_loop = EventLoop::new();
        let handle = event_loop.handle();
        let count = Arc::new(AtomicUsize::new(0));
        let start = Arc::new(Barrier::new(THREADS));
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                let (handle, count, start) = (handle.clone(), count.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    for _ in 0..EACH {
                        let (count, h) = (count.clone(), handle.clone());
                        handle
                            .call_soon_threadsafe(move || {
                                if count.fetch_add(1, Ordering::SeqCst) + 1 == THREADS * EACH {
                                    h.stop();
                                }
                            })
                            .unwrap();
                    }
                })
            })
            .collect();
        event_loop.run_forever().unwrap();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(count.load(Ordering::SeqCst), THREADS * EACH);
    });
}

#[test]
fn spawn_from_another_thread_and_block_on_the_result() {
    within_bound(|| {
        let event_loop = EventLoop::new();
        let handle = event_loop.handle();
        let client = std::thread::spawn(move || {
            let ok = handle.spawn(async {
                sleep(Duration::from_millis(1)).await;
                21 * 2
            });
            assert!(!ok.wait(Duration::ZERO) || ok.done());
            let ok = ok.result();
            let bad = handle.spawn(async { panic!("remote boom") }).result();
            handle.stop();
            (ok, bad)
        });
        event_loop.run_forever().unwrap();
        let (ok, bad) = client.join().unwrap();
        assert_eq!(ok, Ok(42));
        match bad {
            Err(TaskError::Panicked(p)) => assert_eq!(p.message(), "remote boom"),
            other => panic!("expected a panic, got {other:?}"),
        }
    });
}

#[test]
fn spawn_on_a_closed_loop_is_cancelled() {
    let event_loop = EventLoop::new();
    let handle: LoopHandle = event_loop.handle();
    event_loop.close().unwrap();
    assert!(handle.is_closed());
    assert_eq!(
        handle.spawn(async { 1 }).result(),
        Err(TaskError::Cancelled)
    );
}

#[test]
fn waking_twice_schedules_once_and_waking_a_finished_task_is_harmless() {
    let polls = Rc::new(Cell::new(0));
    let waker_slot: Rc<Cell<Option<Waker>>> = Rc::new(Cell::new(None));
    let event_loop = EventLoop::new();
    let (p, w) = (polls.clone(), waker_slot.clone());
    let task = event_loop.create_task(std::future::poll_fn(move |cx| {
        p.set(p.get() + 1);
        w.set(Some(cx.waker().clone()));
        if p.get() == 2 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }));
    event_loop.run_once().unwrap();
    assert_eq!(polls.get(), 1);
    let waker = waker_slot.take().unwrap();
    waker.wake_by_ref();
    waker.wake_by_ref();
    // And from another thread too, while a local wake is pending.
    let remote = waker.clone();
    std::thread::spawn(move || remote.wake()).join().unwrap();
    event_loop.run_once().unwrap();
    event_loop.run_once().unwrap();
    event_loop.run_once().unwrap();
    assert_eq!(polls.get(), 2, "several wakes, one step");
    assert!(task.done());
    waker.wake_by_ref();
    std::thread::spawn(move || waker.wake()).join().unwrap();
    event_loop.run_once().unwrap();
    assert_eq!(polls.get(), 2);
}

#[test]
fn the_wake_hook_runs_on_a_remote_wake() {
    let event_loop = EventLoop::new();
    let hooked = Arc::new(AtomicUsize::new(0));
    let h = hooked.clone();
    event_loop.set_wake_hook(Some(move || {
        h.fetch_add(1, Ordering::SeqCst);
    }));
    let handle = event_loop.handle();
    std::thread::spawn(move || handle.call_soon_threadsafe(|| {}).unwrap())
        .join()
        .unwrap();
    assert!(hooked.load(Ordering::SeqCst) >= 1);
    event_loop.run_once().unwrap();
    event_loop.set_wake_hook(None::<fn()>);
}

/// Remote wakes of one task coalesce (a wake that finds one queued pushes nothing), so the
/// step that the queued wake brings must see what every later waker wrote before its
/// `wake()`, or the task could wait forever for a wake that was spent. Many threads each
/// write, then wake; the task completes only once it has seen every write. (On x86-64 this
/// holds whatever the loop's ordering; the memory model needs its acquiring swap.)
#[test]
fn writes_before_coalesced_remote_wakes_are_seen_by_the_woken_step() {
    within_bound(|| {
        const THREADS: usize = 4;
        const EACH: usize = 2_000;
        let written = Arc::new(AtomicUsize::new(0));
        let seen = written.clone();
        let mut writers = Vec::new();
        let event_loop = EventLoop::new();
        event_loop
            .run_until_complete(std::future::poll_fn(|cx| {
                if writers.is_empty() {
                    for _ in 0..THREADS {
                        let (waker, written) = (cx.waker().clone(), written.clone());
                        writers.push(std::thread::spawn(move || {
                            for _ in 0..EACH {
                                // Relaxed: only the wake may make it visible to the loop.
                                written.fetch_add(1, Ordering::Relaxed);
                                waker.wake_by_ref();
                            }
                        }));
                    }
                }
                if seen.load(Ordering::Relaxed) == THREADS * EACH {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }))
            .unwrap();
        for writer in writers {
            writer.join().unwrap();
        }
    });
}

/// The hook is host code run on the waking thread: its panic must not unwind into the
/// remote caller, whose callback is queued all the same.
#[test]
fn a_panicking_wake_hook_stays_out_of_the_remote_caller() {
    let event_loop = EventLoop::new();
    event_loop.set_wake_hook(Some(|| panic!("hook broke")));
    let handle = event_loop.handle();
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let remote = std::thread::spawn(move || {
        let called = handle.call_soon_threadsafe(move || {
            r.fetch_add(1, Ordering::SeqCst);
        });
        handle.wake();
        called
    });
    let called = remote.join().expect("the hook's panic reached the caller");
    assert_eq!(called, Ok(()));
    event_loop.run_once().unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 1, "the callback was queued");
}

/// A host that steps the loop with `run_once()` (which never waits) must hear of every
/// remote wake that follows a step: ten `call_soon_threadsafe` calls from another thread,
/// each followed by a `run_once()`, fire the hook ten times. With no descriptor the loop
/// never enters a wait, so only looking at the injection queue can re-arm the hook.
fn the_wake_hook_fires_after_every_run_once(with_descriptor: bool) {
    within_bound(move || {
        let event_loop = EventLoop::new();
        #[cfg(unix)]
        let _watched = with_descriptor.then(|| {
            let (quiet, other_end) = std::os::unix::net::UnixStream::pair().unwrap();
            event_loop
                .add_reader(&quiet, || panic!("nothing is ever written"))
                .unwrap();
            (quiet, other_end)
        });
        let hooked = Arc::new(AtomicUsize::new(0));
        let h = hooked.clone();
        event_loop.set_wake_hook(Some(move || {
            h.fetch_add(1, Ordering::SeqCst);
        }));
        let (call_tx, call_rx) = mpsc::channel::<usize>();
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let handle = event_loop.handle();
        let caller = std::thread::spawn(move || {
            while let Ok(calls) = call_rx.recv() {
                for _ in 0..calls {
                    handle.call_soon_threadsafe(|| {}).unwrap();
                }
                done_tx.send(()).unwrap();
            }
        });
        for round in 1..=10 {
            call_tx.send(1).unwrap();
            done_rx
                .recv_timeout(HANG)
                .expect("the remote call returned");
            assert_eq!(
                hooked.load(Ordering::SeqCst),
                round,
                "the hook fired for remote call {round}"
            );
            event_loop.run_once().unwrap();
        }
        // Coalescing stays: a burst before the next look at the queue costs one hook call.
        call_tx.send(5).unwrap();
        done_rx
            .recv_timeout(HANG)
            .expect("the remote calls returned");
        assert_eq!(hooked.load(Ordering::SeqCst), 11);
        event_loop.run_once().unwrap();
        drop(call_tx);
        caller.join().unwrap();
    });
}

#[test]
fn the_wake_hook_fires_after_every_run_once_with_no_descriptor() {
    the_wake_hook_fires_after_every_run_once(false);
}

#[cfg(unix)]
#[test]
#[cfg_attr(miri, ignore = "Miri's epoll has edge-triggered registrations only")]
fn the_wake_hook_fires_after_every_run_once_in_the_poller() {
    the_wake_hook_fires_after_every_run_once(true);
}

/// Seed 003: two threads, each with its own loop, running at once.
#[test]
fn one_loop_per_thread() {
    within_bound(|| {
        let both = Arc::new(Barrier::new(2));
        let threads: Vec<_> = ["first", "second"]
            .into_iter()
            .map(|name| {
                let both = both.clone();
                std::thread::spawn(move || {
                    let event_loop = EventLoop::new();
                    event_loop
                        .run_until_complete(async move {
                            // Both loops are running at this point.
                            both.wait();
                            let tasks: Vec<_> = (0..3)
                                .map(|i| {
                                    create_task(async move {
                                        sleep(Duration::from_millis(1)).await;
                                        i
                                    })
                                })
                                .collect();
                            let mut sum = 0;
                            for t in tasks {
                                sum += t.await.unwrap();
                            }
                            let running = get_running_loop().unwrap();
                            (name, sum, running.is_running())
                        })
                        .unwrap()
                })
            })
            .collect();
        let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(results, [("first", 3, true), ("second", 3, true)]);
    });
}
