//! Layer 4 (the surface): the task dump. [`EventLoop::dump`] walks the registry and says,
//! for every pending task, where it was created, how old it is (debug mode), and what its
//! step is suspended on now, from what the futures said on their `Pending` paths: a task
//! (the header's `waiting_on`), a [`CancelTarget`](crate::CancelTarget) such as a gather
//! (its description and children), or a sleep, a descriptor or an `asyncio-sync` primitive
//! (the registry slot's [`Waiting`]). Nothing of this is gathered until a dump is asked for.
//!
//! Rust has no coroutine frames to print, so asyncio's `Task.get_stack()` has no exact
//! equivalent. What a task is suspended on, then what that is suspended on, down to a
//! leaf, is the honest one: [`TaskRef::get_stack`] gives that chain.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io;
use std::os::fd::RawFd;
use std::panic::Location;
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

use asyncio_sync::WaitKind;

use crate::event_loop::EventLoop;
use crate::flags::Flag;
use crate::header::TaskRc;
use crate::running::running_loop;
use crate::scheduler::LoopInner;
use crate::sigaction::SignalError;
use crate::task::note_waiting;
use crate::task_ref::TaskRef;
use crate::waiting::{TaskId, Waiting};

/// What a pending task's step is suspended on, as far as its futures said.
#[derive(Debug, Clone, PartialEq)]
pub enum WaitingOn {
    /// Nothing said what (a future that does not describe itself), or the task is running
    /// or scheduled to run (see [`TaskInfo::state`]).
    Unknown,
    /// Another task, through its handle (`task.await`, `wait_for(task)`...).
    Task(TaskId),
    /// A [`CancelTarget`](crate::CancelTarget): a gather, a `TaskGroup`, a [`Future`](crate::Future);
    /// `tasks` are the children it waits for.
    Target {
        /// [`CancelTarget::describe`](crate::CancelTarget::describe): `"gather()"`...
        what: String,
        /// [`CancelTarget::awaited_tasks`](crate::CancelTarget::awaited_tasks).
        tasks: Vec<TaskId>,
    },
    /// A `sleep` or `sleep_until`, due at `deadline`.
    Sleep {
        /// When it is due.
        deadline: Instant,
    },
    /// A socket's or a pipe's readiness.
    Io {
        /// The descriptor.
        fd: RawFd,
        /// Waiting to write (else to read).
        write: bool,
    },
    /// A primitive of `asyncio-sync` (`Queue.get()`, `Lock.acquire()`...) or another
    /// operation that described itself with [`note_waiting_for`].
    Kind(&'static WaitKind),
}

impl WaitingOn {
    /// The tasks a dump nests under the waiting one.
    pub fn tasks(&self) -> &[TaskId] {
        match self {
            WaitingOn::Task(id) => std::slice::from_ref(id),
            WaitingOn::Target { tasks, .. } => tasks,
            _ => &[],
        }
    }
}

/// Where a pending task is in its life when the dump is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpState {
    /// Its step is running now (the dump was asked for from inside it).
    Running,
    /// Its next step is queued.
    Scheduled,
    /// Suspended until something wakes it.
    Waiting,
}

impl fmt::Display for DumpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DumpState::Running => "running",
            DumpState::Scheduled => "scheduled",
            DumpState::Waiting => "waiting",
        })
    }
}

/// One pending task in a [`TaskDump`].
#[derive(Debug, Clone)]
pub struct TaskInfo {
    /// Its identity while it lives ([`TaskRef::id`]).
    pub id: TaskId,
    /// Its name (`Task-N` unless one was given).
    pub name: String,
    /// Running, scheduled, or waiting.
    pub state: DumpState,
    /// asyncio's `cancelling()`: cancel requests not yet `uncancel`ed.
    pub cancelling: u32,
    /// The line that created it: the caller of `create_task`, `spawn`, `gather`...
    /// (`run_until_complete`'s for a run's main task).
    /// `None` only in a [`TaskRef::get_stack`] taken away from the task's loop.
    pub created_at: Option<&'static Location<'static>>,
    /// How long ago it was created; only recorded in debug mode (`set_debug(true)` before
    /// the task is created), as asyncio keeps a task's `_source_traceback` only then: a
    /// clock read per spawn is not free.
    pub age: Option<Duration>,
    /// What its step is suspended on.
    pub waiting_on: WaitingOn,
}

/// Every pending task of a loop and what it waits on: [`EventLoop::dump`]. Its `Display`
/// prints a tree: a task awaiting a task, a gather or a task group has the tasks it waits
/// for nested under it.
///
/// ```
/// use asyncio_loop::{EventLoop, create_task_named, get_running_loop, sleep};
/// use std::time::Duration;
///
/// let event_loop = EventLoop::new();
/// let dump = event_loop.run_until_complete(async {
///     let sleeper = create_task_named("sleeper", sleep(Duration::from_secs(60)));
///     let waiter = create_task_named("waiter", async move { sleeper.await });
///     sleep(Duration::ZERO).await; // both start and suspend
///     let dump = get_running_loop().unwrap().dump();
///     waiter.cancel();
///     dump
/// }).unwrap();
/// let text = dump.to_string();
/// assert!(text.contains("waiter [waiting] on task sleeper"), "{text}");
/// assert!(text.contains("\n  sleeper [waiting] on sleep"), "{text}");
/// ```
#[derive(Debug, Clone)]
pub struct TaskDump {
    tasks: Vec<TaskInfo>,
    taken_at: Instant,
}

impl TaskDump {
    /// The tasks, in the loop's registry order.
    pub fn tasks(&self) -> &[TaskInfo] {
        &self.tasks
    }

    /// The task named `name`, if one is pending.
    pub fn find(&self, name: &str) -> Option<&TaskInfo> {
        self.tasks.iter().find(|task| task.name == name)
    }

    /// The task `id`, if it is pending.
    pub fn get(&self, id: TaskId) -> Option<&TaskInfo> {
        self.tasks.iter().find(|task| task.id == id)
    }

    fn write_task(
        &self,
        f: &mut fmt::Formatter<'_>,
        by_id: &HashMap<TaskId, &TaskInfo>,
        task: &TaskInfo,
        depth: usize,
        shown: &mut HashSet<TaskId>,
    ) -> fmt::Result {
        let indent = "  ".repeat(depth);
        if !shown.insert(task.id) {
            return writeln!(f, "{indent}{} (shown above)", task.name);
        }
        write!(f, "{indent}{} [{}]", task.name, task.state)?;
        if task.cancelling > 0 {
            write!(f, " cancelling={}", task.cancelling)?;
        }
        match &task.waiting_on {
            WaitingOn::Unknown => {}
            WaitingOn::Task(id) => match by_id.get(id) {
                Some(awaited) => write!(f, " on task {}", awaited.name)?,
                None => write!(f, " on a task that has ended")?,
            },
            WaitingOn::Target { what, tasks } => {
                write!(f, " on {what}")?;
                if !tasks.is_empty() {
                    let pending = tasks.iter().filter(|id| by_id.contains_key(id)).count();
                    write!(f, " ({pending} of {} tasks pending)", tasks.len())?;
                }
            }
            WaitingOn::Sleep { deadline } => {
                let left = deadline.saturating_duration_since(self.taken_at);
                write!(f, " on sleep (due in {:.3}s)", left.as_secs_f64())?;
            }
            WaitingOn::Io { fd, write } => {
                let what = if *write { "writable" } else { "readable" };
                write!(f, " on fd {fd} {what}")?;
            }
            WaitingOn::Kind(kind) => write!(f, " on {kind}")?,
        }
        if let Some(at) = task.created_at {
            write!(
                f,
                "  created at {}:{}:{}",
                at.file(),
                at.line(),
                at.column()
            )?;
        }
        if let Some(age) = task.age {
            write!(f, ", {:.3}s ago", age.as_secs_f64())?;
        }
        writeln!(f)?;
        for child in task.waiting_on.tasks() {
            if let Some(child) = by_id.get(child) {
                self.write_task(f, by_id, child, depth + 1, shown)?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for TaskDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let by_id: HashMap<TaskId, &TaskInfo> = self.tasks.iter().map(|t| (t.id, t)).collect();
        let awaited: HashSet<TaskId> = self
            .tasks
            .iter()
            .flat_map(|t| t.waiting_on.tasks().iter().copied())
            .collect();
        let mut shown = HashSet::new();
        writeln!(f, "{} pending tasks", self.tasks.len())?;
        for task in self.tasks.iter().filter(|t| !awaited.contains(&t.id)) {
            self.write_task(f, &by_id, task, 0, &mut shown)?;
        }
        // Tasks awaited only inside a circle (none in practice) are still listed.
        for task in &self.tasks {
            if !shown.contains(&task.id) {
                self.write_task(f, &by_id, task, 0, &mut shown)?;
            }
        }
        Ok(())
    }
}

/// The dump's view of one task of `inner`.
fn info(inner: &LoopInner, task: &TaskRc, now: Instant) -> TaskInfo {
    let header = task.header();
    // `try_`: a dump asked for from a `Drop` run while the registry is being emptied
    // (at close) shows less rather than panicking.
    let (created_at, described) = match inner.tasks.try_borrow().ok().and_then(|tasks| {
        tasks
            .entry(task)
            .map(|entry| (Some(entry.created_at), entry.waiting))
    }) {
        Some(found) => found,
        None => (None, Waiting::Unknown),
    };
    let running = inner
        .current
        .borrow()
        .as_ref()
        .is_some_and(|current| current.ptr_eq(task));
    let state = if running {
        DumpState::Running
    } else if header.flags().get(Flag::SCHEDULED) {
        DumpState::Scheduled
    } else {
        DumpState::Waiting
    };
    let waiting_on = if running {
        WaitingOn::Unknown
    } else if let Some(awaited) = header.awaited_task() {
        WaitingOn::Task(awaited.id())
    } else if let Some(target) = header.waiting_target() {
        WaitingOn::Target {
            what: target.describe(),
            tasks: target.awaited_tasks(),
        }
    } else if header.flags().get(Flag::WAITING_DESCRIBED) {
        match described {
            Waiting::Unknown => WaitingOn::Unknown,
            Waiting::Sleep(nanos) => WaitingOn::Sleep {
                deadline: Waiting::deadline(nanos),
            },
            Waiting::Io { fd, write } => WaitingOn::Io { fd, write },
            Waiting::Kind(kind) => WaitingOn::Kind(kind),
            Waiting::Shield(id) => WaitingOn::Target {
                what: "shield()".to_owned(),
                tasks: vec![id],
            },
        }
    } else {
        WaitingOn::Unknown
    };
    let cancelling = TaskRef { task: task.clone() }.cancelling();
    TaskInfo {
        id: task.id(),
        name: header.name(),
        state,
        cancelling,
        created_at,
        age: header.created().map(|at| now.saturating_duration_since(at)),
        waiting_on,
    }
}

/// The dump of `inner`'s pending tasks.
fn dump(inner: &LoopInner) -> TaskDump {
    let now = Instant::now();
    let tasks: Vec<TaskRc> = match inner.tasks.try_borrow() {
        Ok(tasks) => tasks
            .iter()
            .filter(|task| !task.header().done())
            .cloned()
            .collect(),
        Err(_) => Vec::new(),
    };
    TaskDump {
        tasks: tasks.iter().map(|task| info(inner, task, now)).collect(),
        taken_at: now,
    }
}

impl EventLoop {
    /// Every pending task of this loop, with where it was created, its age (debug mode)
    /// and what it waits on now; `Display` prints it as a tree. Cheap to leave enabled:
    /// nothing is gathered until this is called (see the guide's "Debugging").
    pub fn dump(&self) -> TaskDump {
        dump(&self.inner)
    }

    /// Prints [`dump`](Self::dump) to stderr, from the loop's thread, each time the
    /// process receives `sig` (`libc::SIGUSR1`, say): a look inside a program that seems
    /// stuck, as `kill -USR1 <pid>`. Installed with
    /// [`add_signal_handler`](Self::add_signal_handler), so the same errors apply; remove
    /// it with [`remove_signal_handler`](Self::remove_signal_handler).
    ///
    /// ```
    /// use asyncio_loop::EventLoop;
    ///
    /// let event_loop = EventLoop::new();
    /// event_loop.enable_dump_on_signal(libc::SIGUSR1).unwrap();
    /// assert!(event_loop.remove_signal_handler(libc::SIGUSR1).unwrap());
    /// event_loop.close().unwrap();
    /// ```
    pub fn enable_dump_on_signal(&self, sig: i32) -> Result<(), SignalError> {
        // Weak: the handler lives in the loop, and must not keep it alive.
        let inner: Weak<LoopInner> = Rc::downgrade(&self.inner);
        self.add_signal_handler(sig, move || {
            if let Some(inner) = inner.upgrade() {
                eprint!("{}", dump(&inner));
            }
        })
    }
}

impl TaskRef {
    /// The chain of what this task waits on, asyncio's `get_stack()` as far as Rust allows:
    /// this task, then the task it awaits, and so on down to the one that waits on a
    /// primitive, a sleep, a socket or a gather (whose children are in its
    /// [`WaitingOn::Target`]). Rust futures have no frames to list: the await chain is
    /// what is known. Details (creation site, what a leaf waits on) need the task's loop
    /// to be running on this thread; otherwise only the task links are given.
    ///
    /// ```
    /// use asyncio_loop::{EventLoop, WaitingOn, create_task_named, current_task, sleep};
    /// use std::time::Duration;
    ///
    /// EventLoop::new().run_until_complete(async {
    ///     let inner = create_task_named("inner", sleep(Duration::from_secs(60)));
    ///     let outer = create_task_named("outer", async move { inner.await });
    ///     sleep(Duration::ZERO).await;
    ///     let stack = outer.as_ref().get_stack();
    ///     let names: Vec<&str> = stack.iter().map(|t| t.name.as_str()).collect();
    ///     assert_eq!(names, ["outer", "inner"]);
    ///     assert!(matches!(stack[1].waiting_on, WaitingOn::Sleep { .. }));
    ///     // The running task is at the top of its own stack, running.
    ///     assert_eq!(current_task().unwrap().get_stack().len(), 1);
    ///     outer.cancel();
    /// }).unwrap();
    /// ```
    pub fn get_stack(&self) -> Vec<TaskInfo> {
        let now = Instant::now();
        let inner =
            running_loop().filter(|inner| inner.shared.id() == self.task.header().wake.shared.id());
        let mut chain = Vec::new();
        let mut seen = HashSet::new();
        let mut next = Some(self.task.clone());
        while let Some(task) = next.take() {
            if task.header().done() || !seen.insert(task.as_ptr()) {
                break;
            }
            let entry = match &inner {
                Some(inner) => info(inner, &task, now),
                None => TaskInfo {
                    id: task.id(),
                    name: task.header().name(),
                    state: DumpState::Waiting,
                    cancelling: 0,
                    created_at: None,
                    age: None,
                    waiting_on: WaitingOn::Unknown,
                },
            };
            chain.push(entry);
            next = task.header().awaited_task();
        }
        chain
    }

    /// Writes [`get_stack`](Self::get_stack) to `out`, one task a line (asyncio's
    /// `print_stack(file=)`).
    pub fn print_stack(&self, out: &mut dyn io::Write) -> io::Result<()> {
        for task in self.get_stack() {
            write!(out, "{} [{}] {:?}", task.name, task.state, task.waiting_on)?;
            match task.created_at {
                Some(at) => writeln!(out, "  created at {}:{}", at.file(), at.line())?,
                None => writeln!(out)?,
            }
        }
        Ok(())
    }

    /// The task's identity while it lives (what a [`TaskDump`] links tasks by).
    pub fn id(&self) -> TaskId {
        self.task.id()
    }
}

/// Records, for the task dump, that the running task's step is suspended on `kind`: for a
/// future outside this crate that wants to say what it waits on (the facade's
/// `to_thread` says `"to_thread()"`). Call it on the `Pending` path; the next step forgets
/// it. Does nothing outside a task.
///
/// ```
/// use asyncio_loop::{EventLoop, WaitKind, WaitingOn, create_task_named, note_waiting_for, sleep};
/// use std::time::Duration;
///
/// static PROBE: WaitKind = WaitKind::new("probe()");
/// let event_loop = EventLoop::new();
/// let dump = event_loop.run_until_complete(async {
///     let task = create_task_named("probe", std::future::poll_fn(|_| {
///         note_waiting_for(&PROBE);
///         std::task::Poll::<()>::Pending
///     }));
///     sleep(Duration::ZERO).await;
///     let dump = asyncio_loop::get_running_loop().unwrap().dump();
///     task.cancel();
///     dump
/// }).unwrap();
/// assert_eq!(dump.find("probe").unwrap().waiting_on, WaitingOn::Kind(&PROBE));
/// ```
pub fn note_waiting_for(kind: &'static WaitKind) {
    note_waiting(Waiting::Kind(kind));
}
