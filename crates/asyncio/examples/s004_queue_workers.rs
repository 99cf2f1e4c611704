//! Seed 004 (`tests/python/s004_queue_workers.py`): the `asyncio.Queue` example of the docs:
//! three workers share a queue of 20 sleeps, `join()` waits for every `task_done()`, then the
//! workers are cancelled.
//!
//! Deterministic port (the Python port does the same): the 20 "random" timings are a fixed
//! list, chosen so that no two completions are closer than 0.12 s; each is slept for a fifth
//! of its value; the "slept in parallel" line reports the longest total one worker slept
//! (what the wall clock shows, without its jitter).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use asyncio::{Queue, ReturnWhen};

const TIMINGS: [f64; 20] = [
    0.28, 1.0, 0.06, 0.51, 0.12, 0.8, 0.93, 0.69, 0.12, 0.71, 0.35, 0.87, 0.88, 0.9, 0.65, 0.82,
    0.82, 0.79, 0.73, 0.67,
];
const SCALE: f64 = 0.2;

type Slept = Rc<RefCell<BTreeMap<String, f64>>>;

async fn worker(name: String, queue: Queue<f64>, slept: Slept) {
    // Runs until cancelled: the loop ends when `main` cancels the task.
    while let Ok(sleep_for) = queue.get().await {
        asyncio::sleep(Duration::from_secs_f64(sleep_for * SCALE)).await;
        queue.task_done().expect("one task_done per item taken");
        *slept.borrow_mut().entry(name.clone()).or_default() += sleep_for;
        println!("{name} has slept for {sleep_for:.2} seconds");
    }
}

async fn main_() {
    let queue = Queue::new(0); // unbounded

    let mut total_sleep_time = 0.0;
    for sleep_for in TIMINGS {
        total_sleep_time += sleep_for;
        queue
            .put_nowait(sleep_for)
            .expect("an unbounded queue is never full");
    }

    let slept = Slept::default();
    let tasks: Vec<_> = (0..3)
        .map(|i| asyncio::create_task(worker(format!("worker-{i}"), queue.clone(), slept.clone())))
        .collect();

    queue.join().await; // until every item is task_done()
    let total_slept_for = slept.borrow().values().cloned().fold(0.0, f64::max);

    for task in &tasks {
        task.cancel();
    }
    // Wait until every worker is cancelled (Python: gather(*tasks, return_exceptions=True)).
    asyncio::wait(tasks, ReturnWhen::AllCompleted, None).await;

    println!("====");
    println!("3 workers slept in parallel for {total_slept_for:.2} seconds");
    println!("total expected sleep time: {total_sleep_time:.2} seconds");
}

fn main() -> Result<(), asyncio::RunError> {
    asyncio::run(main_())
}
