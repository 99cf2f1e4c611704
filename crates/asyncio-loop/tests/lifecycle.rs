//! A loop dropped or closed with work pending frees it all, on its own thread, without
//! panicking; descriptors registered with `add_reader` are watched level-triggered.

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::time::Duration;

use asyncio_loop::{EventLoop, ExceptionContext, all_tasks, create_task, current_task, sleep};

struct Counted(Rc<Cell<usize>>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

fn pending_work(event_loop: &EventLoop, dropped: &Rc<Cell<usize>>) {
    for _ in 0..10 {
        let guard = Counted(dropped.clone());
        drop(event_loop.create_task(async move {
            let _guard = guard;
            sleep(Duration::from_secs(3600)).await;
        }));
    }
    let guard = Counted(dropped.clone());
    event_loop.call_soon(move || drop(guard));
    let guard = Counted(dropped.clone());
    event_loop.call_later(Duration::from_secs(3600), move || drop(guard));
}

#[test]
fn dropping_a_loop_with_pending_work_frees_it() {
    let dropped = Rc::new(Cell::new(0));
    let event_loop = EventLoop::new();
    pending_work(&event_loop, &dropped);
    event_loop.run_once().unwrap();
    pending_work(&event_loop, &dropped);
    drop(event_loop);
    assert_eq!(
        dropped.get(),
        2 * 12,
        "every task, callback and timer freed once"
    );
}

#[test]
fn close_frees_pending_work() {
    let dropped = Rc::new(Cell::new(0));
    let event_loop = EventLoop::new();
    pending_work(&event_loop, &dropped);
    event_loop.close().unwrap();
    assert_eq!(dropped.get(), 12);
}

#[test]
fn all_tasks_current_task_and_names() {
    let event_loop = EventLoop::new();
    event_loop
        .run_until_complete(async {
            let main = current_task().unwrap();
            assert!(main.name().starts_with("Task-"));
            let t = create_task(sleep(Duration::from_millis(1)));
            let named = asyncio_loop::create_task_named("worker", sleep(Duration::ZERO));
            assert_eq!(format!("{named:?}"), "<Task pending name='worker'>");
            t.set_name("renamed");
            let mut names: Vec<_> = all_tasks().iter().map(|t| t.name()).collect();
            names.sort();
            let mut expected = vec![main.name(), "renamed".to_owned(), "worker".to_owned()];
            expected.sort();
            assert_eq!(names, expected);
            let t_ref = t.as_ref();
            t.await.unwrap();
            assert_eq!(format!("{t_ref:?}"), "<Task finished name='renamed'>");
            let c = create_task(sleep(Duration::from_secs(1)));
            c.cancel();
            let c_ref = c.as_ref();
            let _ = c.await;
            assert_eq!(
                format!("{c_ref:?}"),
                "<Task cancelled name='{}'>".replace("{}", &c_ref.name())
            );
            named.await.unwrap();
        })
        .unwrap();
    assert!(event_loop.all_tasks().is_empty());
}

#[test]
fn task_numbers_increase() {
    let event_loop = EventLoop::new();
    let a = event_loop.create_task(async {});
    let b = event_loop.create_task(async {});
    let n = |t: &asyncio_loop::Task<()>| t.name()["Task-".len()..].parse::<u64>().unwrap();
    assert!(n(&b) > n(&a));
}

#[test]
fn cancel_all_tasks_cancels_and_waits() {
    let dropped = Rc::new(Cell::new(0));
    let event_loop = EventLoop::new();
    pending_work(&event_loop, &dropped);
    event_loop.run_once().unwrap();
    assert_eq!(event_loop.all_tasks().len(), 10);
    event_loop.cancel_all_tasks();
    assert!(event_loop.all_tasks().is_empty());
    assert_eq!(dropped.get(), 11, "ten tasks and the ready callback");
}

#[test]
fn done_callbacks_run_through_call_soon_in_order() {
    let event_loop = EventLoop::new();
    let order = Rc::new(std::cell::RefCell::new(Vec::new()));
    let task = event_loop.create_task(async { 5 });
    for i in 0..3 {
        let order = order.clone();
        task.add_done_callback(move |t| order.borrow_mut().push((i, t.done())));
    }
    event_loop.run_once().unwrap();
    assert!(task.done());
    assert!(
        order.borrow().is_empty(),
        "callbacks run the iteration after completion"
    );
    event_loop.run_once().unwrap();
    assert_eq!(*order.borrow(), [(0, true), (1, true), (2, true)]);
}

#[cfg(unix)]
#[test]
#[cfg_attr(miri, ignore = "Miri's epoll has edge-triggered registrations only")]
fn add_reader_runs_while_readable_and_remove_reader_stops_it() {
    use std::io::{Read, Write};
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    let (mut a, b) = UnixStream::pair().unwrap();
    let event_loop = EventLoop::new();
    let reads = Rc::new(Cell::new(0));
    let r = reads.clone();
    let reader = b.try_clone().unwrap();
    event_loop
        .add_reader(&b, move || {
            let mut buf = [0u8; 1];
            (&reader).read_exact(&mut buf).unwrap();
            r.set(r.get() + 1);
        })
        .unwrap();
    a.write_all(b"xy").unwrap();
    // Level-triggered: two bytes, two iterations, one byte each.
    event_loop.run_once_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(reads.get(), 1);
    event_loop.run_once_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(reads.get(), 2);
    let writable = Rc::new(Cell::new(false));
    let w = writable.clone();
    event_loop.add_writer(&a, move || w.set(true)).unwrap();
    event_loop.run_once_timeout(Duration::from_secs(5)).unwrap();
    assert!(writable.get());
    assert!(event_loop.remove_writer(a.as_raw_fd()));
    assert!(event_loop.remove_reader(b.as_raw_fd()));
    assert!(!event_loop.remove_reader(b.as_raw_fd()));
    a.write_all(b"z").unwrap();
    event_loop.run_once().unwrap();
    assert_eq!(reads.get(), 2);
}

/// A value whose `Drop` panics with its message.
struct PanicsOnDrop(&'static str);

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}

/// A reader registered on one end of a socket pair whose other copies are closed: the
/// loop's duplicate is then the only thing keeping that end open.
#[cfg(unix)]
struct Watched {
    fd: std::os::fd::RawFd,
    /// The caller's descriptor, kept open while the loop may watch it (closing it without
    /// `remove_reader` would free its number for reuse, which the loop reports), and closed
    /// by `released` so that only the loop's duplicate can hold the file.
    watched: RefCell<Option<std::os::unix::net::UnixStream>>,
    other_end: std::os::unix::net::UnixStream,
}

#[cfg(unix)]
impl Watched {
    fn register(event_loop: &EventLoop, callback: impl FnMut() + 'static) -> Watched {
        use std::os::fd::AsRawFd;
        let (watched, other_end) = std::os::unix::net::UnixStream::pair().unwrap();
        other_end.set_nonblocking(true).unwrap();
        event_loop.add_reader(&watched, callback).unwrap();
        Watched {
            fd: watched.as_raw_fd(),
            watched: RefCell::new(Some(watched)),
            other_end,
        }
    }

    /// Whether the loop has let go of its duplicate: the other end then reads end of file.
    fn released(&self) -> bool {
        use std::io::Read;
        drop(self.watched.borrow_mut().take());
        let mut buf = [0u8; 1];
        match (&self.other_end).read(&mut buf) {
            Ok(0) => true,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
            other => panic!("unexpected read: {other:?}"),
        }
    }
}

/// Closes `event_loop`, set up with one value that panics when dropped and a reader, and
/// checks the close went through: no unwind, the loop closed, the reader deregistered and
/// its descriptor released, and the panic reported to the exception handler.
#[cfg(unix)]
fn close_survives(set_up: impl FnOnce(&EventLoop), message: &str) {
    let event_loop = EventLoop::new();
    let reports = Rc::new(RefCell::new(Vec::new()));
    let r = reports.clone();
    event_loop.set_exception_handler(Some(move |context: &ExceptionContext| {
        let panic = context.panic().map(|p| p.message().to_owned());
        r.borrow_mut().push(panic.unwrap_or_default());
    }));
    let watched = Watched::register(&event_loop, || {});
    set_up(&event_loop);
    let closed = catch_unwind(AssertUnwindSafe(|| event_loop.close()));
    assert!(matches!(closed, Ok(Ok(()))), "close() unwound");
    assert!(event_loop.is_closed());
    assert!(
        !event_loop.remove_reader(watched.fd),
        "the reader is still registered"
    );
    assert!(watched.released(), "the loop's duplicate is still open");
    assert_eq!(*reports.borrow(), [message]);
}

#[cfg(unix)]
#[test]
#[cfg_attr(miri, ignore = "Miri's epoll has edge-triggered registrations only")]
fn close_survives_a_pending_callback_that_panics_when_dropped() {
    close_survives(
        |event_loop| {
            let bomb = PanicsOnDrop("callback dropped");
            event_loop.call_soon(move || drop(bomb));
        },
        "callback dropped",
    );
}

#[cfg(unix)]
#[test]
#[cfg_attr(miri, ignore = "Miri's epoll has edge-triggered registrations only")]
fn close_survives_a_done_callback_that_panics_when_dropped() {
    close_survives(
        |event_loop| {
            let task = event_loop.create_task(std::future::pending::<()>());
            let bomb = PanicsOnDrop("done callback dropped");
            task.add_done_callback(move |_| drop(bomb));
        },
        "done callback dropped",
    );
}

#[cfg(unix)]
#[test]
#[cfg_attr(miri, ignore = "Miri's epoll has edge-triggered registrations only")]
fn close_survives_a_reader_that_panics_when_dropped() {
    let mut second = None;
    close_survives(
        |event_loop| {
            let bomb = PanicsOnDrop("reader dropped");
            second = Some(Watched::register(event_loop, move || {
                let _ = &bomb;
            }));
        },
        "reader dropped",
    );
    assert!(
        second.unwrap().released(),
        "the second duplicate is still open"
    );
}

/// A descriptor closed without `remove_reader` whose number then names another file: the
/// next `add_reader` for that number drops the stale registration (closing the loop's
/// duplicate of the old file, whose peer then reads its end), watches the new file, and
/// says so through the exception handler, instead of running the new callback for the old
/// file's data and never for the new one's.
#[cfg(unix)]
#[test]
#[cfg_attr(miri, ignore = "Miri's epoll has edge-triggered registrations only")]
fn a_reused_descriptor_number_replaces_the_stale_registration_and_is_reported() {
    use std::io::{Read, Write};
    use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
    use std::os::unix::net::UnixStream;

    let event_loop = EventLoop::new();
    let reports = Rc::new(RefCell::new(Vec::new()));
    let r = reports.clone();
    event_loop.set_exception_handler(Some(move |context: &ExceptionContext| {
        r.borrow_mut().push(context.message().to_owned());
    }));
    let (old_peer, old) = UnixStream::pair().unwrap();
    old_peer.set_nonblocking(true).unwrap();
    event_loop.add_reader(&old, || {}).unwrap();
    // Made before the old number is closed, so that neither end takes that number.
    let (mut new_peer, new) = UnixStream::pair().unwrap();
    let number = old.into_raw_fd();
    // Closed without remove_reader...
    // SAFETY: `number` is ours (from `into_raw_fd`) and closed once, here.
    drop(unsafe { OwnedFd::from_raw_fd(number) });
    // ...and the number reused by another file (dup2 makes the reuse certain).
    // SAFETY: `dup2` onto a number nobody owns now; `reused` takes ownership of it.
    let reused = unsafe {
        assert_eq!(libc::dup2(new.as_raw_fd(), number), number);
        OwnedFd::from_raw_fd(number)
    };
    let seen = Rc::new(Cell::new(0));
    let s = seen.clone();
    let mut buf = [0u8; 8];
    let reader = UnixStream::from(reused.try_clone().unwrap());
    event_loop
        .add_reader(&reused, move || {
            let _ = (&reader).read(&mut buf);
            s.set(s.get() + 1);
        })
        .unwrap();
    assert_eq!(reports.borrow().len(), 1, "{:?}", reports.borrow());
    assert!(reports.borrow()[0].contains("closed without remove_reader()"));
    // The old file is closed now: its peer reads its end.
    let mut end = [0u8; 1];
    assert_eq!((&old_peer).read(&mut end).unwrap(), 0);
    // The new file is watched.
    new_peer.write_all(b"x").unwrap();
    event_loop.run_once_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(seen.get(), 1);
    assert!(event_loop.remove_reader(number));
    drop(new);
}
