//! The harness of the cancellation storms (`cancel_storm*.rs`): many tasks, polled by hand,
//! that wait on a primitive and are cancelled (dropped) at random points, under proptest.
//! A task is polled again only when its waker fired, as an executor would: a lost wake
//! leaves it pending for good, which the scenarios' final drain reports.

#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::common::Driven;

/// One step of a scenario: what to do (`kind`, read modulo the scenario's choices) and to
/// which task or guard (`pick`, modulo how many there are).
#[derive(Clone, Copy, Debug)]
pub struct Op {
    pub kind: u8,
    pub pick: u8,
}

/// Cases per scenario and steps per case. At these sizes each scenario starts 15k tasks or
/// more, so the seven of them over 100k (each test prints its count); Miri runs a few.
pub const CASES: u32 = if cfg!(miri) { 2 } else { 512 };
const MAX_STEPS: usize = if cfg!(miri) { 40 } else { 240 };

/// A waiting future, boxed so one list holds the futures of one primitive.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// A task: its future, polled by hand, and how many wakes it had seen at its last poll.
pub struct Task<'a, T> {
    pub id: usize,
    driven: Driven<BoxFuture<'a, T>>,
    seen: usize,
}

impl<'a, T> Task<'a, T> {
    /// Starts a task: polls it once (a task runs as soon as it is created).
    pub fn start(id: usize, future: BoxFuture<'a, T>) -> (Self, Poll<T>) {
        let mut task = Task {
            id,
            driven: Driven::new(future),
            seen: 0,
        };
        let poll = task.poll();
        (task, poll)
    }

    /// Whether its waker fired since its last poll.
    pub fn woken(&self) -> bool {
        self.driven.wakes() > self.seen
    }

    /// Polls it (whether woken or not: a spurious poll must be harmless).
    pub fn poll(&mut self) -> Poll<T> {
        self.seen = self.driven.wakes();
        self.driven.poll()
    }
}

/// The pending tasks of a scenario, in start order.
pub struct Tasks<'a, T> {
    pub pending: Vec<Task<'a, T>>,
    pub started: usize,
}

impl<'a, T> Tasks<'a, T> {
    pub fn new() -> Self {
        Self {
            pending: Vec::new(),
            started: 0,
        }
    }

    /// Starts a task; returns its id and its first poll (kept if pending).
    pub fn start(&mut self, future: BoxFuture<'a, T>) -> (usize, Poll<T>) {
        let id = self.started;
        self.started += 1;
        let (task, poll) = Task::start(id, future);
        if poll.is_pending() {
            self.pending.push(task);
        }
        (id, poll)
    }

    /// The index of the pending task `pick` chooses, if any is pending.
    pub fn choose(&self, pick: u8) -> Option<usize> {
        (!self.pending.is_empty()).then(|| usize::from(pick) % self.pending.len())
    }

    /// Polls the chosen task; returns its id and the poll (it leaves the list if ready).
    pub fn poll(&mut self, index: usize) -> (usize, Poll<T>) {
        let id = self.pending[index].id;
        let poll = self.pending[index].poll();
        if poll.is_ready() {
            self.pending.remove(index);
        }
        (id, poll)
    }

    /// Cancels the chosen task: drops its future where it waits. Returns its id.
    pub fn cancel(&mut self, index: usize) -> usize {
        let task = self.pending.remove(index);
        task.id
    }

    /// Polls every task whose waker fired, once; returns the ids and outputs of those that
    /// completed.
    pub fn poll_woken(&mut self) -> Vec<(usize, T)> {
        let mut done = Vec::new();
        let mut index = 0;
        while index < self.pending.len() {
            if self.pending[index].woken() {
                if let (id, Poll::Ready(out)) = self.poll(index) {
                    done.push((id, out));
                    continue;
                }
            }
            index += 1;
        }
        done
    }
}

/// The steps of one case.
pub fn steps() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(
        (any::<u8>(), any::<u8>()).prop_map(|(kind, pick)| Op { kind, pick }),
        1..MAX_STEPS,
    )
}

/// Runs `scenario` over `CASES` cases (a parameter in `0..params` and the steps); each
/// returns how many tasks it started. Fails with proptest's smallest failing case; prints
/// the tasks started over all cases.
pub fn run(name: &str, params: u8, scenario: impl Fn(u8, &[Op]) -> usize) {
    let started = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&(0..params, steps()), |(param, ops)| {
        started.fetch_add(scenario(param, &ops), Ordering::Relaxed);
        Ok(())
    });
    if let Err(error) = result {
        panic!("{name}: {error}");
    }
    let started = started.into_inner();
    println!("{name}: {started} tasks over {CASES} cases");
    if !cfg!(miri) {
        assert!(started >= 15_000, "{name}: only {started} tasks started");
    }
}
