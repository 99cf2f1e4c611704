//! The `http` group: one hyper 1.x HTTP/1 "Hello, World!" server, on our loop and on
//! tokio, loaded by [wrk](https://github.com/wg/wrk).
//!
//! Every implementation serves the very same hyper service ([`hello`]: a `service_fn`
//! returning a fixed 13-byte body, keep-alive on, as hyper has it by default) with the same
//! `http1::Builder` settings; only the runtime under it and the adapter from the runtime's
//! socket to `hyper::rt::{Read, Write}` differ:
//! - `asyncio-loop`: our `EventLoop`, `asyncio_loop::{TcpListener, TcpStream}`, the facade's
//!   `asyncio::hyper_rt::{HyperIo, HyperTimer}` (vectored writes, as our sockets `writev`),
//!   one `create_task` per connection; as `crates/asyncio/examples/hyper_hello.rs` does.
//! - `tokio-current-thread` and `tokio-multi-thread` (2 workers): `tokio::net` with
//!   hyper-util's `TokioIo` and `TokioTimer`, one `tokio::spawn` per connection, as hyper's
//!   own examples do.
//!
//! Each server runs on a thread of its own in this process, listening on 127.0.0.1 on a
//! port the kernel picks, and is stopped after its measurement. The load is one `wrk`
//! process with one thread and 50 keep-alive connections: on the 2-core machine the figures
//! come from, one core for the server and one for wrk (nothing is pinned; the multi-thread
//! runtime's two workers share the cores with wrk).
//!
//! Cases: `hello` (`req/s`, wrk's `Requests/sec`, higher is better) and `hello_p99` (`ms`,
//! the 99th percentile of wrk's latency distribution, lower is better). A full run gives
//! each implementation a 2 s warm-up run of wrk (discarded), then 10 s measured; `--quick`
//! runs 1 s with no warm-up. Where `wrk` is not on `PATH`, the group installs the Debian
//! package when it runs as root with `apt-get`, and otherwise says so and skips.

use std::convert::Infallible;
use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;

use asyncio::hyper_rt::{HyperIo, HyperTimer};
use asyncio_loop::{TcpListener, create_task};
use futures_lite::future;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};

use crate::harness::Bench;
use crate::loop_::on_ours;

/// wrk's connections, all kept alive for the whole run.
const CONNECTIONS: usize = 50;
/// The response body.
const BODY: &str = "Hello, World!";

/// The implementations, in the order they run: a name, and the body of its server thread.
const SERVERS: [(&str, Serve); 3] = [
    ("asyncio-loop", serve_ours),
    ("tokio-current-thread", |ready, stop| {
        serve_tokio(Tokio::CurrentThread, ready, stop)
    }),
    ("tokio-multi-thread", |ready, stop| {
        serve_tokio(Tokio::MultiThread, ready, stop)
    }),
];

/// Runs both cases for every implementation, or skips the group if there is no `wrk`.
pub fn run(bench: &Bench) {
    if !bench.wants("hello") && !bench.wants("hello_p99") {
        return;
    }
    let Some(wrk) = find_wrk() else {
        println!("# wrk not found: http group skipped (install the Debian package wrk)");
        return;
    };
    let (warm_up, seconds) = if bench.quick() {
        (None, 1)
    } else {
        (Some(2), 10)
    };
    println!(
        "# http: wrk -t1 -c{CONNECTIONS} -d{seconds}s --latency per implementation{}",
        warm_up.map_or(String::new(), |s| format!(", after a {s} s warm-up run"))
    );
    for (name, serve) in SERVERS {
        let server = Server::start(name, serve);
        check_hello(server.addr);
        if let Some(warm_up) = warm_up {
            run_wrk(&wrk, server.addr, warm_up);
        }
        let report = run_wrk(&wrk, server.addr, seconds);
        server.stop();
        for line in &report.trouble {
            println!("# http/hello {name}: wrk says `{line}`");
        }
        if bench.wants("hello") {
            bench.report("hello", name, report.requests_per_second, "req/s");
        }
        if bench.wants("hello_p99") {
            // wrk prints latencies to 10 ns: keep microseconds.
            bench.report_decimals("hello_p99", name, report.p99_ms, 3, "ms");
        }
    }
}

/// The service every server runs: "Hello, World!" to any request. The same function as the
/// facade's `hyper_hello` example, so the same body type (`String`) and headers.
async fn hello(_request: Request<Incoming>) -> Result<Response<String>, Infallible> {
    Ok(Response::new(BODY.to_owned()))
}

/// The connection settings every server uses: hyper's defaults (keep-alive on), with the
/// runtime's timer so hyper enforces its default `header_read_timeout` (30 s) everywhere.
fn http1_builder(timer: impl hyper::rt::Timer + Send + Sync + 'static) -> http1::Builder {
    let mut http = http1::Builder::new();
    http.timer(timer);
    http
}

/// Panics on an error no server expects; `what` says where.
fn ok<T>(result: io::Result<T>, what: &str) -> T {
    result.unwrap_or_else(|error| panic!("{what}: {error}"))
}

// ---- the servers ------------------------------------------------------------------------------

/// Where a server thread sends the address it listens on.
type Ready = mpsc::Sender<SocketAddr>;
/// Closed by the bench when the server should stop.
type Stop = async_channel::Receiver<()>;
/// A server thread's body: listen, send the address, serve until stopped.
type Serve = fn(Ready, Stop);

/// A server running on its own thread.
struct Server {
    addr: SocketAddr,
    stop: async_channel::Sender<()>,
    thread: JoinHandle<()>,
}

impl Server {
    /// Starts `serve` on a new thread and waits until it listens.
    fn start(name: &str, serve: Serve) -> Server {
        let (ready, listening) = mpsc::channel();
        let (stop, stopped) = async_channel::bounded(1);
        let thread = std::thread::Builder::new()
            .name(format!("http-{name}"))
            .spawn(move || serve(ready, stopped))
            .expect("a server thread starts");
        let addr = listening
            .recv()
            .expect("the server thread sends its address");
        Server { addr, stop, thread }
    }

    /// Stops the server (it drops its listener and every connection) and joins its thread.
    fn stop(self) {
        self.stop.close();
        self.thread.join().expect("the server thread ends cleanly");
    }
}

/// Port 0 on the loopback address: the kernel picks a free port.
fn localhost() -> SocketAddr {
    (Ipv4Addr::LOCALHOST, 0).into()
}

/// Serves until `stop` closes, then returns.
async fn until_stopped(serve: impl Future<Output = ()>, stop: Stop) {
    future::or(serve, async {
        // Only ever closed, never sent to.
        let _ = stop.recv().await;
    })
    .await;
}

/// Our server: a fresh `EventLoop` whose main task accepts; one task per connection polls
/// hyper's connection future. Closing the loop drops the connections left.
fn serve_ours(ready: Ready, stop: Stop) {
    on_ours(async move {
        let listener = ok(TcpListener::bind(localhost()), "bind");
        let addr = ok(listener.local_addr(), "local address");
        ready.send(addr).expect("the bench waits for the address");
        until_stopped(accept_ours(listener), stop).await;
    });
}

async fn accept_ours(listener: TcpListener) {
    let http = http1_builder(HyperTimer);
    loop {
        let (stream, _) = ok(listener.accept().await, "accept");
        ok(stream.set_nodelay(true), "nodelay");
        let connection = http.serve_connection(HyperIo::vectored(stream), service_fn(hello));
        // Detached: a connection ends when wrk closes it, or when the loop is closed.
        drop(create_task(async move {
            let _ = connection.await;
        }));
    }
}

/// tokio's two runtimes, with time enabled (hyper's timer).
#[derive(Clone, Copy)]
enum Tokio {
    CurrentThread,
    MultiThread,
}

/// tokio's server: a fresh runtime whose `block_on` accepts; one `tokio::spawn` per
/// connection. Dropping the runtime drops the connections left.
fn serve_tokio(flavor: Tokio, ready: Ready, stop: Stop) {
    let runtime = match flavor {
        Tokio::CurrentThread => tokio::runtime::Builder::new_current_thread(),
        // Two workers: one per core of the 2-core machine the figures come from (tokio's
        // default there), pinned so that a bigger machine measures the same thing.
        Tokio::MultiThread => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(2);
            builder
        }
    }
    .enable_all()
    .build()
    .expect("a tokio runtime builds");
    runtime.block_on(async move {
        let listener = ok(tokio::net::TcpListener::bind(localhost()).await, "bind");
        let addr = ok(listener.local_addr(), "local address");
        ready.send(addr).expect("the bench waits for the address");
        until_stopped(accept_tokio(listener), stop).await;
    });
}

async fn accept_tokio(listener: tokio::net::TcpListener) {
    let http = http1_builder(TokioTimer::new());
    loop {
        let (stream, _) = ok(listener.accept().await, "accept");
        ok(stream.set_nodelay(true), "nodelay");
        let connection = http.serve_connection(TokioIo::new(stream), service_fn(hello));
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
}

/// One request by hand before the load, so that a server answering wrongly fails the bench
/// instead of being measured.
fn check_hello(addr: SocketAddr) {
    let mut stream = ok(std::net::TcpStream::connect(addr), "check: connect");
    let request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    ok(stream.write_all(request.as_bytes()), "check: write");
    let mut response = String::new();
    ok(stream.read_to_string(&mut response), "check: read");
    assert!(
        response.starts_with("HTTP/1.1 200 OK\r\n") && response.ends_with(BODY),
        "the server at {addr} answered {response:?}"
    );
}

// ---- wrk ---------------------------------------------------------------------------------------

/// What the bench reads from one wrk run.
struct WrkReport {
    requests_per_second: f64,
    p99_ms: f64,
    /// wrk's `Socket errors:` and `Non-2xx or 3xx responses:` lines, if any.
    trouble: Vec<String>,
}

/// Runs `wrk -t1 -c50 -d<seconds>s --latency` against `addr` and reads its report.
fn run_wrk(wrk: &Path, addr: SocketAddr, seconds: u64) -> WrkReport {
    let output = Command::new(wrk)
        .arg("-t1")
        .arg(format!("-c{CONNECTIONS}"))
        .arg(format!("-d{seconds}s"))
        .arg("--latency")
        .arg(format!("http://{addr}/"))
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|error| panic!("could not run {}: {error}", wrk.display()));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "wrk failed ({}):\n{text}",
        output.status
    );
    parse_wrk(&text).unwrap_or_else(|| panic!("could not read wrk's report:\n{text}"))
}

/// Reads `Requests/sec:`, the `99%` line of the latency distribution, and any error lines.
fn parse_wrk(text: &str) -> Option<WrkReport> {
    let mut requests_per_second = None;
    let mut p99_ms = None;
    let mut trouble = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(rate) = line.strip_prefix("Requests/sec:") {
            requests_per_second = rate.trim().parse().ok();
        } else if let Some(latency) = line.strip_prefix("99%") {
            p99_ms = parse_duration_ms(latency.trim());
        } else if line.starts_with("Socket errors:") || line.starts_with("Non-2xx") {
            trouble.push(line.to_owned());
        }
    }
    Some(WrkReport {
        requests_per_second: requests_per_second?,
        p99_ms: p99_ms?,
        trouble,
    })
}

/// A wrk duration (`812.00us`, `1.23ms`, `2.00s`, `1.50m`) in milliseconds.
fn parse_duration_ms(text: &str) -> Option<f64> {
    let units = [
        ("us", 1e-3),
        ("ms", 1.0),
        ("s", 1e3),
        ("m", 60e3),
        ("h", 3600e3),
    ];
    units.iter().find_map(|(suffix, ms)| {
        let number = text.strip_suffix(suffix)?;
        number.parse::<f64>().ok().map(|n| n * ms)
    })
}

/// `wrk` on `PATH`; if it is not there and this process is root with `apt-get`, installs
/// the Debian package first (updating the package lists if the first attempt fails).
fn find_wrk() -> Option<PathBuf> {
    if let Some(wrk) = on_path("wrk") {
        return Some(wrk);
    }
    // SAFETY: `geteuid` takes no arguments, touches no memory of ours and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let apt_get = on_path("apt-get").filter(|_| root)?;
    println!("# wrk not found: installing the Debian package wrk with apt-get");
    let apt = |args: &[&str]| {
        Command::new(&apt_get)
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            // apt's progress goes to stderr: stdout carries measurement lines only.
            .stdout(io::stderr())
            .status()
            .is_ok_and(|status| status.success())
    };
    let install = ["install", "-y", "--no-install-recommends", "wrk"];
    if !apt(&install) {
        // A fresh container has no package lists yet.
        let _ = apt(&["update"]) && apt(&install);
    }
    on_path("wrk")
}

/// The first executable file called `name` in `PATH`'s directories.
fn on_path(name: impl AsRef<OsStr>) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name.as_ref()))
        .find(|file| {
            file.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

#[cfg(test)]
mod tests {
    use super::{parse_duration_ms, parse_wrk};

    /// wrk 4.1's report with `--latency`, as it prints it.
    const REPORT: &str = "\
Running 1s test @ http://127.0.0.1:40000/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   580.27us  120.03us   3.25ms   90.12%
    Req/Sec    85.10k     3.02k   88.73k    80.00%
  Latency Distribution
     50%  553.00us
     75%  600.00us
     90%  680.00us
     99%    1.05ms
  84654 requests in 1.00s, 7.02MB read
  Socket errors: connect 0, read 0, write 0, timeout 3
Requests/sec:  84607.11
Transfer/sec:      7.02MB
";

    #[test]
    fn a_report_gives_the_rate_the_p99_and_the_errors() {
        let report = parse_wrk(REPORT).expect("a report");
        assert_eq!(report.requests_per_second, 84607.11);
        assert!((report.p99_ms - 1.05).abs() < 1e-9);
        assert_eq!(
            report.trouble,
            ["Socket errors: connect 0, read 0, write 0, timeout 3"]
        );
    }

    #[test]
    fn durations_convert_to_milliseconds() {
        let near = |text, ms: f64| parse_duration_ms(text).is_some_and(|x| (x - ms).abs() < 1e-9);
        assert!(near("812.00us", 0.812));
        assert!(near("1.05ms", 1.05));
        assert!(near("2.00s", 2000.0));
        assert!(near("1.50m", 90_000.0));
        assert_eq!(parse_duration_ms("fast"), None);
    }

    #[test]
    fn a_report_without_latencies_is_refused() {
        assert!(parse_wrk("Requests/sec:  10.0\n").is_none());
    }
}
