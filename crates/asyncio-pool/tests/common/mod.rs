//! Helpers shared by the integration tests: a gate that holds jobs on their worker until the
//! test opens it, and a count of live threads by name.

#![allow(dead_code)] // each test binary uses a different subset

use std::time::{Duration, Instant};

use asyncio_pool::{Job, ThreadPool};
use crossbeam_channel::{Receiver, Sender};

/// Jobs call [`Gate::hold`] to report that they started and then block until
/// [`Gate::open`]; the test waits for starts with [`Gate::wait_started`].
pub struct Gate {
    started_tx: Sender<()>,
    started_rx: Receiver<()>,
    open_tx: Option<Sender<()>>,
    open_rx: Receiver<()>,
}

/// The part of a [`Gate`] a job carries.
#[derive(Clone)]
pub struct Held {
    started_tx: Sender<()>,
    open_rx: Receiver<()>,
}

impl Held {
    /// Reports the start, then blocks until the gate opens.
    pub fn hold(&self) {
        self.started_tx.send(()).unwrap();
        // Nothing is ever sent: `recv` returns when the gate drops its sender.
        let _ = self.open_rx.recv();
    }
}

impl Gate {
    pub fn new() -> Self {
        let (started_tx, started_rx) = crossbeam_channel::unbounded();
        let (open_tx, open_rx) = crossbeam_channel::unbounded();
        Gate {
            started_tx,
            started_rx,
            open_tx: Some(open_tx),
            open_rx,
        }
    }

    pub fn held(&self) -> Held {
        Held {
            started_tx: self.started_tx.clone(),
            open_rx: self.open_rx.clone(),
        }
    }

    /// Submits a job that holds its worker until the gate opens, and waits until it runs.
    pub fn occupy(&self, pool: &ThreadPool) -> Job<()> {
        let held = self.held();
        let job = pool.submit(move || held.hold()).unwrap();
        self.wait_started(1);
        job
    }

    /// Blocks until `n` more jobs have started.
    pub fn wait_started(&self, n: usize) {
        for _ in 0..n {
            self.started_rx
                .recv_timeout(Duration::from_secs(60))
                .expect("a held job did not start within 60 s");
        }
    }

    /// How many starts were reported and not yet waited for.
    pub fn pending_starts(&self) -> usize {
        self.started_rx.len()
    }

    /// Releases every held job, now and later.
    pub fn open(&mut self) {
        self.open_tx = None;
    }
}

/// Live threads of this process whose name starts with `prefix` (Linux: `/proc`; the
/// kernel keeps the first 15 bytes of a name). `None` where `/proc` is missing.
pub fn live_threads(prefix: &str) -> Option<usize> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    Some(
        tasks
            .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
            .filter(|name| name.starts_with(prefix))
            .count(),
    )
}

/// Polls `condition` until it holds; panics after a minute. For effects nothing can be
/// awaited for (a thread retiring on its own).
pub fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}
