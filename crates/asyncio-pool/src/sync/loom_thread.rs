//! loom's threads with the two things of std's the pool uses that loom's lack (only built
//! under `--cfg loom`): a builder that hands out these handles, and
//! `JoinHandle::is_finished`.

use std::io;

pub(crate) use loom::thread::{Thread, current, yield_now};
// The unit tests' own threads (`worker.rs`), so that they still build under loom.
#[cfg(test)]
pub(crate) use loom::thread::spawn;

/// loom's thread builder, handing out [`JoinHandle`]s.
pub(crate) struct Builder(loom::thread::Builder);

impl Builder {
    pub(crate) fn new() -> Builder {
        Builder(loom::thread::Builder::new())
    }

    pub(crate) fn name(self, name: String) -> Builder {
        Builder(self.0.name(name))
    }

    pub(crate) fn stack_size(self, size: usize) -> Builder {
        Builder(self.0.stack_size(size))
    }

    pub(crate) fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.0.spawn(f).map(JoinHandle)
    }
}

/// loom's join handle.
pub(crate) struct JoinHandle<T>(loom::thread::JoinHandle<T>);

impl<T> JoinHandle<T> {
    /// loom cannot tell without blocking: `false`, so the pool keeps every handle until
    /// `shutdown` joins it (pruning finished ones is only a saving of memory).
    pub(crate) fn is_finished(&self) -> bool {
        false
    }

    pub(crate) fn join(self) -> std::thread::Result<T> {
        self.0.join()
    }

    pub(crate) fn thread(&self) -> &Thread {
        self.0.thread()
    }
}
