//! The `floors` group: the loop's hot paths counted in instructions, not timed, beside
//! hand-rolled floors that do the least the same work can cost, so that a regression shows
//! on a noisy machine and the distance to the floor is one figure.
//!
//! Each instruction case runs in a child process of this binary under valgrind's callgrind,
//! twice, with `n1` and then `n2` operations; the figure is the difference of the two totals
//! over `n2 - n1`. Everything done once (process start, building the runtime, the first
//! allocation of each kind) is in both totals and cancels, so the figure is exact for the
//! operation and the same on every run of the same build. Set `ASYNCIO_BENCH_CALLGRIND_DIR`
//! to keep each run's callgrind file there for `callgrind_annotate`.
//!
//! - `spawn_await`: spawn `n` trivial tasks, then await each. Floor: `n` boxed closures
//!   pushed onto a `VecDeque`, then popped and called.
//! - `yield_2`: `n` `sleep(0)`-style yields shared by two tasks (a round trip through the
//!   ready queue each). Floor: two boxed `FnMut`s taking turns through a `VecDeque`.
//! - `wake`: a task whose future wakes its own waker and returns `Pending`, `n` times: one
//!   wake and one re-poll each. Floor: the same future polled by a hand-written executor
//!   whose waker is a bare vtable pushing onto a `VecDeque`.
//! - `idle_task` (`bytes/task`, no valgrind): heap bytes in use per parked task, from
//!   glibc's `mallinfo2` before and after spawning 100,000 tasks parked on one
//!   `asyncio_sync::Event`: every malloc chunk the tasks hold, headers included, and none of
//!   the page-level noise of resident memory (`loop/idle_task_memory` gives that one). Floor:
//!   the same future boxed and polled once, so it is in the event's waiter list.

use std::collections::VecDeque;
use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use std::time::Duration;

use async_executor::LocalExecutor;

use crate::harness::Bench;
use crate::loop_::{on_ours, on_smol, on_tokio};

/// Set in a child process: `<case> <implementation> <n>`.
const CHILD: &str = "ASYNCIO_BENCH_FLOORS_CHILD";
/// Where to keep callgrind's files, when set.
const KEEP: &str = "ASYNCIO_BENCH_CALLGRIND_DIR";

/// The instruction cases, each with who runs it.
const COUNTED: &[(&str, &[&str])] = &[
    (
        "spawn_await",
        &["asyncio-loop", "tokio", "smol", "boxed-closure-floor"],
    ),
    (
        "yield_2",
        &["asyncio-loop", "tokio", "smol", "boxed-closure-floor"],
    ),
    ("wake", &["asyncio-loop", "tokio", "smol", "waker-floor"]),
];

/// Runs every case of the group.
pub fn run(bench: &Bench) {
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
    }
    let (n1, n2) = if bench.quick() {
        (200, 1_200)
    } else {
        (2_000, 42_000)
    };
    if valgrind_present() {
        for (case, implementations) in COUNTED {
            if !bench.wants(case) {
                continue;
            }
            for implementation in *implementations {
                let first = instructions(case, implementation, n1);
                let second = instructions(case, implementation, n2);
                let per_op = (second as f64 - first as f64) / (n2 - n1) as f64;
                bench.report(case, implementation, per_op, "instr/op");
            }
        }
    } else {
        println!("# valgrind not found: the floors' instruction counts are skipped");
    }
    if bench.wants("idle_task") {
        let n = bench.size(100_000, 1_000);
        for implementation in ["asyncio-loop", "tokio", "smol", "boxed-future-floor"] {
            let output = child_command("idle_task", implementation, n)
                .output()
                .expect("the memory child runs");
            assert!(output.status.success(), "idle_task child {implementation}");
            let bytes: f64 = String::from_utf8_lossy(&output.stdout)
                .trim()
                .parse()
                .expect("the memory child prints bytes per task");
            bench.report("idle_task", implementation, bytes, "bytes/task");
        }
    }
}

fn valgrind_present() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// This binary as a child running one case.
fn child_command(case: &str, implementation: &str, n: usize) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("own path"));
    command
        .arg("floors")
        .env(CHILD, format!("{case} {implementation} {n}"))
        // A child's figures are its parent's business.
        .env_remove(crate::results::RESULTS_ENV);
    command
}

/// Callgrind's total instruction count for one child run.
fn instructions(case: &str, implementation: &str, n: usize) -> u64 {
    let child = child_command(case, implementation, n);
    let out_file = match std::env::var_os(KEEP) {
        Some(dir) => std::path::Path::new(&dir)
            .join(format!("callgrind.{case}.{implementation}.{n}"))
            .display()
            .to_string(),
        None => "/dev/null".into(),
    };
    let output = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            &format!("--callgrind-out-file={out_file}"),
        ])
        .arg(child.get_program())
        .args(child.get_args())
        .envs(
            child
                .get_envs()
                .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))),
        )
        .env_remove(crate::results::RESULTS_ENV)
        .output()
        .expect("valgrind runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "callgrind run of {case} {implementation} failed:\n{stderr}"
    );
    collected(&stderr).unwrap_or_else(|| panic!("no `Collected :` line from callgrind:\n{stderr}"))
}

/// The total from callgrind's closing `==PID== Collected : N` line.
fn collected(stderr: &str) -> Option<u64> {
    stderr
        .lines()
        .find_map(|l| l.split_once("Collected :"))
        .and_then(|(_, n)| n.trim().parse().ok())
}

/// In a child: run one case `n` times (or measure memory and print it), then exit.
fn child(spec: &str) -> ! {
    let mut words = spec.split(' ');
    let (case, implementation, n) = match (words.next(), words.next(), words.next()) {
        (Some(c), Some(i), Some(n)) => (c, i, n.parse().expect("an operation count")),
        _ => panic!("{CHILD} is `<case> <implementation> <n>`, not `{spec}`"),
    };
    match case {
        "spawn_await" => spawn_await(implementation, n),
        "yield_2" => yield_2(implementation, n),
        "wake" => wake(implementation, n),
        "idle_task" => println!("{:.1}", idle_task(implementation, n)),
        _ => panic!("no floors case `{case}`"),
    }
    std::process::exit(0);
}

// ---- spawn and await ------------------------------------------------------------------------

fn spawn_await(implementation: &str, n: usize) {
    match implementation {
        "asyncio-loop" => on_ours(async {
            let tasks: Vec<_> = (0..n)
                .map(|i| asyncio_loop::create_task(async move { i }))
                .collect();
            for task in tasks {
                black_box(task.await.expect("trivial task"));
            }
        }),
        "tokio" => on_tokio(async {
            let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
            for task in tasks {
                black_box(task.await.expect("trivial task"));
            }
        }),
        "smol" => {
            let ex = LocalExecutor::new();
            on_smol(&ex, async {
                let tasks: Vec<_> = (0..n).map(|i| ex.spawn(async move { i })).collect();
                for task in tasks {
                    black_box(task.await);
                }
            });
        }
        _ => {
            let mut queue: VecDeque<Box<dyn FnOnce() -> usize>> = VecDeque::new();
            for i in 0..n {
                queue.push_back(Box::new(move || black_box(i)));
            }
            while let Some(job) = queue.pop_front() {
                black_box(job());
            }
        }
    }
}

// ---- two tasks taking turns -----------------------------------------------------------------

fn yield_2(implementation: &str, n: usize) {
    let per_task = n / 2;
    match implementation {
        "asyncio-loop" => on_ours(async {
            let spinners: Vec<_> = (0..2)
                .map(|_| {
                    asyncio_loop::create_task(async move {
                        for _ in 0..per_task {
                            asyncio_loop::sleep(Duration::ZERO).await;
                        }
                    })
                })
                .collect();
            for spinner in spinners {
                spinner.await.expect("spinner");
            }
        }),
        "tokio" => on_tokio(async {
            let spinners: Vec<_> = (0..2)
                .map(|_| {
                    tokio::spawn(async move {
                        for _ in 0..per_task {
                            tokio::task::yield_now().await;
                        }
                    })
                })
                .collect();
            for spinner in spinners {
                spinner.await.expect("spinner");
            }
        }),
        "smol" => {
            let ex = LocalExecutor::new();
            on_smol(&ex, async {
                let spinners: Vec<_> = (0..2)
                    .map(|_| {
                        ex.spawn(async move {
                            for _ in 0..per_task {
                                futures_lite::future::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for spinner in spinners {
                    spinner.await;
                }
            });
        }
        _ => {
            let mut queue: VecDeque<Box<dyn FnMut() -> bool>> = VecDeque::new();
            for _ in 0..2 {
                let mut left = per_task;
                queue.push_back(Box::new(move || {
                    left -= 1;
                    black_box(left) == 0
                }));
            }
            while let Some(mut turn) = queue.pop_front() {
                if !turn() {
                    queue.push_back(turn);
                }
            }
        }
    }
}

// ---- a wake and the re-poll it causes -------------------------------------------------------

/// Wakes its own waker and returns `Pending` once, then is ready: one wake, one re-poll.
#[derive(Default)]
struct SelfWake {
    woken: bool,
}

impl Future for SelfWake {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.woken {
            return Poll::Ready(());
        }
        self.woken = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

async fn self_wakes(n: usize) {
    for _ in 0..n {
        SelfWake::default().await;
    }
}

fn wake(implementation: &str, n: usize) {
    match implementation {
        "asyncio-loop" => on_ours(async {
            asyncio_loop::create_task(self_wakes(n))
                .await
                .expect("waker task");
        }),
        "tokio" => on_tokio(async {
            tokio::spawn(self_wakes(n)).await.expect("waker task");
        }),
        "smol" => {
            let ex = LocalExecutor::new();
            on_smol(&ex, async { ex.spawn(self_wakes(n)).await });
        }
        _ => floor_executor(self_wakes(n)),
    }
}

std::thread_local! {
    /// The floor executor's ready queue: ids of woken tasks (it has one task, id 0).
    static READY: std::cell::RefCell<VecDeque<usize>> = const {
        std::cell::RefCell::new(VecDeque::new())
    };
}

/// A bare waker: its data is the task id, waking pushes the id onto `READY`.
const FLOOR_WAKER: RawWakerVTable = RawWakerVTable::new(
    |data| RawWaker::new(data, &FLOOR_WAKER),
    |data| READY.with(|r| r.borrow_mut().push_back(data as usize)),
    |data| READY.with(|r| r.borrow_mut().push_back(data as usize)),
    |_| {},
);

/// Polls one boxed future whenever its waker has put it on the ready queue.
fn floor_executor(future: impl Future<Output = ()> + 'static) {
    let mut task: Pin<Box<dyn Future<Output = ()>>> = Box::pin(future);
    // SAFETY: every function of `FLOOR_WAKER` treats the data pointer as a plain integer
    // (the task id) and never dereferences it, so any value, and any number of copies, is
    // sound; `drop` has nothing to release.
    let waker = unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &FLOOR_WAKER)) };
    let mut cx = Context::from_waker(&waker);
    READY.with(|r| r.borrow_mut().push_back(0));
    while let Some(id) = READY.with(|r| r.borrow_mut().pop_front()) {
        black_box(id);
        if task.as_mut().poll(&mut cx).is_ready() {
            break;
        }
    }
}

// ---- heap bytes per idle task ---------------------------------------------------------------

/// Bytes glibc's malloc has handed out and not had back, chunk headers included.
fn heap_in_use() -> usize {
    // SAFETY: `mallinfo2` only reads malloc's statistics and returns them by value.
    unsafe { libc::mallinfo2() }.uordblks
}

/// Heap bytes per task for `n` tasks parked on one event that is never set.
///
/// Before counting, each runtime spawns and awaits `n` trivial tasks, so that its queues
/// have already grown to `n` and what is counted is what a parked task holds: its own
/// allocation and its place among the event's waiters.
fn idle_task(implementation: &str, n: usize) -> f64 {
    // Leaked: the process ends right after, and `'static` costs the tasks nothing.
    let event: &'static asyncio_sync::Event = Box::leak(Box::new(asyncio_sync::Event::new()));
    let parked: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(0)));
    let park = move || async move {
        parked.fetch_add(1, Ordering::Relaxed);
        event.wait().await
    };
    let all_parked = move || parked.load(Ordering::Relaxed) == n;
    // The handles go in a vector allocated before the count starts.
    let per_task = |before: usize| (heap_in_use() - before) as f64 / n as f64;
    match implementation {
        "asyncio-loop" => on_ours(async {
            let warm: Vec<_> = (0..n)
                .map(|_| asyncio_loop::create_task(async {}))
                .collect();
            for task in warm {
                task.await.expect("trivial task");
            }
            let mut tasks = Vec::with_capacity(n);
            let before = heap_in_use();
            tasks.extend((0..n).map(|_| asyncio_loop::create_task(park())));
            while !all_parked() {
                asyncio_loop::sleep(Duration::ZERO).await;
            }
            let bytes = per_task(before);
            std::mem::forget(tasks);
            bytes
        }),
        "tokio" => on_tokio(async {
            let warm: Vec<_> = (0..n).map(|_| tokio::spawn(async {})).collect();
            for task in warm {
                task.await.expect("trivial task");
            }
            let mut tasks = Vec::with_capacity(n);
            let before = heap_in_use();
            tasks.extend((0..n).map(|_| tokio::spawn(park())));
            while !all_parked() {
                tokio::task::yield_now().await;
            }
            let bytes = per_task(before);
            std::mem::forget(tasks);
            bytes
        }),
        "smol" => {
            let ex = LocalExecutor::new();
            on_smol(&ex, async {
                let warm: Vec<_> = (0..n).map(|_| ex.spawn(async {})).collect();
                for task in warm {
                    task.await;
                }
                let mut tasks = Vec::with_capacity(n);
                let before = heap_in_use();
                tasks.extend((0..n).map(|_| ex.spawn(park())));
                while !all_parked() {
                    futures_lite::future::yield_now().await;
                }
                let bytes = per_task(before);
                std::mem::forget(tasks);
                bytes
            })
        }
        _ => {
            let mut futures: Vec<Pin<Box<dyn Future<Output = ()>>>> = Vec::with_capacity(n);
            let before = heap_in_use();
            let mut cx = Context::from_waker(Waker::noop());
            for _ in 0..n {
                let mut future: Pin<Box<dyn Future<Output = ()>>> = Box::pin(park());
                assert!(future.as_mut().poll(&mut cx).is_pending());
                futures.push(future);
            }
            let bytes = per_task(before);
            std::mem::forget(futures);
            bytes
        }
    }
}

#[cfg(test)]
mod tests {
    use super::collected;

    #[test]
    fn callgrind_s_total_is_read_off_its_closing_lines() {
        let stderr = "==42== Callgrind, a call-graph generating cache profiler\n\
                      ==42== Events    : Ir\n==42== Collected : 1234567\n==42==\n\
                      ==42== I   refs:      1,234,567\n";
        assert_eq!(collected(stderr), Some(1_234_567));
        assert_eq!(collected("valgrind: no such tool"), None);
    }
}
