//! Layer 0 (leaf types): the atomics and locks of the paths other threads take (the
//! injection queue and sleep/wake handshake of `shared.rs`, a task's waker count and
//! `queued` flag in `header.rs`). They are std's; built with `--cfg loom`
//! (`cargo xtask loom`) they are the model checker's, so that its models (`loom_models/`)
//! run this crate's own code rather than a copy of it. A normal build only names std's
//! types here: the code that uses them compiles to what it did before.
//!
//! Everything else of the crate (the loop's `Rc`s and `Cell`s, `LoopHandle`'s condvar, the
//! task flags only the loop's thread touches) keeps std's types under loom too.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32};
#[cfg(not(loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::AtomicU32;
#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(loom)]
pub(crate) use seq_cst::{AtomicBool, AtomicU8};

/// loom's atomics, with every `SeqCst` access made under one lock.
///
/// loom models a `SeqCst` load or store as an `Acquire` or `Release` one (its README,
/// "Unsupported features"): it lets a load return a value older than a `SeqCst` store the
/// single total order puts before it, and then reports a lost wake in the sleep/wake
/// handshake of `shared.rs` (Dekker's pattern: each side stores, then loads what the
/// other stored) that `SeqCst` forbids. Two `SeqCst` fences around each access are not
/// enough: loom may switch threads between a fence and its access, and two such accesses
/// then escape each other's order (the model of `queued.rs` found that). Under one lock,
/// the `SeqCst` accesses of a run take place one at a time, each seeing every one before
/// it: the single total order `SeqCst` promises. The price, said where the models are
/// documented (docs/architecture.md): the lock also orders other memory, which `SeqCst`
/// alone does not, so the models check the handshake's protocol given `SeqCst`, not that
/// each access needs it. Only the operations this crate uses are here, so a new one is a
/// compile error in the model build rather than an access silently left out of the order.
#[cfg(loom)]
mod seq_cst {
    use std::sync::atomic::Ordering;

    loom::lazy_static! {
        /// Held for each `SeqCst` access; a fresh one for every execution of a model.
        static ref SEQ_CST: loom::sync::Mutex<()> = loom::sync::Mutex::new(());
    }

    /// Runs `access`, under the lock if it is a `SeqCst` one.
    fn ordered<T>(order: Ordering, access: impl FnOnce() -> T) -> T {
        if order != Ordering::SeqCst {
            return access();
        }
        let _turn = SEQ_CST.lock().unwrap_or_else(|e| e.into_inner());
        access()
    }

    macro_rules! ordered_atomic {
        ($name:ident, $value:ty) => {
            /// loom's atomic of the same name, each `SeqCst` access in the one order.
            pub(crate) struct $name(loom::sync::atomic::$name);

            impl $name {
                pub(crate) fn new(value: $value) -> $name {
                    $name(loom::sync::atomic::$name::new(value))
                }

                pub(crate) fn load(&self, order: Ordering) -> $value {
                    ordered(order, || self.0.load(order))
                }

                pub(crate) fn store(&self, value: $value, order: Ordering) {
                    ordered(order, || self.0.store(value, order))
                }

                pub(crate) fn swap(&self, value: $value, order: Ordering) -> $value {
                    ordered(order, || self.0.swap(value, order))
                }
            }
        };
    }

    ordered_atomic!(AtomicBool, bool);
    ordered_atomic!(AtomicU8, u8);
}
