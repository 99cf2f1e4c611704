//! [`Map`]: the results of [`ThreadPool::map`](crate::ThreadPool::map), in input order.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::JobError;
use crate::job::Job;

/// The jobs of one [`ThreadPool::map`](crate::ThreadPool::map) call, all already submitted.
///
/// As an [`Iterator`] it blocks for each result in input order (`Executor.map`); as a
/// [`Future`] it gives every result, in input order, once all are done. Dropping it does not
/// stop the jobs.
#[must_use = "the results are lost unless the Map is iterated or awaited (the jobs still run)"]
pub struct Map<T> {
    jobs: VecDeque<Job<T>>,
    /// Results of the leading jobs, collected by polling and not yet handed out.
    ready: VecDeque<Result<T, JobError>>,
}

impl<T> Map<T> {
    pub(crate) fn new(jobs: Vec<Job<T>>) -> Self {
        Map {
            jobs: jobs.into(),
            ready: VecDeque::new(),
        }
    }
}

impl<T: Send + 'static> Iterator for Map<T> {
    type Item = Result<T, JobError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(output) = self.ready.pop_front() {
            return Some(output);
        }
        self.jobs.pop_front().map(Job::wait)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.ready.len() + self.jobs.len();
        (len, Some(len))
    }
}

impl<T: Send + 'static> ExactSizeIterator for Map<T> {}

// Nothing in a `Map` is ever pinned: results are moved out, jobs are `Unpin`.
impl<T> Unpin for Map<T> {}

impl<T> Future for Map<T> {
    type Output = Vec<Result<T, JobError>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        while let Some(job) = this.jobs.front_mut() {
            match Pin::new(job).poll(cx) {
                Poll::Ready(output) => {
                    this.ready.push_back(output);
                    this.jobs.pop_front();
                }
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(this.ready.drain(..).collect())
    }
}

impl<T> fmt::Debug for Map<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map")
            .field("pending", &self.jobs.len())
            .field("ready", &self.ready.len())
            .finish()
    }
}
