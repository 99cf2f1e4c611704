//! The task dump at the loop's level: creation sites, what a task waits on (a sleep and its
//! deadline, a socket read, another task), `get_stack`, the dump on a signal, and debug
//! mode's report of a slow I/O operation. (asyncio has no structured dump to compare a
//! trace with: these assert what the futures said on their `Pending` paths.)

use std::cell::RefCell;
use std::io::Read;
use std::rc::Rc;
use std::time::{Duration, Instant};

use asyncio_loop::{
    DumpState, EventLoop, ExceptionContext, IoSource, TaskDump, UnixStream, WaitingOn,
    create_task_named, get_running_loop, sleep,
};
use futures_lite::AsyncReadExt;

/// Runs `body` in a task of a loop, lets every task it made start and suspend, then dumps.
fn dump_after<T: 'static>(body: impl FnOnce() -> T + 'static) -> TaskDump {
    let event_loop = EventLoop::new();
    let dump = event_loop
        .run_until_complete(async move {
            let kept = body();
            sleep(Duration::ZERO).await;
            sleep(Duration::ZERO).await;
            let dump = get_running_loop().unwrap().dump();
            drop(kept);
            dump
        })
        .unwrap();
    event_loop.cancel_all_tasks();
    event_loop.close().unwrap();
    dump
}

#[test]
fn a_task_records_the_line_that_created_it() {
    let expected = line!() + 1;
    let body = || create_task_named("made", std::future::pending::<()>());
    let dump = dump_after(body);
    let made = dump.find("made").expect("the task is pending");
    let at = made.created_at.expect("recorded");
    assert_eq!((at.file(), at.line()), (file!(), expected));
    assert_eq!(made.age, None, "ages are recorded in debug mode only");
    // The run's main task is the `run_until_complete` line's.
    let main = dump.tasks().iter().find(|t| t.name != "made").unwrap();
    assert_eq!(main.created_at.unwrap().file(), file!());
    assert_eq!(main.state, DumpState::Running);
}

#[test]
fn debug_mode_records_a_tasks_age() {
    let event_loop = EventLoop::new();
    event_loop.set_debug(true);
    let task = event_loop.create_task_named("aged", std::future::pending::<()>());
    let dump = event_loop.dump();
    let age = dump
        .find("aged")
        .unwrap()
        .age
        .expect("debug mode records it");
    assert!(age < Duration::from_secs(60));
    assert!(dump.to_string().contains("s ago"), "{dump}");
    task.cancel();
    event_loop
        .run_until_complete(sleep(Duration::ZERO))
        .unwrap();
    event_loop.close().unwrap();
}

#[test]
fn a_sleeping_task_shows_its_deadline() {
    let before = Instant::now();
    let dump = dump_after(|| create_task_named("sleeper", sleep(Duration::from_secs(30))));
    let sleeper = dump.find("sleeper").unwrap();
    let WaitingOn::Sleep { deadline } = sleeper.waiting_on else {
        panic!("{:?}", sleeper.waiting_on);
    };
    assert!(deadline >= before + Duration::from_secs(30));
    assert!(deadline <= Instant::now() + Duration::from_secs(30));
    assert_eq!(sleeper.state, DumpState::Waiting);
    assert!(
        dump.to_string()
            .contains("sleeper [waiting] on sleep (due in "),
        "{dump}"
    );
}

#[test]
fn a_task_reading_a_socket_shows_the_descriptor() {
    let fd = Rc::new(RefCell::new(None));
    let seen = Rc::clone(&fd);
    let dump = dump_after(move || {
        let (reader, writer) = std::os::unix::net::UnixStream::pair().unwrap();
        *seen.borrow_mut() = Some(std::os::fd::AsRawFd::as_raw_fd(&reader));
        let mut reader = UnixStream::from_std(reader).unwrap();
        let task = create_task_named("reader", async move {
            let mut buf = [0; 4];
            reader.read(&mut buf).await
        });
        (task, writer)
    });
    let fd = fd.borrow().unwrap();
    let reader = dump.find("reader").unwrap();
    assert_eq!(reader.waiting_on, WaitingOn::Io { fd, write: false });
    assert!(
        dump.to_string()
            .contains(&format!("reader [waiting] on fd {fd} readable")),
        "{dump}"
    );
}

#[test]
fn a_task_awaiting_a_task_has_it_nested_and_its_stack_follows_the_chain() {
    let event_loop = EventLoop::new();
    event_loop
        .run_until_complete(async {
            let leaf = create_task_named("leaf", sleep(Duration::from_secs(30)));
            let middle = create_task_named("middle", leaf);
            let top = create_task_named("top", middle);
            sleep(Duration::ZERO).await;
            sleep(Duration::ZERO).await;
            let dump = get_running_loop().unwrap().dump();
            let text = dump.to_string();
            let tree: Vec<&str> = text
                .lines()
                .filter(|l| !l.contains("pending tasks") && !l.contains("[running]"))
                .map(|l| l.split(" [").next().unwrap())
                .collect();
            assert_eq!(tree, ["top", "  middle", "    leaf"], "{text}");
            let leaf_id = dump.find("leaf").unwrap().id;
            assert_eq!(
                dump.find("middle").unwrap().waiting_on,
                WaitingOn::Task(leaf_id)
            );

            let stack = top.as_ref().get_stack();
            let names: Vec<&str> = stack.iter().map(|t| t.name.as_str()).collect();
            assert_eq!(names, ["top", "middle", "leaf"]);
            assert!(matches!(stack[2].waiting_on, WaitingOn::Sleep { .. }));
            let mut printed = Vec::new();
            top.as_ref().print_stack(&mut printed).unwrap();
            let printed = String::from_utf8(printed).unwrap();
            assert_eq!(printed.lines().count(), 3, "{printed}");
            assert!(printed.starts_with("top [waiting] Task("), "{printed}");
            top.cancel();
            assert!(top.await.is_err());
        })
        .unwrap();
    event_loop.close().unwrap();
}

#[test]
fn what_a_task_waited_on_is_forgotten_when_it_runs_again() {
    let event_loop = EventLoop::new();
    let waiting = event_loop
        .run_until_complete(async {
            let task = create_task_named("ticker", async {
                sleep(Duration::from_millis(1)).await;
                std::future::pending::<()>().await;
            });
            sleep(Duration::from_millis(20)).await;
            let dump = get_running_loop().unwrap().dump();
            task.cancel();
            dump.find("ticker").unwrap().waiting_on.clone()
        })
        .unwrap();
    assert_eq!(waiting, WaitingOn::Unknown, "the sleep is over");
    event_loop.close().unwrap();
}

/// Debug mode: an operation of a socket that holds the loop's thread past
/// `slow_callback_duration` is reported with the task's name.
#[test]
fn a_slow_io_operation_is_reported_in_debug_mode() {
    let reports = Rc::new(RefCell::new(Vec::new()));
    let seen = Rc::clone(&reports);
    let event_loop = EventLoop::new();
    event_loop.set_exception_handler(Some(move |context: &ExceptionContext| {
        seen.borrow_mut().push(context.message().to_owned());
    }));
    let slow_read = |debug: bool| {
        event_loop.set_debug(debug);
        event_loop.set_slow_callback_duration(Duration::from_millis(20));
        event_loop
            .run_until_complete(async {
                let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
                a.set_nonblocking(true).unwrap();
                let source = IoSource::new(a).unwrap();
                std::io::Write::write_all(&mut b, b"x").unwrap();
                let task = create_task_named("slow-reader", async move {
                    source
                        .read_with(|mut s| {
                            // A read that blocks the loop's thread (a stalled device).
                            std::thread::sleep(Duration::from_millis(40));
                            s.read(&mut [0; 1])
                        })
                        .await
                });
                task.await.unwrap().unwrap()
            })
            .unwrap()
    };
    assert_eq!(slow_read(false), 1);
    assert!(reports.borrow().is_empty(), "{:?}", reports.borrow());
    assert_eq!(slow_read(true), 1);
    let reports = reports.borrow();
    let io = reports
        .iter()
        .find(|m| m.contains(": read on fd"))
        .unwrap_or_else(|| panic!("{reports:?}"));
    assert!(
        io.starts_with("Executing <Task pending name='slow-reader'>: read on fd "),
        "{io}"
    );
    assert!(io.ends_with(" seconds"), "{io}");
    drop(reports);
    event_loop.close().unwrap();
}

/// The child half of `the_dump_is_printed_on_sigusr1`: does nothing unless run by it.
#[test]
fn dump_on_signal_child() {
    if std::env::var_os("ASYNCIO_DUMP_CHILD").is_none() {
        return;
    }
    let event_loop = EventLoop::new();
    event_loop.enable_dump_on_signal(libc::SIGUSR1).unwrap();
    event_loop
        .run_until_complete(async {
            let parked = create_task_named("parked", sleep(Duration::from_secs(30)));
            sleep(Duration::ZERO).await;
            // SAFETY: raising a signal this process handles (the loop's handler).
            unsafe { libc::raise(libc::SIGUSR1) };
            // The dump runs as a callback of a later iteration.
            for _ in 0..10 {
                sleep(Duration::from_millis(1)).await;
            }
            parked.cancel();
        })
        .unwrap();
    event_loop.close().unwrap();
}

#[test]
fn the_dump_is_printed_on_sigusr1() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "dump_on_signal_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("ASYNCIO_DUMP_CHILD", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("2 pending tasks"), "{stderr}");
    assert!(stderr.contains("parked [waiting] on sleep"), "{stderr}");
    assert!(
        stderr.contains(&format!("created at {}", file!())),
        "{stderr}"
    );
}

#[test]
fn tasks_made_from_another_thread_record_the_callers_line() {
    let event_loop = EventLoop::new();
    let handle = event_loop.handle();
    let (line, spawned) = std::thread::spawn(move || {
        let line = line!() + 1;
        let spawned = handle.spawn(async { std::future::pending::<()>().await });
        (line, spawned)
    })
    .join()
    .unwrap();
    event_loop
        .run_until_complete(sleep(Duration::ZERO))
        .unwrap();
    let dump = event_loop.dump();
    let remote = dump
        .tasks()
        .iter()
        .find(|t| t.created_at.is_some_and(|at| at.line() == line))
        .unwrap_or_else(|| panic!("{dump}"));
    assert_eq!(remote.created_at.unwrap().file(), file!());
    drop(spawned);
    event_loop.cancel_all_tasks();
    event_loop.close().unwrap();
}
