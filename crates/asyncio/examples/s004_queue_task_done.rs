//! Seed 004 (`tests/python/s004_queue_task_done.py`): the safer worker of the seed:
//! `task_done()` runs however the item's processing ends, so a failing item cannot leave
//! `join()` waiting forever. Python uses `finally:`; Rust a guard whose `Drop` calls
//! `task_done()`, which also covers a cancellation in the middle of an item.
//! Item 0.35 is bad and fails; the queue still drains. Sleeps: a fifth of each value.

mod common;

use std::time::Duration;

use asyncio::{Queue, ReturnWhen};

/// Calls `task_done()` when dropped: Python's `finally: queue.task_done()`.
struct TaskDone<'a>(&'a Queue<f64>);

impl Drop for TaskDone<'_> {
    fn drop(&mut self) {
        self.0.task_done().expect("one task_done per item taken");
    }
}

async fn process(sleep_for: f64) -> Result<(), String> {
    asyncio::sleep(Duration::from_secs_f64(sleep_for / 5.0)).await;
    if sleep_for == 0.35 {
        return Err(format!("bad item {sleep_for}"));
    }
    Ok(())
}

async fn worker(name: String, queue: Queue<f64>) {
    while let Ok(sleep_for) = queue.get().await {
        let _done = TaskDone(&queue);
        match process(sleep_for).await {
            Ok(()) => println!("{name} has slept for {sleep_for:.2} seconds"),
            Err(e) => println!("{name} failed: {e}"),
        }
    }
}

async fn main_() {
    let queue = Queue::new(0);
    for sleep_for in [0.1, 0.35, 0.2, 0.5] {
        queue
            .put_nowait(sleep_for)
            .expect("an unbounded queue is never full");
    }
    let tasks: Vec<_> = (0..2)
        .map(|i| asyncio::create_task(worker(format!("worker-{i}"), queue.clone())))
        .collect();
    queue.join().await;
    println!("queue drained");
    for task in &tasks {
        task.cancel();
    }
    let (done, _) = asyncio::wait(tasks, ReturnWhen::AllCompleted, None).await;
    println!(
        "workers cancelled: {}",
        common::py_bool(done.iter().all(|t| t.cancelled()))
    );
}

fn main() -> Result<(), asyncio::RunError> {
    asyncio::run(main_())
}
