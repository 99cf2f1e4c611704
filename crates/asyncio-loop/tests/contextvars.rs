//! Context variables on the loop: which context each task step and callback runs in. Each
//! test's expected trace is what the CPython 3.11 program named in its doc comment prints
//! (`python3 tests/python/<name>.py`). In `context_vars.py` each `async fn` below is the
//! Python function of the same name, run as a task of `main` in turn.

use std::cell::RefCell;
use std::time::Duration;

use asyncio_loop::contextvars::{Context, ContextVar, copy_context};
use asyncio_loop::{
    EventLoop, TaskRef, create_task, create_task_with_context, get_running_loop, sleep,
};

static REQUEST: ContextVar<String> = ContextVar::new("request");
static DEPTH: ContextVar<u32> = ContextVar::with_default("depth", 0);

thread_local! {
    static TRACE: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn say(line: impl Into<String>) {
    TRACE.with(|trace| trace.borrow_mut().push(line.into()));
}

fn show(place: &str) {
    say(format!(
        "{place}: request={} depth={}",
        REQUEST.get_or("unset".into()),
        DEPTH.get().unwrap()
    ));
}

fn set(value: &str) {
    REQUEST.set(value.to_owned());
}

async fn task_sees_a_copy_of_its_creators_context() {
    say("-- task_sees_a_copy_of_its_creators_context");
    set("r1");
    async fn child(name: &'static str) {
        show(&format!("{name} start"));
        set(name);
        DEPTH.set(DEPTH.get().unwrap() + 1);
        sleep(Duration::ZERO).await;
        show(&format!("{name} after sleep"));
    }
    let a = create_task(child("a"));
    set("r2"); // after create_task: `a` does not see it
    let b = create_task(child("b"));
    a.await.unwrap();
    b.await.unwrap();
    show("parent");
}

async fn callbacks_see_the_scheduling_context() {
    say("-- callbacks_see_the_scheduling_context");
    let event_loop = get_running_loop().unwrap();
    fn set_and_show(value: &str) {
        show(&format!("{value} before"));
        set(value);
        show(&format!("{value} after"));
    }
    // Scheduled from an empty context: each sets in a copy of its own.
    event_loop.call_soon(|| set_and_show("first"));
    event_loop.call_soon(|| set_and_show("second"));
    sleep(Duration::ZERO).await;
    show("parent");
    set("soon");
    event_loop.call_soon(|| show("call_soon"));
    set("later");
    event_loop.call_later(Duration::from_millis(1), || show("call_later"));
    set("changer");
    event_loop.call_soon(|| {
        set("changed in callback");
        show("changer");
    });
    set("parent");
    sleep(Duration::from_millis(10)).await;
    show("parent");
}

async fn an_explicit_context_keeps_what_its_users_set() {
    say("-- an_explicit_context_keeps_what_its_users_set");
    let event_loop = get_running_loop().unwrap();
    let ctx = Context::new();
    event_loop.call_soon_with_context(&ctx, || {
        set("first");
        show("callback first");
    });
    event_loop.call_soon_with_context(&ctx, || show("second"));
    sleep(Duration::ZERO).await;
    let own = ctx.clone();
    let child = async move {
        show("child");
        set("child");
        let error = own.run(|| show("entered again")).unwrap_err();
        say(format!("RuntimeError {error}"));
    };
    create_task_with_context(&ctx, child).await.unwrap();
    say(format!("ctx holds {}", ctx.get(&REQUEST).unwrap()));
    show("parent");
}

async fn context_run_nests_inside_a_task() {
    say("-- context_run_nests_inside_a_task");
    set("task");
    let outer = copy_context();
    outer
        .run(|| {
            show("middle");
            set("middle");
            copy_context()
                .run(|| {
                    show("inner");
                    set("inner");
                    show("inner after set");
                })
                .unwrap();
            show("middle after inner");
            let error = outer.run(|| show("again")).unwrap_err();
            say(format!("RuntimeError {error}"));
        })
        .unwrap();
    show("task");
    say(format!("outer holds {}", outer.get(&REQUEST).unwrap()));
}

async fn done_callbacks_see_the_context_they_were_added_in() {
    say("-- done_callbacks_see_the_context_they_were_added_in");
    set("adder");
    let task = create_task(async { set("child") });
    task.add_done_callback(|_: &TaskRef| show("done callback"));
    set("after add");
    task.await.unwrap();
    sleep(Duration::ZERO).await;
}

async fn tokens_belong_to_their_context() {
    say("-- tokens_belong_to_their_context");
    let token = REQUEST.set("parent".into());
    let token = std::rc::Rc::new(token);
    let parents = std::rc::Rc::clone(&token);
    create_task(async move {
        let error = REQUEST.reset(&parents).unwrap_err();
        say(format!("ValueError {error}"));
        let own = REQUEST.set("child".into());
        REQUEST.reset(&own).unwrap();
        show("child after reset");
        let error = REQUEST.reset(&own).unwrap_err();
        say(format!("RuntimeError {error}"));
    })
    .await
    .unwrap();
    REQUEST.reset(&token).unwrap();
    show("parent after reset");
}

/// tests/python/context_vars.py, whole.
#[test]
fn contexts_of_tasks_and_callbacks_are_asyncios() {
    let event_loop = EventLoop::new();
    event_loop
        .run_until_complete(async {
            // Each case in a copy of main's context, which stays empty.
            create_task(task_sees_a_copy_of_its_creators_context())
                .await
                .unwrap();
            create_task(callbacks_see_the_scheduling_context())
                .await
                .unwrap();
            create_task(an_explicit_context_keeps_what_its_users_set())
                .await
                .unwrap();
            create_task(context_run_nests_inside_a_task())
                .await
                .unwrap();
            create_task(done_callbacks_see_the_context_they_were_added_in())
                .await
                .unwrap();
            create_task(tokens_belong_to_their_context()).await.unwrap();
        })
        .unwrap();
    show("outside");
    event_loop.close().unwrap();
    let trace = TRACE.with(|trace| trace.take());
    assert_eq!(
        trace,
        [
            "-- task_sees_a_copy_of_its_creators_context",
            "a start: request=r1 depth=0",
            "b start: request=r2 depth=0",
            "a after sleep: request=a depth=1",
            "b after sleep: request=b depth=1",
            "parent: request=r2 depth=0",
            "-- callbacks_see_the_scheduling_context",
            "first before: request=unset depth=0",
            "first after: request=first depth=0",
            "second before: request=unset depth=0",
            "second after: request=second depth=0",
            "parent: request=unset depth=0",
            "call_soon: request=soon depth=0",
            "changer: request=changed in callback depth=0",
            "call_later: request=later depth=0",
            "parent: request=parent depth=0",
            "-- an_explicit_context_keeps_what_its_users_set",
            "callback first: request=first depth=0",
            "second: request=first depth=0",
            "child: request=first depth=0",
            "RuntimeError cannot enter context: <_contextvars.Context object> is already entered",
            "ctx holds child",
            "parent: request=unset depth=0",
            "-- context_run_nests_inside_a_task",
            "middle: request=task depth=0",
            "inner: request=middle depth=0",
            "inner after set: request=inner depth=0",
            "middle after inner: request=middle depth=0",
            "RuntimeError cannot enter context: <_contextvars.Context object> is already entered",
            "task: request=task depth=0",
            "outer holds middle",
            "-- done_callbacks_see_the_context_they_were_added_in",
            "done callback: request=adder depth=0",
            "-- tokens_belong_to_their_context",
            "ValueError <Token var=<ContextVar name='request'>> was created in a different Context",
            "child after reset: request=parent depth=0",
            "RuntimeError <Token used var=<ContextVar name='request'>> has already been used once",
            "parent after reset: request=unset depth=0",
            "outside: request=unset depth=0",
        ]
    );
}

/// The trace of [`runs_and_threads`], which spans threads.
static SHARED_TRACE: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn shared_show(place: &str) {
    let line = format!("{place}: request={}", REQUEST.get_or("unset".into()));
    SHARED_TRACE.lock().unwrap().push(line);
}

/// tests/python/context_vars_runs.py: a run inside `Context::run` (its main task gets a
/// copy; a callback cannot enter the context held around the run), and a callback and a
/// coroutine handed over from another thread, which run in copies of that thread's context.
#[test]
fn runs_and_threads() {
    let ctx = Context::new();
    ctx.run(|| set("outer")).unwrap();
    let outer = ctx.clone();
    ctx.run(move || {
        let event_loop = EventLoop::new();
        event_loop.set_exception_handler(Some(|context: &asyncio_loop::ExceptionContext| {
            let panic = context.panic().expect("a callback's panic");
            let line = format!("handler: RuntimeError {}", panic.message());
            SHARED_TRACE.lock().unwrap().push(line);
        }));
        let l = event_loop.clone();
        event_loop
            .run_until_complete(async move {
                shared_show("main");
                set("main");
                l.call_soon_with_context(&outer, || shared_show("never"));
                sleep(Duration::ZERO).await;
                let handle = l.handle();
                // The thread waits for nothing of the loop's: joining it here is quick.
                let handed = std::thread::spawn(move || {
                    set("thread");
                    handle
                        .call_soon_threadsafe(|| shared_show("threadsafe callback"))
                        .unwrap();
                    let handed = handle.spawn(async {
                        shared_show("handed-over coroutine");
                        set("set in handed-over");
                    });
                    shared_show("thread after");
                    handed
                })
                .join()
                .unwrap();
                handed.await.unwrap();
                shared_show("main after thread");
            })
            .unwrap();
        shared_show("after run");
        event_loop.close().unwrap();
    })
    .unwrap();
    let line = format!("ctx holds {}", ctx.get(&REQUEST).unwrap());
    SHARED_TRACE.lock().unwrap().push(line);
    shared_show("outside");
    assert_eq!(
        *SHARED_TRACE.lock().unwrap(),
        [
            "main: request=outer",
            "handler: RuntimeError cannot enter context: <_contextvars.Context object> is already entered",
            "thread after: request=thread",
            "threadsafe callback: request=thread",
            "handed-over coroutine: request=thread",
            "main after thread: request=main",
            "after run: request=outer",
            "ctx holds outer",
            "outside: request=unset",
        ]
    );
}

/// tests/python/context_vars_reader.py: an `add_reader` callback runs, every time, in one
/// context (a copy of the one current when it was added), so what one run sets the next
/// sees; added from an empty context, it gets one of its own at its first `set`.
#[test]
fn a_reader_keeps_one_context() {
    use std::io::{Read, Write};
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;
    use std::rc::Rc;

    static RUNS: ContextVar<u32> = ContextVar::with_default("runs", 0);
    let event_loop = EventLoop::new();
    let l = event_loop.clone();
    event_loop
        .run_until_complete(async move {
            for added_from in [None, Some("adder")] {
                if let Some(value) = added_from {
                    set(value);
                }
                let (ours, mut theirs) = UnixStream::pair().unwrap();
                ours.set_nonblocking(true).unwrap();
                let ours = Rc::new(ours);
                let done = l.create_future::<()>();
                let (reader_end, reader_loop, setter) = (Rc::clone(&ours), l.clone(), done.clone());
                // Counted apart too: a reader that lost its context must still stop.
                let mut calls = 0;
                l.add_reader(&*ours, move || {
                    (&*reader_end).read_exact(&mut [0]).unwrap();
                    let runs = RUNS.get().unwrap();
                    let request = REQUEST.get_or("unset".into());
                    say(format!("run {runs} request={request}"));
                    RUNS.set(runs + 1);
                    calls += 1;
                    if calls == 3 {
                        reader_loop.remove_reader(reader_end.as_raw_fd());
                        setter.set_result(()).unwrap();
                    }
                })
                .unwrap();
                theirs.write_all(b"abc").unwrap(); // readable for three runs, one byte each
                done.await.unwrap();
                say(format!("main: runs={}", RUNS.get().unwrap()));
            }
        })
        .unwrap();
    event_loop.close().unwrap();
    assert_eq!(
        TRACE.with(|trace| trace.take()),
        [
            "run 0 request=unset",
            "run 1 request=unset",
            "run 2 request=unset",
            "main: runs=0",
            "run 0 request=adder",
            "run 1 request=adder",
            "run 2 request=adder",
            "main: runs=0",
        ]
    );
}

/// The `context=` forms of `call_later`, `call_at` and `call_soon_threadsafe`: the rule of
/// `call_soon(cb, context=ctx)` that `an_explicit_context_keeps_what_its_users_set`
/// traces. A timer callback runs in `ctx` itself, so what it sets stays there; a
/// threadsafe callback runs in a new context made from the `SendContext` copy.
#[test]
fn timers_and_threadsafe_callbacks_take_a_context_too() {
    let event_loop = EventLoop::new();
    let ctx = Context::new();
    ctx.run(|| set("given")).unwrap();
    let (l, c) = (event_loop.clone(), ctx.clone());
    event_loop
        .run_until_complete(async move {
            l.call_later_with_context(Duration::from_millis(1), &c, || {
                show("call_later");
                set("set by call_later");
            });
            let when = std::time::Instant::now() + Duration::from_millis(2);
            l.call_at_with_context(when, &c, || show("call_at"));
            let handle = l.handle();
            let copy = c.to_send();
            std::thread::spawn(move || {
                handle
                    .call_soon_threadsafe_with_context(copy, || {
                        show("threadsafe");
                        set("set by threadsafe");
                    })
                    .unwrap();
            })
            .join()
            .unwrap();
            sleep(Duration::from_millis(5)).await;
            show("main");
        })
        .unwrap();
    event_loop.close().unwrap();
    assert_eq!(
        TRACE.with(|trace| trace.take()),
        [
            "threadsafe: request=given depth=0",
            "call_later: request=given depth=0",
            "call_at: request=set by call_later depth=0",
            "main: request=unset depth=0",
        ]
    );
    assert_eq!(ctx.get(&REQUEST).as_deref(), Some("set by call_later"));
}
