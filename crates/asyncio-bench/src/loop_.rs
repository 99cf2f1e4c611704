//! The `loop` group: our event loop against tokio's current-thread runtime and smol's
//! `LocalExecutor` (with async-io for timers), on the workloads of issue 5. CPython and
//! uvloop run the same cases from `python/loop.py`.
//!
//! Each case is written out once per runtime, plainly, so a reader can check that the three
//! do the same work. Where a case allows it every runtime gets the very same future: the
//! cross-thread case wakes through one hand-written signal so that what differs is each
//! runtime's remote-wake path, and the memory case parks every task on the same
//! `asyncio_sync::Event`.

use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use async_executor::LocalExecutor;
use asyncio_loop::EventLoop;

use crate::harness::Bench;

/// Runs every case of the group.
pub fn run(bench: &Bench) {
    if std::env::var_os(MEMORY_CHILD).is_some() {
        memory_child();
    }
    start_every_runtime();
    spawn_await(bench);
    yields(bench, 2);
    yields(bench, 100);
    wait_for_ready(bench);
    cross_thread_wake(bench);
    sleep_random_overhead(bench);
    idle_task_memory(bench);
}

/// Sets up whatever each runtime keeps for the whole process before anything is timed.
///
/// async-io starts its reactor (a global, with its own allocations) on first use. Left to
/// itself that happens inside the first smol case, in the middle of a heap full of that
/// case's tasks; the live reactor then pins the top of glibc's heap for the rest of the
/// process, so smol's later bursts never give memory back and never fault it in again,
/// while every other runtime's do. That is an accident of when a global was made, not a
/// property of the executor, so every runtime gets its one-time set-up here, outside the
/// clock.
fn start_every_runtime() {
    let tick = Duration::from_millis(1);
    on_ours(async { asyncio_loop::sleep(tick).await });
    on_tokio(async { tokio::time::sleep(tick).await });
    on_smol(&LocalExecutor::new(), async {
        async_io::Timer::after(tick).await;
    });
}

/// Runs `main` on a fresh event loop of ours and closes it.
pub(crate) fn on_ours<T>(main: impl Future<Output = T>) -> T {
    let event_loop = EventLoop::new();
    let output = event_loop.run_until_complete(main).expect("the loop runs");
    event_loop.close().expect("the loop closes");
    output
}

/// Runs `main` on a fresh tokio current-thread runtime.
pub(crate) fn on_tokio<T>(main: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio current-thread runtime builds")
        .block_on(main)
}

/// Runs `main` on smol's local executor, with async-io driving timers.
pub(crate) fn on_smol<'a, T>(ex: &LocalExecutor<'a>, main: impl Future<Output = T>) -> T {
    async_io::block_on(ex.run(main))
}

// ---- spawn and await N trivial tasks -------------------------------------------------------

fn spawn_await(bench: &Bench) {
    let n = bench.size(1_000_000, 1_000);
    bench.ns_per_op("spawn_await", "asyncio-loop", n, || {
        on_ours(async {
            time_async(async {
                let tasks: Vec<_> = (0..n)
                    .map(|i| asyncio_loop::create_task(async move { i }))
                    .collect();
                for task in tasks {
                    task.await.expect("trivial task");
                }
            })
            .await
        })
    });
    bench.ns_per_op("spawn_await", "tokio", n, || {
        on_tokio(time_async(async {
            let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
            for task in tasks {
                task.await.expect("trivial task");
            }
        }))
    });
    bench.ns_per_op("spawn_await", "smol", n, || {
        let ex = LocalExecutor::new();
        on_smol(
            &ex,
            time_async(async {
                let tasks: Vec<_> = (0..n).map(|i| ex.spawn(async move { i })).collect();
                for task in tasks {
                    task.await;
                }
            }),
        )
    });
}

// ---- `sleep(0)`-style yields among `tasks` tasks --------------------------------------------

fn yields(bench: &Bench, tasks: usize) {
    let total = bench.size(10_000_000, 10_000);
    let per_task = total / tasks;
    let case = format!("yield_{tasks}");
    bench.ns_per_op(&case, "asyncio-loop", per_task * tasks, || {
        on_ours(time_async(async {
            let spinners: Vec<_> = (0..tasks)
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
        }))
    });
    bench.ns_per_op(&case, "tokio", per_task * tasks, || {
        on_tokio(time_async(async {
            let spinners: Vec<_> = (0..tasks)
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
        }))
    });
    bench.ns_per_op(&case, "smol", per_task * tasks, || {
        let ex = LocalExecutor::new();
        on_smol(
            &ex,
            time_async(async {
                let spinners: Vec<_> = (0..tasks)
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
            }),
        )
    });
}

// ---- `wait_for` on a future that is already ready --------------------------------------------

fn wait_for_ready(bench: &Bench) {
    let n = bench.size(1_000_000, 1_000);
    let limit = Duration::from_secs(10);
    bench.ns_per_op("wait_for_ready", "asyncio-loop", n, || {
        on_ours(time_async(async {
            for i in 0..n {
                let got = asyncio_loop::timeout(limit, std::future::ready(i)).await;
                assert_eq!(got.ok(), Some(i));
            }
        }))
    });
    bench.ns_per_op("wait_for_ready", "tokio", n, || {
        on_tokio(time_async(async {
            for i in 0..n {
                let got = tokio::time::timeout(limit, std::future::ready(i)).await;
                assert_eq!(got.ok(), Some(i));
            }
        }))
    });
    bench.ns_per_op("wait_for_ready", "smol", n, || {
        let ex = LocalExecutor::new();
        on_smol(
            &ex,
            time_async(async {
                use futures_lite::FutureExt;
                for i in 0..n {
                    let expired = async {
                        async_io::Timer::after(limit).await;
                        None
                    };
                    let got = async { Some(i) }.or(expired).await;
                    assert_eq!(got, Some(i));
                }
            }),
        )
    });
}

// ---- a wake from another thread, and the reply back, N times ---------------------------------

/// A one-shot flag another thread sets, waking whoever waits: the same remote wake for every
/// runtime, so the figure is each runtime's injection path.
#[derive(Default)]
struct Signal {
    state: Mutex<(bool, Option<Waker>)>,
}

impl Signal {
    fn set(&self) {
        let waker = {
            let mut state = self.state.lock().expect("signal lock");
            state.0 = true;
            state.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn wait(&self) -> SignalWait<'_> {
        SignalWait { signal: self }
    }
}

struct SignalWait<'a> {
    signal: &'a Signal,
}

impl Future for SignalWait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.signal.state.lock().expect("signal lock");
        if std::mem::take(&mut state.0) {
            Poll::Ready(())
        } else {
            state.1 = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// The other thread: sets the signal, then waits for the loop's reply, `n` times.
fn pinger(
    signal: Arc<Signal>,
    replies: mpsc::Receiver<()>,
    n: usize,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for _ in 0..n {
            signal.set();
            replies.recv().expect("the loop replies");
        }
    })
}

fn cross_thread_wake(bench: &Bench) {
    let n = bench.size(100_000, 200);
    bench.ns_per_op("cross_thread_wake", "asyncio-loop", n, || {
        let (signal, reply, thread) = start_pinger(n);
        let took = on_ours(time_async(serve_pings(&signal, &reply, n)));
        thread.join().expect("pinger");
        took
    });
    bench.ns_per_op("cross_thread_wake", "tokio", n, || {
        let (signal, reply, thread) = start_pinger(n);
        let took = on_tokio(time_async(serve_pings(&signal, &reply, n)));
        thread.join().expect("pinger");
        took
    });
    bench.ns_per_op("cross_thread_wake", "smol", n, || {
        let (signal, reply, thread) = start_pinger(n);
        let ex = LocalExecutor::new();
        let took = on_smol(&ex, time_async(serve_pings(&signal, &reply, n)));
        thread.join().expect("pinger");
        took
    });
}

fn start_pinger(n: usize) -> (Arc<Signal>, mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let signal = Arc::new(Signal::default());
    let (reply, replies) = mpsc::channel();
    let thread = pinger(signal.clone(), replies, n);
    (signal, reply, thread)
}

async fn serve_pings(signal: &Signal, reply: &mpsc::Sender<()>, n: usize) {
    for _ in 0..n {
        signal.wait().await;
        reply.send(()).expect("the pinger listens");
    }
}

// ---- N tasks each sleeping a random 0 to 1,000 ms: wall time above the 1 s ideal ------------

/// The sleeps, from a fixed seed; the first is exactly the longest, so the ideal is 1 s.
fn random_delays(n: usize) -> Vec<Duration> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut delays: Vec<Duration> = (0..n)
        .map(|_| {
            // xorshift64: deterministic and dependency-free; quality is irrelevant here.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            Duration::from_millis(state % 1001)
        })
        .collect();
    if let Some(first) = delays.first_mut() {
        *first = Duration::from_millis(1000);
    }
    delays
}

fn sleep_random_overhead(bench: &Bench) {
    if !bench.wants("sleep_random_overhead") {
        return;
    }
    let delays = random_delays(bench.size(1_000_000, 1_000));
    let overhead_ms = |took: Duration| took.as_secs_f64() * 1e3 - 1e3;

    let took = on_ours(time_async(async {
        let sleepers: Vec<_> = delays
            .iter()
            .map(|&d| asyncio_loop::create_task(asyncio_loop::sleep(d)))
            .collect();
        for sleeper in sleepers {
            sleeper.await.expect("sleeper");
        }
    }));
    bench.report(
        "sleep_random_overhead",
        "asyncio-loop",
        overhead_ms(took),
        "ms",
    );

    // In an async block, so the deadline is read when the task first runs, as asyncio's
    // `sleep` coroutine, ours and smol's `Timer::after` here all do.
    let took = tokio_sleepers(&delays, |d| {
        tokio::spawn(async move { tokio::time::sleep(d).await })
    });
    bench.report("sleep_random_overhead", "tokio", overhead_ms(took), "ms");

    // tokio's idiom, `spawn(sleep(d))`, reads every deadline in the spawn loop: the clocks
    // start before the tasks run, so the spawning hides inside the first second. Shown
    // for reference; it is not the same work.
    let took = tokio_sleepers(&delays, |d| tokio::spawn(tokio::time::sleep(d)));
    bench.report(
        "sleep_random_overhead",
        "tokio-eager",
        overhead_ms(took),
        "ms",
    );

    let ex = LocalExecutor::new();
    let took = on_smol(
        &ex,
        time_async(async {
            let sleepers: Vec<_> = delays
                .iter()
                .map(|&d| {
                    ex.spawn(async move {
                        async_io::Timer::after(d).await;
                    })
                })
                .collect();
            for sleeper in sleepers {
                sleeper.await;
            }
        }),
    );
    bench.report("sleep_random_overhead", "smol", overhead_ms(took), "ms");
}

/// On a fresh tokio runtime: spawns one sleeper per delay with `spawn`, awaits them all,
/// and returns how long that took.
fn tokio_sleepers(
    delays: &[Duration],
    spawn: impl Fn(Duration) -> tokio::task::JoinHandle<()>,
) -> Duration {
    on_tokio(time_async(async {
        let sleepers: Vec<_> = delays.iter().map(|&d| spawn(d)).collect();
        for sleeper in sleepers {
            sleeper.await.expect("sleeper");
        }
    }))
}

// ---- resident memory per idle task ----------------------------------------------------------

/// Set in a child process that measures one runtime's memory alone (`<runtime> <tasks>`), so
/// that no runtime measures memory another one freed to the allocator but not to the system.
const MEMORY_CHILD: &str = "ASYNCIO_BENCH_MEMORY_CHILD";

fn idle_task_memory(bench: &Bench) {
    if !bench.wants("idle_task_memory") {
        return;
    }
    let n = bench.size(1_000_000, 1_000);
    for runtime in ["asyncio-loop", "tokio", "smol"] {
        let output = std::process::Command::new(std::env::current_exe().expect("own path"))
            .arg("loop")
            .env(MEMORY_CHILD, format!("{runtime} {n}"))
            .output()
            .expect("the memory child runs");
        assert!(output.status.success(), "memory child for {runtime} failed");
        let bytes: f64 = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .expect("the memory child prints bytes per task");
        bench.report("idle_task_memory", runtime, bytes, "bytes/task");
    }
}

/// In a memory child: measure, print bytes per task, exit.
fn memory_child() -> ! {
    let spec = std::env::var(MEMORY_CHILD).expect("set by idle_task_memory");
    let (runtime, n) = spec.split_once(' ').expect("`<runtime> <tasks>`");
    let n: usize = n.parse().expect("a task count");
    // Leaked: the process ends right after, and a `'static` event costs the tasks nothing.
    let event: &'static asyncio_sync::Event = Box::leak(Box::new(asyncio_sync::Event::new()));
    let started: &'static std::sync::atomic::AtomicUsize =
        Box::leak(Box::new(std::sync::atomic::AtomicUsize::new(0)));
    let park = move || async move {
        started.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        event.wait().await;
    };
    let all_parked = move || started.load(std::sync::atomic::Ordering::Relaxed) == n;
    let bytes_per_task = match runtime {
        "asyncio-loop" => on_ours(async {
            let before = resident_bytes();
            let tasks: Vec<_> = (0..n).map(|_| asyncio_loop::create_task(park())).collect();
            while !all_parked() {
                asyncio_loop::sleep(Duration::ZERO).await;
            }
            let per_task = (resident_bytes() - before) as f64 / n as f64;
            std::mem::forget(tasks);
            per_task
        }),
        "tokio" => on_tokio(async {
            let before = resident_bytes();
            let tasks: Vec<_> = (0..n).map(|_| tokio::spawn(park())).collect();
            while !all_parked() {
                tokio::task::yield_now().await;
            }
            let per_task = (resident_bytes() - before) as f64 / n as f64;
            std::mem::forget(tasks);
            per_task
        }),
        _ => {
            let ex = LocalExecutor::new();
            on_smol(&ex, async {
                let before = resident_bytes();
                let tasks: Vec<_> = (0..n).map(|_| ex.spawn(park())).collect();
                while !all_parked() {
                    futures_lite::future::yield_now().await;
                }
                let per_task = (resident_bytes() - before) as f64 / n as f64;
                std::mem::forget(tasks);
                per_task
            })
        }
    };
    println!("{bytes_per_task:.1}");
    std::process::exit(0);
}

/// The process's resident set in bytes (Linux `/proc/self/statm`; 4 KiB pages).
pub(crate) fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm (Linux)");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("statm's second field is the resident page count");
    pages * 4096
}

/// Awaits `work` and returns how long it took (set-up outside `work` is not counted).
pub(crate) async fn time_async(work: impl Future<Output = ()>) -> Duration {
    let started = Instant::now();
    work.await;
    started.elapsed()
}
