//! asyncio's low-level socket methods on the loop (`loop.sock_recv`, `sock_recv_into`,
//! `sock_sendall`, `sock_accept`, `sock_connect`, `getaddrinfo`), as [`SocketMethods`] on
//! [`EventLoop`]. They are thin: our sockets are already registered with the loop, so each
//! method is one awaited operation of the socket; they exist so that asyncio code that
//! uses them ports line by line.

use std::io;
use std::net::SocketAddr;

use asyncio_loop::{EventLoop, TcpListener, TcpStream};
use futures_io::{AsyncRead, AsyncWrite};
use io_loops::{read_some, write_all};

/// asyncio's `loop.sock_*` methods.
///
/// ```
/// use asyncio::SocketMethods;
///
/// let out = asyncio::run(async {
///     let event_loop = asyncio::get_running_loop().unwrap();
///     let listener = asyncio::TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
///     let addr = listener.local_addr()?;
///     let client = event_loop.sock_connect(addr).await?;
///     let (server, _peer) = event_loop.sock_accept(&listener).await?;
///     event_loop.sock_sendall(&client, b"ping").await?;
///     event_loop.sock_recv(&server, 100).await
/// });
/// assert_eq!(out.unwrap().unwrap(), b"ping");
/// ```
pub trait SocketMethods {
    /// `loop.sock_recv(sock, nbytes)`: up to `n` bytes, as one read gives them; empty at
    /// EOF.
    ///
    /// Cancel safety: cancel-safe; bytes are taken only when the future completes.
    fn sock_recv<S>(&self, sock: &S, n: usize) -> impl Future<Output = io::Result<Vec<u8>>>
    where
        for<'a> &'a S: AsyncRead;

    /// `loop.sock_recv_into(sock, buf)`: reads into `buf`; the count read.
    ///
    /// Cancel safety: cancel-safe, as [`sock_recv`](Self::sock_recv).
    fn sock_recv_into<S>(
        &self,
        sock: &S,
        buf: &mut [u8],
    ) -> impl Future<Output = io::Result<usize>>
    where
        for<'a> &'a S: AsyncRead;

    /// `loop.sock_sendall(sock, data)`: writes all of `data`.
    ///
    /// Cancel safety: not cancel-safe: a cancelled call may have sent a prefix of `data`.
    fn sock_sendall<S>(&self, sock: &S, data: &[u8]) -> impl Future<Output = io::Result<()>>
    where
        for<'a> &'a S: AsyncWrite;

    /// `loop.sock_accept(sock)`: the next connection and its peer's address.
    ///
    /// Cancel safety: cancel-safe; a connection is taken only on completion.
    fn sock_accept(
        &self,
        listener: &TcpListener,
    ) -> impl Future<Output = io::Result<(TcpStream, SocketAddr)>>;

    /// `loop.sock_connect(sock, address)`: a connected TCP stream (asyncio connects a
    /// socket the caller made; here the method makes it).
    ///
    /// Cancel safety: dropping it abandons the attempt and closes the socket.
    fn sock_connect(&self, addr: SocketAddr) -> impl Future<Output = io::Result<TcpStream>>;

    /// `loop.getaddrinfo(host, port)`, in the default executor; see
    /// [`getaddrinfo`](crate::getaddrinfo).
    fn getaddrinfo(
        &self,
        host: &str,
        port: u16,
    ) -> impl Future<Output = io::Result<Vec<SocketAddr>>>;
}

impl SocketMethods for EventLoop {
    async fn sock_recv<S>(&self, sock: &S, n: usize) -> io::Result<Vec<u8>>
    where
        for<'a> &'a S: AsyncRead,
    {
        let mut buf = vec![0; n];
        let read = read_some(sock, &mut buf).await?;
        buf.truncate(read);
        Ok(buf)
    }

    async fn sock_recv_into<S>(&self, sock: &S, buf: &mut [u8]) -> io::Result<usize>
    where
        for<'a> &'a S: AsyncRead,
    {
        read_some(sock, buf).await
    }

    async fn sock_sendall<S>(&self, sock: &S, data: &[u8]) -> io::Result<()>
    where
        for<'a> &'a S: AsyncWrite,
    {
        write_all(sock, data).await
    }

    async fn sock_accept(&self, listener: &TcpListener) -> io::Result<(TcpStream, SocketAddr)> {
        listener.accept().await
    }

    async fn sock_connect(&self, addr: SocketAddr) -> io::Result<TcpStream> {
        TcpStream::connect(addr).await
    }

    async fn getaddrinfo(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        crate::streams::getaddrinfo(host, port).await
    }
}

/// The two `futures-io` loops these methods need, over a shared reference.
mod io_loops {
    use std::future::poll_fn;
    use std::io;
    use std::pin::Pin;

    use futures_io::{AsyncRead, AsyncWrite};

    pub(super) async fn read_some<S>(sock: &S, buf: &mut [u8]) -> io::Result<usize>
    where
        for<'a> &'a S: AsyncRead,
    {
        let mut sock = sock;
        poll_fn(|cx| Pin::new(&mut sock).poll_read(cx, buf)).await
    }

    pub(super) async fn write_all<S>(sock: &S, mut data: &[u8]) -> io::Result<()>
    where
        for<'a> &'a S: AsyncWrite,
    {
        let mut sock = sock;
        while !data.is_empty() {
            let written = poll_fn(|cx| Pin::new(&mut sock).poll_write(cx, data)).await?;
            if written == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            data = &data[written..];
        }
        Ok(())
    }
}
