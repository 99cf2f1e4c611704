//! [`PoolStats`]: a snapshot of a pool for introspection and tests.

/// What a pool is doing at one instant ([`ThreadPool::stats`](crate::ThreadPool::stats)).
/// The counts move while you read them; each is exact at the moment it was loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStats {
    /// Worker threads alive (running a job, or idle and waiting for one).
    pub workers: usize,
    /// Workers not running a job: waiting for one, between two, or just starting.
    pub idle: usize,
    /// Jobs waiting for a worker (after shutdown, also the pending stop signals).
    pub queued: usize,
}
