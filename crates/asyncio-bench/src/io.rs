//! The `io` group: TCP over loopback with our loop's sockets against tokio (current-thread
//! and multi-thread), smol (async-executor's `LocalExecutor` with async-io's `Async`) and a
//! floor with no runtime at all, a hand-written edge-triggered epoll loop. CPython's asyncio
//! and uvloop run the same cases from `python/io.py`.
//!
//! Every server and client talks to 127.0.0.1, in this process, on the runtime under test;
//! every loop is bounded by a count. Each case is written out once per runtime in the form a
//! user of that runtime would write it; ours and smol's speak the same `futures-io` traits,
//! so they share the very same client and server futures, and tokio's are the same code
//! with tokio's traits. The doc comment of each case says where a peer gets a different
//! idiom or setting than ours.
//!
//! Cases and units (a unit ending in `/s` is a rate, higher is better; `cargo xtask bench`
//! turns rates into cost ratios so that below 1.00 always means ours costs less):
//! - `echo`: 50 connections, each a client writing 64 B and reading the echo back before
//!   its next write; round trips per second (`req/s`).
//! - `bulk`: 1 GiB through one connection in 64 KiB writes; `MiB/s`.
//! - `churn`: connect, accept, close, a fixed number of times; connections per second
//!   (`conn/s`).
//! - `idle_memory`: resident memory per idle connection (both ends, and the server's task
//!   parked in a read), 10,000 of them, each runtime in a fresh process; `bytes/conn`.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_executor::LocalExecutor;
use async_io::Async;
use asyncio_loop::{TcpListener, TcpStream, create_task};
use futures_lite::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::harness::{Bench, time};
use crate::loop_::{on_ours, on_smol, resident_bytes, time_async};

/// Connections in the echo case.
pub(crate) const ECHO_CONNECTIONS: usize = 50;
/// One echo message.
pub(crate) const MESSAGE: usize = 64;
/// The echo server's read buffer, in every implementation.
pub(crate) const ECHO_BUFFER: usize = 4096;
/// One bulk write, and the bulk reader's buffer.
const CHUNK: usize = 64 * 1024;
/// Clients connecting at once in the churn case.
const CHURN_CLIENTS: usize = 10;

/// Runs every case of the group.
pub fn run(bench: &Bench) {
    if let Ok(spec) = std::env::var(MEMORY_CHILD) {
        memory_child(&spec);
    }
    echo(bench);
    bulk(bench);
    churn(bench);
    idle_memory(bench);
}

/// Port 0 on the loopback address: the kernel picks a free port.
fn localhost() -> SocketAddr {
    (Ipv4Addr::LOCALHOST, 0).into()
}

/// tokio's two runtimes, each built fresh for every run (as every other runtime here is).
#[derive(Clone, Copy)]
enum Tokio {
    CurrentThread,
    MultiThread,
}

impl Tokio {
    const BOTH: [Tokio; 2] = [Tokio::CurrentThread, Tokio::MultiThread];

    fn name(self) -> &'static str {
        match self {
            Tokio::CurrentThread => "tokio-current-thread",
            Tokio::MultiThread => "tokio-multi-thread",
        }
    }

    fn runtime(self) -> tokio::runtime::Runtime {
        match self {
            Tokio::CurrentThread => tokio::runtime::Builder::new_current_thread(),
            // Two workers: one per core of the 2-core machine the figures come from, which is
            // tokio's default there; pinned so that a bigger machine measures the same thing.
            // Unlike every other implementation here it may run client and server on two
            // cores at once.
            Tokio::MultiThread => {
                let mut builder = tokio::runtime::Builder::new_multi_thread();
                builder.worker_threads(2);
                builder
            }
        }
        .enable_io()
        .build()
        .expect("a tokio runtime builds")
    }
}

/// Panics on an error no case expects; `what` says where.
pub(crate) fn ok<T>(result: io::Result<T>, what: &str) -> T {
    result.unwrap_or_else(|error| panic!("{what}: {error}"))
}

// ---- echo: 50 connections, 64 B round trips --------------------------------------------------

/// `echo`: 50 connections made (outside the clock), `TCP_NODELAY` on both ends; then each
/// client does `rounds` round trips, writing 64 B and reading the 64 B echo back before its
/// next write, while each connection's server task reads up to 4 KiB and writes back what
/// it read. Client and server run on the same runtime. Round trips per second, from the
/// clients' start to the last client's last echo.
///
/// Idioms: every runtime spawns one task per client and one per server connection.
/// `tokio-multi-thread` spreads them over two worker threads (see [`Tokio::runtime`]).
/// `epoll-floor` is one thread, one epoll set of 100 sockets, and a state machine per
/// socket, with the same reads and writes.
fn echo(bench: &Bench) {
    if !bench.wants("echo") {
        return;
    }
    let rounds = bench.size(1_000, 20);
    let trips = (ECHO_CONNECTIONS * rounds) as f64;
    bench.per_second("echo", "asyncio-loop", trips, "req/s", || echo_ours(rounds));
    for flavor in Tokio::BOTH {
        bench.per_second("echo", flavor.name(), trips, "req/s", || {
            echo_tokio(flavor, rounds)
        });
    }
    bench.per_second("echo", "smol", trips, "req/s", || echo_smol(rounds));
    bench.per_second("echo", "epoll-floor", trips, "req/s", || echo_floor(rounds));
}

/// One echo server connection, ours and smol's: read what comes, write it back, until EOF.
pub(crate) async fn echo_serve(mut stream: impl AsyncRead + AsyncWrite + Unpin) -> io::Result<()> {
    let mut buf = [0; ECHO_BUFFER];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await?;
    }
}

/// One echo client, ours and smol's: `rounds` round trips, then the stream is dropped
/// (closed), which ends its server task.
pub(crate) async fn echo_client(
    mut stream: impl AsyncRead + AsyncWrite + Unpin,
    rounds: usize,
) -> io::Result<()> {
    let message = [b'x'; MESSAGE];
    let mut back = [0; MESSAGE];
    for _ in 0..rounds {
        stream.write_all(&message).await?;
        stream.read_exact(&mut back).await?;
    }
    assert_eq!(back, message);
    Ok(())
}

fn echo_ours(rounds: usize) -> Duration {
    on_ours(async move {
        let listener = ok(TcpListener::bind(localhost()), "bind");
        let addr = ok(listener.local_addr(), "local address");
        let mut clients = Vec::new();
        let mut servers = Vec::new();
        for _ in 0..ECHO_CONNECTIONS {
            let client = ok(TcpStream::connect(addr).await, "connect");
            let (server, _) = ok(listener.accept().await, "accept");
            ok(client.set_nodelay(true), "nodelay");
            ok(server.set_nodelay(true), "nodelay");
            servers.push(create_task(echo_serve(server)));
            clients.push(client);
        }
        let took = time_async(async {
            let tasks: Vec<_> = clients
                .into_iter()
                .map(|client| create_task(echo_client(client, rounds)))
                .collect();
            for task in tasks {
                ok(task.await.expect("client task"), "echo client");
            }
        })
        .await;
        for server in servers {
            ok(server.await.expect("server task"), "echo server");
        }
        took
    })
}

fn echo_tokio(flavor: Tokio, rounds: usize) -> Duration {
    flavor.runtime().block_on(async move {
        let listener = ok(tokio::net::TcpListener::bind(localhost()).await, "bind");
        let addr = ok(listener.local_addr(), "local address");
        let mut clients = Vec::new();
        let mut servers = Vec::new();
        for _ in 0..ECHO_CONNECTIONS {
            let client = ok(tokio::net::TcpStream::connect(addr).await, "connect");
            let (mut server, _) = ok(listener.accept().await, "accept");
            ok(client.set_nodelay(true), "nodelay");
            ok(server.set_nodelay(true), "nodelay");
            servers.push(tokio::spawn(async move {
                let mut buf = [0; ECHO_BUFFER];
                loop {
                    let n = server.read(&mut buf).await?;
                    if n == 0 {
                        return Ok::<_, io::Error>(());
                    }
                    server.write_all(&buf[..n]).await?;
                }
            }));
            clients.push(client);
        }
        let took = time_async(async {
            let tasks: Vec<_> = clients
                .into_iter()
                .map(|mut client| {
                    tokio::spawn(async move {
                        let message = [b'x'; MESSAGE];
                        let mut back = [0; MESSAGE];
                        for _ in 0..rounds {
                            client.write_all(&message).await?;
                            client.read_exact(&mut back).await?;
                        }
                        assert_eq!(back, message);
                        Ok::<_, io::Error>(())
                    })
                })
                .collect();
            for task in tasks {
                ok(task.await.expect("client task"), "echo client");
            }
        })
        .await;
        for server in servers {
            ok(server.await.expect("server task"), "echo server");
        }
        took
    })
}

fn echo_smol(rounds: usize) -> Duration {
    let ex = LocalExecutor::new();
    on_smol(&ex, async {
        let listener = ok(Async::<std::net::TcpListener>::bind(localhost()), "bind");
        let addr = ok(listener.get_ref().local_addr(), "local address");
        let mut clients = Vec::new();
        let mut servers = Vec::new();
        for _ in 0..ECHO_CONNECTIONS {
            let client = ok(Async::<std::net::TcpStream>::connect(addr).await, "connect");
            let (server, _) = ok(listener.accept().await, "accept");
            ok(client.get_ref().set_nodelay(true), "nodelay");
            ok(server.get_ref().set_nodelay(true), "nodelay");
            servers.push(ex.spawn(echo_serve(server)));
            clients.push(client);
        }
        let took = time_async(async {
            let tasks: Vec<_> = clients
                .into_iter()
                .map(|client| ex.spawn(echo_client(client, rounds)))
                .collect();
            for task in tasks {
                ok(task.await, "echo client");
            }
        })
        .await;
        for server in servers {
            ok(server.await, "echo server");
        }
        took
    })
}

fn echo_floor(rounds: usize) -> Duration {
    let listener = ok(std::net::TcpListener::bind(localhost()), "bind");
    let addr = ok(listener.local_addr(), "local address");
    let mut epoll = Epoll::new();
    let mut clients = Vec::new();
    let mut servers = Vec::new();
    for i in 0..ECHO_CONNECTIONS {
        // Blocking connect and accept: set-up, outside the clock.
        let client = ok(std::net::TcpStream::connect(addr), "connect");
        let (server, _) = ok(listener.accept(), "accept");
        for stream in [&client, &server] {
            ok(stream.set_nodelay(true), "nodelay");
            ok(stream.set_nonblocking(true), "nonblocking");
        }
        epoll.add(client.as_fd(), i as u64);
        epoll.add(server.as_fd(), (ECHO_CONNECTIONS + i) as u64);
        clients.push(FloorEchoClient {
            stream: client,
            rounds_left: rounds,
            sent: 0,
            received: 0,
            back: [0; MESSAGE],
        });
        servers.push(FloorEchoServer {
            stream: server,
            buf: [0; ECHO_BUFFER],
            start: 0,
            end: 0,
        });
    }
    time(|| {
        let mut finished: usize = clients.iter_mut().map(|c| usize::from(c.step())).sum();
        while finished < ECHO_CONNECTIONS {
            for i in 0..epoll.wait() {
                let token = epoll.token(i) as usize;
                if token < ECHO_CONNECTIONS {
                    finished += usize::from(clients[token].step());
                } else {
                    servers[token - ECHO_CONNECTIONS].step();
                }
            }
        }
    })
}

/// The floor's echo client: where it is in its current round.
struct FloorEchoClient {
    stream: std::net::TcpStream,
    rounds_left: usize,
    /// Bytes of the current message written.
    sent: usize,
    /// Bytes of the current echo read.
    received: usize,
    back: [u8; MESSAGE],
}

impl FloorEchoClient {
    /// Makes what progress it can until a call would block (edge-triggered: the next edge
    /// comes only after that); true when this call finished the last round.
    fn step(&mut self) -> bool {
        const OUT: [u8; MESSAGE] = [b'x'; MESSAGE];
        while self.rounds_left > 0 {
            if self.sent < MESSAGE {
                match nonblocking((&self.stream).write(&OUT[self.sent..]), "echo write") {
                    Some(n) => self.sent += n,
                    None => return false,
                }
                continue;
            }
            match nonblocking(
                (&self.stream).read(&mut self.back[self.received..]),
                "echo read",
            ) {
                Some(0) => panic!("the echo server closed early"),
                Some(n) => {
                    self.received += n;
                    if self.received == MESSAGE {
                        assert_eq!(self.back, OUT);
                        (self.sent, self.received) = (0, 0);
                        self.rounds_left -= 1;
                        if self.rounds_left == 0 {
                            return true;
                        }
                    }
                }
                None => return false,
            }
        }
        false
    }
}

/// The floor's echo server connection: bytes read and not yet written back.
struct FloorEchoServer {
    stream: std::net::TcpStream,
    buf: [u8; ECHO_BUFFER],
    start: usize,
    end: usize,
}

impl FloorEchoServer {
    /// Reads and writes back until a call would block (or the client has closed).
    fn step(&mut self) {
        loop {
            if self.start < self.end {
                match nonblocking(
                    (&self.stream).write(&self.buf[self.start..self.end]),
                    "echo server write",
                ) {
                    Some(n) => self.start += n,
                    None => return,
                }
            } else {
                match nonblocking((&self.stream).read(&mut self.buf), "echo server read") {
                    Some(0) | None => return,
                    Some(n) => (self.start, self.end) = (0, n),
                }
            }
        }
    }
}

// ---- bulk: 1 GiB through one connection --------------------------------------------------------

/// `bulk`: one connection (made outside the clock); a writer task sends 1 GiB in 64 KiB
/// `write_all`s and closes, a reader task on the same runtime reads into a 64 KiB buffer
/// until EOF. MiB per second, from the first write to the reader's EOF.
///
/// Idioms: the writer ends by dropping its stream, which closes it (smol's `close` only
/// flushes, so dropping is what works alike everywhere). `tokio-multi-thread` may run the
/// writer and the reader on two cores at once. `epoll-floor` writes until `EAGAIN`, reads
/// until `EAGAIN`, each when its own socket has an edge.
fn bulk(bench: &Bench) {
    if !bench.wants("bulk") {
        return;
    }
    let total = bench.size(1 << 30, 16 << 20);
    let mib = (total >> 20) as f64;
    println!("# io/bulk: {mib} MiB through one connection in {CHUNK}-byte writes");
    bench.per_second("bulk", "asyncio-loop", mib, "MiB/s", || bulk_ours(total));
    for flavor in Tokio::BOTH {
        bench.per_second("bulk", flavor.name(), mib, "MiB/s", || {
            bulk_tokio(flavor, total)
        });
    }
    bench.per_second("bulk", "smol", mib, "MiB/s", || bulk_smol(total));
    bench.per_second("bulk", "epoll-floor", mib, "MiB/s", || bulk_floor(total));
}

/// The bulk writer, ours and smol's: `total` bytes in 64 KiB writes, then close (drop).
async fn bulk_send(mut stream: impl AsyncWrite + Unpin, total: usize) -> io::Result<()> {
    let chunk = vec![b'x'; CHUNK];
    for _ in 0..total / CHUNK {
        stream.write_all(&chunk).await?;
    }
    Ok(())
}

/// The bulk reader, ours and smol's: reads until EOF; how many bytes came.
async fn bulk_receive(mut stream: impl AsyncRead + Unpin) -> io::Result<usize> {
    let mut buf = vec![0; CHUNK];
    let mut received = 0;
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(received);
        }
        received += n;
    }
}

fn bulk_ours(total: usize) -> Duration {
    on_ours(async move {
        let listener = ok(TcpListener::bind(localhost()), "bind");
        let addr = ok(listener.local_addr(), "local address");
        let client = ok(TcpStream::connect(addr).await, "connect");
        let (server, _) = ok(listener.accept().await, "accept");
        time_async(async move {
            let writer = create_task(bulk_send(client, total));
            let reader = create_task(bulk_receive(server));
            ok(writer.await.expect("writer task"), "bulk write");
            let received = ok(reader.await.expect("reader task"), "bulk read");
            assert_eq!(received, total);
        })
        .await
    })
}

fn bulk_tokio(flavor: Tokio, total: usize) -> Duration {
    flavor.runtime().block_on(async move {
        let listener = ok(tokio::net::TcpListener::bind(localhost()).await, "bind");
        let addr = ok(listener.local_addr(), "local address");
        let mut client = ok(tokio::net::TcpStream::connect(addr).await, "connect");
        let (mut server, _) = ok(listener.accept().await, "accept");
        time_async(async move {
            let writer = tokio::spawn(async move {
                let chunk = vec![b'x'; CHUNK];
                for _ in 0..total / CHUNK {
                    client.write_all(&chunk).await?;
                }
                Ok::<_, io::Error>(())
            });
            let reader = tokio::spawn(async move {
                let mut buf = vec![0; CHUNK];
                let mut received = 0;
                loop {
                    let n = server.read(&mut buf).await?;
                    if n == 0 {
                        return Ok::<_, io::Error>(received);
                    }
                    received += n;
                }
            });
            ok(writer.await.expect("writer task"), "bulk write");
            let received = ok(reader.await.expect("reader task"), "bulk read");
            assert_eq!(received, total);
        })
        .await
    })
}

fn bulk_smol(total: usize) -> Duration {
    let ex = LocalExecutor::new();
    on_smol(&ex, async {
        let listener = ok(Async::<std::net::TcpListener>::bind(localhost()), "bind");
        let addr = ok(listener.get_ref().local_addr(), "local address");
        let client = ok(Async::<std::net::TcpStream>::connect(addr).await, "connect");
        let (server, _) = ok(listener.accept().await, "accept");
        time_async(async {
            let writer = ex.spawn(bulk_send(client, total));
            let reader = ex.spawn(bulk_receive(server));
            ok(writer.await, "bulk write");
            assert_eq!(ok(reader.await, "bulk read"), total);
        })
        .await
    })
}

fn bulk_floor(total: usize) -> Duration {
    const WRITER: u64 = 0;
    let listener = ok(std::net::TcpListener::bind(localhost()), "bind");
    let addr = ok(listener.local_addr(), "local address");
    let client = ok(std::net::TcpStream::connect(addr), "connect");
    let (server, _) = ok(listener.accept(), "accept");
    let mut epoll = Epoll::new();
    for (stream, token) in [(&client, WRITER), (&server, 1)] {
        ok(stream.set_nonblocking(true), "nonblocking");
        epoll.add(stream.as_fd(), token);
    }
    let mut pair = FloorBulk {
        writer: Some(client),
        reader: server,
        total,
        written: 0,
        received: 0,
        chunk: vec![b'x'; CHUNK],
        buf: vec![0; CHUNK],
    };
    time(|| {
        pair.write();
        if pair.read() {
            return;
        }
        loop {
            for i in 0..epoll.wait() {
                if epoll.token(i) == WRITER {
                    pair.write();
                } else if pair.read() {
                    assert_eq!(pair.received, total);
                    return;
                }
            }
        }
    })
}

/// The floor's bulk connection: both ends and how far each has got.
struct FloorBulk {
    /// `None` once everything is written and the socket closed.
    writer: Option<std::net::TcpStream>,
    reader: std::net::TcpStream,
    total: usize,
    written: usize,
    received: usize,
    chunk: Vec<u8>,
    buf: Vec<u8>,
}

impl FloorBulk {
    /// Writes (the rest of) 64 KiB chunks until the socket is full or all is written.
    fn write(&mut self) {
        let Some(writer) = &self.writer else { return };
        while self.written < self.total {
            let at = self.written % CHUNK;
            match nonblocking((&*writer).write(&self.chunk[at..]), "bulk write") {
                Some(n) => self.written += n,
                None => return,
            }
        }
        self.writer = None;
    }

    /// Reads until the socket is empty; true at EOF.
    fn read(&mut self) -> bool {
        loop {
            match nonblocking((&self.reader).read(&mut self.buf), "bulk read") {
                Some(0) => return true,
                Some(n) => self.received += n,
                None => return false,
            }
        }
    }
}

// ---- churn: connect, accept, close -------------------------------------------------------------

/// `churn`: one listener; an acceptor task accepts `count` connections and closes each at
/// once; 10 client tasks each connect, wait for the server's close (a read that returns
/// EOF) and close, `count / 10` times one after another. Connections per second. The
/// server closes first, so the `TIME_WAIT`s are the listener's side and the clients never
/// run out of ephemeral ports.
///
/// Idioms: the listeners' backlogs differ: ours is asyncio's 100, tokio's `bind` takes
/// 1024, async-io's (std's) 128; with 10 clients at a time none fills. `epoll-floor` keeps
/// 10 connecting sockets in one epoll set with the listener, and opens the next connection
/// in a slot as soon as its last one has seen EOF.
fn churn(bench: &Bench) {
    if !bench.wants("churn") {
        return;
    }
    let count = bench.size(20_000, 500);
    assert_eq!(count % CHURN_CLIENTS, 0);
    let n = count as f64;
    bench.per_second("churn", "asyncio-loop", n, "conn/s", || churn_ours(count));
    for flavor in Tokio::BOTH {
        bench.per_second("churn", flavor.name(), n, "conn/s", || {
            churn_tokio(flavor, count)
        });
    }
    bench.per_second("churn", "smol", n, "conn/s", || churn_smol(count));
    bench.per_second("churn", "epoll-floor", n, "conn/s", || churn_floor(count));
}

fn churn_ours(count: usize) -> Duration {
    on_ours(async move {
        let listener = ok(TcpListener::bind(localhost()), "bind");
        let addr = ok(listener.local_addr(), "local address");
        time_async(async move {
            let acceptor = create_task(async move {
                for _ in 0..count {
                    let (stream, _) = listener.accept().await?;
                    drop(stream);
                }
                Ok::<_, io::Error>(())
            });
            let clients: Vec<_> = (0..CHURN_CLIENTS)
                .map(|_| {
                    create_task(async move {
                        for _ in 0..count / CHURN_CLIENTS {
                            let mut stream = TcpStream::connect(addr).await?;
                            assert_eq!(stream.read(&mut [0; 1]).await?, 0);
                        }
                        Ok::<_, io::Error>(())
                    })
                })
                .collect();
            for client in clients {
                ok(client.await.expect("client task"), "churn client");
            }
            ok(acceptor.await.expect("acceptor task"), "churn accept");
        })
        .await
    })
}

fn churn_tokio(flavor: Tokio, count: usize) -> Duration {
    flavor.runtime().block_on(async move {
        let listener = ok(tokio::net::TcpListener::bind(localhost()).await, "bind");
        let addr = ok(listener.local_addr(), "local address");
        time_async(async move {
            let acceptor = tokio::spawn(async move {
                for _ in 0..count {
                    let (stream, _) = listener.accept().await?;
                    drop(stream);
                }
                Ok::<_, io::Error>(())
            });
            let clients: Vec<_> = (0..CHURN_CLIENTS)
                .map(|_| {
                    tokio::spawn(async move {
                        for _ in 0..count / CHURN_CLIENTS {
                            let mut stream = tokio::net::TcpStream::connect(addr).await?;
                            assert_eq!(stream.read(&mut [0; 1]).await?, 0);
                        }
                        Ok::<_, io::Error>(())
                    })
                })
                .collect();
            for client in clients {
                ok(client.await.expect("client task"), "churn client");
            }
            ok(acceptor.await.expect("acceptor task"), "churn accept");
        })
        .await
    })
}

fn churn_smol(count: usize) -> Duration {
    let ex = LocalExecutor::new();
    on_smol(&ex, async {
        let listener = ok(Async::<std::net::TcpListener>::bind(localhost()), "bind");
        let addr = ok(listener.get_ref().local_addr(), "local address");
        time_async(async {
            let acceptor = ex.spawn(async move {
                for _ in 0..count {
                    let (stream, _) = listener.accept().await?;
                    drop(stream);
                }
                Ok::<_, io::Error>(())
            });
            let clients: Vec<_> = (0..CHURN_CLIENTS)
                .map(|_| {
                    ex.spawn(async move {
                        for _ in 0..count / CHURN_CLIENTS {
                            let mut stream = Async::<std::net::TcpStream>::connect(addr).await?;
                            assert_eq!(stream.read(&mut [0; 1]).await?, 0);
                        }
                        Ok::<_, io::Error>(())
                    })
                })
                .collect();
            for client in clients {
                ok(client.await, "churn client");
            }
            ok(acceptor.await, "churn accept");
        })
        .await
    })
}

fn churn_floor(count: usize) -> Duration {
    const LISTENER: u64 = u64::MAX;
    let listener = ok(std::net::TcpListener::bind(localhost()), "bind");
    let addr = ok(listener.local_addr(), "local address");
    ok(listener.set_nonblocking(true), "nonblocking");
    let mut epoll = Epoll::new();
    epoll.add(listener.as_fd(), LISTENER);
    time(|| {
        let mut slots: Vec<Option<std::net::TcpStream>> = (0..CHURN_CLIENTS)
            .map(|slot| Some(floor_connect(&epoll, addr, slot as u64)))
            .collect();
        let mut started = CHURN_CLIENTS;
        let (mut accepted, mut finished) = (0, 0);
        while finished < count {
            for i in 0..epoll.wait() {
                let token = epoll.token(i);
                if token == LISTENER {
                    while let Some((stream, _)) = nonblocking(listener.accept(), "accept") {
                        drop(stream);
                        accepted += 1;
                    }
                    continue;
                }
                let slot = token as usize;
                let Some(stream) = &slots[slot] else { continue };
                match nonblocking((&*stream).read(&mut [0; 1]), "churn read") {
                    Some(0) => {
                        finished += 1;
                        // Closed here, which also takes it out of the epoll set.
                        slots[slot] = None;
                        if started < count {
                            slots[slot] = Some(floor_connect(&epoll, addr, token));
                            started += 1;
                        }
                    }
                    Some(_) => panic!("the churn server sent data"),
                    None => {}
                }
            }
        }
        assert_eq!(accepted, count);
    })
}

/// Starts a non-blocking connect to `addr` and watches the socket under `token`.
fn floor_connect(epoll: &Epoll, addr: SocketAddr, token: u64) -> std::net::TcpStream {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = ok(
        Socket::new(
            Domain::IPV4,
            Type::STREAM.nonblocking(),
            Some(Protocol::TCP),
        ),
        "socket",
    );
    match socket.connect(&addr.into()) {
        Ok(()) => {}
        Err(error) if error.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(error) => panic!("connect: {error}"),
    }
    let stream = std::net::TcpStream::from(socket);
    epoll.add(stream.as_fd(), token);
    stream
}

// ---- the floor's epoll --------------------------------------------------------------------------

/// `Some` of a non-blocking call's result, `None` when it would block (wait for the next
/// edge); panics on any other error, which no case expects (the sockets are non-blocking,
/// so `EINTR` does not happen).
fn nonblocking<T>(result: io::Result<T>, what: &str) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) if error.kind() == io::ErrorKind::WouldBlock => None,
        Err(error) => panic!("{what}: {error}"),
    }
}

/// An epoll set, by hand: each descriptor is added once for both directions,
/// edge-triggered, as our loop, tokio (mio) and async-io register theirs, and never
/// modified.
struct Epoll {
    fd: OwnedFd,
    events: Vec<libc::epoll_event>,
}

impl Epoll {
    fn new() -> Epoll {
        // SAFETY: epoll_create1 takes no pointers.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        assert!(fd >= 0, "epoll_create1: {}", io::Error::last_os_error());
        // SAFETY: `fd` is a descriptor epoll_create1 just made; nothing else owns it.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Epoll {
            fd,
            events: vec![libc::epoll_event { events: 0, u64: 0 }; 256],
        }
    }

    /// Watches `fd` under `token`. Closing the descriptor takes it out of the set (no
    /// descriptor here is duplicated).
    fn add(&self, fd: BorrowedFd<'_>, token: u64) {
        let flags = libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET;
        let mut event = libc::epoll_event {
            events: flags as u32,
            u64: token,
        };
        // SAFETY: both descriptors are open for the call and `event` outlives it.
        let rc = unsafe {
            libc::epoll_ctl(
                self.fd.as_raw_fd(),
                libc::EPOLL_CTL_ADD,
                fd.as_raw_fd(),
                &mut event,
            )
        };
        assert_eq!(rc, 0, "epoll_ctl: {}", io::Error::last_os_error());
    }

    /// Waits for at least one event; how many there are ([`token`](Self::token) reads them).
    fn wait(&mut self) -> usize {
        loop {
            // SAFETY: `events` has room for the `len` events the kernel may write.
            let n = unsafe {
                libc::epoll_wait(
                    self.fd.as_raw_fd(),
                    self.events.as_mut_ptr(),
                    self.events.len() as i32,
                    -1,
                )
            };
            if n >= 0 {
                return n as usize;
            }
            let error = io::Error::last_os_error();
            assert_eq!(
                error.kind(),
                io::ErrorKind::Interrupted,
                "epoll_wait: {error}"
            );
        }
    }

    /// The token of the `i`th event of the last [`wait`](Self::wait).
    fn token(&self, i: usize) -> u64 {
        self.events[i].u64
    }
}

// ---- idle_memory: resident bytes per idle connection -------------------------------------------

/// Set in a child process that measures one implementation alone (`<name> <connections>`),
/// so that none measures memory another one freed to the allocator but not to the system.
const MEMORY_CHILD: &str = "ASYNCIO_BENCH_IO_MEMORY_CHILD";

/// Every implementation of the group, by its reported name.
const IMPLEMENTATIONS: [&str; 5] = [
    "asyncio-loop",
    "tokio-current-thread",
    "tokio-multi-thread",
    "smol",
    "epoll-floor",
];

/// `idle_memory`: in a fresh process per implementation, open 10,000 connections to an
/// in-process listener, one after another; each server end gets a task parked in a 1-byte
/// read that never completes, each client end is kept in a `Vec`. Resident memory
/// (`/proc/self/statm`) from just before the first connect to when every server task is
/// parked, divided by the connections: the user-space cost of one idle connection, both
/// ends (kernel socket memory is not in it). `RLIMIT_NOFILE`'s soft limit is raised as far
/// as needed (and the hard one too where the process may); if fewer connections fit, a
/// comment line says how many were measured.
///
/// Idioms: `epoll-floor` has no tasks: its figure is the two sockets kept in a `Vec` and
/// registered in one epoll set, the floor any runtime adds to.
fn idle_memory(bench: &Bench) {
    if !bench.wants("idle_memory") {
        return;
    }
    let wanted = bench.size(10_000, 200);
    for implementation in IMPLEMENTATIONS {
        let output = std::process::Command::new(std::env::current_exe().expect("own path"))
            .arg("io")
            .env(MEMORY_CHILD, format!("{implementation} {wanted}"))
            .output()
            .expect("the memory child runs");
        assert!(
            output.status.success(),
            "memory child for {implementation} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        let mut words = stdout.split_whitespace();
        let measured: usize = words
            .next()
            .and_then(|w| w.parse().ok())
            .expect("the memory child prints its connection count");
        let bytes: f64 = words
            .next()
            .and_then(|w| w.parse().ok())
            .expect("the memory child prints bytes per connection");
        if measured < wanted {
            println!("# io/idle_memory {implementation}: {measured} connections (RLIMIT_NOFILE)");
        }
        bench.report("idle_memory", implementation, bytes, "bytes/conn");
    }
}

/// In a memory child: measure, print `<connections> <bytes per connection>`, exit.
fn memory_child(spec: &str) -> ! {
    let (implementation, n) = spec.split_once(' ').expect("`<name> <connections>`");
    let n = make_room_for(n.parse().expect("a connection count"));
    // Leaked: the process ends right after, and a `'static` counter costs the tasks nothing.
    let parked: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(0)));
    let all_parked = move || parked.load(Ordering::Relaxed) == n;
    let per_connection = match implementation {
        "asyncio-loop" => idle_ours(n, parked, all_parked),
        "tokio-current-thread" => idle_tokio(Tokio::CurrentThread, n, parked, all_parked),
        "tokio-multi-thread" => idle_tokio(Tokio::MultiThread, n, parked, all_parked),
        "smol" => idle_smol(n, parked, all_parked),
        "epoll-floor" => idle_floor(n),
        other => panic!("no implementation `{other}`"),
    };
    println!("{n} {per_connection:.1}");
    std::process::exit(0);
}

/// An idle server connection, ours and smol's: counts itself, then waits for a byte that
/// never comes.
async fn idle_serve(mut stream: impl AsyncRead + Unpin, parked: &AtomicUsize) -> io::Result<usize> {
    parked.fetch_add(1, Ordering::Relaxed);
    stream.read(&mut [0; 1]).await
}

fn idle_ours(n: usize, parked: &'static AtomicUsize, all_parked: impl Fn() -> bool) -> f64 {
    on_ours(async move {
        let listener = ok(TcpListener::bind(localhost()), "bind");
        let addr = ok(listener.local_addr(), "local address");
        let before = resident_bytes();
        let mut clients = Vec::new();
        let mut servers = Vec::new();
        for _ in 0..n {
            clients.push(ok(TcpStream::connect(addr).await, "connect"));
            let (server, _) = ok(listener.accept().await, "accept");
            servers.push(create_task(idle_serve(server, parked)));
        }
        while !all_parked() {
            asyncio_loop::sleep(Duration::ZERO).await;
        }
        let per_connection = (resident_bytes() - before) as f64 / n as f64;
        std::mem::forget((clients, servers));
        per_connection
    })
}

fn idle_tokio(
    flavor: Tokio,
    n: usize,
    parked: &'static AtomicUsize,
    all_parked: impl Fn() -> bool,
) -> f64 {
    flavor.runtime().block_on(async move {
        let listener = ok(tokio::net::TcpListener::bind(localhost()).await, "bind");
        let addr = ok(listener.local_addr(), "local address");
        let before = resident_bytes();
        let mut clients = Vec::new();
        let mut servers = Vec::new();
        for _ in 0..n {
            clients.push(ok(tokio::net::TcpStream::connect(addr).await, "connect"));
            let (mut server, _) = ok(listener.accept().await, "accept");
            servers.push(tokio::spawn(async move {
                parked.fetch_add(1, Ordering::Relaxed);
                server.read(&mut [0; 1]).await
            }));
        }
        while !all_parked() {
            tokio::task::yield_now().await;
        }
        let per_connection = (resident_bytes() - before) as f64 / n as f64;
        std::mem::forget((clients, servers));
        per_connection
    })
}

fn idle_smol(n: usize, parked: &'static AtomicUsize, all_parked: impl Fn() -> bool) -> f64 {
    let ex = LocalExecutor::new();
    on_smol(&ex, async {
        let listener = ok(Async::<std::net::TcpListener>::bind(localhost()), "bind");
        let addr = ok(listener.get_ref().local_addr(), "local address");
        let before = resident_bytes();
        let mut clients = Vec::new();
        let mut servers = Vec::new();
        for _ in 0..n {
            clients.push(ok(
                Async::<std::net::TcpStream>::connect(addr).await,
                "connect",
            ));
            let (server, _) = ok(listener.accept().await, "accept");
            servers.push(ex.spawn(idle_serve(server, parked)));
        }
        while !all_parked() {
            futures_lite::future::yield_now().await;
        }
        let per_connection = (resident_bytes() - before) as f64 / n as f64;
        std::mem::forget((clients, servers));
        per_connection
    })
}

fn idle_floor(n: usize) -> f64 {
    let listener = ok(std::net::TcpListener::bind(localhost()), "bind");
    let addr = ok(listener.local_addr(), "local address");
    let epoll = Epoll::new();
    let before = resident_bytes();
    let mut connections = Vec::new();
    for i in 0..n {
        let client = ok(std::net::TcpStream::connect(addr), "connect");
        let (server, _) = ok(listener.accept(), "accept");
        for (stream, token) in [(&client, 2 * i), (&server, 2 * i + 1)] {
            ok(stream.set_nonblocking(true), "nonblocking");
            epoll.add(stream.as_fd(), token as u64);
        }
        connections.push((client, server));
    }
    let per_connection = (resident_bytes() - before) as f64 / n as f64;
    std::mem::forget(connections);
    per_connection
}

/// Raises `RLIMIT_NOFILE` so that `pairs` connections (two descriptors each) fit: the soft
/// limit up to what is needed, and the hard one too where this process may (root); else
/// the soft limit to the hard one. How many pairs fit.
fn make_room_for(pairs: usize) -> usize {
    // Standard streams, the listener, the poller and its wake-up descriptors, a margin.
    const SPARE: u64 = 64;
    let needed = 2 * pairs as u64 + SPARE;
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into `limit`, which outlives the call.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    assert_eq!(rc, 0, "getrlimit: {}", io::Error::last_os_error());
    if limit.rlim_cur >= needed {
        return pairs;
    }
    let raised = libc::rlimit {
        rlim_cur: needed,
        rlim_max: limit.rlim_max.max(needed),
    };
    // SAFETY: setrlimit reads `raised`, which outlives the call.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
        return pairs;
    }
    let soft_to_hard = libc::rlimit {
        rlim_cur: limit.rlim_max,
        rlim_max: limit.rlim_max,
    };
    // SAFETY: as above.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &soft_to_hard) };
    assert_eq!(rc, 0, "setrlimit: {}", io::Error::last_os_error());
    let fit = limit.rlim_max.saturating_sub(SPARE) / 2;
    pairs.min(usize::try_from(fit).unwrap_or(usize::MAX))
}
