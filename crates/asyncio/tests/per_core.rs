//! A set of loops, one per thread (`LoopSet`, `run_per_core`): results in order, shutdown
//! with work in flight on every loop, a failing loop, hand-off between loops by index,
//! round robin and load, the sync primitives across loops. Servers on several loops are
//! in `per_core_servers.rs`, Ctrl-C in `ctrl_c.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncio::{
    Event, Lock, LoopSet, LoopSetError, Loops, Pick, Queue, RunError, Semaphore, TaskError,
    catch_cancelled, create_task, finally, get_running_loop, run_per_core, sleep, to_thread,
};

/// Events from every loop, in the order they happened.
type Log = Arc<Mutex<Vec<String>>>;

fn note(log: &Log, line: String) {
    log.lock().unwrap().push(line);
}

fn sorted(log: &Log) -> Vec<String> {
    let mut lines = log.lock().unwrap().clone();
    lines.sort();
    lines
}

#[test]
fn every_loop_runs_its_main_on_its_own_thread_and_results_come_in_order() {
    let out = LoopSet::new(4)
        .thread_name("set")
        .run(|index, loops| async move {
            // The last to start finishes first: the order is the index's, not the finish's.
            sleep(Duration::from_millis(4 - index as u64)).await;
            let me = get_running_loop().unwrap().id();
            let thread = std::thread::current().name().unwrap().to_owned();
            (
                index,
                thread,
                loops.current(),
                me == loops.handle(index).id(),
            )
        });
    let out = out.unwrap();
    let expected: Vec<_> = (0..4)
        .map(|i| (i, format!("set-{i}"), Some(i), true))
        .collect();
    assert_eq!(out, expected);
}

#[test]
fn a_set_cannot_run_inside_a_running_loop() {
    let out = asyncio::run(async { run_per_core(2, |index, _| async move { index }) });
    let error = out.unwrap().unwrap_err();
    assert!(matches!(error, LoopSetError::Nested));
    assert_eq!(
        error.to_string(),
        "asyncio.run() cannot be called from a running event loop"
    );
}

#[test]
fn shutdown_cancels_the_tasks_left_on_every_loop_runs_their_cleanup_and_joins_the_pools() {
    let log = Log::default();
    let jobs_done = Arc::new(AtomicUsize::new(0));
    let out = run_per_core(3, |index, _| {
        let (log, jobs_done) = (Arc::clone(&log), Arc::clone(&jobs_done));
        async move {
            // A task still pending when main returns: cancelled, its awaited cleanup runs.
            let task_log = Arc::clone(&log);
            let started = Arc::new(Event::new());
            let set = Arc::clone(&started);
            drop(create_task(async move {
                set.set();
                let cancelled = catch_cancelled(sleep(Duration::from_secs(3600))).await;
                assert!(cancelled.is_err());
                sleep(Duration::from_millis(1)).await;
                note(&task_log, format!("loop {index}: task cleaned up"));
            }));
            // A job in the loop's default pool: the pool is joined before the run returns.
            drop(create_task(to_thread(move || {
                std::thread::sleep(Duration::from_millis(20));
                jobs_done.fetch_add(1, Ordering::SeqCst);
            })));
            started.wait().await;
            index
        }
    });
    assert_eq!(out.unwrap(), [0, 1, 2]);
    assert_eq!(
        sorted(&log),
        [
            "loop 0: task cleaned up",
            "loop 1: task cleaned up",
            "loop 2: task cleaned up"
        ]
    );
    assert_eq!(jobs_done.load(Ordering::SeqCst), 3);
}

#[test]
fn a_panicking_loop_cancels_the_others_and_the_error_names_it() {
    let log = Log::default();
    let started = asyncio::Barrier::new(3);
    let out = run_per_core(3, |index, _| {
        let (log, started) = (Arc::clone(&log), &started);
        async move {
            // Every main is at work before loop 1 panics.
            started.wait().await.unwrap();
            if index == 1 {
                panic!("loop one gives up");
            }
            finally(sleep(Duration::from_secs(3600)), async move {
                sleep(Duration::from_millis(1)).await;
                note(&log, format!("loop {index}: main cleaned up"));
            })
            .await;
        }
    });
    let error = out.unwrap_err();
    assert_eq!(error.index(), Some(1));
    assert_eq!(error.to_string(), "loop 1 panicked: loop one gives up");
    assert_eq!(
        format!("{error:?}"),
        r#"Panicked { index: 1, message: "loop one gives up" }"#
    );
    let LoopSetError::Panicked { panic, .. } = &error else {
        panic!("not a panic: {error:?}")
    };
    assert_eq!(panic.message(), "loop one gives up");
    let payload = error.into_panic().unwrap();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"loop one gives up"));
    assert_eq!(
        sorted(&log),
        ["loop 0: main cleaned up", "loop 2: main cleaned up"],
        "the others were cancelled and their cleanup ran"
    );
}

#[test]
fn a_loop_whose_main_is_cancelled_cancels_the_others_and_the_error_names_it() {
    let out = run_per_core(2, |index, _| async move {
        if index == 0 {
            asyncio::current_task().unwrap().cancel();
        }
        sleep(Duration::from_millis(1)).await;
        // Loop 1 waits here until loop 0's failure cancels it.
        sleep(Duration::from_secs(3600)).await;
    });
    let error = out.unwrap_err();
    assert!(matches!(
        error,
        LoopSetError::Failed {
            index: 0,
            error: RunError::Cancelled
        }
    ));
    assert_eq!(
        error.to_string(),
        "loop 0: The Future or Task was cancelled."
    );
}

#[test]
fn work_handed_to_a_loop_by_index_runs_there_and_its_result_is_awaited_from_another() {
    let out = run_per_core(3, |index, loops| async move {
        if index != 0 {
            return Vec::new();
        }
        let mut ran_on = Vec::new();
        for target in [2, 1, 2] {
            let answer = loops.spawn(Pick::Index(target), async move {
                sleep(Duration::from_millis(1)).await;
                get_running_loop().unwrap().id()
            });
            let id = answer.await.unwrap();
            ran_on.push((0..3).find(|&i| loops.handle(i).id() == id).unwrap());
        }
        ran_on
    });
    assert_eq!(out.unwrap()[0], [2, 1, 2]);
}

#[test]
fn round_robin_takes_the_loops_in_turn() {
    let out = run_per_core(3, |index, loops| async move {
        if index != 0 {
            return Vec::new();
        }
        let answers: Vec<_> = (0..5)
            .map(|_| loops.spawn_with(Pick::RoundRobin, || async { where_am_i() }))
            .collect();
        let mut ran_on = Vec::new();
        for answer in answers {
            ran_on.push(answer.await.unwrap());
        }
        ran_on
    });
    let ran_on = &out.unwrap()[0];
    let ids: Vec<_> = ran_on.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids[0], ids[3], "back to the first after three");
    assert_eq!(ids[1], ids[4]);
    assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
}

/// The running loop's id and thread name (made on the loop that runs it).
fn where_am_i() -> (asyncio::LoopId, String) {
    let thread = std::thread::current().name().unwrap_or("").to_owned();
    (get_running_loop().unwrap().id(), thread)
}

#[test]
fn least_loaded_picks_the_loop_with_the_fewest_hand_offs_in_flight() {
    let release = Arc::new(Event::new());
    let out = run_per_core(3, |index, loops| {
        let release = Arc::clone(&release);
        let waiting = Arc::clone(&release);
        let hold = move || {
            let release = Arc::clone(&waiting);
            async move { release.wait().await }
        };
        async move {
            if index != 0 {
                return Vec::new();
            }
            // Two hand-offs held on loop 1, one on loop 0: loop 2 is the least loaded.
            let held: Vec<_> = [1, 1, 0]
                .into_iter()
                .map(|target| loops.spawn(Pick::Index(target), hold()))
                .collect();
            let loads: Vec<_> = (0..3).map(|i| loops.in_flight(i)).collect();
            let first = loops.pick(Pick::LeastLoaded);
            let third_on = loops.spawn(Pick::LeastLoaded, hold());
            // Now loops 0 and 2 tie at one: either may come next, never loop 1.
            let second = loops.pick(Pick::LeastLoaded);
            release.set();
            for held in held {
                held.await.unwrap();
            }
            third_on.await.unwrap();
            let after: Vec<_> = (0..3).map(|i| loops.in_flight(i)).collect();
            vec![loads, vec![first, second], after]
        }
    });
    let out = &out.unwrap()[0];
    assert_eq!(out[0], [1, 2, 0]);
    assert_eq!(out[1][0], 2);
    assert_ne!(out[1][1], 1);
    assert_eq!(out[2], [0, 0, 0], "nothing in flight once done");
}

#[test]
fn a_hand_off_that_panics_reports_the_panic_to_the_awaiting_loop() {
    let out = run_per_core(2, |index, loops| async move {
        if index != 0 {
            return None;
        }
        let answer = loops.spawn(Pick::Index(1), async { panic!("on loop 1") });
        match answer.await {
            Err(TaskError::Panicked(panic)) => Some(panic.message().to_owned()),
            _ => None,
        }
    });
    assert_eq!(out.unwrap()[0].as_deref(), Some("on loop 1"));
}

#[test]
fn loops_hand_work_over_from_a_plain_thread() {
    // `Loops` is Send + Sync: a thread that runs no loop hands work in and blocks on it.
    let out = run_per_core(2, |index, loops| async move {
        if index != 0 {
            return 0;
        }
        let from_thread = std::thread::spawn(move || {
            let on_1 = loops.spawn(Pick::Index(1), async { 1 });
            let on_0 = loops.spawn_with(Pick::Index(0), || async { 2 });
            (on_1, on_0)
        });
        let (on_1, on_0) = to_thread(move || from_thread.join().unwrap())
            .await
            .unwrap();
        on_1.await.unwrap() + on_0.await.unwrap()
    });
    assert_eq!(out.unwrap()[0], 3);

    fn send_sync<T: Send + Sync>() {}
    send_sync::<Loops>();
    send_sync::<LoopSet>();
    // The error goes into `Box<dyn Error + Send + Sync>` (`?` in most programs).
    send_sync::<LoopSetError>();
}

#[test]
fn queues_and_locks_work_across_loops() {
    // A bounded queue from one producer loop to three consumer loops: the producer waits
    // for room (put across threads), the consumers for items.
    let queue: Queue<u64> = Queue::new(4);
    let lock = Lock::new();
    let semaphore = Semaphore::new(2);
    let inside = AtomicUsize::new(0);
    let most_inside = AtomicUsize::new(0);
    let in_lock = AtomicUsize::new(0);
    let out = run_per_core(4, |index, _| {
        let (queue, lock, semaphore) = (queue.clone(), &lock, &semaphore);
        let (inside, most_inside, in_lock) = (&inside, &most_inside, &in_lock);
        async move {
            if index == 0 {
                for n in 1..=300 {
                    queue.put(n).await.unwrap();
                }
                queue.join().await;
                queue.shutdown(false);
                return 0;
            }
            let mut sum = 0;
            while let Ok(n) = queue.get().await {
                sum += n;
                queue.task_done().unwrap();
                // The lock is held across an await: nobody else gets in meanwhile.
                let guard = lock.acquire().await;
                assert_eq!(in_lock.fetch_add(1, Ordering::SeqCst), 0);
                sleep(Duration::ZERO).await;
                in_lock.fetch_sub(1, Ordering::SeqCst);
                drop(guard);
                // The semaphore admits two at once, never three.
                let permit = semaphore.acquire().await;
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                most_inside.fetch_max(now, Ordering::SeqCst);
                sleep(Duration::ZERO).await;
                inside.fetch_sub(1, Ordering::SeqCst);
                drop(permit);
            }
            sum
        }
    });
    let sums = out.unwrap();
    assert_eq!(sums.iter().sum::<u64>(), 300 * 301 / 2);
    assert!(most_inside.load(Ordering::SeqCst) <= 2);
}

#[cfg(target_os = "linux")]
#[test]
fn pinned_loops_each_run_on_one_cpu_of_their_own() {
    let cpus = asyncio::allowed_cpus().unwrap();
    let n = cpus.len().min(4);
    let out = LoopSet::new(n)
        .pin_to_cores(true)
        .run(|_, _| async { asyncio::allowed_cpus().unwrap() })
        .unwrap();
    let expected: Vec<_> = cpus[..n].iter().map(|&cpu| vec![cpu]).collect();
    assert_eq!(out, expected);
    // Unpinned, a loop keeps the process's CPUs.
    let free = run_per_core(1, |_, _| async { asyncio::allowed_cpus().unwrap() });
    assert_eq!(free.unwrap(), [cpus]);
}

#[test]
fn work_handed_to_a_set_that_has_ended_is_cancelled_not_lost_in_silence() {
    let kept = run_per_core(2, |_, loops| async move { loops }).unwrap();
    let late = kept[0].spawn(Pick::Index(1), async { 1 });
    assert!(matches!(late.result(), Err(TaskError::Cancelled)));
    assert!(kept[0].handle(1).is_closed());
}
