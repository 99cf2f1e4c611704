//! hyper's HTTP/1 server on our loop (`asyncio::hyper_rt`), over 127.0.0.1 with clients
//! written by hand: keep-alive, concurrent connections, request bodies (sized and
//! chunked) echoed back, clients that vanish mid-request, and `header_read_timeout` firing
//! on our timer. Every test is bounded by a timeout, so a regression fails instead of
//! hanging.
#![cfg(feature = "hyper")]

use std::cell::Cell;
use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use asyncio::hyper_rt::{HyperExecutor, HyperIo, HyperTimer};
use asyncio::{Barrier, Queue, Task, TcpListener, TcpReader, TcpStream, TcpWriter};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::rt::{Executor, Timer};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};

type BoxError = Box<dyn std::error::Error>;

/// Runs `test` on a fresh loop, failing it if it takes longer than 10 s.
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

/// A response body held whole: hyper's `Full` without http-body-util.
struct Whole(Option<Bytes>);

impl Whole {
    fn new(bytes: impl Into<Bytes>) -> Self {
        Whole(Some(bytes.into()))
    }
}

impl Body for Whole {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.get_mut().0.take().map(|bytes| Ok(Frame::data(bytes))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.as_ref().map_or(0, |b| b.len() as u64))
    }
}

/// The request's body, read whole.
async fn collect(mut body: Incoming) -> Result<Vec<u8>, hyper::Error> {
    let mut out = Vec::new();
    while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        if let Ok(data) = frame?.into_data() {
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

/// What the test server shares with its test.
struct Server {
    port: u16,
    /// How each connection's task ended, in the order they ended.
    ends: Rc<Queue<Result<(), hyper::Error>>>,
    connections: Rc<Cell<u32>>,
    accept: Task<()>,
}

/// The test service: `/echo` answers with the request's body, `/barrier` waits until
/// `barrier`'s parties have all arrived, anything else says hello with its path.
async fn route(
    request: Request<Incoming>,
    barrier: Rc<Barrier>,
) -> Result<Response<Whole>, hyper::Error> {
    let path = request.uri().path().to_owned();
    match path.as_str() {
        "/echo" => Ok(Response::new(Whole::new(
            collect(request.into_body()).await?,
        ))),
        "/barrier" => {
            let _ = barrier.wait().await;
            Ok(Response::new(Whole::new("all here")))
        }
        _ => Ok(Response::new(Whole::new(format!("Hello from {path}")))),
    }
}

/// Starts a server on a free port of 127.0.0.1 with `http`'s settings (plus our timer);
/// `/barrier` requests wait for `parties` of them.
fn start(mut http: http1::Builder, parties: usize) -> std::io::Result<Server> {
    http.timer(HyperTimer);
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let port = listener.local_addr()?.port();
    let ends = Rc::new(Queue::new(0));
    let connections = Rc::new(Cell::new(0));
    let barrier = Rc::new(Barrier::new(parties));
    let accept = asyncio::create_task({
        let (ends, connections) = (Rc::clone(&ends), Rc::clone(&connections));
        async move {
            loop {
                let (stream, _) = listener.accept().await.expect("accept");
                connections.set(connections.get() + 1);
                let barrier = Rc::clone(&barrier);
                let service = service_fn(move |request| route(request, Rc::clone(&barrier)));
                let connection = http.serve_connection(HyperIo::vectored(stream), service);
                let ends = Rc::clone(&ends);
                drop(asyncio::create_task(async move {
                    let end = connection.await;
                    ends.put_nowait(end).expect("an unbounded queue");
                }));
            }
        }
    });
    Ok(Server {
        port,
        ends,
        connections,
        accept,
    })
}

impl Server {
    /// How the next connection to end ended.
    async fn next_end(&self) -> Result<(), hyper::Error> {
        self.ends.get().await.expect("the queue is never shut down")
    }
}

/// A response as the hand-written client reads it.
#[derive(Debug)]
struct Reply {
    status: String,
    head: String,
    body: Vec<u8>,
}

/// Sends `request` as it is and reads one response, which must carry a `Content-Length`.
async fn exchange(
    reader: &mut TcpReader,
    writer: &TcpWriter,
    request: &[u8],
) -> Result<Reply, BoxError> {
    writer.write(request)?;
    writer.drain().await?;
    let head = String::from_utf8(reader.readuntil(b"\r\n\r\n").await?)?;
    let status = head.lines().next().unwrap_or_default().to_owned();
    let length: usize = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .ok_or("no Content-Length")?
        .1
        .trim()
        .parse()?;
    let body = reader.readexactly(length).await?;
    Ok(Reply { status, head, body })
}

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").into_bytes()
}

#[test]
fn several_requests_over_one_keep_alive_connection() {
    run_bounded(async {
        let server = start(http1::Builder::new(), 1)?;
        let (mut reader, writer) = asyncio::open_connection("127.0.0.1", server.port).await?;
        for i in 0..5 {
            let reply = exchange(&mut reader, &writer, &get(&format!("/r{i}"))).await?;
            assert_eq!(reply.status, "HTTP/1.1 200 OK");
            assert_eq!(reply.body, format!("Hello from /r{i}").as_bytes());
        }
        // Two requests in one write (pipelined) are answered in order on the same connection.
        let mut both = get("/p1");
        both.extend(get("/p2"));
        let first = exchange(&mut reader, &writer, &both).await?;
        let second = exchange(&mut reader, &writer, b"").await?;
        assert_eq!(
            (first.body, second.body),
            (b"Hello from /p1".to_vec(), b"Hello from /p2".to_vec())
        );
        assert_eq!(server.connections.get(), 1);
        // The client closing ends the connection's task cleanly.
        writer.close();
        writer.wait_closed().await?;
        server.next_end().await?;
        server.accept.cancel();
        Ok(())
    });
}

#[test]
fn concurrent_connections_are_served_at_once() {
    const CLIENTS: usize = 16;
    run_bounded(async {
        // Every `/barrier` request waits for all the others: they complete only if the
        // server holds CLIENTS requests, one per connection, in progress at once.
        let server = Rc::new(start(http1::Builder::new(), CLIENTS)?);
        let clients = (0..CLIENTS).map(|i| {
            let port = server.port;
            async move {
                let (mut reader, writer) = asyncio::open_connection("127.0.0.1", port).await?;
                let waited = exchange(&mut reader, &writer, &get("/barrier")).await?;
                let after = exchange(&mut reader, &writer, &get(&format!("/c{i}"))).await?;
                writer.close();
                writer.wait_closed().await?;
                Ok::<_, BoxError>((waited.body, after.body))
            }
        });
        let replies = asyncio::gather(clients).await?;
        for (i, reply) in replies.into_iter().enumerate() {
            let (waited, after) = reply?;
            assert_eq!(waited, b"all here");
            assert_eq!(after, format!("Hello from /c{i}").as_bytes());
        }
        assert_eq!(server.connections.get(), CLIENTS as u32);
        for _ in 0..CLIENTS {
            server.next_end().await?;
        }
        server.accept.cancel();
        Ok(())
    });
}

#[test]
fn a_request_body_is_echoed_back() {
    run_bounded(async {
        let server = start(http1::Builder::new(), 1)?;
        let (mut reader, writer) = asyncio::open_connection("127.0.0.1", server.port).await?;

        // A body far larger than hyper's first read buffer and our scratch buffer, with
        // every byte value, so a lost, repeated or reordered chunk shows.
        let body: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut request = format!(
            "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(&body);
        let reply = exchange(&mut reader, &writer, &request).await?;
        assert_eq!(reply.status, "HTTP/1.1 200 OK");
        assert_eq!(reply.body.len(), body.len());
        assert!(reply.body == body, "the echoed body differs");

        // A chunked body on the same connection.
        let chunked = b"POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n\
                        5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
        let reply = exchange(&mut reader, &writer, chunked).await?;
        assert_eq!(reply.body, b"hello world");
        assert!(
            reply
                .head
                .to_ascii_lowercase()
                .contains("content-length: 11")
        );

        writer.close();
        writer.wait_closed().await?;
        server.next_end().await?;
        server.accept.cancel();
        Ok(())
    });
}

#[test]
fn a_client_leaving_mid_request_ends_its_task_and_the_server_goes_on() {
    run_bounded(async {
        let server = start(http1::Builder::new(), 1)?;
        let addr = SocketAddr::from(([127, 0, 0, 1], server.port));

        // Half a request head, then gone.
        let mut client = TcpStream::connect(addr).await?;
        client.write_all(b"GET /never HTTP/1.1\r\nHost: te").await?;
        drop(client);
        let error = server
            .next_end()
            .await
            .expect_err("an incomplete head is an error");
        assert!(error.is_incomplete_message(), "{error:?}");

        // A whole head promising 1000 bytes of body, 10 of them, then gone: the service's
        // read of the body fails, and so does the connection.
        let mut client = TcpStream::connect(addr).await?;
        client
            .write_all(
                b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\r\n0123456789",
            )
            .await?;
        drop(client);
        let error = server
            .next_end()
            .await
            .expect_err("a truncated body is an error");
        // The service's error, which is the body's `IncompleteBody`.
        assert!(error.is_user(), "{error:?}");

        // The listener and the loop carry on.
        let (mut reader, writer) = asyncio::open_connection("127.0.0.1", server.port).await?;
        let reply = exchange(&mut reader, &writer, &get("/after")).await?;
        assert_eq!(reply.body, b"Hello from /after");
        assert_eq!(server.connections.get(), 3);
        server.accept.cancel();
        Ok(())
    });
}

#[test]
fn header_read_timeout_closes_a_client_that_sends_nothing() {
    run_bounded(async {
        let timeout = Duration::from_millis(100);
        let mut http = http1::Builder::new();
        http.header_read_timeout(timeout);
        let server = start(http, 1)?;
        let addr = SocketAddr::from(([127, 0, 0, 1], server.port));

        // Silent from the start.
        let started = Instant::now();
        let mut silent = TcpStream::connect(addr).await?;
        let error = server
            .next_end()
            .await
            .expect_err("the timeout is an error");
        assert!(error.is_timeout(), "{error:?}");
        let mut rest = Vec::new();
        silent.read_to_end(&mut rest).await?; // EOF: the server closed the connection
        let waited = started.elapsed();
        assert!(
            waited >= timeout,
            "closed after {waited:?}, before the timeout"
        );

        // Silent after half a head.
        let started = Instant::now();
        let mut slow = TcpStream::connect(addr).await?;
        slow.write_all(b"GET / HTTP/1.1\r\n").await?;
        let error = server
            .next_end()
            .await
            .expect_err("the timeout is an error");
        assert!(error.is_timeout(), "{error:?}");
        assert!(started.elapsed() >= timeout);
        drop(slow);

        // A client that keeps to the timeout is served: each head arrives within it, and
        // the timer armed for each request is cancelled when its head is read.
        let (mut reader, writer) = asyncio::open_connection("127.0.0.1", server.port).await?;
        for i in 0..3 {
            asyncio::sleep(timeout / 4).await;
            let reply = exchange(&mut reader, &writer, &get(&format!("/k{i}"))).await?;
            assert_eq!(reply.body, format!("Hello from /k{i}").as_bytes());
        }
        server.accept.cancel();
        Ok(())
    });
}

#[test]
fn the_timer_sleeps_and_resets_on_the_loop() {
    run_bounded(async {
        let started = Instant::now();
        HyperTimer.sleep(Duration::from_millis(20)).await;
        assert!(started.elapsed() >= Duration::from_millis(20));

        // Reset moves a far deadline near, in place.
        let mut sleep = HyperTimer.sleep(Duration::from_secs(3600));
        HyperTimer.reset(&mut sleep, Instant::now() + Duration::from_millis(10));
        asyncio::timeout(Duration::from_secs(5), sleep)
            .await
            .expect("the reset deadline fires");
        Ok(())
    });
}

#[test]
fn the_executor_runs_futures_as_tasks_of_the_loop() {
    run_bounded(async {
        // Not `Send` (an `Rc`): the loop's tasks need not be.
        let ran = Rc::new(Cell::new(false));
        HyperExecutor.execute({
            let ran = Rc::clone(&ran);
            async move { ran.set(true) }
        });
        assert!(
            !ran.get(),
            "scheduled for the next iteration, as create_task"
        );
        asyncio::sleep(Duration::ZERO).await;
        assert!(ran.get());
        Ok(())
    });
}
