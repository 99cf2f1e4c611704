//! The task dump of the current loop, for code that does not hold its [`EventLoop`]:
//! `asyncio::dump_tasks()`, the entry point to the loop's [`EventLoop::dump`] (see the
//! guide's "Debugging").

use asyncio_loop::{EventLoop, TaskDump, get_event_loop};

/// Every pending task of the running loop (or, outside one, of this thread's
/// [`get_event_loop`]), with where each was created, what it waits on now, and (in debug
/// mode) its age. Print it for a tree: a task awaiting a task, a `gather` or a task group
/// has what it waits for nested under it.
///
/// ```
/// use std::time::Duration;
///
/// let text = asyncio::run(async {
///     let queue = std::rc::Rc::new(asyncio::Queue::<u32>::new(0));
///     let q = queue.clone();
///     let consumer = asyncio::create_task_named("consumer", async move { q.get().await });
///     asyncio::sleep(Duration::ZERO).await;
///     let text = asyncio::dump_tasks().to_string();
///     consumer.cancel();
///     text
/// })
/// .unwrap();
/// assert!(text.contains("consumer [waiting] on Queue.get()"), "{text}");
/// ```
pub fn dump_tasks() -> TaskDump {
    let event_loop: EventLoop =
        asyncio_loop::get_running_loop().unwrap_or_else(|_| get_event_loop());
    event_loop.dump()
}
