//! Ctrl-C in `asyncio::run`, as Python 3.11's `Runner` (tests/python/ctrl_c.py prints the
//! lines asserted here). The test binary runs itself as a child with `ASYNCIO_CTRL_C` set
//! to a mode; the child runs `asyncio::run` on its main thread (so this file has no
//! libtest harness: libtest runs tests on other threads, where `run` leaves SIGINT alone,
//! as Python's does), the parent sends SIGINT when the child prints a line starting with
//! "ready", and checks what the child printed, its exit, and that the child found SIGINT's
//! disposition back to `SIG_DFL` after `run`. A watchdog kills a child that hangs.
//!
//! The `per_core` modes do the same for `run_per_core` (two loops on other threads, the
//! calling main thread waiting in a loop of its own): the first SIGINT cancels every main,
//! a second stops every loop; Python has no loop set, so the lines follow `run`'s.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

use asyncio::{RunError, catch_cancelled, signal_is_default, sleep};

const MODE: &str = "ASYNCIO_CTRL_C";

fn main() {
    if let Ok(mode) = std::env::var(MODE) {
        return child(&mode);
    }
    // Speak enough of libtest's command line for `cargo test` and `cargo nextest`: a
    // listing (`--list`, with `--ignored` for the ignored ones: none), and a run of the
    // one test, `ctrl_c`, unless a filter names something else.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        if !args.iter().any(|a| a == "--ignored") {
            println!("ctrl_c: test");
        }
        return;
    }
    let filter = args.iter().find(|a| !a.starts_with('-'));
    if filter.is_some_and(|f| !"ctrl_c".contains(f.as_str())) {
        return;
    }
    parent();
}

/// Prints `line` at once: the parent acts on it.
fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").unwrap();
    out.flush().unwrap();
}

/// Prints its line when dropped: a cleanup that runs when its future is dropped.
struct OnDrop(&'static str);

impl Drop for OnDrop {
    fn drop(&mut self) {
        say(self.0);
    }
}

/// SIGINT's disposition is `SIG_DFL`, as `sigaction` reports it.
fn sigint_is_sig_dfl() -> bool {
    // SAFETY: a query (null new action) into a local.
    unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGINT, std::ptr::null(), &mut current) == 0
            && current.sa_sigaction == libc::SIG_DFL
    }
}

/// SIGINT's disposition is `SIG_IGN`.
fn sigint_is_ignored() -> bool {
    // SAFETY: a query (null new action) into a local.
    unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGINT, std::ptr::null(), &mut current) == 0
            && current.sa_sigaction == libc::SIG_IGN
    }
}

fn child(mode: &str) {
    assert!(asyncio::is_main_thread());
    if mode.starts_with("per_core") {
        return per_core_child(mode);
    }
    if mode == "ignored" {
        // SAFETY: setting a disposition, before anything else of the child runs.
        unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) };
    }
    let out = asyncio::run(async {
        if mode == "ignored" {
            // SIGINT was ignored before run: run leaves it so.
            say(&format!(
                "SIGINT ignored in run: {}",
                py_bool(sigint_is_ignored())
            ));
            return "done";
        }
        if mode == "own" {
            // The program's own handler replaces run's: SIGINT no longer cancels main.
            let got = Rc::new(asyncio::Event::new());
            let set = Rc::clone(&got);
            asyncio::get_running_loop()
                .unwrap()
                .add_signal_handler(libc::SIGINT, move || {
                    say("own handler");
                    set.set();
                })
                .unwrap();
            say("ready");
            got.wait().await;
            return "own";
        }
        asyncio::create_task(async {
            let _cleanup = OnDrop("leftover cleaned up");
            sleep(Duration::from_secs(3600)).await;
        });
        sleep(Duration::ZERO).await;
        assert!(!signal_is_default(libc::SIGINT), "run handles SIGINT");
        if mode == "plain" {
            // No catch scope: the cancellation drops main (its `Drop` cleanup runs).
            let _cleanup = OnDrop("main dropped");
            say("ready");
            sleep(Duration::from_secs(3600)).await;
        }
        say("ready");
        let Err(cancelled) = catch_cancelled(sleep(Duration::from_secs(3600))).await else {
            return "slept";
        };
        say("main cancelled");
        sleep(Duration::from_millis(1)).await;
        if mode == "twice" {
            let _cleanup = OnDrop("main dropped");
            say("ready again");
            sleep(Duration::from_secs(3600)).await;
        }
        say("main cleanup done");
        if mode == "swallow" {
            return "swallowed";
        }
        cancelled.reraise().await
    });
    match out {
        Ok(out) => say(&format!("run: Ok({out:?})")),
        Err(RunError::Interrupted) => say("run: Err(Interrupted)"),
        Err(other) => say(&format!("run: unexpected {other:?}")),
    }
    if mode == "ignored" {
        say(&format!(
            "SIGINT ignored after run: {}",
            py_bool(sigint_is_ignored())
        ));
    } else {
        let restored = sigint_is_sig_dfl() && signal_is_default(libc::SIGINT);
        say(&format!("SIGINT default: {}", py_bool(restored)));
    }
}

/// A set of two loops (`run_per_core`) on the main thread: the first SIGINT cancels both
/// mains, which note it; in "per_core_twice" a second stops both loops.
fn per_core_child(mode: &str) {
    const LEFTOVER: [&str; 2] = ["leftover 0 cleaned up", "leftover 1 cleaned up"];
    const DROPPED: [&str; 2] = ["main 0 dropped", "main 1 dropped"];
    let (in_scope, cancelled) = (asyncio::Barrier::new(2), asyncio::Barrier::new(2));
    let out = asyncio::run_per_core(2, |index, _| {
        let (in_scope, cancelled) = (&in_scope, &cancelled);
        async move {
            asyncio::create_task(async move {
                let _cleanup = OnDrop(LEFTOVER[index]);
                sleep(Duration::from_secs(3600)).await;
            });
            // Both mains are inside their catch scope before the SIGINT is sent.
            let waited = catch_cancelled(async {
                in_scope.wait().await.unwrap();
                if index == 0 {
                    say("ready");
                }
                sleep(Duration::from_secs(3600)).await;
            });
            let Err(error) = waited.await else {
                return "slept";
            };
            say(&format!("main {index} cancelled"));
            if mode == "per_core_twice" {
                let _cleanup = OnDrop(DROPPED[index]);
                cancelled.wait().await.unwrap();
                if index == 0 {
                    say("ready again");
                }
                sleep(Duration::from_secs(3600)).await;
            }
            error.reraise().await
        }
    });
    match out {
        Err(asyncio::LoopSetError::Interrupted) => say("run_per_core: Err(Interrupted)"),
        other => say(&format!("run_per_core: unexpected {other:?}")),
    }
    let restored = sigint_is_sig_dfl() && signal_is_default(libc::SIGINT);
    say(&format!("SIGINT default: {}", py_bool(restored)));
}

/// As Python prints a bool.
fn py_bool(value: bool) -> &'static str {
    if value { "True" } else { "False" }
}

/// Runs the child in `mode`, SIGINT at each "ready" line; its exit status and lines.
fn run_child(mode: &str) -> (std::process::ExitStatus, Vec<String>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(MODE, mode)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let (done, watchdog) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if watchdog.recv_timeout(Duration::from_secs(30)).is_err() {
            // SAFETY: `pid` is our child, not yet waited for (the parent waits after
            // this thread was told, or never).
            unsafe { libc::kill(pid, libc::SIGKILL) };
            return true;
        }
        false
    });
    let mut lines = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if line.starts_with("ready") {
            // SAFETY: as above: our child, still running (it has not closed stdout).
            unsafe { libc::kill(pid, libc::SIGINT) };
        }
        lines.push(line);
    }
    let status = child.wait().unwrap();
    let _ = done.send(());
    assert!(
        !watchdog.join().unwrap(),
        "{mode}: the child hung: {lines:?}"
    );
    (status, lines)
}

fn parent() {
    let cases: [(&str, &[&str]); 8] = [
        (
            "plain",
            &[
                "ready",
                "main dropped",
                "leftover cleaned up",
                "run: Err(Interrupted)",
                "SIGINT default: True",
            ],
        ),
        (
            "reraise",
            &[
                "ready",
                "main cancelled",
                "main cleanup done",
                "leftover cleaned up",
                "run: Err(Interrupted)",
                "SIGINT default: True",
            ],
        ),
        (
            "swallow",
            &[
                "ready",
                "main cancelled",
                "main cleanup done",
                "leftover cleaned up",
                "run: Ok(\"swallowed\")",
                "SIGINT default: True",
            ],
        ),
        (
            "twice",
            &[
                "ready",
                "main cancelled",
                "ready again",
                "main dropped",
                "leftover cleaned up",
                "run: Err(Interrupted)",
                "SIGINT default: True",
            ],
        ),
        (
            "own",
            &[
                "ready",
                "own handler",
                "run: Ok(\"own\")",
                "SIGINT default: True",
            ],
        ),
        (
            "per_core",
            &[
                "ready",
                "main 0 cancelled",
                "main 1 cancelled",
                "leftover 0 cleaned up",
                "leftover 1 cleaned up",
                "run_per_core: Err(Interrupted)",
                "SIGINT default: True",
            ],
        ),
        (
            "per_core_twice",
            &[
                "ready",
                "main 0 cancelled",
                "main 1 cancelled",
                "ready again",
                "main 0 dropped",
                "main 1 dropped",
                "leftover 0 cleaned up",
                "leftover 1 cleaned up",
                "run_per_core: Err(Interrupted)",
                "SIGINT default: True",
            ],
        ),
        (
            "ignored",
            &[
                "SIGINT ignored in run: True",
                "run: Ok(\"done\")",
                "SIGINT ignored after run: True",
            ],
        ),
    ];
    for (mode, expected) in cases {
        let (status, lines) = run_child(mode);
        assert!(status.success(), "{mode}: {status}; printed {lines:?}");
        if mode.starts_with("per_core") {
            // Two loops print in either order: each loop's lines (and the "ready" ones)
            // must come in the expected order, and all lines be there.
            for index in ["0", "1"] {
                let of_loop = |lines: &[&str]| -> Vec<String> {
                    lines
                        .iter()
                        .filter(|line| line.starts_with("ready") || line.contains(index))
                        .map(|line| line.to_string())
                        .collect()
                };
                let got: Vec<&str> = lines.iter().map(String::as_str).collect();
                assert_eq!(of_loop(&got), of_loop(expected), "{mode}, loop {index}");
            }
            let (mut got, mut want) = (lines.clone(), expected.to_vec());
            got.sort();
            want.sort();
            assert_eq!(got, want, "{mode}");
            assert_eq!(
                lines[lines.len().saturating_sub(2)..],
                expected[expected.len() - 2..]
            );
            println!("ctrl_c {mode}: ok");
            continue;
        }
        assert_eq!(lines, expected, "{mode}");
        println!("ctrl_c {mode}: ok");
    }
}
