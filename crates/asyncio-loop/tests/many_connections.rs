//! One loop holding ten thousand connections (or as many as the descriptor limit allows),
//! in a test binary of its own: it takes nearly every descriptor the process may have.

use std::io;
use std::net::SocketAddr;

use asyncio_loop::{EventLoop, TcpListener, TcpStream, create_task};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

fn localhost() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn run<T>(future: impl Future<Output = T>) -> T {
    let event_loop = EventLoop::new();
    let out = event_loop.run_until_complete(future).unwrap();
    event_loop.close().unwrap();
    out
}

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

#[test]
fn one_loop_holds_ten_thousand_connections() {
    // Both ends live in this process: two descriptors per connection, plus some spare.
    let limit = raise_descriptor_limit();
    let wanted = 10_000_u64.min(limit.saturating_sub(200) / 2) as usize;
    assert!(
        wanted >= 1000,
        "the descriptor limit {limit} is too low for this test"
    );
    let (held, per_connection) = run(async move {
        let listener = TcpListener::bind(localhost())?;
        let addr = listener.local_addr()?;
        let before = resident_bytes();
        let mut clients = Vec::with_capacity(wanted);
        let mut servers = Vec::with_capacity(wanted);
        for _ in 0..wanted {
            let connect = create_task(TcpStream::connect(addr));
            let (server_side, _) = listener.accept().await?;
            clients.push(connect.await.unwrap()?);
            servers.push(server_side);
        }
        let per_connection = (resident_bytes() - before) / wanted as u64;
        // Every connection still works: a byte each way through the last and the first.
        for index in [0, wanted - 1] {
            clients[index].write_all(b"x").await?;
            let mut byte = [0];
            servers[index].read_exact(&mut byte).await?;
            assert_eq!(&byte, b"x");
        }
        Ok::<_, io::Error>((clients.len(), per_connection))
    })
    .unwrap();
    println!(
        "{held} connections held, about {per_connection} bytes of resident memory each (both ends, kernel buffers not counted)"
    );
    assert_eq!(held, wanted);
}
