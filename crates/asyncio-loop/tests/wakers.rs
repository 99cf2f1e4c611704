//! A task's waker points at the task's own allocation, counted apart from the loop-side
//! references: these tests hold wakers past their task, past their loop and on other
//! threads, and check that a `!Send` output is still dropped on the loop's thread, that
//! late wakes do nothing, and that the done actions keep asyncio's order.

use std::cell::RefCell;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Barrier, Mutex, mpsc};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::ThreadId;

use asyncio_loop::{EventLoop, RunError, create_task};

/// The waker of the task that awaits this, taken on its first poll; the task then goes on.
async fn own_waker() -> Waker {
    poll_fn(|cx| Poll::Ready(cx.waker().clone())).await
}

/// Runs a task that hands out its waker and ends; returns the waker.
fn waker_of_a_finished_task(event_loop: &EventLoop) -> Waker {
    event_loop
        .run_until_complete(async { create_task(own_waker()).await.unwrap() })
        .unwrap()
}

/// Records the thread it is dropped on. Holds an `Rc`, so it is `!Send`, like many outputs.
struct DropsOn {
    dropped_on: Rc<RefCell<Option<ThreadId>>>,
}

impl Drop for DropsOn {
    fn drop(&mut self) {
        *self.dropped_on.borrow_mut() = Some(std::thread::current().id());
    }
}

#[test]
fn a_waker_outliving_its_task_and_its_loop_can_still_be_used() {
    let event_loop = EventLoop::new();
    let waker = waker_of_a_finished_task(&event_loop);
    event_loop.close().unwrap();
    drop(event_loop);
    // The task and its loop are gone; its waker is still valid to use and to drop.
    waker.wake_by_ref();
    let clone = waker.clone();
    assert!(clone.will_wake(&waker));
    clone.wake();
    std::thread::spawn(move || {
        waker.wake_by_ref();
        waker.wake();
    })
    .join()
    .unwrap();
}

#[test]
fn a_not_send_output_is_dropped_on_the_loop_thread_while_a_remote_waker_lives_on() {
    let dropped_on = Rc::new(RefCell::new(None));
    let (to_thread, waker_rx) = mpsc::channel::<Waker>();
    let (release, release_rx) = mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let waker = waker_rx.recv().unwrap();
        release_rx.recv().unwrap();
        // The last reference of all: frees the allocation here, on another thread.
        waker.wake();
    });
    let event_loop = EventLoop::new();
    let task = event_loop.create_task({
        let dropped_on = Rc::clone(&dropped_on);
        async move {
            to_thread.send(own_waker().await).unwrap();
            DropsOn { dropped_on }
        }
    });
    event_loop
        .run_until_complete(async {
            while !task.done() {
                asyncio_loop::sleep(std::time::Duration::ZERO).await;
            }
        })
        .unwrap();
    assert!(
        dropped_on.borrow().is_none(),
        "the output waits to be taken"
    );
    // The handle is the last loop-side reference: dropping it drops the output, here.
    drop(task);
    assert_eq!(*dropped_on.borrow(), Some(std::thread::current().id()));
    release.send(()).unwrap();
    holder.join().unwrap();
    event_loop.close().unwrap();
}

#[test]
fn a_remote_wake_of_a_finished_task_does_nothing() {
    let event_loop = EventLoop::new();
    let waker = waker_of_a_finished_task(&event_loop);
    std::thread::spawn(move || waker.wake()).join().unwrap();
    // The wake reached the injection queue; draining it finds the task over.
    event_loop.run_once().unwrap();
    assert!(event_loop.all_tasks().is_empty());
    let out = event_loop.run_until_complete(async { 5 });
    assert_eq!(out, Ok(5));
    event_loop.close().unwrap();
}

#[test]
fn a_stopped_main_task_is_not_revived_by_its_waker() {
    let event_loop = EventLoop::new();
    let stash: Rc<RefCell<Option<Waker>>> = Rc::default();
    let stopped = event_loop.run_until_complete({
        let stash = Rc::clone(&stash);
        let event_loop = event_loop.clone();
        async move {
            *stash.borrow_mut() = Some(own_waker().await);
            event_loop.stop();
            std::future::pending::<()>().await;
        }
    });
    assert_eq!(stopped, Err(RunError::StoppedBeforeComplete));
    let waker = stash.borrow_mut().take().unwrap();
    waker.wake();
    // The next run is not disturbed by the old main task.
    let out = event_loop.run_until_complete(async { asyncio_loop::all_tasks().len() });
    assert_eq!(out, Ok(1), "only the new main task is pending");
    event_loop.close().unwrap();
}

#[test]
fn wakers_cloned_woken_and_dropped_on_many_threads_leave_the_task_sound() {
    const THREADS: usize = 8;
    const CLONES: usize = 1_000;
    let event_loop = EventLoop::new();
    let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
    let start = Arc::new(Barrier::new(THREADS + 1));
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let slot = Arc::clone(&slot);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                let waker = slot.lock().unwrap().clone().unwrap();
                let clones: Vec<Waker> = (0..CLONES).map(|_| waker.clone()).collect();
                for (i, clone) in clones.into_iter().enumerate() {
                    if i % 100 == 0 {
                        clone.wake();
                    }
                }
            })
        })
        .collect();
    let steps = event_loop
        .run_until_complete({
            let slot = Arc::clone(&slot);
            async move {
                let task = create_task(async move {
                    let mut steps = 0;
                    poll_fn(|cx| {
                        steps += 1;
                        if steps == 1 {
                            *slot.lock().unwrap() = Some(cx.waker().clone());
                            start.wait();
                            return Poll::Pending;
                        }
                        // Woken: done once every worker has let go of its clones.
                        if Arc::strong_count(&slot) == 2 {
                            Poll::Ready(())
                        } else {
                            cx.waker().wake_by_ref();
                            Poll::Pending
                        }
                    })
                    .await;
                    steps
                });
                task.await.unwrap()
            }
        })
        .unwrap();
    for worker in workers {
        worker.join().unwrap();
    }
    assert!(steps >= 2, "woken at least once by the remote wakes");
    // Only the slot's own clone is left; dropping it (the last waker) frees the task.
    let last = slot.lock().unwrap().take().unwrap();
    drop(last);
    event_loop.close().unwrap();
}

/// Polls its future with a waker that is not a task's and passes wakes on to the task's
/// own, as combinators like `FuturesUnordered` do.
struct Foreign<F>(Pin<Box<F>>);

struct Forward(Mutex<Waker>);

impl Wake for Forward {
    fn wake(self: Arc<Self>) {
        self.0.lock().unwrap().wake_by_ref();
    }
}

impl<F: Future> Future for Foreign<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let waker = Waker::from(Arc::new(Forward(Mutex::new(cx.waker().clone()))));
        self.0.as_mut().poll(&mut Context::from_waker(&waker))
    }
}

/// Awaits `future` with the task's own waker, or through [`Foreign`].
async fn awaited<F: Future>(future: F, foreign: bool) -> F::Output {
    if foreign {
        Foreign(Box::pin(future)).await
    } else {
        future.await
    }
}

/// Runs a task `t` that yields twice, with done callbacks added before (`early`) and after
/// (`late`) another task starts awaiting it; returns the order things ran once `t` ended.
fn done_order(early: bool, late: bool) -> Vec<&'static str> {
    done_order_with(early, late, false)
}

/// [`done_order`], with `t` awaited through a waker that is not a task's if `foreign`.
fn done_order_with(early: bool, late: bool, foreign: bool) -> Vec<&'static str> {
    let event_loop = EventLoop::new();
    let log: Rc<RefCell<Vec<&'static str>>> = Rc::default();
    let push = |line: &'static str| {
        let log = Rc::clone(&log);
        move |_: &asyncio_loop::TaskRef| log.borrow_mut().push(line)
    };
    event_loop
        .run_until_complete(async {
            let t = create_task(async {
                asyncio_loop::sleep(std::time::Duration::ZERO).await;
                asyncio_loop::sleep(std::time::Duration::ZERO).await;
            });
            let t_ref = t.as_ref();
            if early {
                t_ref.add_done_callback(push("early callback"));
            }
            let awaiter = create_task({
                let log = Rc::clone(&log);
                async move {
                    awaited(t, foreign).await.unwrap();
                    log.borrow_mut().push("awaiter resumed");
                }
            });
            // One iteration: the awaiter's first step now awaits `t`.
            asyncio_loop::sleep(std::time::Duration::ZERO).await;
            if late {
                t_ref.add_done_callback(push("late callback"));
            }
            awaiter.await.unwrap();
        })
        .unwrap();
    event_loop.close().unwrap();
    log.borrow().clone()
}

#[test]
fn the_awaiter_is_woken_in_its_place_among_the_done_callbacks() {
    // asyncio: awaiting a task adds the awaiter's wake-up as a done callback at that
    // moment, so it runs after the callbacks added before and before those added after
    // (`tests/python/done_order.py` prints the same orders on CPython).
    assert_eq!(
        done_order(true, true),
        ["early callback", "awaiter resumed", "late callback"]
    );
    assert_eq!(
        done_order(false, true),
        ["awaiter resumed", "late callback"]
    );
    assert_eq!(
        done_order(true, false),
        ["early callback", "awaiter resumed"]
    );
    assert_eq!(done_order(false, false), ["awaiter resumed"]);
}

#[test]
fn an_awaiter_with_a_foreign_waker_keeps_the_same_place() {
    // The header keeps a task's waker in one word and any other in its extras; where the
    // awaiter is woken must not depend on which.
    for early in [false, true] {
        for late in [false, true] {
            assert_eq!(
                done_order_with(early, late, true),
                done_order(early, late),
                "early {early}, late {late}"
            );
        }
    }
}
