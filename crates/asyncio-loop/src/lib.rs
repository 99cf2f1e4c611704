//! asyncio's event loop, in Rust: one loop per thread drives tasks (futures that need not
//! be `Send`) and callbacks in FIFO order, sleeps (in epoll once a descriptor is watched)
//! until the next timer, a descriptor or a wake from another thread, and orders work
//! exactly as CPython's asyncio does, iteration by iteration.
//!
//! The pieces, and how work travels through them:
//!
//! - [`EventLoop`]: the ready queue, timers and poller. Each iteration runs exactly the
//!   items that were ready when it began; what they make ready runs in the next one.
//! - [`Task`]: a future wrapped by [`create_task`]; each step is a ready-queue item. Its
//!   waker is `Send + Sync`: on the loop's thread a wake pushes the step onto the ready
//!   queue directly, from another thread it goes through an injection queue and one
//!   wake of the sleeping loop (an unpark of its thread, or a poller notify when it
//!   watches descriptors).
//! - [`sleep`], [`timeout`]: one timer entry each, whose firing wakes the task.
//! - [`IoSource`] and the sockets ([`TcpListener`], [`TcpStream`], [`UdpSocket`], the Unix
//!   ones): registered once, edge-triggered; a ready descriptor wakes its task in the
//!   iteration the event arrives. They speak `futures-io`.
//! - [`Future`]: asyncio's settable future; [`shield`]; [`LoopHandle`] for other threads.
//!
//! ```
//! use std::cell::RefCell;
//! use std::rc::Rc;
//! use std::time::Duration;
//! use asyncio_loop::{EventLoop, create_task, sleep};
//!
//! let event_loop = EventLoop::new();
//! let log = Rc::new(RefCell::new(Vec::new()));
//! let out = event_loop.run_until_complete({
//!     let log = Rc::clone(&log);
//!     async move {
//!         let mut tasks = Vec::new();
//!         for name in ["a", "b"] {
//!             let log = Rc::clone(&log);
//!             tasks.push(create_task(async move {
//!                 for i in 0..2 {
//!                     log.borrow_mut().push(format!("{name}{i}"));
//!                     sleep(Duration::ZERO).await; // yield one iteration
//!                 }
//!             }));
//!         }
//!         for task in tasks {
//!             task.await.unwrap();
//!         }
//!         sleep(Duration::from_millis(1)).await;
//!         "done"
//!     }
//! });
//! assert_eq!(out, Ok("done"));
//! assert_eq!(*log.borrow(), ["a0", "b0", "a1", "b1"]);
//! event_loop.close().unwrap();
//! ```

// The files in their layers, lowest first; each imports only from layers below its own
// (checked by `cargo xtask layers`; drawn in docs/architecture.md).
//
// Layer 0, leaf types.
mod affinity;
mod callback;
mod cancel_state;
mod error;
mod flags;
mod in_context;
#[cfg(unix)]
mod poller;
mod shared;
#[cfg(unix)]
mod sigaction;
mod sync;
#[cfg(feature = "tracing")]
mod trace;
mod waiting;
// Layer 1, the raw task: its allocation and wakers; the loop only as `context::Schedule`.
mod cancelling;
mod context;
mod done;
mod header;
mod raw;
mod ready;
mod waker;
// Layer 2, the parts the loop drives: task handles, timers, I/O registrations, the queue.
mod catch;
mod concurrent;
mod exception;
#[cfg(unix)]
mod reactor;
mod registry;
mod task;
mod task_ref;
mod timers;
mod try_task;
mod watch;
// Layer 3, the iteration: the loop's state, `run_once`, closing, the running loop.
mod iteration;
mod running;
mod scheduler;
mod shutdown;
// Layer 4, the public surface.
mod current;
mod event_loop;
mod future;
mod handle;
#[cfg(unix)]
mod io;
mod linked;
mod remote;
mod shield;
#[cfg(unix)]
mod signal;
mod sleep;
#[cfg(unix)]
mod slow_io;
mod source;
#[cfg(unix)]
mod tcp;
mod timeout_scope;
#[cfg(unix)]
mod udp;
#[cfg(unix)]
mod unix;
// Pipes and child processes (asyncio's subprocess transports) over add_reader and sources.
#[cfg(unix)]
mod child;
#[cfg(unix)]
mod pipe;

mod dump;

// loom models of the cross-thread paths (`cargo xtask loom`).
#[cfg(all(test, loom))]
mod loom_models;

pub use affinity::{allowed_cpus, pin_current_thread};
/// Python's `contextvars` (the `asyncio-contextvars` crate): tasks run in a copy of their
/// creator's context, callbacks in a copy of the context they were scheduled from.
pub use asyncio_contextvars as contextvars;
pub use asyncio_sync::WaitKind;
pub use callback::DoneCallbackId;
pub use cancel_state::CancelTarget;
pub use catch::{CatchCancelled, Reraise, catch_cancelled, finally, note_waiting_on};
#[cfg(unix)]
pub use child::ChildWatch;
pub use concurrent::{ConcurrentFuture, ConcurrentSetter};
pub use current::{
    all_tasks, create_task, create_task_named, create_task_with_context, create_try_task,
    current_task, get_event_loop, get_running_loop, new_event_loop, set_event_loop,
};
pub use dump::{DumpState, TaskDump, TaskInfo, WaitingOn, note_waiting_for};
pub use error::{
    CancelledError, InvalidStateError, IoError, Panic, RunError, RuntimeError, TaskError,
    TimeoutError,
};
pub use event_loop::EventLoop;
pub use exception::ExceptionContext;
pub use future::{Future, FutureSetter};
pub use handle::{Handle, TimerHandle};
#[cfg(unix)]
pub use pipe::{PipeReader, PipeWriter, pipe};
pub use remote::LoopHandle;
pub use shared::LoopId;
pub use shield::{Shield, shield};
#[cfg(unix)]
pub use sigaction::{SignalError, is_main_thread, signal_is_default};
pub use sleep::{Sleep, Timeout, sleep, sleep_until, timeout, timeout_at};
#[cfg(unix)]
pub use source::IoSource;
pub use task::Task;
pub use task_ref::TaskRef;
#[cfg(unix)]
pub use tcp::{ListenOptions, TcpListener, TcpReadHalf, TcpStream, TcpWriteHalf};
pub use timeout_scope::{Scoped, TimeoutScope};
pub use try_task::TryTask;
#[cfg(unix)]
pub use udp::UdpSocket;
#[cfg(unix)]
pub use unix::{UnixDatagram, UnixListener, UnixReadHalf, UnixStream, UnixWriteHalf};
pub use waiting::TaskId;
pub use watch::{SharedTask, TaskWatch, shield_ref};
