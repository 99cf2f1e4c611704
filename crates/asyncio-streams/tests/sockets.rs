//! Real sockets (Unix socket pairs, TCP on 127.0.0.1) through smol's I/O types, driven by
//! smol and by tokio's current-thread runtime: the crate needs nothing of either runtime.

use std::io;
use std::net::Shutdown;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::pin::Pin;
use std::task::{Context, Poll};

use asyncio_streams::{StreamError, StreamReader, StreamWriter, WriteEof};
use futures_lite::future::{self, poll_once};
use futures_lite::{AsyncWrite, AsyncWriteExt};
use smol::Async;
use smol::net::TcpStream;
use smol::net::unix::UnixStream;

/// A socket half that half-closes with `shutdown(Write)`, as the facade's sockets will.
struct HalfClose<S>(S);

trait ShutdownWrite {
    fn shutdown_write(&self) -> io::Result<()>;
}

impl ShutdownWrite for UnixStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}

impl ShutdownWrite for TcpStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for HalfClose<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}

impl<S: AsyncWrite + ShutdownWrite + Unpin> WriteEof for HalfClose<S> {
    fn poll_write_eof(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.0.shutdown_write())
    }
}

/// Upper-cases every line until the peer's EOF, with the writer's transport spawned by
/// `spawn`, then closes.
async fn serve_upper<S>(
    socket: S,
    spawn: impl FnOnce(asyncio_streams::Transport<HalfClose<S>>),
) -> Result<(), StreamError>
where
    S: futures_lite::AsyncRead + AsyncWrite + ShutdownWrite + Clone + Unpin,
{
    let mut reader = StreamReader::new(socket.clone());
    let writer = StreamWriter::with_write_eof(HalfClose(socket));
    spawn(writer.transport());
    loop {
        let line = reader.readline().await?;
        if line.is_empty() {
            break;
        }
        writer.write(&line.to_ascii_uppercase())?;
        writer.drain().await?;
    }
    writer.close();
    writer.wait_closed().await
}

/// Sends `lines` lines, half-closes, and reads everything back at the same time (so neither
/// side's socket buffer fills up while the other waits).
async fn upper_client<S>(socket: S, lines: usize) -> Result<(), StreamError>
where
    S: futures_lite::AsyncRead + AsyncWrite + ShutdownWrite + Clone + Unpin,
{
    let line: Vec<u8> = b"abcdefghij"
        .iter()
        .copied()
        .cycle()
        .take(999)
        .chain([b'\n'])
        .collect();
    let mut reader = StreamReader::new(socket.clone());
    let writer = StreamWriter::with_write_eof(HalfClose(socket));
    let send = async {
        for _ in 0..lines {
            writer.write(&line)?;
            writer.drain().await?;
        }
        writer.write_eof()?;
        writer.flush().await
    };
    let receive = async {
        let mut count = 0;
        loop {
            let echoed = reader.readline().await?;
            if echoed.is_empty() {
                return Ok::<_, StreamError>(count);
            }
            assert_eq!(echoed, line.to_ascii_uppercase());
            count += 1;
        }
    };
    let (sent, received) = future::zip(send, receive).await;
    sent?;
    assert_eq!(received?, lines);
    Ok(())
}

#[test]
fn smol_unix_echo_with_a_transport_and_half_close() {
    smol::block_on(async {
        let (client, server) = UnixStream::pair().unwrap();
        let server = smol::spawn(serve_upper(server, |transport| {
            smol::spawn(transport).detach();
        }));
        upper_client(client, 500).await.unwrap();
        server.await.unwrap();
    });
}

#[test]
fn tokio_current_thread_unix_echo() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (client, server) = UnixStream::pair().unwrap();
        let server = tokio::spawn(serve_upper(server, |transport| {
            tokio::spawn(transport);
        }));
        upper_client(client, 500).await.unwrap();
        server.await.unwrap().unwrap();
    });
}

#[test]
fn smol_tcp_request_and_response_without_a_transport() {
    smol::block_on(async {
        let listener = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = smol::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let mut reader = StreamReader::new(socket.clone());
            let writer = StreamWriter::new(socket);
            let head = reader.readuntil(b"\r\n\r\n").await?;
            assert!(head.starts_with(b"POST /echo HTTP/1.0\r\n"));
            let body = reader.readexactly(5).await?;
            writer.write(b"HTTP/1.0 200 OK\r\n\r\n")?;
            writer.write(&body)?;
            writer.wait_closed().await // writes it all, then closes
        });
        let socket = TcpStream::connect(address).await.unwrap();
        let mut reader = StreamReader::new(socket.clone());
        let writer = StreamWriter::with_write_eof(HalfClose(socket));
        writer
            .write(b"POST /echo HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello")
            .unwrap();
        writer.flush().await.unwrap();
        assert_eq!(reader.readline().await.unwrap(), b"HTTP/1.0 200 OK\r\n");
        assert_eq!(reader.readline().await.unwrap(), b"\r\n");
        assert_eq!(reader.read_to_end().await.unwrap(), b"hello");
        assert!(reader.at_eof());
        server.await.unwrap();
    });
}

#[test]
fn tokio_a_cancelled_read_on_a_socket_loses_nothing() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (a, b) = Async::<StdUnixStream>::pair().unwrap();
        let mut reader = StreamReader::new(&a);
        (&b).write_all(b"abcd").await.unwrap();
        a.readable().await.unwrap();
        // One poll reads "abcd" into the buffer, then waits for more: dropped there.
        assert!(poll_once(reader.readexactly(8)).await.is_none());
        assert_eq!(reader.buffer(), b"abcd");
        (&b).write_all(b"efgh").await.unwrap();
        assert_eq!(reader.readexactly(8).await.unwrap(), b"abcdefgh");
    });
}

#[test]
fn a_closed_peer_is_a_broken_pipe_for_the_writer() {
    smol::block_on(async {
        let (a, b) = Async::<StdUnixStream>::pair().unwrap();
        drop(b);
        let writer = StreamWriter::new(&a);
        writer.write(b"into the void").unwrap();
        let error = writer.drain().await.unwrap_err();
        assert!(
            matches!(&error, StreamError::Io(e) if e.kind() == io::ErrorKind::BrokenPipe),
            "{error:?}"
        );
        assert!(matches!(
            writer.write(b"more"),
            Err(StreamError::ConnectionLost(io::ErrorKind::BrokenPipe))
        ));
        let mut reader = StreamReader::new(&a);
        assert_eq!(
            reader.read(10).await.unwrap(),
            b"",
            "the peer's end reads as EOF"
        );
    });
}

#[test]
fn a_reset_connection_reaches_the_reader_as_an_io_error() {
    smol::block_on(async {
        let listener = Async::<std::net::TcpListener>::bind(([127, 0, 0, 1], 0)).unwrap();
        let address = listener.get_ref().local_addr().unwrap();
        let client = Async::<std::net::TcpStream>::connect(address)
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (&client).write_all(b"unread").await.unwrap();
        server.readable().await.unwrap();
        drop(server); // closed with unread data: the kernel answers with a reset
        let mut reader = StreamReader::new(&client);
        let error = reader.read(10).await.unwrap_err();
        assert!(
            matches!(&error, StreamError::Io(e) if e.kind() == io::ErrorKind::ConnectionReset),
            "{error:?}"
        );
    });
}
