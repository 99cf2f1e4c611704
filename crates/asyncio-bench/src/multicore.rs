//! The `multicore` group: the `io` group's echo on 1, 2, … N loops (N: `--loops N`,
//! default the cores this process may use), and the round trip of a hand-off between
//! loops, against tokio's multi-thread runtime with as many workers.
//!
//! Echo implementations, for each n (case `echo_{n}`; round trips per second, `req/s`):
//! - `asyncio-loopset-reuseport`: `asyncio::LoopSet` of n loops, each with its own
//!   `SO_REUSEPORT` listener on one port (the kernel spreads connections by hash);
//! - `asyncio-loopset-handoff`: the same set, loop 0 accepting every connection and
//!   handing each (its std socket) to the loops round robin (`Loops::spawn_with`);
//! - `asyncio-processes`: n processes of this binary, each one loop doing the `io`
//!   group's echo alone: the "n × one loop" yardstick, with nothing shared at all;
//! - `tokio-multi-thread`: one runtime of n workers, a task per client and per server
//!   connection, spread as tokio's scheduler likes.
//!
//! The load: each loop (each process, and for tokio the runtime as a whole) also runs the
//! clients, 50 connections per loop, each doing `rounds` round trips of 64 B, as in `io`'s
//! echo. The clients thus scale with n and need no cores beyond the n under test, but every
//! round trip costs client work and server work on the same cores: a figure is what n
//! cores do when half their work is generating the load. With reuse_port the kernel
//! routes a client to any loop's listener, so most connections cross loops (client on
//! one, server on another), which is what a real server's clients (elsewhere) look like
//! to the loops: each loop serves what its listener got.
//!
//! `handoff_round_trip` (ns/op): a task on loop 0 awaits, one at a time, work handed to
//! loop 1 (`Loops::spawn`, answered through a `ConcurrentFuture`), against tokio: a task on
//! a worker `tokio::spawn`s and awaits (tokio decides where it runs: its LIFO slot keeps it
//! on the same worker, so no thread hop), and the block_on thread spawning onto the
//! workers and awaiting (always a hop, as ours). Both loops sleep between hand-offs, so
//! each round trip is two cross-thread wakes.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use asyncio::{LoopSet, Loops, Pick, ServerOptions};
use asyncio_loop::{TcpListener, TcpStream, create_task};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::harness::{Bench, time};
use crate::io::{ECHO_BUFFER, ECHO_CONNECTIONS, MESSAGE, echo_client, echo_serve, ok};
use crate::loop_::{on_ours, time_async};

/// Set in a child process of `asyncio-processes`: its rounds.
const CHILD: &str = "ASYNCIO_BENCH_MULTICORE_CHILD";

/// Runs every case of the group, for 1..=`max_loops` loops.
pub fn run(bench: &Bench, max_loops: usize) {
    if let Ok(rounds) = std::env::var(CHILD) {
        child(rounds.parse().expect("the child's rounds"));
    }
    let rounds = bench.size(1_000, 20);
    for n in 1..=max_loops {
        let case = format!("echo_{n}");
        if !bench.wants(&case) {
            continue;
        }
        let trips = (n * ECHO_CONNECTIONS * rounds) as f64;
        bench.per_second(&case, "asyncio-loopset-reuseport", trips, "req/s", || {
            echo_set(n, rounds, Accept::ReusePort)
        });
        bench.per_second(&case, "asyncio-loopset-handoff", trips, "req/s", || {
            echo_set(n, rounds, Accept::HandOff)
        });
        bench.per_second(&case, "asyncio-processes", trips, "req/s", || {
            echo_processes(n, rounds)
        });
        bench.per_second(&case, "tokio-multi-thread", trips, "req/s", || {
            echo_tokio(n, rounds)
        });
    }
    handoff_round_trip(bench);
}

/// How a loop set's connections are accepted.
#[derive(Clone, Copy, PartialEq)]
enum Accept {
    /// A `SO_REUSEPORT` listener per loop.
    ReusePort,
    /// Loop 0 accepts and hands each connection on, round robin.
    HandOff,
}

/// n loops, each serving and each running 50 clients; from the moment every loop has
/// its clients connected to the last client's last echo.
fn echo_set(n: usize, rounds: usize, accept: Accept) -> Duration {
    let addr: Mutex<Option<SocketAddr>> = Mutex::new(None);
    let (bound, listening, connected) = (Barrier::new(n), Barrier::new(n), Barrier::new(n));
    let start: Mutex<Option<Instant>> = Mutex::new(None);
    let ends = LoopSet::new(n)
        .run(|index, loops| {
            let (addr, start) = (&addr, &start);
            let (bound, listening, connected) = (&bound, &listening, &connected);
            async move {
                // Set-up, outside the clock: loop 0's listener picks the port, the other
                // loops' (reuse_port) join it, then every loop connects its clients. The
                // std barriers block a loop only where it waits for nothing else: the
                // connects complete in the kernel (the backlog holds them) whether or
                // not a loop accepts meanwhile.
                let options = ServerOptions::new()
                    .reuse_port(accept == Accept::ReusePort)
                    .backlog(4096);
                let listen = |at| {
                    let listener = ok(TcpListener::bind_with(at, &options), "bind");
                    let bound_to = ok(listener.local_addr(), "local address");
                    drop(create_task(serve(listener, accept, loops.clone())));
                    bound_to
                };
                if index == 0 {
                    *addr.lock().unwrap() = Some(listen(SocketAddr::from(([127, 0, 0, 1], 0))));
                }
                bound.wait();
                let at = addr.lock().unwrap().expect("loop 0 listens");
                if index != 0 && accept == Accept::ReusePort {
                    listen(at);
                }
                listening.wait();
                let mut clients = Vec::with_capacity(ECHO_CONNECTIONS);
                for _ in 0..ECHO_CONNECTIONS {
                    let client = ok(TcpStream::connect(at).await, "connect");
                    ok(client.set_nodelay(true), "nodelay");
                    clients.push(client);
                }
                if connected.wait().is_leader() {
                    *start.lock().unwrap() = Some(Instant::now());
                }
                let tasks: Vec<_> = clients
                    .into_iter()
                    .map(|client| create_task(echo_client(client, rounds)))
                    .collect();
                for task in tasks {
                    ok(task.await.expect("client task"), "echo client");
                }
                Instant::now()
            }
        })
        .expect("the loop set runs");
    let start = start.lock().unwrap().expect("started");
    ends.into_iter().max().expect("a loop") - start
}

/// Accepts until cancelled (when the set shuts down): the echo server of one listener.
async fn serve(listener: TcpListener, accept: Accept, loops: Loops) {
    loop {
        let (stream, _) = ok(listener.accept().await, "accept");
        ok(stream.set_nodelay(true), "nodelay");
        match accept {
            Accept::ReusePort => drop(create_task(echo_serve(stream))),
            Accept::HandOff => {
                let stream = stream.into_std().expect("not split");
                drop(loops.spawn_with(Pick::RoundRobin, move || async move {
                    let stream = ok(TcpStream::from_std(stream), "register");
                    let _ = echo_serve(stream).await;
                }));
            }
        }
    }
}

/// n children, each the `io` group's echo on one loop: they connect, say "ready", start
/// together at "go", and print how long their round trips took; the figure is from the
/// common start to the slowest child's end.
fn echo_processes(n: usize, rounds: usize) -> Duration {
    let exe = std::env::current_exe().expect("the bench binary");
    let mut children: Vec<_> = (0..n)
        .map(|_| {
            Command::new(&exe)
                .arg("multicore")
                .env(CHILD, rounds.to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("a child process starts")
        })
        .collect();
    let mut outputs: Vec<_> = children
        .iter_mut()
        .map(|child| BufReader::new(child.stdout.take().expect("piped")))
        .collect();
    let mut line = String::new();
    for output in &mut outputs {
        line.clear();
        output.read_line(&mut line).expect("a child's ready line");
        assert_eq!(line.trim(), "ready", "the child is set up");
    }
    for child in &mut children {
        let stdin = child.stdin.as_mut().expect("piped");
        stdin.write_all(b"go\n").expect("the child hears go");
    }
    let longest = outputs
        .iter_mut()
        .map(|output| {
            line.clear();
            output.read_line(&mut line).expect("a child's figure");
            Duration::from_nanos(line.trim().parse().expect("nanoseconds"))
        })
        .max()
        .expect("a child");
    for mut child in children {
        assert!(child.wait().expect("the child ends").success());
    }
    longest
}

/// A child of [`echo_processes`]: one loop, 50 connections, the round trips timed.
fn child(rounds: usize) -> ! {
    let took = on_ours(async move {
        let listener = ok(
            TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))),
            "bind",
        );
        let addr = ok(listener.local_addr(), "local address");
        let mut clients = Vec::new();
        for _ in 0..ECHO_CONNECTIONS {
            let client = ok(TcpStream::connect(addr).await, "connect");
            let (server, _) = ok(listener.accept().await, "accept");
            ok(client.set_nodelay(true), "nodelay");
            ok(server.set_nodelay(true), "nodelay");
            drop(create_task(echo_serve(server)));
            clients.push(client);
        }
        // Ready; the parent's "go" comes when every child is (a blocking read: nothing
        // runs on this loop meanwhile).
        println!("ready");
        let mut go = String::new();
        std::io::stdin().read_line(&mut go).expect("go");
        time_async(async {
            let tasks: Vec<_> = clients
                .into_iter()
                .map(|client| create_task(echo_client(client, rounds)))
                .collect();
            for task in tasks {
                ok(task.await.expect("client task"), "echo client");
            }
        })
        .await
    });
    println!("{}", took.as_nanos());
    std::process::exit(0);
}

/// tokio with n workers, 50 × n connections, a task per client and per server side.
fn echo_tokio(n: usize, rounds: usize) -> Duration {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(n)
        .enable_io()
        .build()
        .expect("a tokio runtime builds");
    runtime.block_on(async move {
        let listener = ok(
            tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await,
            "bind",
        );
        let addr = ok(listener.local_addr(), "local address");
        let mut clients = Vec::new();
        for _ in 0..n * ECHO_CONNECTIONS {
            let client = ok(tokio::net::TcpStream::connect(addr).await, "connect");
            let (mut server, _) = ok(listener.accept().await, "accept");
            ok(client.set_nodelay(true), "nodelay");
            ok(server.set_nodelay(true), "nodelay");
            tokio::spawn(async move {
                let mut buf = [0; ECHO_BUFFER];
                while let Ok(read) = server.read(&mut buf).await {
                    if read == 0 || server.write_all(&buf[..read]).await.is_err() {
                        break;
                    }
                }
            });
            clients.push(client);
        }
        let started = Instant::now();
        let tasks: Vec<_> = clients
            .into_iter()
            .map(|mut client| {
                tokio::spawn(async move {
                    let message = [b'x'; MESSAGE];
                    let mut back = [0; MESSAGE];
                    for _ in 0..rounds {
                        ok(client.write_all(&message).await, "write");
                        ok(client.read_exact(&mut back).await, "read");
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("client task");
        }
        started.elapsed()
    })
}

/// A task on one thread awaiting work run on another, one at a time.
fn handoff_round_trip(bench: &Bench) {
    if !bench.wants("handoff_round_trip") {
        return;
    }
    let trips = bench.size(20_000, 200);
    bench.ns_per_op("handoff_round_trip", "asyncio-loopset", trips, || {
        let took = LoopSet::new(2)
            .run(|index, loops| async move {
                if index != 0 {
                    return Duration::ZERO;
                }
                time_async(async {
                    for i in 0..trips {
                        let back = loops.spawn(Pick::Index(1), async move { i });
                        assert_eq!(back.await.expect("the hand-off"), i);
                    }
                })
                .await
            })
            .expect("the loop set runs");
        took[0]
    });
    let runtime = || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .expect("a tokio runtime builds")
    };
    bench.ns_per_op("handoff_round_trip", "tokio-multi-thread", trips, || {
        let runtime = runtime();
        let from_worker = runtime.spawn(async move {
            let started = Instant::now();
            for i in 0..trips {
                assert_eq!(tokio::spawn(async move { i }).await.expect("spawned"), i);
            }
            started.elapsed()
        });
        runtime.block_on(from_worker).expect("the worker task")
    });
    bench.ns_per_op(
        "handoff_round_trip",
        "tokio-multi-thread-from-outside",
        trips,
        || {
            let runtime = runtime();
            time(|| {
                runtime.block_on(async {
                    for i in 0..trips {
                        let handle = runtime.handle().spawn(async move { i });
                        assert_eq!(handle.await.expect("spawned"), i);
                    }
                })
            })
        },
    );
}
