//! crossbeam's unbounded channel, as far as the pool uses it, on loom's primitives (only
//! built under `--cfg loom`).
//!
//! What the pool relies on, kept: messages come out in the order they went in; `len` and
//! `is_empty` read a `SeqCst` count that a send raises before it returns (crossbeam's are
//! `SeqCst` loads of its head and tail indices, which its send and receive move); a
//! receiver waiting with no deadline is woken by the next send. What loom cannot model,
//! replaced: time. `recv_timeout` with a deadline times out at once when the queue is
//! empty, as if the idle timeout had just run out (the case where a worker retires); one
//! too long to be a deadline waits without one, as crossbeam's does.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

pub(crate) use crossbeam_channel::{RecvTimeoutError, SendError, TryRecvError};
use loom::sync::atomic::AtomicUsize;
use loom::sync::{Condvar, Mutex, MutexGuard};

struct Channel<T> {
    queue: Mutex<VecDeque<T>>,
    /// How many messages are queued, for `len` without the lock.
    len: AtomicUsize,
    sent: Condvar,
}

impl<T> Channel<T> {
    fn lock(&self) -> MutexGuard<'_, VecDeque<T>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn pop(&self, queue: &mut VecDeque<T>) -> Option<T> {
        let message = queue.pop_front()?;
        self.len.fetch_sub(1, Ordering::SeqCst);
        Some(message)
    }
}

pub(crate) struct Sender<T>(Arc<Channel<T>>);

pub(crate) struct Receiver<T>(Arc<Channel<T>>);

pub(crate) fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    let channel = Arc::new(Channel {
        queue: Mutex::new(VecDeque::new()),
        len: AtomicUsize::new(0),
        sent: Condvar::new(),
    });
    (Sender(Arc::clone(&channel)), Receiver(channel))
}

impl<T> Sender<T> {
    /// Never fails: the pool keeps its receiver as long as its sender.
    pub(crate) fn send(&self, message: T) -> Result<(), SendError<T>> {
        let mut queue = self.0.lock();
        queue.push_back(message);
        self.0.len.fetch_add(1, Ordering::SeqCst);
        drop(queue);
        self.0.sent.notify_one();
        Ok(())
    }
}

impl<T> Receiver<T> {
    pub(crate) fn try_recv(&self) -> Result<T, TryRecvError> {
        let mut queue = self.0.lock();
        self.0.pop(&mut queue).ok_or(TryRecvError::Empty)
    }

    pub(crate) fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        let deadline = Instant::now().checked_add(timeout);
        let mut queue = self.0.lock();
        loop {
            if let Some(message) = self.0.pop(&mut queue) {
                return Ok(message);
            }
            if deadline.is_some() {
                return Err(RecvTimeoutError::Timeout);
            }
            queue = self.0.sent.wait(queue).unwrap_or_else(|e| e.into_inner());
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len.load(Ordering::SeqCst)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
