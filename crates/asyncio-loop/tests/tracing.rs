//! The `tracing` feature as a subscriber sees it: a `task` span per task (name and id as
//! fields, the outcome recorded at the end), a `poll` span inside it per step, entered and
//! left in the loop's FIFO order, and an event for each report the loop makes to its
//! exception handler. A collecting subscriber writes down every call it gets, one line
//! each, and the tests compare the lines.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncio_loop::{EventLoop, create_task_named, current_task, sleep};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// What the collector saw, shared with the test.
#[derive(Default)]
struct Seen {
    next_id: u64,
    /// Each span: its label (`task[A]`, `poll[A]`), its fields, and its reference count.
    spans: HashMap<u64, (String, Fields, usize)>,
    /// The spans entered, innermost last (one thread here).
    stack: Vec<u64>,
    log: Vec<String>,
}

#[derive(Clone, Default)]
struct Collector(Arc<Mutex<Seen>>);

/// The fields of a span or event, in the order they were recorded.
#[derive(Clone, Default)]
struct Fields(Vec<(String, String)>);

impl Fields {
    fn get(&self, name: &str) -> Option<&str> {
        let found = self.0.iter().rev().find(|(field, _)| field == name);
        found.map(|(_, value)| value.as_str())
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

/// A task's default name `Task-N` depends on how many tasks the process made before.
fn normalized(name: &str) -> &str {
    if name.starts_with("Task-") {
        "Task-N"
    } else {
        name
    }
}

impl Seen {
    fn label(&self, id: &Id) -> String {
        self.spans[&id.into_u64()].0.clone()
    }
}

impl Subscriber for Collector {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut seen = self.0.lock().unwrap();
        let mut fields = Fields::default();
        span.record(&mut fields);
        let name = span.metadata().name();
        let parent = match span.parent() {
            Some(parent) => Some(parent.into_u64()),
            None if span.is_contextual() => seen.stack.last().copied(),
            None => None,
        };
        // A poll span is labelled with its task's name; a task span with its own.
        let label = match (name, parent) {
            ("poll", Some(parent)) => format!("poll[{}", &seen.spans[&parent].0[5..]),
            _ => format!(
                "{name}[{}]",
                normalized(fields.get("task.name").unwrap_or("?"))
            ),
        };
        let parent = parent.map_or("none".to_owned(), |p| seen.spans[&p].0.clone());
        seen.log.push(format!("new {label} parent={parent}"));
        seen.next_id += 1;
        let id = seen.next_id;
        seen.spans.insert(id, (label, fields, 1));
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut seen = self.0.lock().unwrap();
        let mut fields = Fields::default();
        values.record(&mut fields);
        let line: Vec<String> = fields.0.iter().map(|(f, v)| format!("{f}={v}")).collect();
        let label = seen.label(span);
        seen.log.push(format!("record {label} {}", line.join(" ")));
        let entry = seen.spans.get_mut(&span.into_u64()).unwrap();
        entry.1.0.extend(fields.0);
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut seen = self.0.lock().unwrap();
        let mut fields = Fields::default();
        event.record(&mut fields);
        let within = match seen.stack.last() {
            Some(&id) => seen.spans[&id].0.clone(),
            None => "none".to_owned(),
        };
        let mut line = format!("event {} in={within}", event.metadata().level());
        for (field, value) in &fields.0 {
            if field == "message" {
                // The slow-step message has a duration in it: its words before the number.
                let words: Vec<&str> = value.split(" took ").collect();
                line.push_str(&format!(" {:?}", words[0]));
            } else {
                line.push_str(&format!(" {field}={}", normalized(value)));
            }
        }
        seen.log.push(line);
    }

    fn enter(&self, span: &Id) {
        let mut seen = self.0.lock().unwrap();
        let label = seen.label(span);
        seen.log.push(format!("enter {label}"));
        seen.stack.push(span.into_u64());
    }

    fn exit(&self, span: &Id) {
        let mut seen = self.0.lock().unwrap();
        let label = seen.label(span);
        seen.log.push(format!("exit {label}"));
        assert_eq!(
            seen.stack.pop(),
            Some(span.into_u64()),
            "spans are left innermost first"
        );
    }

    fn clone_span(&self, span: &Id) -> Id {
        let mut seen = self.0.lock().unwrap();
        seen.spans.get_mut(&span.into_u64()).unwrap().2 += 1;
        span.clone()
    }

    fn try_close(&self, span: Id) -> bool {
        let mut seen = self.0.lock().unwrap();
        let entry = seen.spans.get_mut(&span.into_u64()).unwrap();
        entry.2 -= 1;
        let closed = entry.2 == 0;
        if closed {
            let label = seen.label(&span);
            seen.log.push(format!("close {label}"));
        }
        closed
    }
}

impl Collector {
    fn log(&self) -> Vec<String> {
        self.0.lock().unwrap().log.clone()
    }

    /// The `task.id` of every task span, in creation order.
    fn task_ids(&self) -> Vec<u64> {
        let seen = self.0.lock().unwrap();
        let mut spans: Vec<_> = seen.spans.iter().collect();
        spans.sort_by_key(|(id, _)| **id);
        let ids = spans
            .iter()
            .filter(|(_, (label, _, _))| label.starts_with("task["));
        ids.map(|(_, (_, fields, _))| fields.get("task.id").unwrap().parse().unwrap())
            .collect()
    }
}

/// Two tasks and the main one: each task's span from its creation to its end, a poll span
/// inside it for each step, entered in the loop's order (A, B, A again after its sleep),
/// events of the task's code inside its poll span, the outcome recorded before the close.
#[test]
fn task_and_poll_spans_nest_and_follow_the_loops_order() {
    let collector = Collector::default();
    let event_loop = EventLoop::new();
    let out = tracing::subscriber::with_default(collector.clone(), || {
        event_loop.run_until_complete(async {
            current_task().unwrap().set_name("main");
            let a = create_task_named("A", async {
                tracing::info!("a first");
                sleep(Duration::ZERO).await;
                tracing::info!("a second");
                1
            });
            let b = create_task_named("B", async {
                tracing::info!("b");
                2
            });
            a.await.unwrap() + b.await.unwrap()
        })
    });
    assert_eq!(out, Ok(3));
    let expected = [
        "new task[Task-N] parent=none",
        // The main task's first step.
        "new poll[Task-N] parent=task[Task-N]",
        "enter task[Task-N]",
        "enter poll[Task-N]",
        "record task[Task-N] task.name=main",
        "new task[A] parent=none",
        "new task[B] parent=none",
        "exit poll[Task-N]",
        "close poll[Task-N]",
        "exit task[Task-N]",
        // A's first step, to its sleep.
        "new poll[A] parent=task[A]",
        "enter task[A]",
        "enter poll[A]",
        "event INFO in=poll[A] \"a first\"",
        "exit poll[A]",
        "close poll[A]",
        "exit task[A]",
        // B's only step: its outcome is recorded and its span closes.
        "new poll[B] parent=task[B]",
        "enter task[B]",
        "enter poll[B]",
        "event INFO in=poll[B] \"b\"",
        "exit poll[B]",
        "close poll[B]",
        "exit task[B]",
        "record task[B] task.outcome=finished",
        "close task[B]",
        // A after its sleep.
        "new poll[A] parent=task[A]",
        "enter task[A]",
        "enter poll[A]",
        "event INFO in=poll[A] \"a second\"",
        "exit poll[A]",
        "close poll[A]",
        "exit task[A]",
        "record task[A] task.outcome=finished",
        "close task[A]",
        // The main task, woken by A's end.
        "new poll[Task-N] parent=task[Task-N]",
        "enter task[Task-N]",
        "enter poll[Task-N]",
        "exit poll[Task-N]",
        "close poll[Task-N]",
        "exit task[Task-N]",
        "record task[Task-N] task.outcome=finished",
        "close task[Task-N]",
    ];
    assert_eq!(collector.log(), expected);
    let ids = collector.task_ids();
    assert_eq!(ids.len(), 3);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids in creation order: {ids:?}"
    );
}

/// Each report to the exception handler is an event too, while the handler still gets it:
/// a slow step (WARN, in debug mode), a panic never retrieved (ERROR, with the panic), a
/// task pending at close (WARN).
#[test]
fn the_loops_reports_are_events() {
    let collector = Collector::default();
    let event_loop = EventLoop::new();
    let handled = Arc::new(Mutex::new(0));
    let counter = Arc::clone(&handled);
    event_loop.set_exception_handler(Some(move |_: &asyncio_loop::ExceptionContext| {
        *counter.lock().unwrap() += 1;
    }));
    tracing::subscriber::with_default(collector.clone(), || {
        event_loop
            .run_until_complete(async {
                let slow = create_task_named("slow", async {
                    std::thread::sleep(Duration::from_millis(20));
                });
                slow.await.unwrap();
                // Detached: dropped unawaited after it panicked, so never retrieved.
                let failing = create_task_named("failing", async { panic!("boom") });
                sleep(Duration::ZERO).await;
                drop(failing);
                // Never finishes: destroyed pending at close.
                drop(create_task_named("forever", std::future::pending::<()>()));
            })
            .unwrap();
        event_loop.set_debug(true);
        event_loop.set_slow_callback_duration(Duration::from_millis(10));
        event_loop
            .run_until_complete(async {
                let slow = create_task_named("slow", async {
                    std::thread::sleep(Duration::from_millis(20));
                });
                slow.await.unwrap();
            })
            .unwrap();
        event_loop.close().unwrap();
    });
    let events: Vec<String> = collector
        .log()
        .into_iter()
        .filter(|line| line.starts_with("event"))
        .collect();
    let expected = [
        // Reported where the handle is dropped: in the main task's step.
        "event ERROR in=poll[Task-N] \"Task exception was never retrieved\" task.name=failing \
         task.id=ID panic=panicked: boom",
        // The step is described before it runs, so the task shows as pending.
        "event WARN in=none \"Executing <Task pending name='slow'>\" task.name=slow task.id=ID",
        "event WARN in=none \"Task was destroyed but it is pending!\" task.name=forever \
         task.id=ID",
    ];
    let events: Vec<String> = events.iter().map(|line| without_ids(line)).collect();
    assert_eq!(events, expected);
    assert_eq!(*handled.lock().unwrap(), 3, "the handler got every report");
}

/// `task.id=7` as `task.id=ID`: ids count every task the process made.
fn without_ids(line: &str) -> String {
    line.split(' ')
        .map(|word| match word.strip_prefix("task.id=") {
            Some(_) => "task.id=ID",
            None => word,
        })
        .collect::<Vec<_>>()
        .join(" ")
}
