//! The process's standard input as a queue of lines, read by one dedicated thread.
//!
//! Why a thread, and not the loop's epoll: standard input is shared with the shell and with
//! every process started from it. Polling it needs `O_NONBLOCK`, a flag of the open file
//! description, which fd 0 shares with them: setting it breaks the shell's next read, and
//! a panic or Ctrl-C between setting and restoring leaves it set (aioconsole's
//! `connect_read_pipe` path has exactly this trap). Reopening `/proc/self/fd/0` gives a
//! description of its own for a terminal or a pipe, but a regular file reopened that way
//! starts at offset 0 instead of where the shell left it, a socket cannot be reopened at
//! all, and epoll refuses regular files anyway. A thread doing plain blocking reads works
//! for a terminal, a pipe, a socket and a file alike and changes no mode of anything, so
//! nothing can be left behind.
//!
//! Why a thread of its own, and not the loop's thread pool: a read of a terminal blocks
//! until the user types, possibly forever, and cannot be interrupted. On the pool it would
//! hold a worker, and `asyncio::run`'s shutdown of the default executor would wait for it.
//! This thread is detached; the process exits without waiting for it.
//!
//! The thread reads through `std::io::stdin()`, so bytes it has read ahead beyond a line
//! stay in std's own process-wide buffer, where a later synchronous `stdin().read_line()`
//! finds them. It reads only on demand: while some `ainput` waits and no line is queued. A
//! line (or EOF) read for an `ainput` that was cancelled meanwhile stays queued for the
//! next one, so no typed input is lost.

use std::collections::VecDeque;
use std::io::{self, BufRead};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::task::Waker;

/// One read of a line: its bytes (with the newline, if one ended it), EOF, or an error.
pub(crate) enum Read {
    /// A line; the last one of the input may lack its newline.
    Line(Vec<u8>),
    /// End of input: Ctrl-D on an empty terminal line, a pipe whose writers are gone, the
    /// end of a file, or no standard input at all.
    Eof,
    /// The read failed.
    Failed(io::Error),
}

/// What the reader thread and the waiting `ainput`s share.
struct State {
    /// Reads done and not yet taken, oldest first. The thread keeps at most one here: it
    /// reads the next line only once this is empty.
    ready: VecDeque<Read>,
    /// The `ainput`s waiting for a line, by id; each is woken when a read is queued.
    waiting: Vec<(u64, Waker)>,
    /// Ids for `waiting`.
    next_id: u64,
    /// Whether the reader thread has been started.
    started: bool,
}

static STATE: Mutex<State> = Mutex::new(State {
    ready: VecDeque::new(),
    waiting: Vec::new(),
    next_id: 0,
    started: false,
});

/// Signalled when the thread may have a line to read (someone started waiting).
static WANTED: Condvar = Condvar::new();

/// The shared state, even if a thread panicked while holding it (it stays consistent: each
/// update is one push or removal).
fn state() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A new waiter id.
pub(crate) fn new_waiter() -> u64 {
    let mut state = state();
    state.next_id += 1;
    state.next_id
}

/// The oldest queued read, if any; else registers `waker` for waiter `id`, to be woken when
/// one is queued, asks the reader thread for a line and gives `None`. An error only if the
/// reader thread could not be started.
pub(crate) fn take_or_wait(id: u64, waker: &Waker) -> io::Result<Option<Read>> {
    let mut state = state();
    if let Some(read) = state.ready.pop_front() {
        state.waiting.retain(|(waiter, _)| *waiter != id);
        return Ok(Some(read));
    }
    match state.waiting.iter_mut().find(|(waiter, _)| *waiter == id) {
        Some((_, registered)) => registered.clone_from(waker),
        None => state.waiting.push((id, waker.clone())),
    }
    if !state.started {
        std::thread::Builder::new()
            .name("asyncio-stdin".into())
            .spawn(read_lines)?;
        state.started = true;
    }
    WANTED.notify_one();
    Ok(None)
}

/// Forgets waiter `id` (its `ainput` was dropped). A read the thread is doing for it
/// stays queued for the next `ainput`.
pub(crate) fn forget(id: u64) {
    state().waiting.retain(|(waiter, _)| *waiter != id);
}

/// The reader thread: one blocking line read whenever someone waits and nothing is queued.
fn read_lines() {
    let stdin = io::stdin();
    loop {
        {
            let mut state = state();
            while state.waiting.is_empty() || !state.ready.is_empty() {
                state = WANTED.wait(state).unwrap_or_else(PoisonError::into_inner);
            }
        }
        // The partial line of a cancelled `ainput` is here, in `line`, until its newline
        // comes: nothing the caller does can lose it.
        let mut line = Vec::new();
        let read = match stdin.lock().read_until(b'\n', &mut line) {
            Ok(0) => Read::Eof,
            Ok(_) => Read::Line(line),
            Err(error) => Read::Failed(error),
        };
        let waiting = {
            let mut state = state();
            state.ready.push_back(read);
            std::mem::take(&mut state.waiting)
        };
        // Woken outside the lock: a waker may run code. Each re-registers when polled and
        // finds no line left; the first polled takes the line.
        for (_, waker) in waiting {
            waker.wake();
        }
    }
}
