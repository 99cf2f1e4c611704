//! An HTTP/1.1 "Hello, World!" server: hyper 1.x on our loop, through the facade's
//! `hyper` feature (`asyncio::hyper_rt`).
//!
//! Each accepted connection is served by its own task, polling hyper's connection future
//! over [`HyperIo`] (our `TcpStream` as hyper's I/O) with [`HyperTimer`] (hyper's
//! `header_read_timeout` on our timer wheel). No executor: the HTTP/1 server spawns
//! nothing.
//!
//! By default it serves a fixed number of requests it makes itself, with a client written
//! by hand over asyncio's streams (`open_connection`, `readuntil`, `readexactly`): two
//! requests on one keep-alive connection, then one with `Connection: close` on a second
//! connection. It prints each status line and body (no port, no date), so its output is
//! the same every run; `cargo xtask ci` compares it with
//! `tests/expected/hyper_hello.txt`.
//!
//! With `--serve PORT` it serves on 127.0.0.1:PORT until the process is stopped. Under
//! [wrk](https://github.com/wg/wrk):
//!
//! ```sh
//! cargo run --release --features hyper --example hyper_hello -- --serve 3000
//! # in another terminal:
//! wrk -t2 -c100 -d10s http://127.0.0.1:3000/
//! ```
//!
//! Ctrl-C stops it (the default action of SIGINT: the loop installs no signal handler yet).

use std::cell::Cell;
use std::convert::Infallible;
use std::error::Error;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use asyncio::hyper_rt::{HyperIo, HyperTimer};
use asyncio::{TcpListener, TcpReader, TcpWriter};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};

type BoxError = Box<dyn Error>;

/// How many connections and requests the server has seen.
#[derive(Default)]
struct Counts {
    connections: Cell<u32>,
    requests: Cell<u32>,
}

async fn hello(_request: Request<Incoming>) -> Result<Response<String>, Infallible> {
    Ok(Response::new("Hello, World!".to_owned()))
}

/// Accepts connections until cancelled, each served by a task of its own that ends when
/// its client goes away.
async fn serve(listener: TcpListener, counts: Rc<Counts>) {
    let mut http = http1::Builder::new();
    http.timer(HyperTimer);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _peer)) => stream,
            Err(error) => {
                // Out of descriptors, say: wait rather than spin (asyncio waits 1 s).
                eprintln!("accept: {error}");
                asyncio::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // A response is one write, but a pipelining client should not wait on Nagle.
        let _ = stream.set_nodelay(true);
        counts.connections.set(counts.connections.get() + 1);
        let counts = Rc::clone(&counts);
        let connection = http.serve_connection(
            HyperIo::vectored(stream),
            service_fn(move |request| {
                counts.requests.set(counts.requests.get() + 1);
                hello(request)
            }),
        );
        drop(asyncio::create_task(async move {
            if let Err(error) = connection.await {
                eprintln!("connection: {error}");
            }
        }));
    }
}

/// One GET, written by hand; gives the response's status line and body. The response
/// must carry a `Content-Length` (hyper sets it for a `String` body).
async fn get(
    reader: &mut TcpReader,
    writer: &TcpWriter,
    path: &str,
    close: bool,
) -> Result<(String, String), BoxError> {
    let connection = if close { "Connection: close\r\n" } else { "" };
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{connection}\r\n");
    writer.write(request.as_bytes())?;
    writer.drain().await?;
    let head = String::from_utf8(reader.readuntil(b"\r\n\r\n").await?)?;
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default().to_owned();
    let length: usize = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .ok_or("the response has no Content-Length")?
        .1
        .trim()
        .parse()?;
    let body = String::from_utf8(reader.readexactly(length).await?)?;
    Ok((status, body))
}

/// The bounded run: three requests on two connections, then the server is cancelled.
async fn demo() -> Result<(), BoxError> {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let port = listener.local_addr()?.port();
    let counts = Rc::new(Counts::default());
    let server = asyncio::create_task(serve(listener, Rc::clone(&counts)));
    println!("Serving HTTP/1.1 with hyper on 127.0.0.1");

    let (mut reader, writer) = asyncio::open_connection("127.0.0.1", port).await?;
    for path in ["/", "/again"] {
        let (status, body) = get(&mut reader, &writer, path, false).await?;
        println!("GET {path} (keep-alive): {status}");
        println!("{body}");
    }
    writer.close();
    writer.wait_closed().await?;

    let (mut reader, writer) = asyncio::open_connection("127.0.0.1", port).await?;
    let (status, body) = get(&mut reader, &writer, "/bye", true).await?;
    println!("GET /bye (Connection: close): {status}");
    println!("{body}");
    // The server closes a `Connection: close` connection after its response.
    let rest = reader.read_to_end().await?;
    println!(
        "then the server closed the connection ({} more bytes)",
        rest.len()
    );
    writer.close();
    writer.wait_closed().await?;

    println!(
        "served {} requests on {} connections",
        counts.requests.get(),
        counts.connections.get()
    );
    server.cancel();
    Ok(())
}

/// `--serve PORT`: serves forever.
async fn serve_forever(port: u16) -> Result<(), BoxError> {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
    println!(
        "Serving HTTP/1.1 with hyper on http://{} (Ctrl-C to stop)",
        listener.local_addr()?
    );
    serve(listener, Rc::default()).await;
    Ok(())
}

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => asyncio::run(demo())?,
        [flag, port] if flag == "--serve" => {
            let port = port
                .parse()
                .map_err(|e| format!("bad port {port:?}: {e}"))?;
            asyncio::run(serve_forever(port))?
        }
        _ => Err("usage: hyper_hello [--serve PORT]".into()),
    }
}
