//! One loop holding ten thousand connections, in a test binary of its own. The clients live
//! in a child process (this binary again): with both ends in one process, the descriptor
//! limit here (20,000, which an unprivileged process cannot raise) would stop short of ten
//! thousand pairs. Resident memory per connection of the loop's side is printed.

use std::io::{self, BufRead, Read, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use asyncio_loop::{EventLoop, TcpListener, timeout};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

const CONNECTIONS: usize = 10_000;
/// Set in the child, to the server's address: it connects instead of serving.
const CHILD: &str = "ASYNCIO_MANY_CONNECTIONS_SERVER";

/// Raises this process's soft descriptor limit to its hard limit; returns the new limit.
fn raise_descriptor_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `getrlimit`/`setrlimit` read and write the struct we pass, nothing else.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
    }
    limit.rlim_cur
}

/// Resident memory of this process, in bytes.
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

/// The child: connects `CONNECTIONS` times, says so, echoes one byte on the first and the
/// last connection, and holds them all until its standard input closes.
fn clients(server: SocketAddr) {
    raise_descriptor_limit();
    let mut streams = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        streams.push(std::net::TcpStream::connect(server).unwrap());
    }
    println!("connected");
    for index in [0, CONNECTIONS - 1] {
        let mut byte = [0];
        streams[index].read_exact(&mut byte).unwrap();
        streams[index].write_all(&byte).unwrap();
    }
    let mut rest = String::new();
    let _ = io::stdin().read_line(&mut rest);
}

#[test]
fn one_loop_holds_ten_thousand_connections() {
    if let Some(server) = std::env::var_os(CHILD) {
        clients(server.to_str().unwrap().parse().unwrap());
        return;
    }
    let limit = raise_descriptor_limit();
    assert!(
        limit as usize > CONNECTIONS + 100,
        "the descriptor limit {limit} is too low"
    );
    let event_loop = EventLoop::new();
    let (held, per_connection) = event_loop
        .run_until_complete(async {
            // A backlog for a burst of ten thousand: with asyncio's 100, connections the
            // kernel could not queue would wait a second for their retry.
            let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
            socket.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())?;
            socket.listen(4096)?;
            let listener = TcpListener::from_std(socket.into())?;
            let mut child = Command::new(std::env::current_exe()?)
                .args([
                    "--exact",
                    "one_loop_holds_ten_thousand_connections",
                    "--nocapture",
                ])
                .env(CHILD, listener.local_addr()?.to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()?;
            let before = resident_bytes();
            let mut accepted = Vec::with_capacity(CONNECTIONS);
            for _ in 0..CONNECTIONS {
                // Bounded: a child that dies early fails the test instead of hanging it.
                let next = timeout(Duration::from_secs(60), listener.accept()).await;
                let (stream, _) = next.map_err(|_| io::Error::other("no connection in 60 s"))??;
                accepted.push(stream);
            }
            let per_connection = (resident_bytes() - before) / CONNECTIONS as u64;
            // The test harness prints its own lines first; the child's word comes after.
            let stdout = io::BufReader::new(child.stdout.take().unwrap());
            let mut lines = stdout.lines();
            let connected = lines.any(|line| line.is_ok_and(|line| line.trim() == "connected"));
            assert!(connected, "the child did not say it connected");
            // The first and the last connection still work: a byte there and back.
            for index in [0, CONNECTIONS - 1] {
                accepted[index].write_all(b"x").await?;
                let mut byte = [0];
                accepted[index].read_exact(&mut byte).await?;
                assert_eq!(&byte, b"x");
            }
            drop(child.stdin.take());
            assert!(child.wait()?.success());
            Ok::<_, io::Error>((accepted.len(), per_connection))
        })
        .unwrap()
        .unwrap();
    event_loop.close().unwrap();
    println!(
        "{held} connections held by one loop, about {per_connection} bytes of resident memory \
         each on the loop's side (kernel buffers not counted)"
    );
    assert_eq!(held, CONNECTIONS);
}
