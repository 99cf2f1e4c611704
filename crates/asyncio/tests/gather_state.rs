//! A gather as asyncio's outer future: `done()`, `result()`, `cancel()` and `cancelled()`,
//! frame by frame. The expected trace of `gather_state_matches_cpython` is what
//! `tests/python/gather_state.py` prints under CPython 3.11; each scenario uses the flavour
//! of gather that matches the Python call (`gather_tasks` for tasks made first, `try_gather`
//! where a child raises, `gather!` and `gather` over coroutines).

use std::cell::{Cell, OnceCell, RefCell};
use std::fmt::Display;
use std::rc::Rc;

use asyncio::{
    EventLoop, Gather, GatherError, GatherTuple, InvalidStateError, Slots, TaskError, TryGather,
};

/// Trace lines, each prefixed with the frame it was written in.
#[derive(Clone, Default)]
struct Trace {
    lines: Rc<RefCell<Vec<String>>>,
    frame: Rc<Cell<u32>>,
}

impl Trace {
    fn log(&self, words: impl Display) {
        let line = format!("{} {words}", self.frame.get());
        self.lines.borrow_mut().push(line);
    }

    fn scenario(&self, title: &str) {
        self.frame.set(0);
        self.lines.borrow_mut().push(format!("-- {title}"));
    }
}

/// What the Python program asks of a gather: `done()` and `result()`, the latter as a line.
trait Outer {
    fn done(&self) -> bool;
    fn result_line(&self) -> String;
}

fn not_set(error: InvalidStateError) -> String {
    format!("InvalidStateError: {error}")
}

impl Outer for Gather<&'static str> {
    fn done(&self) -> bool {
        Gather::done(self)
    }

    fn result_line(&self) -> String {
        match self.result() {
            Ok(Ok(values)) => values.join(","),
            Ok(Err(TaskError::Cancelled)) => "CancelledError".into(),
            Ok(Err(error)) => format!("{error}"),
            Err(error) => not_set(error),
        }
    }
}

impl Outer for TryGather<&'static str, String> {
    fn done(&self) -> bool {
        TryGather::done(self)
    }

    fn result_line(&self) -> String {
        match self.result() {
            Ok(Ok(values)) => values.join(","),
            Ok(Err(GatherError::Failed(name))) => format!("ValueError: {name}"),
            Ok(Err(error)) => format!("{error}"),
            Err(error) => not_set(error),
        }
    }
}

impl<S> Outer for GatherTuple<S>
where
    S: Slots<Output = (&'static str, &'static str)>,
{
    fn done(&self) -> bool {
        GatherTuple::done(self)
    }

    fn result_line(&self) -> String {
        match self.result() {
            Ok(Ok((a, b))) => format!("{a},{b}"),
            Ok(Err(TaskError::Cancelled)) => "CancelledError".into(),
            Ok(Err(error)) => format!("{error}"),
            Err(error) => not_set(error),
        }
    }
}

/// Runs `n` frames (one loop iteration each), saying what `gather` is before each: its
/// `result()` while pending, then its outcome once (`reported` remembers that).
fn frames(
    event_loop: &EventLoop,
    trace: &Trace,
    gather: &dyn Outer,
    reported: &Cell<bool>,
    n: u32,
) {
    for _ in 0..n {
        trace.frame.set(trace.frame.get() + 1);
        if !gather.done() {
            trace.log(format!("pending: {}", gather.result_line()));
        } else if !reported.replace(true) {
            trace.log(format!("done: {}", gather.result_line()));
        }
        event_loop.run_once().unwrap();
    }
}

/// `child(name, yields)`: yields `yields` times, then returns its name.
async fn child(trace: Trace, name: &'static str, yields: u32) -> &'static str {
    for _ in 0..yields {
        asyncio::sleep(std::time::Duration::ZERO).await;
    }
    trace.log(format!("{name} returns"));
    name
}

/// `child(name, yields, fail=True)`: the same, then raises `ValueError(name)`.
async fn failing(trace: Trace, name: &'static str, yields: u32) -> Result<&'static str, String> {
    child(trace, name, yields).await;
    Err(name.to_string())
}

fn state(task: &asyncio::TaskRef) -> &'static str {
    if task.cancelled() {
        "cancelled"
    } else if task.done() {
        "done"
    } else {
        "pending"
    }
}

#[test]
fn gather_state_matches_cpython() {
    let event_loop = asyncio::new_event_loop();
    asyncio::set_event_loop(Some(&event_loop));
    let t = Trace::default();
    let el = &event_loop;

    t.scenario("all succeed: done() turns true in the last child's done callbacks");
    let a = el.create_task(child(t.clone(), "a", 1));
    let b = el.create_task(child(t.clone(), "b", 2));
    let g: Rc<OnceCell<Gather<&str>>> = Rc::default();
    let (t2, g2) = (t.clone(), g.clone());
    b.add_done_callback(move |_| {
        let done = g2.get().unwrap().done();
        t2.log(format!("callback added before gather: done {}", py(done)));
    });
    let b_ref = b.as_ref();
    let _ = g.set(asyncio::gather_tasks([a, b]));
    let (t2, g2) = (t.clone(), g.clone());
    b_ref.add_done_callback(move |_| {
        let done = g2.get().unwrap().done();
        t2.log(format!("callback added after gather: done {}", py(done)));
    });
    frames(el, &t, g.get().unwrap(), &Cell::new(false), 5);

    t.scenario("a child fails: done at once, the sibling keeps running");
    let b_task = Rc::new(OnceCell::new());
    let (t2, b2) = (t.clone(), b_task.clone());
    let b_child = async move {
        let _ = b2.set(asyncio::current_task().unwrap());
        Ok(child(t2, "b", 3).await)
    };
    let g = asyncio::try_gather::<_, &str, String>([
        Box::pin(failing(t.clone(), "a", 1)) as std::pin::Pin<Box<dyn Future<Output = _>>>,
        Box::pin(b_child),
    ]);
    let reported = Cell::new(false);
    frames(el, &t, &g, &reported, 3);
    t.log(format!("cancel after done: {}", py(g.cancel())));
    frames(el, &t, &g, &reported, 3);
    t.log(format!("b {}", state(b_task.get().unwrap())));

    t.scenario("cancel(): the children are cancelled, the gather ends with CancelledError");
    let a = el.create_task(child(t.clone(), "a", 5));
    let b = el.create_task(child(t.clone(), "b", 5));
    let (a_ref, b_ref) = (a.as_ref(), b.as_ref());
    let g = asyncio::gather_tasks([a, b]);
    let reported = Cell::new(false);
    frames(el, &t, &g, &reported, 1);
    t.log(format!("cancel: {} done {}", py(g.cancel()), py(g.done())));
    t.log(format!("cancel again: {}", py(g.cancel())));
    frames(el, &t, &g, &reported, 3);
    t.log(format!("a {} b {}", state(&a_ref), state(&b_ref)));
    t.log(format!("cancel after done: {}", py(g.cancel())));

    t.scenario("cancel() before the children started");
    let g = asyncio::gather!(child(t.clone(), "a", 0), child(t.clone(), "b", 0));
    t.log(format!("cancel: {} done {}", py(g.cancel()), py(g.done())));
    frames(el, &t, &g, &Cell::new(false), 3);

    t.scenario("cancel() once every child has finished, before their done callbacks ran");
    let a = el.create_task(child(t.clone(), "a", 0));
    let g = asyncio::gather_tasks([a]);
    let reported = Cell::new(false);
    frames(el, &t, &g, &reported, 1);
    t.log(format!("cancel: {} done {}", py(g.cancel()), py(g.done())));
    frames(el, &t, &g, &reported, 2);

    asyncio::set_event_loop(None);
    event_loop.close().unwrap();
    let expected = [
        "-- all succeed: done() turns true in the last child's done callbacks",
        "1 pending: InvalidStateError: Result is not set.",
        "2 pending: InvalidStateError: Result is not set.",
        "2 a returns",
        "3 pending: InvalidStateError: Result is not set.",
        "3 b returns",
        "4 pending: InvalidStateError: Result is not set.",
        "4 callback added before gather: done False",
        "4 callback added after gather: done True",
        "5 done: a,b",
        "-- a child fails: done at once, the sibling keeps running",
        "1 pending: InvalidStateError: Result is not set.",
        "2 pending: InvalidStateError: Result is not set.",
        "2 a returns",
        "3 pending: InvalidStateError: Result is not set.",
        "3 cancel after done: False",
        "4 done: ValueError: a",
        "4 b returns",
        "6 b done",
        "-- cancel(): the children are cancelled, the gather ends with CancelledError",
        "1 pending: InvalidStateError: Result is not set.",
        "1 cancel: True done False",
        "1 cancel again: True",
        "2 pending: InvalidStateError: Result is not set.",
        "3 pending: InvalidStateError: Result is not set.",
        "4 done: CancelledError",
        "4 a cancelled b cancelled",
        "4 cancel after done: False",
        "-- cancel() before the children started",
        "0 cancel: True done False",
        "1 pending: InvalidStateError: Result is not set.",
        "2 pending: InvalidStateError: Result is not set.",
        "3 done: CancelledError",
        "-- cancel() once every child has finished, before their done callbacks ran",
        "1 pending: InvalidStateError: Result is not set.",
        "1 a returns",
        "1 cancel: False done False",
        "2 pending: InvalidStateError: Result is not set.",
        "3 done: a",
    ];
    assert_eq!(*t.lines.borrow(), expected);
}

/// Python's spelling of a bool, so the trace compares line for line.
fn py(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}
