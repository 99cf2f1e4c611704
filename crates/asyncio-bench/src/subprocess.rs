//! `subprocess`: starting a child (`true`) and waiting for its exit, for the facade's
//! `create_subprocess_exec` on our loop (exit noticed through a pidfd on the reactor)
//! against `tokio::process` (SIGCHLD, on a current-thread runtime) and smol's
//! `async-process` (SIGCHLD and its reaper), each on one thread, the child's streams
//! inherited by all three.
//!
//! - `spawn-wait-1`: one child at a time, 1,000 children: start, then wait for the exit.
//! - `spawn-wait-50`: 50 children started, then each waited for, 1,000 children in all:
//!   exits arrive while other children still run.
//!
//! Most of each figure is the kernel's fork/exec/exit; the differences are how each
//! runtime learns of the exit and reaps the child.

use std::time::Instant;

use crate::harness::Bench;

/// Runs the group.
pub fn run(bench: &Bench) {
    let children = bench.size(1_000, 50);
    for (case, batch) in [("spawn-wait-1", 1), ("spawn-wait-50", 50)] {
        if !bench.wants(case) {
            continue;
        }
        let batches = children / batch;

        bench.ns_per_op(case, "asyncio-subprocess", children, || {
            let event_loop = asyncio_loop::EventLoop::new();
            let took = event_loop
                .run_until_complete(async {
                    let started = Instant::now();
                    for _ in 0..batches {
                        let mut running = Vec::with_capacity(batch);
                        for _ in 0..batch {
                            running.push(asyncio::create_subprocess_exec("true", NO_ARGS).spawn()?);
                        }
                        for process in running {
                            assert_eq!(process.wait().await, 0);
                        }
                    }
                    Ok::<_, std::io::Error>(started.elapsed())
                })
                .expect("the loop runs")
                .expect("`true` starts");
            event_loop.close().expect("nothing left on the loop");
            took
        });

        bench.ns_per_op(case, "tokio", children, || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            runtime.block_on(async {
                let started = Instant::now();
                for _ in 0..batches {
                    let mut running = Vec::with_capacity(batch);
                    for _ in 0..batch {
                        running.push(
                            tokio::process::Command::new("true")
                                .spawn()
                                .expect("`true` starts"),
                        );
                    }
                    for mut child in running {
                        assert!(child.wait().await.expect("waited").success());
                    }
                }
                started.elapsed()
            })
        });

        bench.ns_per_op(case, "async-process", children, || {
            futures_lite::future::block_on(async {
                let started = Instant::now();
                for _ in 0..batches {
                    let mut running = Vec::with_capacity(batch);
                    for _ in 0..batch {
                        running.push(
                            async_process::Command::new("true")
                                .spawn()
                                .expect("`true` starts"),
                        );
                    }
                    for mut child in running {
                        assert!(child.status().await.expect("waited").success());
                    }
                }
                started.elapsed()
            })
        });
    }
}

const NO_ARGS: [&str; 0] = [];
