//! tokio-based futures inside `asyncio::run` through `asyncio::tokio_compat` (the facade's
//! `tokio` feature): tokio's timer, a `tokio::net::TcpStream` talking to a server of our
//! loop, and a real tokio-based client crate, hyper-util's legacy HTTP client (its
//! connector, its pool, and its connection task spawned with `tokio::spawn`), against a
//! hyper server that runs in our loop (`asyncio::hyper_rt`), all over 127.0.0.1; then the
//! limits the guide states (`tokio::spawn` lands on tokio's thread, a tokio timer made
//! outside the wrapper panics). Every test is bounded by a timeout, so a regression fails
//! instead of hanging.
#![cfg(all(feature = "tokio", feature = "hyper"))]

use std::cell::Cell;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use asyncio::hyper_rt::{HyperIo, HyperTimer};
use asyncio::{CompatExt, TcpListener, tokio_compat};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

type BoxError = Box<dyn std::error::Error>;

/// Runs `test` in `asyncio::run`, failing it if it takes longer than 10 s.
fn run_bounded<F>(test: F)
where
    F: Future<Output = Result<(), BoxError>> + 'static,
{
    asyncio::run(async {
        asyncio::timeout(Duration::from_secs(10), test)
            .await
            .expect("the test took more than 10 s")
    })
    .expect("asyncio::run")
    .expect("the test failed");
}

/// tokio's timer inside our loop: the sleep lasts what it says, and our loop's own tasks
/// run meanwhile (the loop's thread is not blocked, the wake comes from tokio's thread).
#[test]
fn tokio_sleep_runs_inside_asyncio_run() {
    run_bounded(async {
        let ticks = Rc::new(Cell::new(0));
        let ticker = asyncio::create_task({
            let ticks = Rc::clone(&ticks);
            async move {
                loop {
                    asyncio::sleep(Duration::from_millis(1)).await;
                    ticks.set(ticks.get() + 1);
                }
            }
        });
        let started = Instant::now();
        // Made inside the wrapper: `tokio::time::sleep` looks for the runtime when called.
        tokio_compat(async { tokio::time::sleep(Duration::from_millis(30)).await }).await;
        let slept = started.elapsed();
        ticker.cancel();
        assert!(slept >= Duration::from_millis(30), "slept {slept:?}");
        assert!(
            ticks.get() >= 5,
            "our ticker ran only {} times",
            ticks.get()
        );
        // The extension trait, on an async block holding a tokio timeout.
        let timed_out = async {
            tokio::time::timeout(Duration::from_millis(5), std::future::pending::<()>()).await
        }
        .compat()
        .await;
        assert!(timed_out.is_err(), "tokio's timeout fired");
        Ok(())
    });
}

/// A tokio `TcpStream` (tokio's reactor) as the client of an echo server of our loop.
#[test]
fn tokio_tcp_stream_talks_to_a_server_of_our_loop() {
    run_bounded(async {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let addr = listener.local_addr()?;
        let server = asyncio::create_task(async move {
            let (mut stream, _) = listener.accept().await?;
            let mut line = [0; 5];
            stream.read_exact(&mut line).await?;
            line.make_ascii_uppercase();
            stream.write_all(&line).await?;
            Ok::<_, std::io::Error>(())
        });
        let reply = tokio_compat(async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await?;
            stream.write_all(b"hello").await?;
            let mut reply = Vec::new();
            stream.read_to_end(&mut reply).await?;
            Ok::<_, std::io::Error>(reply)
        })
        .await?;
        assert_eq!(reply, b"HELLO");
        server.await??;
        Ok(())
    });
}

/// The body of a response, read whole on whichever side it is.
async fn collect(mut body: Incoming) -> Result<Vec<u8>, hyper::Error> {
    let mut out = Vec::new();
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        if let Ok(data) = frame?.into_data() {
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

/// Serves HTTP/1 with hyper on our loop (our sockets, our timer) on a free port; each
/// connection in a task of its own. Answers `Hello from {path} (#n)`, `n` counting the
/// connections, so a test sees whether the client reused one.
fn serve_on_our_loop() -> std::io::Result<(u16, asyncio::Task<()>)> {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let port = listener.local_addr()?.port();
    let accept = asyncio::create_task(async move {
        let mut connections = 0;
        loop {
            let (stream, _) = listener.accept().await.expect("accept");
            connections += 1;
            let n = connections;
            let service = service_fn(move |request: Request<Incoming>| async move {
                let reply = format!("Hello from {} (#{n})", request.uri().path());
                Ok::<_, Infallible>(Response::new(reply))
            });
            let connection = http1::Builder::new()
                .timer(HyperTimer)
                .serve_connection(HyperIo::vectored(stream), service);
            drop(asyncio::create_task(async move {
                connection.await.expect("the connection is served");
            }));
        }
    });
    Ok((port, accept))
}

/// hyper-util's legacy client, a tokio-based crate through and through (`tokio::net`
/// connector, `tokio::spawn`ed connection task, tokio timers in its pool), fetching from a
/// hyper server in our loop: three requests over one pooled keep-alive connection.
#[test]
fn hyper_utils_tokio_client_fetches_from_a_server_of_our_loop() {
    run_bounded(async {
        let (port, server) = serve_on_our_loop()?;
        let client = Client::builder(TokioExecutor::new()).build_http::<String>();
        let mut bodies = Vec::new();
        for path in ["/a", "/b", "/c"] {
            let uri = format!("http://127.0.0.1:{port}{path}").parse()?;
            let response = tokio_compat(client.get(uri)).await?;
            assert_eq!(response.status(), 200);
            let body = collect(response.into_body()).await?;
            bodies.push(String::from_utf8(body)?);
        }
        assert_eq!(
            bodies,
            [
                "Hello from /a (#1)",
                "Hello from /b (#1)",
                "Hello from /c (#1)"
            ]
        );
        server.cancel();
        Ok(())
    });
}

/// Cancelling a task of ours while it awaits a tokio future (here by `wait_for`'s
/// timeout) drops the tokio future inside tokio's context, without a panic, and the loop
/// and the runtime go on: a tokio sleep after it still works.
#[test]
fn a_wrapped_future_cancelled_by_our_timeout_is_dropped_cleanly() {
    run_bounded(async {
        let long = tokio_compat(async { tokio::time::sleep(Duration::from_secs(60)).await });
        let outcome = asyncio::wait_for(Duration::from_millis(10), long).await;
        assert!(outcome.is_err(), "our timeout cancelled tokio's sleep");
        tokio_compat(async { tokio::time::sleep(Duration::from_millis(1)).await }).await;
        Ok(())
    });
}

/// What the guide says does not carry over: `tokio::spawn` inside a wrapped future spawns
/// onto the background runtime, whose task runs on tokio's thread, where no asyncio loop
/// runs.
#[test]
fn tokio_spawn_inside_the_wrapper_runs_on_tokios_thread() {
    run_bounded(async {
        let loop_thread = std::thread::current().id();
        let (thread, loop_there) = tokio_compat(async {
            tokio::spawn(async {
                let thread = std::thread::current();
                (
                    thread.name().map(str::to_owned),
                    asyncio::get_running_loop().is_ok(),
                )
            })
            .await
        })
        .await?;
        assert_eq!(thread.as_deref(), Some("async-compat/tokio-1"));
        assert!(!loop_there, "no asyncio loop runs on tokio's thread");
        assert_eq!(std::thread::current().id(), loop_thread);
        Ok(())
    });
}

/// A tokio timer made outside the wrapper fails as the guide warns: tokio looks for its
/// runtime when `sleep` is called, before `tokio_compat` can enter it, and panics with
/// its own message.
#[test]
fn a_tokio_timer_made_outside_the_wrapper_panics_with_tokios_message() {
    let panicked = std::panic::catch_unwind(|| {
        asyncio::run(async {
            tokio_compat(tokio::time::sleep(Duration::from_millis(1))).await;
        })
    })
    .expect_err("tokio::time::sleep outside the wrapper panics");
    let message = panicked
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panicked.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(message.contains("there is no reactor running"), "{message}");
}
