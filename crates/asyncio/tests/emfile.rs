//! A server whose `accept` runs out of descriptors (`EMFILE`) keeps running, backs off
//! instead of spinning on the error, and serves the waiting connection once descriptors
//! free up. Run in a child process (this test binary again, with a lowered
//! `RLIMIT_NOFILE`), so the limit touches nothing else.

use std::io;
use std::process::Command;
use std::time::Duration;

use asyncio::{TcpReader, TcpWriter};

/// Set in the child: it runs the scenario instead of spawning.
const CHILD: &str = "ASYNCIO_EMFILE_CHILD";
/// What the server reports on each failed accept (see `streams.rs`).
const REPORT: &str = "out of system resource";

#[test]
fn a_server_out_of_descriptors_backs_off_and_recovers() {
    if std::env::var_os(CHILD).is_some() {
        child();
        return;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_server_out_of_descriptors_backs_off_and_recovers",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("echoed after recovery"),
        "{stdout}\n{stderr}"
    );
    // One report per back-off: a spinning accept loop would print thousands in the time
    // the child waits (over a second).
    let reports = stderr.matches(REPORT).count();
    assert!(
        (1..=4).contains(&reports),
        "{reports} accept errors reported:\n{stderr}"
    );
}

fn lower_descriptor_limit(to: u64) {
    let limit = libc::rlimit {
        rlim_cur: to,
        rlim_max: to,
    };
    // SAFETY: `setrlimit` reads the struct we pass, nothing else.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
}

fn child() {
    let out = asyncio::run(async {
        let server = asyncio::start_server(
            |mut reader: TcpReader, writer: TcpWriter| async move {
                if let Ok(line) = reader.readline().await {
                    let _ = writer.write(&line);
                    let _ = writer.wait_closed().await;
                }
            },
            "127.0.0.1",
            0,
        )
        .await?;
        let port = server.sockets()[0].port();
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        // Every descriptor this process may still open goes to a client, accepted by the
        // server as long as it can: then the last connection waits in the backlog while
        // the server's accept meets EMFILE.
        let open_now = std::fs::read_dir("/proc/self/fd")?.count() as u64;
        lower_descriptor_limit(open_now + 40);
        let mut held = Vec::new();
        let waiting = loop {
            match asyncio::TcpStream::connect(addr).await {
                Ok(stream) => held.push(stream),
                Err(error) if error.raw_os_error() == Some(libc::EMFILE) => {
                    // Free one for the client socket; accept has none left for its side.
                    held.pop();
                    break asyncio::TcpStream::connect(addr).await?;
                }
                Err(error) => return Err(error),
            }
            asyncio::sleep(Duration::ZERO).await;
        };
        // Let the server meet EMFILE and back off, then give descriptors back.
        asyncio::sleep(Duration::from_millis(1200)).await;
        held.clear();
        let (read, write) = waiting.into_split();
        let mut reader = asyncio::StreamReader::new(read);
        let mut write = write;
        futures_lite::AsyncWriteExt::write_all(&mut write, b"ping\n").await?;
        let echoed = asyncio::timeout(Duration::from_secs(10), reader.readline())
            .await
            .map_err(|_| io::Error::other("no echo within 10 s"))?
            .map_err(io::Error::from)?;
        server.close();
        Ok::<_, io::Error>(echoed)
    })
    .unwrap();
    assert_eq!(out.unwrap(), b"ping\n");
    println!("echoed after recovery");
}
