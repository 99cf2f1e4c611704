//! Sockets on the loop, over loopback and Unix sockets in a temporary directory only: every
//! method's normal path and the faults a network program meets (refused, reset, broken
//! pipe, half-close), descriptor reuse, remote wakes while descriptors are registered, and
//! thousands of connections held by one loop. Every loop here is bounded.

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use asyncio_loop::{
    EventLoop, TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream,
    create_task, sleep, timeout,
};
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

/// A fresh directory for Unix socket paths, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("asyncio-net-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn tcp_echo_round_trips_with_nodelay() {
    let total = run(async {
        let listener = TcpListener::bind(localhost())?;
        let addr = listener.local_addr()?;
        let server = create_task(async move {
            let (mut stream, peer) = listener.accept().await?;
            assert_eq!(peer, stream.peer_addr()?);
            stream.set_nodelay(true)?;
            let mut buf = [0; 64];
            loop {
                let n = stream.read(&mut buf).await?;
                if n == 0 {
                    return Ok::<_, io::Error>(());
                }
                stream.write_all(&buf[..n]).await?;
            }
        });
        let mut client = TcpStream::connect(addr).await?;
        client.set_nodelay(true)?;
        assert!(client.nodelay()?);
        assert_eq!(client.peer_addr()?, addr);
        let mut total = 0;
        for round in 0..200_u32 {
            let message = [round as u8; 64];
            client.write_all(&message).await?;
            let mut back = [0; 64];
            client.read_exact(&mut back).await?;
            assert_eq!(back, message);
            total += back.len();
        }
        client.close().await?;
        server.await.unwrap()?;
        Ok::<_, io::Error>(total)
    });
    assert_eq!(total.unwrap(), 200 * 64);
}

/// Both ends of a connection are made non-blocking and close-on-exec by the calls that
/// create them (`socket` and `accept4` flags, no `fcntl`/`ioctl` after them), and still
/// carry data both ways; an IPv6 peer's address comes back whole.
#[test]
fn connected_and_accepted_sockets_are_non_blocking_and_close_on_exec() {
    fn flags(fd: std::os::fd::RawFd) -> (bool, bool) {
        // SAFETY: fcntl's F_GETFL and F_GETFD only read the flags of an open descriptor.
        let (status, descriptor) = unsafe {
            (
                libc::fcntl(fd, libc::F_GETFL),
                libc::fcntl(fd, libc::F_GETFD),
            )
        };
        assert!(status >= 0 && descriptor >= 0);
        (
            status & libc::O_NONBLOCK != 0,
            descriptor & libc::FD_CLOEXEC != 0,
        )
    }
    use std::os::fd::AsRawFd;
    let mut checked = 0;
    for address in [localhost(), "[::1]:0".parse().unwrap()] {
        let outcome = run(async move {
            let Ok(listener) = TcpListener::bind(address) else {
                return Ok(None); // no IPv6 loopback on this machine
            };
            let addr = listener.local_addr()?;
            let accepting = create_task(async move { listener.accept().await });
            let mut client = TcpStream::connect(addr).await?;
            let (mut server, peer) = accepting.await.unwrap()?;
            assert_eq!(peer, client.local_addr()?);
            assert_eq!(flags(client.get_ref().as_raw_fd()), (true, true));
            assert_eq!(flags(server.get_ref().as_raw_fd()), (true, true));
            client.write_all(b"ping").await?;
            let mut got = [0; 4];
            server.read_exact(&mut got).await?;
            server.write_all(&got).await?;
            client.read_exact(&mut got).await?;
            Ok::<_, io::Error>(Some(got))
        });
        if let Some(got) = outcome.unwrap() {
            assert_eq!(&got, b"ping");
            checked += 1;
        }
    }
    assert!(checked >= 1, "IPv4 loopback at least");
}

#[test]
fn half_close_sends_eof_and_the_other_direction_still_works() {
    let reply = run(async {
        let listener = TcpListener::bind(localhost())?;
        let addr = listener.local_addr()?;
        let server = create_task(async move {
            let (mut stream, _) = listener.accept().await?;
            let mut request = Vec::new();
            stream.read_to_end(&mut request).await?; // ends at the client's EOF
            stream.write_all(&request.len().to_le_bytes()).await?;
            Ok::<_, io::Error>(())
        });
        let client = TcpStream::connect(addr).await?;
        let (mut reader, mut writer) = client.into_split();
        writer.write_all(&[7; 1000]).await?;
        writer.close().await?; // shutdown(Write)
        let mut reply = Vec::new();
        reader.read_to_end(&mut reply).await?;
        server.await.unwrap()?;
        Ok::<_, io::Error>(reply)
    });
    assert_eq!(reply.unwrap(), 1000_usize.to_le_bytes());
}

#[test]
fn connecting_to_a_closed_port_is_refused() {
    let outcome = run(async {
        let addr = TcpListener::bind(localhost())
            .unwrap()
            .local_addr()
            .unwrap();
        // The listener is gone: nobody listens on `addr` now.
        TcpStream::connect(addr).await
    });
    assert_eq!(
        outcome.unwrap_err().kind(),
        io::ErrorKind::ConnectionRefused
    );
}

#[test]
fn a_connect_that_gets_no_answer_is_cut_by_a_timeout() {
    let completed = run(async {
        // A listener that never accepts, with the shortest backlog: once its queue is full
        // the kernel drops further connection requests, and such a connect waits.
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
        socket.bind(&localhost().into())?;
        socket.listen(0)?;
        let addr = socket.local_addr()?.as_socket().unwrap();
        let mut held = Vec::new();
        for _ in 0..64 {
            match timeout(Duration::from_millis(200), TcpStream::connect(addr)).await {
                Ok(stream) => held.push(stream?),
                Err(asyncio_loop::TimeoutError) => return Ok(held.len()),
            }
        }
        Err(io::Error::other(
            "64 connects to a full backlog all completed",
        ))
    });
    // The queue took at least one, and then a connect was cut by its timeout.
    assert!(completed.unwrap() >= 1);
}

#[test]
fn a_reset_by_the_peer_is_an_error_for_the_reader_and_the_loop_goes_on() {
    let (kind, after) = run(async {
        let listener = TcpListener::bind(localhost()).unwrap();
        let addr = listener.local_addr().unwrap();
        let server = create_task(async move {
            let (stream, _) = listener.accept().await.unwrap();
            // Linger 0: closing sends RST instead of FIN.
            socket2::SockRef::from(stream.get_ref())
                .set_linger(Some(Duration::ZERO))
                .unwrap();
            drop(stream);
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        server.await.unwrap();
        let mut buf = [0; 16];
        let kind = client.read(&mut buf).await.unwrap_err().kind();
        sleep(Duration::from_millis(1)).await;
        (kind, "the loop still runs")
    });
    assert_eq!(kind, io::ErrorKind::ConnectionReset);
    assert_eq!(after, "the loop still runs");
}

#[test]
fn writing_to_a_peer_that_closed_is_an_error_not_a_sigpipe() {
    let kind = run(async {
        let listener = TcpListener::bind(localhost()).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (server_side, _) = listener.accept().await.unwrap();
        drop(server_side);
        // The first writes may land in the kernel's buffer before the RST comes back.
        for _ in 0..1000 {
            if let Err(error) = client.write_all(&[0; 1024]).await {
                return error.kind();
            }
            sleep(Duration::ZERO).await;
        }
        panic!("1000 writes to a closed peer all succeeded");
    });
    assert!(
        matches!(
            kind,
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
        ),
        "{kind:?}"
    );
}

#[test]
fn a_reused_descriptor_number_gets_only_its_own_events() {
    const ROUNDS: usize = 20;
    let reused = run(async {
        let listener = TcpListener::bind(localhost())?;
        let addr = listener.local_addr()?;
        let server = create_task(async move {
            for _ in 0..ROUNDS * 2 {
                let (mut stream, _) = listener.accept().await?;
                let mut buf = [0; 5];
                // The first connection of each round is dropped unused: EOF, nothing to echo.
                if stream.read_exact(&mut buf).await.is_ok() {
                    stream.write_all(&buf).await?;
                }
            }
            Ok::<_, io::Error>(())
        });
        let mut reused = 0;
        for _ in 0..ROUNDS {
            let first = TcpStream::connect(addr).await?;
            let first_fd = std::os::fd::AsRawFd::as_raw_fd(first.get_ref());
            drop(first);
            let mut second = TcpStream::connect(addr).await?;
            if std::os::fd::AsRawFd::as_raw_fd(second.get_ref()) == first_fd {
                reused += 1;
            }
            second.write_all(b"again").await?;
            let mut buf = [0; 5];
            second.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"again");
        }
        server.await.unwrap()?;
        Ok::<_, io::Error>(reused)
    });
    // Linux hands out the lowest free number, so most rounds reuse it even while other
    // tests of this binary open descriptors in parallel.
    assert!(
        reused.unwrap() > 0,
        "no round reused the dropped descriptor's number"
    );
}

#[test]
fn a_cancelled_read_loses_no_byte() {
    let out = run(async {
        let (a, mut b) = UnixStream::pair()?;
        let mut a = a;
        // Nothing to read yet: the read is cut by the timeout.
        let mut buf = [0; 4];
        assert!(
            timeout(Duration::from_millis(5), a.read(&mut buf))
                .await
                .is_err()
        );
        b.write_all(b"data").await?;
        a.read_exact(&mut buf).await?;
        Ok::<_, io::Error>(buf)
    });
    assert_eq!(&out.unwrap(), b"data");
}

#[test]
fn udp_round_trip_on_v4_and_v6_loopback() {
    for addr in ["127.0.0.1:0", "[::1]:0"] {
        let addr: SocketAddr = addr.parse().unwrap();
        let out = run(async move {
            let a = match UdpSocket::bind(addr) {
                Ok(socket) => socket,
                // A machine without IPv6 on loopback: nothing to test there.
                Err(_) if addr.is_ipv6() => return Ok::<_, io::Error>(None),
                Err(error) => return Err(error),
            };
            let b = UdpSocket::bind(addr)?;
            b.connect(a.local_addr()?)?;
            b.send(b"ping").await?;
            let mut buf = [0; 16];
            let (n, from) = a.recv_from(&mut buf).await?;
            assert_eq!(from, b.local_addr()?);
            a.send_to(&buf[..n], from).await?;
            let n = b.recv(&mut buf).await?;
            Ok(Some(buf[..n].to_vec()))
        });
        if let Some(got) = out.unwrap() {
            assert_eq!(got, b"ping");
        }
    }
}

#[test]
fn unix_stream_server_and_datagrams_in_a_temp_dir() {
    let dir = TempDir::new("unix");
    let path = dir.0.join("server.sock");
    let out = run(async move {
        let listener = UnixListener::bind(&path)?;
        let server = create_task(async move {
            let (mut stream, _) = listener.accept().await?;
            let mut line = [0; 5];
            stream.read_exact(&mut line).await?;
            stream.write_all(&line).await?;
            Ok::<_, io::Error>(())
        });
        let mut client = UnixStream::connect(&path).await?;
        client.write_all(b"hello").await?;
        let mut buf = [0; 5];
        client.read_exact(&mut buf).await?;
        server.await.unwrap()?;
        client.shutdown(Shutdown::Both)?;

        let (x, y) = UnixDatagram::pair()?;
        x.send(b"dgram").await?;
        let mut got = [0; 16];
        let n = y.recv(&mut got).await?;
        // Back to std and registered again: the datagram socket still works.
        let y = UnixDatagram::from_std(y.into_std())?;
        let (a, b) = UnixStream::pair()?;
        let mut b = UnixStream::from_std(b.into_std().expect("not split"))?;
        drop(a);
        let mut rest = Vec::new();
        assert_eq!(
            b.read_to_end(&mut rest).await?,
            0,
            "EOF after the peer closed"
        );
        drop(y);
        Ok::<_, io::Error>((buf, got[..n].to_vec()))
    });
    let (stream, datagram) = out.unwrap();
    assert_eq!(&stream, b"hello");
    assert_eq!(datagram, b"dgram");
}

#[test]
fn a_remote_wake_reaches_a_loop_that_waits_in_the_poller() {
    let event_loop = EventLoop::new();
    let handle = event_loop.handle();
    let out = event_loop.run_until_complete(async move {
        // A registered listener puts the loop's idle wait in the poller.
        let listener = TcpListener::bind(localhost()).unwrap();
        let remote = handle.spawn(async { "from another thread" });
        let thread = std::thread::spawn(move || remote.result());
        let waiter = create_task(async move {
            timeout(Duration::from_secs(10), listener.accept())
                .await
                .is_err()
        });
        let answer = loop {
            if thread.is_finished() {
                break thread.join().unwrap();
            }
            sleep(Duration::from_millis(1)).await;
        };
        waiter.cancel();
        answer
    });
    assert_eq!(out.unwrap(), Ok("from another thread"));
}
