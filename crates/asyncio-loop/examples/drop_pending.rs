//! A loop dropped, and another closed, with every kind of work still pending: tasks parked
//! on sleeps, futures and other tasks, callbacks, timers, a cross-thread callback, a
//! registered descriptor; and wakers that outlive their tasks and loops, the last of them
//! dropped on another thread (which frees those tasks there). Prints what it freed. Meant to
//! run under `valgrind --leak-check=full --error-exitcode=1` to prove nothing leaks and no
//! task memory is touched after it is freed.

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use asyncio_loop::{EventLoop, sleep};

struct Counted(Rc<Cell<usize>>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

fn fill(event_loop: &EventLoop, freed: &Rc<Cell<usize>>, wakers: &Rc<RefCell<Vec<Waker>>>) {
    // A task that hands out its waker and parks forever: the loop drops its future, the
    // waker keeps the allocation.
    let guard = Counted(freed.clone());
    let stash = Rc::clone(wakers);
    drop(event_loop.create_task(async move {
        let _guard = guard;
        poll_fn(|cx| {
            stash.borrow_mut().push(cx.waker().clone());
            Poll::<()>::Pending
        })
        .await;
    }));
    let future = event_loop.create_future::<u32>();
    for i in 0..100 {
        let guard = Counted(freed.clone());
        let future = future.clone();
        let inner = event_loop.create_task(async move {
            let _guard = guard;
            if i % 2 == 0 {
                sleep(Duration::from_secs(3600)).await;
            } else {
                let _ = future.await;
            }
        });
        let guard = Counted(freed.clone());
        drop(event_loop.create_task(async move {
            let _guard = guard;
            let _ = inner.await;
        }));
        let guard = Counted(freed.clone());
        event_loop.call_later(Duration::from_secs(3600), move || drop(guard));
    }
    let guard = Counted(freed.clone());
    event_loop.call_soon(move || drop(guard));
    event_loop.handle().call_soon_threadsafe(|| {}).unwrap();
    #[cfg(unix)]
    {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        event_loop.add_reader(&a, || {}).unwrap();
    }
}

fn main() {
    let freed = Rc::new(Cell::new(0));
    let wakers = Rc::new(RefCell::new(Vec::new()));
    let dropped = EventLoop::new();
    fill(&dropped, &freed, &wakers);
    dropped.run_once().unwrap();
    fill(&dropped, &freed, &wakers);
    dropped.run_once().unwrap();
    drop(dropped);

    let closed = EventLoop::new();
    fill(&closed, &freed, &wakers);
    closed.run_once().unwrap();
    closed.close().unwrap();
    drop(closed);
    println!("freed {} guards", freed.get());

    // Every loop is gone; the wakers still work, and the last ones free their tasks on
    // another thread.
    let wakers = wakers.take();
    let count = wakers.len();
    std::thread::spawn(move || {
        for waker in wakers {
            waker.wake_by_ref();
            waker.wake();
        }
    })
    .join()
    .unwrap();
    println!("woke and dropped {count} wakers that outlived their loops, on another thread");
}
