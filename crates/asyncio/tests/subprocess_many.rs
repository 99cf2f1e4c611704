//! 1,000 short subprocesses (`true`), 50 at a time, leave no zombie and no descriptor open:
//! each child is reaped by the loop (its pidfd and pipes closed), whether it was awaited,
//! communicated with, or dropped unawaited. Alone in its binary: no other test starts
//! children or opens descriptors meanwhile.

use std::io;

use asyncio::subprocess::{DEVNULL, PIPE};
use asyncio::{Process, create_subprocess_exec};

const NO_ARGS: [&str; 0] = [];

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// A child of ours not reaped yet (running or a zombie), looked at without reaping.
fn unreaped(pid: libc::id_t) -> bool {
    // SAFETY: all-zero is a valid siginfo_t; waitid writes into it.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: `info` is valid and writable.
    let r = unsafe {
        libc::waitid(
            libc::P_PID,
            pid,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        )
    };
    r == 0
}

async fn one(i: usize) -> io::Result<u32> {
    let start = |args: &[&str]| create_subprocess_exec("true", args);
    let mut p: Process = match i % 4 {
        0 => start(&NO_ARGS).await?,
        1 => start(&NO_ARGS).stdout(PIPE).stderr(PIPE).await?,
        2 => start(&NO_ARGS).stdin(PIPE).stdout(DEVNULL).await?,
        _ => {
            start(&NO_ARGS)
                .stdin(PIPE)
                .stdout(PIPE)
                .stderr(PIPE)
                .await?
        }
    };
    let pid = p.pid();
    match i % 3 {
        0 => assert_eq!(p.wait().await, 0),
        1 => {
            let input = p.stdin.is_some().then_some(&b""[..]);
            p.communicate(input).await?;
            assert_eq!(p.returncode(), Some(0));
        }
        // Dropped unawaited: the loop still reaps it.
        _ => drop(p),
    }
    Ok(pid)
}

#[test]
fn a_thousand_children_leave_no_zombie_and_no_descriptor() {
    let (before, after, pids) = asyncio::run(async {
        // Warm up: the loop's poller exists from the first child on.
        assert_eq!(
            create_subprocess_exec("true", NO_ARGS).await?.wait().await,
            0
        );
        let before = open_descriptors();
        let mut pids = Vec::new();
        for batch in 0..20 {
            let tasks: Vec<_> = (0..50)
                .map(|i| asyncio::create_task(one(batch * 50 + i)))
                .collect();
            for task in tasks {
                pids.push(task.await.unwrap()?);
            }
        }
        // Failed starts leave nothing open either (std's pipes, and ours for STDOUT).
        for _ in 0..10 {
            let failed = create_subprocess_exec("/no/such/program", NO_ARGS)
                .stdin(PIPE)
                .stdout(PIPE)
                .stderr(asyncio::subprocess::STDOUT)
                .await;
            assert_eq!(failed.unwrap_err().kind(), io::ErrorKind::NotFound);
        }
        // The dropped ones are reaped by the loop as they exit, with nothing to await:
        // give it iterations (a bounded look each millisecond) until none is left.
        let mut rounds = 0;
        while pids.iter().any(|&pid| unreaped(pid)) {
            rounds += 1;
            assert!(rounds < 5000, "children left unreaped");
            asyncio::sleep(std::time::Duration::from_millis(1)).await;
        }
        // A dropped process's stdin pipe is closed by its writer's transport task, which
        // runs in the loop's next iterations: give it a few (a real leak never closes).
        let mut after = open_descriptors();
        for _ in 0..100 {
            if after == before {
                break;
            }
            asyncio::sleep(std::time::Duration::ZERO).await;
            after = open_descriptors();
        }
        Ok::<_, io::Error>((before, after, pids))
    })
    .unwrap()
    .unwrap();
    assert_eq!(pids.len(), 1000);
    assert_eq!(before, after, "descriptors left open");
    for pid in pids {
        assert!(!unreaped(pid), "child {pid} was not reaped");
    }
    // No child of this process is left at all: waitpid(-1) has nobody to wait for.
    // SAFETY: a null status pointer is allowed.
    let r = unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) };
    assert_eq!(r, -1);
    assert_eq!(
        io::Error::last_os_error().raw_os_error(),
        Some(libc::ECHILD)
    );
}
