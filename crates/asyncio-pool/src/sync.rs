//! The atomics, locks, threads and queue the pool's shared state and its workers use
//! (`shared.rs`, `worker.rs`): std's and crossbeam's, or under `--cfg loom`
//! (`cargo xtask loom`) the model checker's, so that its models (`loom_models/`) run the
//! pool's own code. A normal build only names std's and crossbeam's items here: the code
//! that uses them compiles to what it did before.
//!
//! loom cannot run crossbeam's channel (its atomics are not loom's), so under loom the
//! queue is `sync/loom_channel.rs`: a locked `VecDeque` with the same methods, whose
//! length is a `SeqCst` counter as crossbeam's is (its head and tail indices). A job's
//! own cell (`job.rs`) keeps std's lock and `Arc` under loom too: no other thread waits
//! on it while one holds it, and the models do not look inside it.

#[cfg(not(loom))]
pub(crate) use crossbeam_channel as channel;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize, fence};
#[cfg(not(loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};
#[cfg(not(loom))]
pub(crate) use std::thread;
#[cfg(not(loom))]
pub(crate) use std::thread_local;

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicUsize, fence};
#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(loom)]
pub(crate) use loom_channel as channel;
#[cfg(loom)]
pub(crate) use loom_thread as thread;
#[cfg(loom)]
pub(crate) use loom_thread_local as thread_local;

#[cfg(loom)]
pub(crate) mod loom_channel;
#[cfg(loom)]
pub(crate) mod loom_thread;

/// loom's `thread_local!` for a declaration with a `const` initializer, which loom's own
/// macro does not parse: the value is then made on first use, as loom's always are.
#[cfg(loom)]
macro_rules! loom_thread_local {
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = const { $init:expr };) => {
        loom::thread_local!($(#[$attr])* $vis static $name: $t = $init);
    };
}
#[cfg(loom)]
pub(crate) use loom_thread_local;
