//! A child's pidfd that gets the number of a descriptor closed without `remove_reader`.
//! One test in its own binary: it relies on the kernel giving the lowest free number, so
//! no other test may open or close descriptors meanwhile.

use std::cell::RefCell;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::rc::Rc;

use asyncio_loop::{ChildWatch, EventLoop, ExceptionContext};

/// The loop shares a child's pidfd instead of registering a duplicate (`add_shared`); when
/// a stale registration of a closed descriptor holds the pidfd's number, it goes through
/// `add_reader`'s path instead, which drops the stale registration and reports it. Before,
/// that path asserted that no stale registration could be there (a panic in debug builds,
/// the report silently lost in release ones).
#[test]
fn a_pidfd_on_a_stale_registrations_number_replaces_it_and_it_is_reported() {
    let event_loop = EventLoop::new();
    let reports = Rc::new(RefCell::new(Vec::new()));
    let r = reports.clone();
    event_loop.set_exception_handler(Some(move |context: &ExceptionContext| {
        r.borrow_mut().push(context.message().to_owned());
    }));
    let outcome = event_loop.run_until_complete(async {
        let (_peer, old) = UnixStream::pair().unwrap();
        asyncio_loop::get_running_loop()
            .unwrap()
            .add_reader(&old, || {})
            .unwrap();
        let number = old.into_raw_fd();
        // Closed without remove_reader: the loop's registration under `number` is stale.
        // SAFETY: `number` is ours (from `into_raw_fd`) and closed once, here.
        drop(unsafe { OwnedFd::from_raw_fd(number) });
        // Make `number` the lowest free descriptor: hold every lower hole open.
        let mut holes = Vec::new();
        loop {
            let file = std::fs::File::open("/dev/null").unwrap();
            if file.as_raw_fd() == number {
                break;
            }
            holes.push(file);
        }
        let child = Command::new("true")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let watch = ChildWatch::new(child).unwrap();
        // The watch's exit is still noticed, through whichever path registered it.
        (watch.uses_pidfd(), watch.wait().await)
    });
    let (uses_pidfd, code) = outcome.unwrap();
    assert_eq!(code, 0);
    if uses_pidfd {
        // (Without a pidfd, under valgrind, nothing reuses the number.)
        assert_eq!(reports.borrow().len(), 1, "{:?}", reports.borrow());
        assert!(reports.borrow()[0].contains("closed without remove_reader()"));
    }
    event_loop.close().unwrap();
}
