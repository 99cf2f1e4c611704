//! The pool's behaviour seen from outside: results, `map`, panics, cancellation, shutdown,
//! dropping, growth and retirement of threads, concurrent submitters.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use asyncio_pool::{JobError, PoolError, PoolStats, ThreadPool};
use common::{Gate, eventually, live_threads};

fn thread_name() -> String {
    thread::current().name().unwrap_or("").to_owned()
}

#[test]
fn submit_returns_each_result() {
    let pool = ThreadPool::new(3).unwrap();
    let jobs: Vec<_> = (0..50u64)
        .map(|i| pool.submit(move || i * i).unwrap())
        .collect();
    let results: Vec<u64> = jobs.into_iter().map(|job| job.wait().unwrap()).collect();
    assert_eq!(results, (0..50u64).map(|i| i * i).collect::<Vec<_>>());
}

#[test]
fn map_keeps_input_order_even_when_jobs_finish_out_of_order() {
    let pool = ThreadPool::new(4).unwrap();
    // Job i waits for job i + 1 to finish first, so completion order is the reverse of input.
    let n = 4;
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..=n).map(|_| crossbeam_channel::bounded(1)).unzip();
    txs[n].send(()).unwrap();
    let links: Vec<_> = (0..n)
        .map(|i| (rxs[i + 1].clone(), txs[i].clone()))
        .collect();
    let finished = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = finished.clone();
    let results: Vec<usize> = pool
        .map(
            move |(i, (wait_for, then_release)): (
                usize,
                (
                    crossbeam_channel::Receiver<()>,
                    crossbeam_channel::Sender<()>,
                ),
            )| {
                wait_for.recv().unwrap();
                log.lock().unwrap().push(i);
                then_release.send(()).unwrap();
                i * 10
            },
            links.into_iter().enumerate(),
        )
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(results, [0, 10, 20, 30]);
    assert_eq!(*finished.lock().unwrap(), [3, 2, 1, 0]);
}

#[test]
fn map_as_a_future_gives_every_result_in_order() {
    let pool = ThreadPool::new(2).unwrap();
    let map = pool.map(|s: &str| s.len(), ["a", "bbb", "cc"]).unwrap();
    assert_eq!(map.len(), 3);
    let results = futures_lite::future::block_on(map);
    assert_eq!(results, [Ok(1), Ok(3), Ok(2)]);
}

#[test]
fn a_panic_comes_back_and_the_worker_keeps_serving() {
    let pool = ThreadPool::builder()
        .max_workers(1)
        .thread_name_prefix("panics")
        .build()
        .unwrap();
    let boom = pool
        .submit(|| -> u8 { panic!("no {} here", "file") })
        .unwrap();
    assert_eq!(boom.wait(), Err(JobError::Panicked("no file here".into())));
    let after = pool.submit(thread_name).unwrap().wait().unwrap();
    assert_eq!(
        after, "panics_0",
        "the same worker thread served the next job"
    );
    assert_eq!(pool.stats().workers, 1);
}

#[test]
fn cancel_succeeds_only_while_queued() {
    let pool = ThreadPool::new(1).unwrap();
    let mut gate = Gate::new();
    let running = gate.occupy(&pool);
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = ran.clone();
    let queued = pool
        .submit(move || counter.fetch_add(1, Ordering::SeqCst))
        .unwrap();
    assert!(!running.cancel(), "a running job cannot be cancelled");
    assert!(queued.cancel());
    assert!(queued.cancelled() && queued.done());
    gate.open();
    assert_eq!(running.wait(), Ok(()));
    assert_eq!(queued.wait(), Err(JobError::Cancelled));
    // The worker skipped the cancelled job and still serves.
    assert_eq!(pool.submit(|| 1).unwrap().wait(), Ok(1));
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[test]
fn submit_after_shutdown_is_an_error() {
    let pool = ThreadPool::new(2).unwrap();
    assert_eq!(pool.submit(|| 1).unwrap().wait(), Ok(1));
    pool.shutdown(false, false);
    assert!(pool.is_shut_down());
    assert_eq!(pool.submit(|| 2).err(), Some(PoolError::ShutDown));
    assert_eq!(pool.map(|x: u8| x, [1, 2]).err(), Some(PoolError::ShutDown));
    pool.shutdown(true, false); // a second call is harmless
}

#[test]
fn shutdown_with_wait_returns_once_every_job_ran_and_every_thread_exited() {
    let pool = ThreadPool::builder()
        .max_workers(2)
        .thread_name_prefix("sdwait")
        .build()
        .unwrap();
    let mut gate = Gate::new();
    let jobs: Vec<_> = (0..6)
        .map(|i| {
            let held = gate.held();
            pool.submit(move || {
                held.hold();
                i
            })
            .unwrap()
        })
        .collect();
    gate.wait_started(2);
    let (returned_tx, returned_rx) = crossbeam_channel::bounded(1);
    let waiter = {
        let pool = pool.clone();
        thread::spawn(move || {
            pool.shutdown(true, false);
            returned_tx.send(pool.stats()).unwrap();
        })
    };
    // Two jobs are held on their workers: shutdown cannot have returned.
    assert!(returned_rx.try_recv().is_err());
    gate.open();
    let stats = returned_rx.recv().unwrap();
    assert_eq!(
        stats,
        PoolStats {
            workers: 0,
            idle: 0,
            queued: 0
        }
    );
    assert!(
        jobs.iter().all(|job| job.done()),
        "queued jobs ran before shutdown returned"
    );
    let results: Vec<i32> = jobs.into_iter().map(|job| job.wait().unwrap()).collect();
    assert_eq!(results, [0, 1, 2, 3, 4, 5]);
    waiter.join().unwrap();
    // `shutdown` joined the threads; the kernel drops a joined thread's `/proc` entry a
    // moment after the join returns, so this one is polled.
    if live_threads("sdwait_").is_some() {
        eventually("the joined threads leave /proc", || {
            live_threads("sdwait_") == Some(0)
        });
    }
}

#[test]
fn shutdown_without_wait_returns_at_once_and_queued_jobs_still_run() {
    let pool = ThreadPool::new(1).unwrap();
    let mut gate = Gate::new();
    let running = gate.occupy(&pool);
    let queued = pool.submit(|| "queued ran").unwrap();
    // Would deadlock if it waited: the running job is held until after it returns.
    pool.shutdown(false, false);
    gate.open();
    assert_eq!(running.wait(), Ok(()));
    assert_eq!(queued.wait(), Ok("queued ran"));
}

#[test]
fn shutdown_cancelling_queued_jobs_completes_them_at_once() {
    let pool = ThreadPool::new(1).unwrap();
    let mut gate = Gate::new();
    let running = gate.occupy(&pool);
    let queued: Vec<_> = (0..3).map(|i| pool.submit(move || i).unwrap()).collect();
    pool.shutdown(false, true);
    // The worker is still held, yet the queued jobs are already cancelled.
    for job in queued {
        assert_eq!(job.wait(), Err(JobError::Cancelled));
    }
    assert!(!running.done());
    gate.open();
    assert_eq!(running.wait(), Ok(()), "the running job was not cancelled");
    pool.shutdown(true, false);
    assert_eq!(pool.stats().workers, 0);
}

#[test]
fn dropping_the_pool_does_not_block_and_lets_running_and_queued_jobs_finish() {
    let pool = ThreadPool::builder()
        .max_workers(1)
        .thread_name_prefix("dropped")
        .build()
        .unwrap();
    let mut gate = Gate::new();
    let running = gate.occupy(&pool);
    let queued = pool.submit(|| 7).unwrap();
    // The only handle goes; a blocking drop would deadlock here.
    drop(pool);
    gate.open();
    assert_eq!(running.wait(), Ok(()));
    assert_eq!(queued.wait(), Ok(7));
    if live_threads("dropped_").is_some() {
        eventually("the dropped pool's worker exits", || {
            live_threads("dropped_") == Some(0)
        });
    }
}

#[test]
fn dropping_a_job_does_not_stop_it() {
    let pool = ThreadPool::new(1).unwrap();
    let (tx, rx) = crossbeam_channel::bounded(1);
    drop(pool.submit(move || tx.send("still ran").unwrap()).unwrap());
    assert_eq!(rx.recv_timeout(Duration::from_secs(60)), Ok("still ran"));
}

#[test]
fn threads_start_on_demand_and_never_exceed_max_workers() {
    let max = 3;
    let pool = ThreadPool::builder()
        .max_workers(max)
        .thread_name_prefix("grow")
        .build()
        .unwrap();
    assert_eq!(pool.stats().workers, 0, "no thread before the first job");
    assert_eq!(live_threads("grow_").unwrap_or(0), 0);

    let mut gate = Gate::new();
    let names = Arc::new(std::sync::Mutex::new(HashSet::new()));
    let jobs: Vec<_> = (0..10)
        .map(|_| {
            let held = gate.held();
            let names = names.clone();
            pool.submit(move || {
                names.lock().unwrap().insert(thread_name());
                held.hold();
            })
            .unwrap()
        })
        .collect();
    gate.wait_started(max);
    let stats = pool.stats();
    assert_eq!(stats.workers, max);
    assert_eq!(stats.idle, 0);
    assert_eq!(stats.queued, 10 - max);
    assert_eq!(gate.pending_starts(), 0, "a job started beyond max_workers");
    if let Some(live) = live_threads("grow_") {
        assert_eq!(live, max);
    }
    gate.open();
    for job in jobs {
        job.wait().unwrap();
    }
    let names = names.lock().unwrap();
    assert!(names.len() <= max, "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| ["grow_0", "grow_1", "grow_2"].contains(&n.as_str()))
    );
}

#[test]
fn an_idle_worker_is_reused_rather_than_a_new_one_started() {
    let pool = ThreadPool::builder()
        .max_workers(4)
        .thread_name_prefix("reuse")
        .build()
        .unwrap();
    for _ in 0..20 {
        assert_eq!(pool.submit(thread_name).unwrap().wait().unwrap(), "reuse_0");
    }
    assert_eq!(pool.stats().workers, 1);
}

#[test]
fn idle_workers_retire_after_the_timeout_and_come_back_on_demand() {
    let pool = ThreadPool::builder()
        .max_workers(2)
        .thread_name_prefix("retire")
        .idle_timeout(Duration::from_millis(20))
        .build()
        .unwrap();
    let mut gate = Gate::new();
    let jobs: Vec<_> = (0..2)
        .map(|_| {
            let held = gate.held();
            pool.submit(move || held.hold()).unwrap()
        })
        .collect();
    gate.wait_started(2);
    assert_eq!(pool.stats().workers, 2);
    gate.open();
    for job in jobs {
        job.wait().unwrap();
    }
    eventually("both idle workers retire", || pool.stats().workers == 0);
    if live_threads("retire_").is_some() {
        eventually("the retired threads exit", || {
            live_threads("retire_") == Some(0)
        });
    }
    // A new job starts a new thread (numbered on from the old ones).
    let name = pool.submit(thread_name).unwrap().wait().unwrap();
    assert!(name == "retire_2", "{name}");
}

#[test]
fn many_threads_submitting_at_once_all_get_their_results() {
    let pool = ThreadPool::new(4).unwrap();
    let submitters: Vec<_> = (0..8u64)
        .map(|t| {
            let pool = pool.clone();
            thread::spawn(move || {
                let jobs: Vec<_> = (0..500u64)
                    .map(|i| pool.submit(move || t * 1_000 + i).unwrap())
                    .collect();
                jobs.into_iter().map(|job| job.wait().unwrap()).sum::<u64>()
            })
        })
        .collect();
    let total: u64 = submitters.into_iter().map(|s| s.join().unwrap()).sum();
    let expected: u64 = (0..8u64)
        .flat_map(|t| (0..500u64).map(move |i| t * 1_000 + i))
        .sum();
    assert_eq!(total, expected);
    assert!(pool.stats().workers <= 4);
}

#[test]
fn jobs_submitted_on_one_thread_can_be_awaited_on_another() {
    let pool = ThreadPool::new(2).unwrap();
    let jobs: Vec<_> = (0..100).map(|i| pool.submit(move || i).unwrap()).collect();
    let sum = thread::spawn(move || {
        futures_lite::future::block_on(async {
            let mut sum = 0;
            for job in jobs {
                sum += job.await.unwrap();
            }
            sum
        })
    })
    .join()
    .unwrap();
    assert_eq!(sum, (0..100).sum::<i32>());
}

#[test]
fn a_job_may_shut_its_own_pool_down_with_wait() {
    let pool = ThreadPool::new(2).unwrap();
    let inner = pool.clone();
    let job = pool
        .submit(move || {
            inner.shutdown(true, false);
            inner.is_shut_down()
        })
        .unwrap();
    assert_eq!(job.wait(), Ok(true));
    pool.shutdown(true, false);
    assert_eq!(pool.stats().workers, 0);
}

#[test]
fn shutdown_races_with_submitters_without_losing_jobs() {
    for _ in 0..20 {
        let pool = ThreadPool::new(3).unwrap();
        let submitters: Vec<_> = (0..3)
            .map(|_| {
                let pool = pool.clone();
                thread::spawn(move || {
                    let mut accepted = Vec::new();
                    while let Ok(job) = pool.submit(|| 1) {
                        accepted.push(job);
                    }
                    accepted
                })
            })
            .collect();
        pool.shutdown(true, false);
        for submitter in submitters {
            for job in submitter.join().unwrap() {
                // Every accepted job ran: none was stranded behind a stop signal.
                assert_eq!(job.wait(), Ok(1));
            }
        }
    }
}

#[test]
fn handles_are_send_sync_and_jobs_send_unpin() {
    fn send_sync<T: Send + Sync>() {}
    fn send_unpin<T: Send + Unpin>() {}
    send_sync::<ThreadPool>();
    send_unpin::<asyncio_pool::Job<Vec<u8>>>();
    send_unpin::<asyncio_pool::Map<String>>();
    send_sync::<JobError>();
    send_sync::<PoolError>();
}

#[test]
fn workers_retiring_as_fast_as_possible_never_strand_a_job() {
    // An idle timeout of zero makes every worker retire the moment the queue is empty, so
    // submits keep racing with retirements; a stranded job would time out below.
    for max_workers in [1, 2] {
        let pool = ThreadPool::builder()
            .max_workers(max_workers)
            .idle_timeout(Duration::ZERO)
            .build()
            .unwrap();
        let submitters: Vec<_> = (0..2)
            .map(|_| {
                let pool = pool.clone();
                thread::spawn(move || {
                    for i in 0..500 {
                        let mut job = pool.submit(move || i).unwrap();
                        assert_eq!(job.result(Duration::from_secs(60)), Ok(i));
                        // Pauses of varied length let the worker run out of work and
                        // start retiring just as the next submit arrives.
                        match i % 4 {
                            0 => thread::yield_now(),
                            1 => thread::sleep(Duration::from_micros(20 * (i % 16))),
                            _ => {}
                        }
                    }
                })
            })
            .collect();
        for submitter in submitters {
            submitter.join().unwrap();
        }
        assert!(pool.stats().workers <= max_workers);
    }
}

#[test]
fn result_with_a_timeout_too_long_for_a_deadline_waits_without_one() {
    let pool = ThreadPool::new(1).unwrap();
    for timeout in [Duration::MAX, Duration::from_secs(u64::MAX / 2)] {
        // A rendezvous: the job finishes only once this thread is inside `result` or about
        // to be, so the call must wait rather than time out or panic.
        let (go_tx, go_rx) = crossbeam_channel::bounded(0);
        let mut job = pool
            .submit(move || go_rx.recv().map(|()| "waited"))
            .unwrap();
        let opener = thread::spawn(move || go_tx.send(()).unwrap());
        assert_eq!(job.result(timeout), Ok(Ok("waited")));
        opener.join().unwrap();
    }
}

#[test]
fn an_idle_timeout_too_long_for_a_deadline_keeps_the_worker_waiting() {
    let pool = ThreadPool::builder()
        .max_workers(1)
        .thread_name_prefix("forever")
        .idle_timeout(Duration::MAX)
        .build()
        .unwrap();
    for _ in 0..2 {
        let mut job = pool.submit(thread_name).unwrap();
        assert_eq!(
            job.result(Duration::from_secs(10)),
            Ok("forever_0".to_owned())
        );
    }
    assert_eq!(pool.stats().workers, 1);
    pool.shutdown(true, false);
}
