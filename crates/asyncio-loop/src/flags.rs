//! Layer 0 (leaf types): a task's [`State`] and yes/no [`Flag`]s, packed in one 16-bit
//! [`Flags`] word of its header. Depends on nothing in the crate.

use std::sync::atomic::{AtomicU16, Ordering};

/// How a task ended, or that it has not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Pending,
    Finished,
    Cancelled,
    Panicked,
}

impl State {
    const ALL: [State; 4] = [
        State::Pending,
        State::Finished,
        State::Cancelled,
        State::Panicked,
    ];
}

/// One of a task's yes/no facts, a bit of its [`Flags`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Flag(u16);

impl Flag {
    /// `cancel()` was called: the next step throws the cancellation in.
    pub(crate) const CANCEL_REQUESTED: Flag = Flag(1 << 0);
    /// The step is in the ready queue: waking again adds nothing.
    pub(crate) const SCHEDULED: Flag = Flag(1 << 1);
    /// A panic was handed to someone (awaited or `result()`), so nobody needs telling.
    pub(crate) const RETRIEVED: Flag = Flag(1 << 2);
    /// A [`Task`](crate::Task) handle exists: a panic may still be retrieved through it.
    pub(crate) const HANDLE_ALIVE: Flag = Flag(1 << 3);
    /// The [`Task`](crate::Task) handle (there is one at most) was polled: dropping it
    /// before the task ends means its awaiter gave up, which cancels the task. Kept here
    /// rather than in the handle so the handle is one pointer.
    pub(crate) const HANDLE_AWAITED: Flag = Flag(1 << 4);
    /// The stage (future or output) is in use: the borrow flag of `raw::StageGuard`, kept
    /// here rather than in a `RefCell` word of its own.
    pub(crate) const STAGE_BUSY: Flag = Flag(1 << 5);
    /// The loop's own task around `run_until_complete`'s future, not a user's task.
    pub(crate) const IS_MAIN: Flag = Flag(1 << 6);
    /// The task has live catch scopes or a cancellation on its way to one
    /// (`cancelling.rs`): a step must deliver a cancel request rather than drop the
    /// future, and look after its poll whether a scope took it.
    pub(crate) const CATCHING: Flag = Flag(1 << 7);
    /// The task (made by `create_try_task`) finished with an `Err` output: an exception
    /// in asyncio's sense, reported if nobody retrieves it. Above the state's bits.
    pub(crate) const EXCEPTION: Flag = Flag(1 << 10);
    /// The task's step is suspended on a [`CancelTarget`](crate::CancelTarget) kept in its
    /// extras (`Header::set_waiting_target`): a step start forgets it.
    pub(crate) const WAITING_TARGET: Flag = Flag(1 << 11);
    /// The task's registry slot holds a description of what its step is suspended on
    /// (`waiting.rs`, for the task dump): a step start forgets it.
    pub(crate) const WAITING_DESCRIBED: Flag = Flag(1 << 12);
    /// Either of the two above: what a step start tests, in one test.
    pub(crate) const WAITING_ANY: Flag = Flag(Flag::WAITING_TARGET.0 | Flag::WAITING_DESCRIBED.0);
}

/// Where [`State`] sits in the [`Flags`] word.
const STATE_SHIFT: u32 = 8;

/// A task's [`State`] and [`Flag`]s, packed in one 16-bit word.
///
/// The word sits in the header's `WakeSide`, where it fills what would be padding and so
/// keeps the header at 64 bytes; a spawn costs mostly the memory it touches. Only the
/// loop's thread reads or writes it, so a read-modify-write needs no atomic instruction: it
/// is an atomic only so that `WakeSide` stays `Sync`, and `Relaxed` loads and stores are
/// plain moves.
pub(crate) struct Flags(AtomicU16);

impl Flags {
    pub(crate) fn new(is_main: bool) -> Flags {
        let main = if is_main { Flag::IS_MAIN.0 } else { 0 };
        Flags(AtomicU16::new(
            main | ((State::Pending as u16) << STATE_SHIFT),
        ))
    }

    fn bits(&self) -> u16 {
        self.0.load(Ordering::Relaxed)
    }

    /// Whether `flag` is set.
    pub(crate) fn get(&self, flag: Flag) -> bool {
        self.bits() & flag.0 != 0
    }

    /// Sets or clears `flag`.
    pub(crate) fn set(&self, flag: Flag, on: bool) {
        self.replace(flag, on);
    }

    /// Sets or clears `flag`, returning whether it was set before.
    pub(crate) fn replace(&self, flag: Flag, on: bool) -> bool {
        let bits = self.bits();
        let new = if on { bits | flag.0 } else { bits & !flag.0 };
        self.0.store(new, Ordering::Relaxed);
        bits & flag.0 != 0
    }

    /// Whether the task failed (a panic, or a `create_try_task` `Err`) and nobody looked
    /// at how: one load of the word, since this is asked at every handle drop and task end
    /// (atomic loads, even relaxed, are not merged by the compiler).
    pub(crate) fn unretrieved_exception(&self) -> bool {
        let bits = self.bits();
        let state = State::ALL[usize::from(bits >> STATE_SHIFT) & 3];
        let failed =
            state == State::Panicked || (state == State::Finished && bits & Flag::EXCEPTION.0 != 0);
        failed && bits & Flag::RETRIEVED.0 == 0
    }

    pub(crate) fn state(&self) -> State {
        State::ALL[usize::from(self.bits() >> STATE_SHIFT) & 3]
    }

    pub(crate) fn set_state(&self, state: State) {
        let flags = self.bits() & !(3 << STATE_SHIFT);
        self.0
            .store(flags | ((state as u16) << STATE_SHIFT), Ordering::Relaxed);
    }
}
