//! A narrated tour of asyncio for Rust: `cargo run --release --example tour`.
//!
//! Each part shows one idea of asyncio with the facade's names, prints what happens and
//! says why. It finishes in about two seconds. The progress bar of part 6 draws on stderr
//! (and hides itself when stderr is not a terminal), so stdout is the same on every run and
//! is checked against `tests/expected/tour.txt` in CI.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use asyncio::{Queue, ReturnWhen, TaskError, TaskGroup, anext};
use indicatif::{ProgressBar, ProgressStyle};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn part(title: &str) {
    println!();
    println!("== {title} ==");
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("asyncio for Rust: a tour");
    coroutines()?;
    asyncio::run(tasks())?;
    asyncio::run(gather())??;
    asyncio::run(timeouts())?;
    asyncio::run(shield())?;
    asyncio::run(as_completed())??;
    asyncio::run(queues())?;
    asyncio::run(to_thread())??;
    stepping()?;
    asyncio::run(cancellation())?;
    println!();
    println!("End of the tour. docs/guide.md puts every asyncio line beside its Rust line.");
    Ok(())
}

/// Part 1: a coroutine does nothing until it is awaited or run.
fn coroutines() -> Result<(), asyncio::RunError> {
    part("1. Coroutines are lazy");
    let ran = Rc::new(Cell::new(false));
    let flag = ran.clone();
    let coro = async move {
        flag.set(true);
        "the coroutine's return value"
    };
    println!("made a coroutine; has it run? {}", ran.get());
    let out = asyncio::run(coro)?;
    println!("asyncio::run(coro) gave {out:?}; has it run? {}", ran.get());
    Ok(())
}

async fn count(name: &'static str, n: u32) -> u32 {
    for i in 1..=n {
        println!("  {name} step {i}");
        asyncio::sleep(Duration::ZERO).await; // yield: let the others run one step
    }
    n
}

/// Part 2: tasks run concurrently, in FIFO order, one step per loop iteration.
async fn tasks() {
    part("2. Tasks interleave in FIFO order");
    let a = asyncio::create_task(count("A", 2));
    let b = asyncio::create_task(count("B", 3));
    println!("created {a:?} and {b:?}: they start when main next awaits");
    let (a_out, b_out) = (a.await, b.await);
    println!("awaited both: A gave {a_out:?}, B gave {b_out:?}");
    let c = asyncio::create_task(count("C", 1));
    asyncio::sleep(ms(5)).await;
    println!("a task runs even if nobody awaits it: {c:?}");
}

async fn after(label: &'static str, delay: u64) -> &'static str {
    asyncio::sleep(ms(delay)).await;
    println!("  {label} finished after {delay} ms");
    label
}

/// Part 3: gather runs everything at once and keeps the argument order.
async fn gather() -> Result<(), TaskError> {
    part("3. gather: concurrent, results in argument order");
    let started = Instant::now();
    let results =
        asyncio::gather([after("slow", 60), after("fast", 20), after("middle", 40)]).await?;
    let took = started.elapsed();
    println!("gather gave {results:?} (argument order, not completion order)");
    println!(
        "it took about the longest delay, not the sum: {}",
        took < ms(120)
    );
    let (n, s) = asyncio::gather!(async { 6 * 7 }, async { "mixed types: a tuple" }).await?;
    println!("gather! of different types gives a tuple: ({n}, {s:?})");
    Ok(())
}

/// Part 4: timeouts cancel the late work before reporting.
async fn timeouts() {
    part("4. Timeouts: wait_for and timeout");
    match asyncio::wait_for(ms(10), after("too slow", 1000)).await {
        Ok(label) => println!("unexpected: {label}"),
        Err(e) => println!("wait_for(10 ms, a 1 s job) -> Err({e}); the job was dropped"),
    }
    let block = asyncio::timeout(ms(500), async {
        asyncio::sleep(ms(5)).await;
        "done in time"
    });
    println!("timeout(500 ms, a 5 ms block) -> {:?}", block.await);
}

/// Part 5: shield keeps the work going when the waiting side gives up.
async fn shield() {
    part("5. shield: the wait times out, the work goes on");
    let shielded = asyncio::shield(after("shielded job", 30));
    match asyncio::wait_for(ms(5), shielded).await {
        Ok(_) => println!("unexpected: finished in 5 ms"),
        Err(_) => println!("wait_for gave up after 5 ms..."),
    }
    asyncio::sleep(ms(60)).await;
    println!("...and the shielded job still finished (above)");
}

/// Part 6: as_completed yields in completion order; a progress bar follows it.
async fn as_completed() -> Result<(), asyncio::AsCompletedError> {
    part("6. as_completed, with a progress bar");
    let downloads = [
        ("a.txt", 300),
        ("b.txt", 100),
        ("c.txt", 500),
        ("d.txt", 200),
        ("e.txt", 400),
    ];
    let bar = ProgressBar::new(downloads.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("  {bar:30} {pos}/{len} {msg}").expect("a valid template"),
    );
    let mut completed = asyncio::as_completed(downloads.map(|(name, delay)| async move {
        asyncio::sleep(ms(delay)).await;
        name
    }));
    while let Some(name) = anext(&mut completed).await {
        let name = name?;
        bar.set_message(name);
        bar.inc(1);
        bar.suspend(|| println!("  downloaded {name}"));
    }
    bar.finish_and_clear();
    println!("completion order follows the delays, not the list");
    Ok(())
}

/// Part 7: a queue feeding workers; join() waits for task_done() of every item.
async fn queues() {
    part("7. A queue with three workers");
    let queue: Queue<(u32, u64)> = Queue::new(0);
    for job in 1..=6 {
        queue
            .put_nowait((job, [140, 40, 80, 60, 120, 20][job as usize - 1]))
            .expect("unbounded");
    }
    let handled = Rc::new(RefCell::new(Vec::new()));
    let workers: Vec<_> = (1..=3)
        .map(|w| {
            let (queue, handled) = (queue.clone(), handled.clone());
            asyncio::create_task(async move {
                while let Ok((job, delay)) = queue.get().await {
                    asyncio::sleep(ms(delay)).await;
                    handled.borrow_mut().push(job);
                    println!("  worker {w} did job {job} ({delay} ms)");
                    queue.task_done().expect("one task_done per get");
                }
            })
        })
        .collect();
    queue.join().await;
    println!(
        "queue.join() returned: every job done, in order {:?}",
        handled.borrow()
    );
    for worker in &workers {
        worker.cancel();
    }
    let (done, _) = asyncio::wait(workers, ReturnWhen::AllCompleted, None).await;
    println!("workers cancelled: {}", done.iter().all(|d| d.cancelled()));
}

/// Part 8: to_thread keeps the loop responsive while blocking work runs elsewhere.
async fn to_thread() -> Result<(), asyncio::JobError> {
    part("8. to_thread: blocking work off the loop");
    let ticks = Rc::new(Cell::new(0u32));
    let counter = ticks.clone();
    let ticker = asyncio::create_task(async move {
        loop {
            asyncio::sleep(ms(5)).await;
            counter.set(counter.get() + 1);
        }
    });
    let answer = asyncio::to_thread(|| {
        std::thread::sleep(ms(200)); // would freeze the loop if run on it
        6 * 7
    })
    .await?;
    ticker.cancel();
    println!(
        "the thread computed {answer}; the loop kept ticking meanwhile: {}",
        ticks.get() > 0
    );
    // The default panic hook would print a backtrace on stderr: silence it for this demo.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let panicked = asyncio::to_thread(|| -> u32 { panic!("oops in a thread") }).await;
    std::panic::set_hook(hook);
    println!(
        "a panic in the thread comes back as an error: {:?}",
        panicked.map_err(|e| e.to_string())
    );
    Ok(())
}

/// Part 9: the loop driven one iteration at a time, as a game or GUI main loop would.
fn stepping() -> Result<(), asyncio::RunError> {
    part("9. Stepping the loop from our own main loop");
    let event_loop = asyncio::new_event_loop();
    asyncio::set_event_loop(Some(&event_loop));
    let a = asyncio::ensure_future(count("A", 2));
    let b = asyncio::ensure_future(count("B", 3));
    let both = asyncio::gather_tasks([a, b]);
    let mut frame = 0;
    while !both.done() {
        frame += 1;
        println!("frame {frame}");
        event_loop.run_once()?; // one iteration; never blocks
    }
    println!("gather done after {frame} frames: B returned in frame 4, the gather saw it in 5");
    asyncio::set_event_loop(None);
    event_loop.close()
}

/// Prints when dropped: cleanup code that a cancellation runs.
struct Cleanup(&'static str);

impl Drop for Cleanup {
    fn drop(&mut self) {
        println!("  cleanup of {} ran (Drop)", self.0);
    }
}

/// Part 10: cancellation drops the future at its suspension point; Drop does the cleanup.
async fn cancellation() {
    part("10. Cancellation is drop");
    let sleeper = asyncio::create_task(async {
        let _guard = Cleanup("the sleeper");
        asyncio::sleep(ms(10_000)).await;
        println!("  unreachable: the sleeper was cancelled");
    });
    asyncio::sleep(Duration::ZERO).await; // let it start sleeping
    println!("cancel() -> {}", sleeper.cancel());
    println!("awaiting it gives {:?}", sleeper.await);

    let group = TaskGroup::new();
    let _ok = group.create_task(async { Ok::<_, String>("fine") });
    let _slow = group.create_task(async {
        let _guard = Cleanup("a slow sibling");
        asyncio::sleep(ms(10_000)).await;
        Ok("never")
    });
    let _bad = group.create_task(async {
        asyncio::sleep(ms(5)).await;
        Err::<&str, _>("the bad child failed".to_string())
    });
    match group.wait().await {
        Ok(()) => println!("unexpected: the group succeeded"),
        Err(e) => {
            let failures: Vec<String> = e.failures.iter().map(ToString::to_string).collect();
            println!("TaskGroup: one failure cancels the rest -> {e}: {failures:?}");
        }
    }
}
