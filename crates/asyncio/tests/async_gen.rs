//! Async generators: `aclose`, and the loop closing those still alive when `run` ends.
//! The traces are what `tests/python/asyncgen_aclose.py` and
//! `tests/python/asyncgen_shutdown.py` print under CPython 3.11, with a guard's `Drop`
//! where Python has `finally`.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use asyncio::{EventLoopExt, ExceptionContext, anext, async_generator};

/// Trace lines.
#[derive(Clone, Default)]
struct Trace(Rc<RefCell<Vec<String>>>);

impl Trace {
    fn log(&self, line: impl Into<String>) {
        self.0.borrow_mut().push(line.into());
    }

    fn lines(&self) -> Vec<String> {
        self.0.borrow().clone()
    }
}

/// Logs `line` when dropped: Python's `finally: print(line)`.
struct Finally(Trace, String);

impl Drop for Finally {
    fn drop(&mut self) {
        self.0.log(&*self.1);
    }
}

/// Python's `numbers(name)`: prints that it starts, yields 1 and 2 (printing that it
/// resumed in between), and prints `finally` however it ends.
fn numbers(
    trace: &Trace,
    name: &'static str,
) -> asyncio::AsyncGenerator<i32, impl Future<Output = ()> + use<>> {
    let trace = trace.clone();
    async_generator(move |mut y| async move {
        trace.log(format!("{name} starts"));
        let _finally = Finally(trace.clone(), format!("{name} finally"));
        y.yield_(1).await;
        trace.log(format!("{name} resumed"));
        y.yield_(2).await;
    })
}

/// Python's `await anext(g, "exhausted")`.
fn or_exhausted(next: Option<i32>) -> String {
    next.map_or("exhausted".into(), |n| n.to_string())
}

#[test]
fn aclose_matches_cpython() {
    let t = Trace::default();
    let trace = t.clone();
    asyncio::run(async move {
        let mut g = numbers(&t, "g");
        t.log(format!("anext: {}", or_exhausted(anext(&mut g).await)));
        g.aclose().await;
        t.log("g closed");
        let next = or_exhausted(anext(&mut g).await);
        t.log(format!("anext after aclose: {next}"));
        g.aclose().await;
        t.log("g closed again");

        let mut unstarted = numbers(&t, "unstarted");
        unstarted.aclose().await;
        t.log("unstarted closed");
        let next = or_exhausted(anext(&mut unstarted).await);
        t.log(format!("anext after aclose: {next}"));

        let mut finished = numbers(&t, "finished");
        while let Some(n) = anext(&mut finished).await {
            t.log(format!("got {n}"));
        }
        finished.aclose().await;
        t.log("finished closed");
    })
    .unwrap();
    let expected = [
        "g starts",
        "anext: 1",
        "g finally",
        "g closed",
        "anext after aclose: exhausted",
        "g closed again",
        "unstarted closed",
        "anext after aclose: exhausted",
        "finished starts",
        "got 1",
        "finished resumed",
        "got 2",
        "finished finally",
        "finished closed",
    ];
    assert_eq!(trace.lines(), expected);
}

#[test]
fn run_closes_generators_as_cpython_does() {
    let t = Trace::default();
    let trace = t.clone();
    // Python keeps its generator in a global; here `main` returns it, which keeps it alive
    // past `run`'s clean-up all the same.
    let mut kept = asyncio::run(async move {
        let mut kept = numbers(&t, "kept");
        anext(&mut kept).await;
        let mut local = numbers(&t, "local");
        anext(&mut local).await;
        let w = t.clone();
        asyncio::create_task(async move {
            let mut g = numbers(&w, "worker's generator");
            anext(&mut g).await;
            let _finally = Finally(w.clone(), "worker finally".into());
            asyncio::sleep(Duration::from_secs(10)).await;
        });
        asyncio::sleep(Duration::ZERO).await;
        asyncio::sleep(Duration::ZERO).await;
        t.log("main returns");
        kept
    })
    .unwrap();
    trace.log("run returned");
    let expected = [
        "kept starts",
        "local starts",
        "worker's generator starts",
        "main returns",
        "local finally",
        "worker finally",
        "worker's generator finally",
        "kept finally",
        "run returned",
    ];
    assert_eq!(trace.lines(), expected);
    let next = futures_lite::future::block_on(anext(&mut kept));
    assert_eq!(next, None, "the generator run closed is exhausted");
}

#[test]
fn shutdown_asyncgens_closes_each_in_a_task_and_reports_a_panicking_cleanup() {
    struct Boom;
    impl Drop for Boom {
        fn drop(&mut self) {
            panic!("cleanup failed");
        }
    }
    let t = Trace::default();
    let event_loop = asyncio::new_event_loop();
    let reports = Rc::new(RefCell::new(Vec::new()));
    let r = reports.clone();
    event_loop.set_exception_handler(Some(move |context: &ExceptionContext| {
        r.borrow_mut().push(context.to_string());
    }));
    let (first, failing, second) = event_loop
        .run_until_complete({
            let t = t.clone();
            async move {
                let mut failing = async_generator(|mut y| async move {
                    let _boom = Boom;
                    y.yield_(0).await;
                });
                let mut first = numbers(&t, "first");
                let mut second = numbers(&t, "second");
                anext(&mut first).await;
                anext(&mut failing).await;
                anext(&mut second).await;
                let never_iterated = numbers(&t, "never iterated");
                drop(never_iterated);
                (first, failing, second)
            }
        })
        .unwrap();
    let l = t.clone();
    event_loop
        .run_until_complete(async move {
            let shutdown = asyncio::get_running_loop().unwrap().shutdown_asyncgens();
            l.log("shutdown made");
            shutdown.await;
            l.log("shutdown done");
        })
        .unwrap();
    assert_eq!(
        t.lines(),
        [
            "first starts",
            "second starts",
            "shutdown made",
            "first finally",
            "second finally",
            "shutdown done"
        ],
        "in the order first iterated; a generator never iterated is not the loop's"
    );
    assert_eq!(reports.borrow().len(), 1, "{:?}", reports.borrow());
    let report = &reports.borrow()[0];
    assert!(
        report.starts_with(
            "an error occurred during closing of asynchronous generator <async_generator "
        ),
        "{report}"
    );
    assert!(report.ends_with("; panicked: cleanup failed"), "{report}");
    event_loop.close().unwrap();
    drop((first, failing, second));
}

#[test]
fn a_second_shutdown_closes_only_generators_iterated_since() {
    let t = Trace::default();
    let event_loop = asyncio::new_event_loop();
    let l = t.clone();
    let kept = event_loop
        .run_until_complete(async move {
            let event_loop = asyncio::get_running_loop().unwrap();
            let mut a = numbers(&l, "a");
            anext(&mut a).await;
            event_loop.shutdown_asyncgens().await;
            let mut b = numbers(&l, "b");
            anext(&mut b).await;
            event_loop.shutdown_asyncgens().await;
            event_loop.shutdown_asyncgens().await;
            (a, b)
        })
        .unwrap();
    assert_eq!(
        t.lines(),
        ["a starts", "a finally", "b starts", "b finally"]
    );
    drop(kept);
    event_loop.close().unwrap();
}

#[test]
fn a_generator_iterated_by_another_executor_is_no_loop_s() {
    let t = Trace::default();
    let mut g = numbers(&t, "g");
    futures_lite::future::block_on(anext(&mut g));
    let event_loop = asyncio::new_event_loop();
    event_loop
        .run_until_complete(event_loop.shutdown_asyncgens())
        .unwrap();
    event_loop.close().unwrap();
    assert_eq!(t.lines(), ["g starts"], "nothing closed it");
    drop(g);
    assert_eq!(t.lines(), ["g starts", "g finally"]);
}
