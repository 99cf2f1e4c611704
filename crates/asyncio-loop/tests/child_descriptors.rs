//! What a child watch holds open: its pidfd and nothing more. One test in its own binary,
//! so that no other test opens or closes descriptors while this one counts them.

use std::process::{Command, Stdio};

use asyncio_loop::{ChildWatch, EventLoop};

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// The loop registers a child's pidfd as it is, sharing it, instead of a duplicate of it
/// (three system calls per child: the duplicate, its identity check, its close). A watch
/// pending on a loop whose poller exists adds exactly one descriptor; before, two.
#[test]
fn a_pending_child_watch_holds_one_descriptor() {
    let event_loop = EventLoop::new();
    let (added, uses_pidfd) = event_loop
        .run_until_complete(async {
            // The first watch makes the loop's poller (its own descriptors): count after it.
            let spawn = || {
                Command::new("sleep")
                    .arg("5")
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap()
            };
            let first = ChildWatch::new(spawn()).unwrap();
            let before = open_descriptors();
            let second = ChildWatch::new(spawn()).unwrap();
            let added = open_descriptors() - before;
            let uses_pidfd = second.uses_pidfd();
            for watch in [&first, &second] {
                watch.send_signal(libc::SIGKILL).unwrap();
                assert_eq!(watch.wait().await, -libc::SIGKILL);
            }
            (added, uses_pidfd)
        })
        .unwrap();
    // Without a pidfd (an old kernel, valgrind) the loop polls the pid: nothing is opened.
    assert_eq!(added, usize::from(uses_pidfd));
    let before_close = open_descriptors();
    event_loop.close().unwrap();
    assert!(open_descriptors() <= before_close);
}
