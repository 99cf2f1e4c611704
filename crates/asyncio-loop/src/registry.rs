//! Layer 2 (the parts the loop drives): the loop's table of pending tasks: a slab of loop-side references, each task's slot
//! index kept in its header so finishing removes it in O(1).
//!
//! The table owns one reference of every pending task; that is what keeps a detached task
//! alive, and what `all_tasks()` and `close()` walk. Wakers point at tasks directly, so
//! nothing looks tasks up here on the hot path.
//!
//! Beside each task its slot keeps what only the task dump (`dump.rs`) reads: where the
//! task was created, and what its step is suspended on when a sleep, a socket or a
//! primitive said so (`waiting.rs`). Here rather than in the header, which is full at 64
//! bytes: a slot is written at spawn anyway, and these three words cost a pending task
//! nothing in its own allocation's malloc size class.

use std::panic::Location;

use crate::header::TaskRc;
use crate::waiting::Waiting;

/// A pending task and what the dump shows of it.
pub(crate) struct Entry {
    pub(crate) task: TaskRc,
    /// The user's line that made it (`#[track_caller]` up from `create_task`).
    pub(crate) created_at: &'static Location<'static>,
    /// Valid while the task's `WAITING_DESCRIBED` flag is set.
    pub(crate) waiting: Waiting,
}

/// Pending tasks, in slots reused once freed.
#[derive(Default)]
pub(crate) struct Registry {
    slots: Vec<Option<Entry>>,
    free: Vec<u32>,
}

impl Registry {
    /// Stores `task`, made at `created_at`, and records its slot in its header.
    #[inline]
    pub(crate) fn insert(&mut self, task: TaskRc, created_at: &'static Location<'static>) {
        let header_slot = &task.header().slot;
        let index = match self.free.pop() {
            Some(index) => index,
            None => u32::try_from(self.slots.len()).expect("fewer than 2^32 pending tasks"),
        };
        header_slot.set(index);
        let entry = Some(Entry {
            task,
            created_at,
            waiting: Waiting::Unknown,
        });
        // A new slot is pushed filled, rather than pushed empty and then assigned (which
        // checked the index and dropped the `None` it replaced): a spawn with no freed slot
        // to reuse (every spawn of a growing set of tasks) is the common case.
        match self.slots.get_mut(index as usize) {
            Some(slot) => *slot = entry,
            None => self.slots.push(entry),
        }
    }

    /// Takes `task` out, if it is here.
    pub(crate) fn remove(&mut self, task: &TaskRc) -> Option<TaskRc> {
        let index = task.header().slot.replace(u32::MAX);
        let slot = self.slots.get_mut(index as usize)?;
        if !slot.as_ref().is_some_and(|held| held.task.ptr_eq(task)) {
            return None;
        }
        self.free.push(index);
        slot.take().map(|entry| entry.task)
    }

    /// The entry of `task`, if it is here.
    pub(crate) fn entry(&self, task: &TaskRc) -> Option<&Entry> {
        let index = task.header().slot.get();
        let entry = self.slots.get(index as usize)?.as_ref()?;
        entry.task.ptr_eq(task).then_some(entry)
    }

    /// The entry of `task`, if it is here, to change.
    pub(crate) fn entry_mut(&mut self, task: &TaskRc) -> Option<&mut Entry> {
        let index = task.header().slot.get();
        let entry = self.slots.get_mut(index as usize)?.as_mut()?;
        entry.task.ptr_eq(task).then_some(entry)
    }

    /// Every pending task, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &TaskRc> {
        self.entries().map(|entry| &entry.task)
    }

    /// Every pending task's entry, in slot order.
    pub(crate) fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.slots.iter().flatten()
    }

    /// Empties the table, handing every task back (so the caller can drop them outside any
    /// borrow of the loop).
    pub(crate) fn drain(&mut self) -> Vec<TaskRc> {
        let tasks = self.slots.drain(..).flatten().map(|e| e.task).collect();
        self.free.clear();
        tasks
    }
}
