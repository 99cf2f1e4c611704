//! Context variables without an event loop. Each test's expected trace is what the section
//! of the same name in `tests/python/basics.py` prints under CPython 3.11
//! (`python3 tests/python/basics.py`). Each test runs on its own thread (the test
//! harness's), so each starts, as each Python section does, with nothing set.

use std::cell::RefCell;

use asyncio_contextvars::{Context, ContextVar, copy_context};

static NAME: ContextVar<&str> = ContextVar::new("name");
static LEVEL: ContextVar<u32> = ContextVar::with_default("level", 0);

thread_local! {
    static TRACE: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn say(line: impl Into<String>) {
    TRACE.with(|trace| trace.borrow_mut().push(line.into()));
}

fn show(place: &str) {
    say(format!(
        "{place}: name={} level={}",
        NAME.get_or("unset"),
        LEVEL.get().unwrap()
    ));
}

fn trace() -> Vec<String> {
    TRACE.with(|trace| trace.take())
}

#[test]
fn get_set_reset() {
    say(format!("LookupError {}", NAME.get().unwrap_err()));
    say(format!(
        "get(default) {} {}",
        NAME.get_or("fallback"),
        LEVEL.get_or(5)
    ));
    let first = NAME.set("a");
    say(format!("old {}", first.old_value().is_none()));
    let second = NAME.set("b");
    say(format!("old {}", second.old_value().unwrap()));
    show("after two sets");
    NAME.reset(&second).unwrap();
    show("reset second");
    NAME.reset(&first).unwrap();
    show("reset first");
    assert_eq!(
        trace(),
        [
            "LookupError <ContextVar name='name'>",
            "get(default) fallback 5",
            "old true",
            "old a",
            "after two sets: name=b level=0",
            "reset second: name=a level=0",
            "reset first: name=unset level=0",
        ]
    );
}

#[test]
fn token_errors() {
    let token = NAME.set("x");
    NAME.reset(&token).unwrap();
    say(format!("RuntimeError {}", NAME.reset(&token).unwrap_err()));
    static OTHER: ContextVar<&str> = ContextVar::new("other");
    let foreign = OTHER.set("y");
    say(format!("ValueError {}", NAME.reset(&foreign).unwrap_err()));
    let elsewhere = Context::new().run(|| NAME.set("z")).unwrap();
    say(format!(
        "ValueError {}",
        NAME.reset(&elsewhere).unwrap_err()
    ));
    show("after refused resets");
    assert_eq!(
        trace(),
        [
            "RuntimeError <Token used var=<ContextVar name='name'>> has already been used once",
            "ValueError <Token var=<ContextVar name='other'>> was created by a different ContextVar",
            "ValueError <Token var=<ContextVar name='name'>> was created in a different Context",
            "after refused resets: name=unset level=0",
        ]
    );
    assert_eq!(
        format!("{token:?} {foreign:?}"),
        "<Token used var=<ContextVar name='name'>> <Token var=<ContextVar name='other'>>"
    );
    OTHER.reset(&foreign).unwrap();
}

#[test]
fn run_nests_and_keeps() {
    NAME.set("thread");
    let outer = Context::new();
    outer
        .run(|| {
            show("outer");
            NAME.set("outer");
            let inner = copy_context();
            inner
                .run(|| {
                    show("inner");
                    LEVEL.set(2);
                    show("inner after set");
                })
                .unwrap();
            show("outer after inner");
            say(format!(
                "inner keeps level {} outer has level {}",
                inner.get(&LEVEL).unwrap(),
                if outer.contains(&LEVEL) {
                    "True"
                } else {
                    "False"
                }
            ));
            say(format!(
                "RuntimeError {}",
                outer.run(|| show("twice")).unwrap_err()
            ));
        })
        .unwrap();
    show("thread");
    say(format!(
        "outer holds {} {}",
        outer.get(&NAME).unwrap(),
        outer.len()
    ));
    assert_eq!(
        trace(),
        [
            "outer: name=unset level=0",
            "inner: name=outer level=0",
            "inner after set: name=outer level=2",
            "outer after inner: name=outer level=0",
            "inner keeps level 2 outer has level False",
            "RuntimeError cannot enter context: <_contextvars.Context object> is already entered",
            "thread: name=thread level=0",
            "outer holds outer 1",
        ]
    );
}

#[test]
fn copies_are_independent() {
    NAME.set("before copy");
    let copy = copy_context();
    NAME.set("after copy");
    let line = |copy: &Context| {
        format!(
            "copy {} current {}",
            copy.get(&NAME).unwrap(),
            NAME.get().unwrap()
        )
    };
    say(line(&copy));
    copy.run(|| NAME.set("in copy")).unwrap();
    say(line(&copy));
    let again = copy.copy();
    copy.run(|| NAME.set("changed")).unwrap();
    say(format!(
        "again {} copy {}",
        again.get(&NAME).unwrap(),
        copy.get(&NAME).unwrap()
    ));
    assert_eq!(
        trace(),
        [
            "copy before copy current after copy",
            "copy in copy current after copy",
            "again in copy copy changed",
        ]
    );
}

#[test]
fn threads_start_empty_and_take_copies() {
    NAME.set("main thread");
    let seen = std::thread::spawn(|| NAME.get_or("unset")).join().unwrap();
    say(format!("new thread sees {seen}"));
    let context = copy_context().to_send();
    let seen = std::thread::spawn(move || {
        context.run(|| {
            let seen = NAME.get_or("unset");
            NAME.set("set in thread");
            seen
        })
    })
    .join()
    .unwrap();
    say(format!(
        "copy in thread sees {seen} ; here {}",
        NAME.get().unwrap()
    ));
    assert_eq!(
        trace(),
        [
            "new thread sees unset",
            "copy in thread sees main thread ; here main thread",
        ]
    );
}

/// Not in Python (its `run` has no unwinding to speak of): a panic in `run` leaves the
/// context, so the thread's own is current again and the context can be entered again.
#[test]
fn a_panic_in_run_leaves_the_context() {
    let ctx = Context::new();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ctx.run(|| {
            NAME.set("inside");
            panic!("boom");
        })
    }));
    assert!(caught.is_err());
    assert_eq!(NAME.get_or("unset"), "unset");
    assert_eq!(ctx.run(|| NAME.get()).unwrap(), Ok("inside"));
}

/// A value's `Drop` may read variables: it runs outside the context's borrow.
#[test]
fn a_value_dropped_by_set_or_reset_may_read_variables() {
    struct Reads(&'static str);
    impl Drop for Reads {
        fn drop(&mut self) {
            say(format!("{} dropped, name={}", self.0, NAME.get_or("unset")));
        }
    }
    static HOLDER: ContextVar<std::sync::Arc<Reads>> = ContextVar::new("holder");
    NAME.set("n");
    let token = HOLDER.set(std::sync::Arc::new(Reads("first")));
    drop(HOLDER.set(std::sync::Arc::new(Reads("second"))));
    HOLDER.reset(&token).unwrap();
    drop(token);
    let ctx = copy_context();
    drop(ctx);
    // `first` goes with the second token (its old value), `second` with the reset.
    assert_eq!(trace(), ["first dropped, name=n", "second dropped, name=n"]);
}
