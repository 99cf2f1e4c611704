//! A task dump (`asyncio::dump_tasks()`): every pending task, where it was created and
//! what it waits on, as a tree. A supervisor awaits a consumer that waits on a queue; a
//! gather's two workers wait on a lock and an event. Then the stack of the supervisor
//! (`get_stack`: the chain of what each task awaits), then everything is released.
//!
//! The output is deterministic (no ages: debug mode is off; no sleeps' deadlines), so
//! `cargo xtask ci` compares it with `tests/expected/task_dump.txt`. asyncio 3.11 has no
//! such dump to port (its nearest, `Task.print_stack()`, prints coroutine frames).

use std::rc::Rc;
use std::time::Duration;

use asyncio::{
    Event, Lock, Queue, TaskInfo, WaitingOn, create_task_named, current_task, dump_tasks, gather,
    sleep,
};

/// Waits on the lock, or on the event.
async fn worker(lock: Rc<Lock>, event: Option<Rc<Event>>) {
    match event {
        Some(event) => event.wait().await,
        None => drop(lock.acquire().await),
    }
}

fn main() {
    asyncio::run(async {
        let queue = Rc::new(Queue::<&str>::new(0));
        let lock = Rc::new(Lock::new());
        let event = Rc::new(Event::new());
        let guard = lock.acquire().await;

        let q = Rc::clone(&queue);
        let consumer = create_task_named("consumer", async move { q.get().await });
        let supervisor =
            create_task_named("supervisor", async move { consumer.await.map(Result::ok) });
        let (l, e) = (Rc::clone(&lock), Rc::clone(&event));
        let workers = create_task_named("workers", async move {
            gather([worker(Rc::clone(&l), None), worker(l, Some(e))]).await
        });
        // Let them start and suspend.
        for _ in 0..3 {
            sleep(Duration::ZERO).await;
        }
        current_task().unwrap().set_name("main");

        print!("{}", dump_tasks());
        println!("stack of supervisor:");
        for task in supervisor.as_ref().get_stack() {
            println!("  {} waits on {}", task.name, waiting_text(&task));
        }

        queue.put_nowait("job").unwrap();
        drop(guard);
        event.set();
        let got = supervisor.await.unwrap().unwrap().unwrap();
        workers.await.unwrap().unwrap();
        println!(
            "supervisor got {got:?}; {} pending tasks",
            dump_tasks().tasks().len()
        );
    })
    .unwrap();
}

/// A short text for what a task waits on (the dump's `Display` says more).
fn waiting_text(task: &TaskInfo) -> String {
    match &task.waiting_on {
        WaitingOn::Task(_) => "a task".to_owned(),
        WaitingOn::Kind(kind) => kind.what().to_owned(),
        other => format!("{other:?}"),
    }
}
