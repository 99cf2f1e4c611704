//! Layer 4 (the public surface): Unix-domain sockets on the loop: [`UnixListener`],
//! [`UnixStream`] (asyncio's `open_unix_connection` / `start_unix_server` stand on them)
//! and [`UnixDatagram`], each an [`IoSource`] of std's socket.

use std::fmt;
use std::io;
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;
use std::rc::Rc;
use std::task::{Context, Poll};

use socket2::{Domain, SockAddr, Socket, Type};

use crate::source::{IoSource, impl_read, impl_write};

/// asyncio's default `backlog` for `create_unix_server`.
const BACKLOG: i32 = 100;

/// A Unix-domain socket listening for connections.
pub struct UnixListener {
    source: IoSource<net::UnixListener>,
}

impl UnixListener {
    /// Binds to `path` (which must not exist) and registers with the running loop.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
        socket.bind(&SockAddr::unix(path)?)?;
        socket.listen(BACKLOG)?;
        UnixListener::from_std(socket.into())
    }

    /// Registers a listening std socket with the running loop (made non-blocking here).
    pub fn from_std(listener: net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            source: IoSource::new(listener)?,
        })
    }

    /// The std socket, deregistered (still non-blocking).
    pub fn into_std(self) -> net::UnixListener {
        self.source.into_inner()
    }

    /// Waits for a connection.
    ///
    /// Cancel safety: cancel-safe; a connection is taken only when the future completes.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (stream, peer) = self.source.read_with(|listener| listener.accept()).await?;
        Ok((UnixStream::from_std(stream)?, peer))
    }

    /// [`accept`](Self::accept) in poll form.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        match self.source.poll_read_with(cx, |listener| listener.accept()) {
            Poll::Ready(Ok((stream, peer))) => {
                Poll::Ready(UnixStream::from_std(stream).map(|stream| (stream, peer)))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UnixListener")
            .field(self.source.get_ref())
            .finish()
    }
}

/// A Unix-domain stream connection; reads and writes through the `futures-io` traits, as
/// [`TcpStream`](crate::TcpStream).
pub struct UnixStream {
    source: Rc<IoSource<net::UnixStream>>,
}

impl UnixStream {
    /// Connects to the socket at `path` without blocking the loop.
    ///
    /// Cancel safety: dropping it abandons the attempt and closes the socket.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        // Non-blocking from its creation (`SOCK_NONBLOCK`): no `fcntl` pair after it.
        let socket = Socket::new(Domain::UNIX, Type::STREAM.nonblocking(), None)?;
        match socket.connect(&SockAddr::unix(path)?) {
            Ok(()) => {}
            Err(error)
                if error.raw_os_error() == Some(libc::EINPROGRESS)
                    || error.kind() == io::ErrorKind::WouldBlock => {}
            Err(error) => return Err(error),
        }
        let stream = UnixStream::from_std(socket.into())?;
        stream.source.await_connected().await?;
        Ok(stream)
    }

    /// A connected pair (as `socket.socketpair()`), both registered with the running loop.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = net::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    /// Registers a connected std socket with the running loop (made non-blocking here).
    pub fn from_std(stream: net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        Ok(UnixStream {
            source: Rc::new(IoSource::new(stream)?),
        })
    }

    /// The std socket, deregistered (still non-blocking). `Err` gives the stream back
    /// while a split half still shares it.
    pub fn into_std(self) -> Result<net::UnixStream, UnixStream> {
        match Rc::try_unwrap(self.source) {
            Ok(source) => Ok(source.into_inner()),
            Err(source) => Err(UnixStream { source }),
        }
    }

    /// Two owned halves, for a reader task and a writer task.
    pub fn into_split(self) -> (UnixReadHalf, UnixWriteHalf) {
        let read = UnixReadHalf {
            source: Rc::clone(&self.source),
        };
        (
            read,
            UnixWriteHalf {
                source: self.source,
            },
        )
    }

    /// Half-closes (`Shutdown::Write` sends EOF to the peer).
    pub fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
        self.source.get_ref().shutdown(how)
    }

    /// This end's address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().peer_addr()
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UnixStream")
            .field(self.source.get_ref())
            .finish()
    }
}

/// The reading half of a [`UnixStream`].
#[derive(Debug)]
pub struct UnixReadHalf {
    source: Rc<IoSource<net::UnixStream>>,
}

/// The writing half of a [`UnixStream`]; `close` shuts the connection down for writing.
#[derive(Debug)]
pub struct UnixWriteHalf {
    source: Rc<IoSource<net::UnixStream>>,
}

impl_read!(UnixStream, &UnixStream, UnixReadHalf);
impl_write!(UnixStream, &UnixStream, UnixWriteHalf);

/// A Unix-domain datagram socket.
pub struct UnixDatagram {
    source: IoSource<net::UnixDatagram>,
}

impl UnixDatagram {
    /// Binds to `path` and registers with the running loop.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(net::UnixDatagram::bind(path)?)
    }

    /// An unbound socket.
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(net::UnixDatagram::unbound()?)
    }

    /// A connected pair, both registered with the running loop.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?))
    }

    /// Registers a std socket with the running loop (made non-blocking here).
    pub fn from_std(socket: net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        Ok(UnixDatagram {
            source: IoSource::new(socket)?,
        })
    }

    /// The std socket, deregistered (still non-blocking).
    pub fn into_std(self) -> net::UnixDatagram {
        self.source.into_inner()
    }

    /// Connects it to `path`: `send` and `recv` then need no address.
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.source.get_ref().connect(path)
    }

    /// Sends `buf` to `path`. Cancel safety: cancel-safe (a datagram goes whole or not).
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.source
            .write_with(|socket| socket.send_to(buf, path))
            .await
    }

    /// Receives one datagram. Cancel safety: cancel-safe (one is taken only on completion).
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.source.read_with(|socket| socket.recv_from(buf)).await
    }

    /// Sends `buf` to the connected peer. Cancel safety: cancel-safe.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.source.write_with(|socket| socket.send(buf)).await
    }

    /// Receives one datagram from the connected peer. Cancel safety: cancel-safe.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.source.read_with(|socket| socket.recv(buf)).await
    }

    /// This end's address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UnixDatagram")
            .field(self.source.get_ref())
            .finish()
    }
}
