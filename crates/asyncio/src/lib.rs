//! Python's `asyncio` for Rust.
//!
//! This crate is asyncio's API under asyncio's names, on an event loop that schedules work
//! the way CPython's does: FIFO, one iteration at a time, so a program prints the same
//! interleaving as its Python original. A coroutine is an `async fn`; `asyncio::run` starts
//! the loop; tasks, `gather`, `wait_for`, `shield`, `as_completed`, queues, locks and
//! `to_thread` behave as in asyncio, with Rust's differences: errors are `Result`s,
//! cancellation drops the future unless the code catches it with [`catch_cancelled`],
//! `await` is postfix, and `gather!` is a macro for futures of different types. `docs/guide.md` puts each asyncio line beside its Rust line.
//!
//! ```
//! use std::time::Duration;
//!
//! async fn counter(name: &'static str, max: u32) -> String {
//!     for count in 1..=max {
//!         println!("{name}: {count}");
//!         asyncio::sleep(Duration::from_millis(1)).await;
//!     }
//!     format!("{name} done")
//! }
//!
//! let result = asyncio::run(async {
//!     asyncio::gather!(counter("A", 1), counter("B", 2), counter("C", 3)).await
//! });
//! assert_eq!(result.unwrap().unwrap(), ("A done".into(), "B done".into(), "C done".into()));
//! ```
//!
//! More cores: one loop per thread, as asyncio would have it, started and shut down together
//! by [`LoopSet`] / [`run_per_core`]; work moves between loops only when handed over
//! ([`Loops::spawn`], by index, round robin or least loaded), and servers accept on every
//! loop with `reuse_port` ([`start_server_with`]) or through one acceptor
//! ([`start_server_handing_off`]).
//!
//! ```
//! use asyncio::Pick;
//!
//! let out = asyncio::run_per_core(2, |index, loops| async move {
//!     // Each loop asks the next one for a value and awaits it.
//!     let next = (index + 1) % loops.len();
//!     loops.spawn(Pick::Index(next), async move { next }).await.unwrap()
//! });
//! assert_eq!(out.unwrap(), [1, 0]);
//! ```
//!
//! The crate is a facade over three crates that are useful alone: `asyncio-loop` (the event
//! loop, tasks, timers), `asyncio-sync` (queues and locks for any executor) and
//! `asyncio-pool` (the thread pool for blocking work). Everything is re-exported here.
#![forbid(unsafe_code)]

mod ainput;
mod anext;
mod as_completed;
mod async_gen;
mod asyncgens;
mod child;
#[cfg(feature = "tokio")]
pub mod compat;
mod dump;
mod ensure_future;
mod executor;
#[cfg(unix)]
pub mod fs;
mod gather;
mod gather_tuple;
mod group_scope;
#[cfg(unix)]
mod handoff;
#[cfg(feature = "hyper")]
pub mod hyper_rt;
#[cfg(unix)]
mod interrupt;
mod loops;
mod outer;
mod per_core;
mod per_core_error;
#[cfg(unix)]
mod process;
mod run;
mod sleep_with;
#[cfg(unix)]
mod sock;
mod stdin_lines;
#[cfg(unix)]
mod streams;
#[cfg(unix)]
pub mod subprocess;
mod task_group;
mod wait;
mod wait_for;

pub use ainput::{Ainput, AinputError, ainput};
pub use anext::{Next, anext};
pub use as_completed::{AsCompleted, AsCompletedError, as_completed, as_completed_timeout};
pub use async_gen::{AsyncGenerator, Yield, Yielder, async_generator};
pub use asyncio_streams::{
    IncompleteReadError, LimitOverrunError, StreamError, StreamReader, StreamWriter,
};
pub use child::Waitable;
#[cfg(feature = "tokio")]
pub use compat::{Compat, CompatExt, tokio_compat};
pub use dump::dump_tasks;
pub use ensure_future::ensure_future;
pub use executor::{EventLoopExt, Executor, to_thread};
pub use futures_core::Stream;
pub use gather::{
    Gather, GatherAll, GatherError, TryGather, gather, gather_return_exceptions, gather_tasks,
    try_gather,
};
#[doc(hidden)]
pub use gather_tuple::{__gather_child, __gather_tuple};
pub use gather_tuple::{GatherTuple, Slots};
pub use group_scope::task_group;
#[cfg(unix)]
pub use handoff::start_server_handing_off;
pub use loops::{Loops, Pick};
pub use per_core::{LoopSet, run_per_core};
pub use per_core_error::{LoopPanic, LoopSetError};
pub use run::{Runner, run};
pub use sleep_with::{SleepWith, sleep_with};
#[cfg(unix)]
pub use sock::SocketMethods;
#[cfg(unix)]
pub use streams::{
    Server, ServerOptions, Sink, TcpReader, TcpWriter, UnixReader, UnixWriter, getaddrinfo,
    open_connection, open_unix_connection, start_server, start_server_with, start_unix_server,
};
#[cfg(unix)]
pub use subprocess::{
    CreateSubprocess, Process, ProcessReader, ProcessWriter, create_subprocess_exec,
    create_subprocess_shell,
};
pub use task_group::{Failure, GroupWait, TaskGroup, TaskGroupError};
pub use wait::{Done, ReturnWhen, Wait, wait};
pub use wait_for::{shield, shield_task, wait_for};

// The event loop, its tasks, futures, timers and errors, under asyncio's names.
pub use asyncio_loop::{
    CancelTarget, CancelledError, CatchCancelled, ConcurrentFuture, ConcurrentSetter,
    DoneCallbackId, DumpState, EventLoop, ExceptionContext, Future, FutureSetter, Handle,
    InvalidStateError, LoopHandle, LoopId, Reraise, RunError, RuntimeError, SharedTask, Shield,
    Sleep, Task, TaskDump, TaskError, TaskId, TaskInfo, TaskRef, TaskWatch, Timeout, TimeoutError,
    TimeoutScope, TimerHandle, TryTask, WaitKind, WaitingOn, all_tasks, catch_cancelled,
    create_task, create_task_named, create_task_with_context, create_try_task, current_task,
    finally, get_event_loop, get_running_loop, new_event_loop, note_waiting_for, note_waiting_on,
    set_event_loop, shield_ref, sleep, sleep_until, timeout, timeout_at,
};

/// Python's `contextvars`: [`ContextVar`](contextvars::ContextVar),
/// [`copy_context`](contextvars::copy_context), [`Context`](contextvars::Context). A task
/// runs in a copy of its creator's context, a callback in a copy of the context it was
/// scheduled from, and [`to_thread`] carries a copy of its caller's to the pool thread.
///
/// ```
/// use asyncio::contextvars::ContextVar;
///
/// static REQUEST_ID: ContextVar<u32> = ContextVar::new("request_id");
///
/// let seen = asyncio::run(async {
///     REQUEST_ID.set(1);
///     let child = asyncio::create_task(async {
///         let inherited = REQUEST_ID.get();
///         REQUEST_ID.set(2); // the child's own copy
///         inherited
///     });
///     let in_child = child.await.unwrap();
///     let in_thread = asyncio::to_thread(|| REQUEST_ID.get()).await.unwrap();
///     (in_child, REQUEST_ID.get(), in_thread)
/// })
/// .unwrap();
/// assert_eq!(seen, (Ok(1), Ok(1), Ok(1)));
/// ```
pub use asyncio_loop::contextvars;
#[cfg(unix)]
pub use asyncio_loop::{
    IoSource, TcpListener, TcpReadHalf, TcpStream, TcpWriteHalf, UdpSocket, UnixDatagram,
    UnixListener, UnixReadHalf, UnixStream, UnixWriteHalf,
};
// Pinning a thread to a CPU (what `LoopSet::pin_to_cores` does for each loop).
pub use asyncio_loop::{allowed_cpus, pin_current_thread};
// Signals: `EventLoop::add_signal_handler`'s error, and the test `run` makes for Ctrl-C.
#[cfg(unix)]
pub use asyncio_loop::{SignalError, is_main_thread, signal_is_default};

// The thread pool for blocking work (asyncio's `concurrent.futures.ThreadPoolExecutor`).
pub use asyncio_pool::{Job, JobError, PoolError, PoolStats, ThreadPool, ThreadPoolExecutor};

// Queues and synchronisation primitives, usable on any executor.
pub use asyncio_sync::{
    Barrier, BarrierWait, BoundedSemaphore, BrokenBarrierError, Condition, ConditionError, Event,
    EventWait, GetNowaitError, LifoQueue, Lock, LockGuard, PriorityQueue, PutNowaitError, Queue,
    QueueEmpty, QueueFull, QueueShutDown, Semaphore, SemaphoreError, SemaphorePermit,
    TaskDoneError,
};
