//! The loop seen through `tracing` (the facade's `tracing` feature): tracing-subscriber's
//! fmt layer prints a `task` span per task (`task.name`, `task.id`), a `poll` span inside it
//! per step, the program's own events nested in them, and the loop's debug-mode reports as
//! WARN events.
//!
//! ```sh
//! cargo run -p asyncio --features tracing --example tracing
//! ```
//!
//! A producer puts three items on a queue of one place that two consumers share; one consumer blocks
//! the loop's thread for 30 ms on its first item, which debug mode reports as a slow step.
//! With `FmtSpan::CLOSE` each span's end is a line of its own with its busy and idle time:
//! a task's closing line says how long it ran in all and how long it waited, and carries
//! `task.outcome`.
//!
//! Output (an excerpt, timestamps cut):
//!
//! ```text
//!  INFO task{task.name=consumer-1 task.id=2}:poll: tracing: got item=0
//! TRACE task{task.name=consumer-1 task.id=2}:poll: asyncio_loop::trace: close time.busy=30.1ms time.idle=11.7µs
//!  WARN asyncio_loop::exception: Executing <Task pending name='consumer-1'> took 0.030 seconds task.name="consumer-1" task.id=2
//! Executing <Task pending name='consumer-1'> took 0.030 seconds; future: <Task pending name='consumer-1'>
//!  INFO task{task.name=producer task.id=4}:poll: tracing: put item=1
//! ...
//! DEBUG task{task.name=consumer-1 task.id=2 task.outcome="cancelled"}: asyncio_loop::trace: close time.busy=30.3ms time.idle=457µs
//! ```
//!
//! (The line without a level is the default exception handler's, on stderr: the event does
//! not replace the handler.)

use std::time::Duration;

use tracing_subscriber::fmt::format::FmtSpan;

async fn consumer(queue: asyncio::Queue<u32>) {
    while let Ok(item) = queue.get().await {
        tracing::info!(item, "got");
        if item == 0 {
            // Blocking work on the loop's thread: what debug mode exists to catch.
            std::thread::sleep(Duration::from_millis(30));
        }
        queue.task_done().expect("one task_done per get");
    }
}

fn main() {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        // The span's closing line, with its busy and idle time (the timer must stay on).
        .with_span_events(FmtSpan::CLOSE)
        .init();
    asyncio::run(async {
        let event_loop = asyncio::get_running_loop().expect("inside asyncio::run");
        event_loop.set_debug(true);
        event_loop.set_slow_callback_duration(Duration::from_millis(20));
        let queue = asyncio::Queue::new(1);
        let consumers: Vec<_> = (1..=2)
            .map(|n| asyncio::create_task_named(format!("consumer-{n}"), consumer(queue.clone())))
            .collect();
        let producer = asyncio::create_task_named("producer", {
            let queue = queue.clone();
            async move {
                for item in 0..3 {
                    queue.put(item).await.expect("the queue is open");
                    tracing::info!(item, "put");
                }
            }
        });
        producer.await.expect("the producer ran");
        queue.join().await;
        for consumer in consumers {
            consumer.cancel();
        }
        tracing::info!("all items handled");
    })
    .expect("the loop ran");
}
