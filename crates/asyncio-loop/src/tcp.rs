//! Layer 4 (the public surface): TCP on the loop. [`TcpListener`] and [`TcpStream`] are
//! [`IoSource`]s of std's sockets; they speak the `futures-io` traits, which asyncio's
//! streams (the facade's `open_connection` / `start_server`) and the rest of the Rust
//! ecosystem build on. Addresses are resolved already: name resolution blocks, so the
//! facade runs it in the default executor, as asyncio's `getaddrinfo` does.

use std::fmt;
use std::io;
use std::net::{self, Shutdown, SocketAddr};
use std::rc::Rc;
use std::task::{Context, Poll};

use socket2::{Domain, Protocol, SockRef, Socket, Type};

use crate::source::{IoSource, impl_read, impl_write};

/// asyncio's default `backlog` for `create_server`.
const BACKLOG: i32 = 100;

/// How a listening socket is made: asyncio's `create_server` keywords `reuse_address`,
/// `reuse_port` and `backlog`. The defaults are asyncio's on Unix: `SO_REUSEADDR` set,
/// `SO_REUSEPORT` not, a backlog of 100.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListenOptions {
    reuse_address: bool,
    reuse_port: bool,
    backlog: i32,
}

impl Default for ListenOptions {
    fn default() -> Self {
        ListenOptions::new()
    }
}

impl ListenOptions {
    /// asyncio's defaults: `reuse_address=True` (on Unix), `reuse_port=False`,
    /// `backlog=100`.
    pub const fn new() -> Self {
        ListenOptions {
            reuse_address: true,
            reuse_port: false,
            backlog: BACKLOG,
        }
    }

    /// `SO_REUSEADDR`: bind even while connections of an earlier listener on the port
    /// linger in `TIME_WAIT`.
    pub const fn reuse_address(mut self, on: bool) -> Self {
        self.reuse_address = on;
        self
    }

    /// `SO_REUSEPORT`: let other sockets with the option (of this user) bind the same
    /// address; the kernel spreads incoming connections over them by a hash of the
    /// connection, with no shared accept lock. One listener per loop of a set is how a
    /// server accepts on every core.
    pub const fn reuse_port(mut self, on: bool) -> Self {
        self.reuse_port = on;
        self
    }

    /// The length of the queue of connections not yet accepted (`listen`'s argument).
    pub const fn backlog(mut self, backlog: i32) -> Self {
        self.backlog = backlog;
        self
    }

    /// A std listener made with these options, bound to `addr` and listening, not yet on
    /// a loop (it is `Send`: a loop set binds on one thread and accepts on another).
    pub fn bind(&self, addr: SocketAddr) -> io::Result<net::TcpListener> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_reuse_address(self.reuse_address)?;
        if self.reuse_port {
            socket.set_reuse_port(true)?;
        }
        socket.bind(&addr.into())?;
        socket.listen(self.backlog)?;
        Ok(socket.into())
    }
}

/// A TCP socket listening for connections (the socket of asyncio's `Server`).
///
/// ```
/// use asyncio_loop::{EventLoop, TcpListener, TcpStream, create_task};
/// use futures_lite::{AsyncReadExt, AsyncWriteExt};
///
/// let echoed = EventLoop::new().run_until_complete(async {
///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
///     let addr = listener.local_addr()?;
///     let server = create_task(async move {
///         let (mut stream, _peer) = listener.accept().await?;
///         let mut buf = [0; 4];
///         stream.read_exact(&mut buf).await?;
///         stream.write_all(&buf).await
///     });
///     let mut client = TcpStream::connect(addr).await?;
///     client.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     client.read_exact(&mut buf).await?;
///     server.await.unwrap()?;
///     Ok::<_, std::io::Error>(buf)
/// });
/// assert_eq!(&echoed.unwrap().unwrap(), b"ping");
/// ```
pub struct TcpListener {
    source: IoSource<net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` (`SO_REUSEADDR` set, asyncio's backlog of 100) and registers with the
    /// running loop. Port 0 picks a free port; [`local_addr`](Self::local_addr) says which.
    pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        TcpListener::bind_with(addr, &ListenOptions::new())
    }

    /// [`bind`](Self::bind) with asyncio's `create_server` options: `reuse_port` lets
    /// several listeners (one per loop of a set) bind the same port, the kernel spreading
    /// connections over them.
    ///
    /// ```
    /// use asyncio_loop::{EventLoop, ListenOptions, TcpListener};
    ///
    /// EventLoop::new().run_until_complete(async {
    ///     let options = ListenOptions::new().reuse_port(true);
    ///     let first = TcpListener::bind_with("127.0.0.1:0".parse().unwrap(), &options)?;
    ///     let second = TcpListener::bind_with(first.local_addr()?, &options)?;
    ///     assert_eq!(first.local_addr()?, second.local_addr()?);
    ///     Ok::<_, std::io::Error>(())
    /// }).unwrap().unwrap();
    /// ```
    pub fn bind_with(addr: SocketAddr, options: &ListenOptions) -> io::Result<TcpListener> {
        TcpListener::from_std(options.bind(addr)?)
    }

    /// Registers a listening std socket with the running loop (made non-blocking here).
    pub fn from_std(listener: net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            source: IoSource::new(listener)?,
        })
    }

    /// The std socket, deregistered (still non-blocking).
    pub fn into_std(self) -> net::TcpListener {
        self.source.into_inner()
    }

    /// Waits for a connection (asyncio's `sock_accept`). Errors such as `EMFILE` (no
    /// descriptor left) are returned as they come; the listener stays usable.
    ///
    /// Cancel safety: cancel-safe; a connection is taken only when the future completes.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) = self.source.read_with(accept_nonblocking).await?;
        Ok((TcpStream::from_nonblocking(stream)?, peer))
    }

    /// [`accept`](Self::accept) in poll form.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        match self.source.poll_read_with(cx, accept_nonblocking) {
            Poll::Ready(Ok((stream, peer))) => {
                Poll::Ready(TcpStream::from_nonblocking(stream).map(|s| (s, peer)))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// The std socket, for options this type does not wrap.
    pub fn get_ref(&self) -> &net::TcpListener {
        self.source.get_ref()
    }
}

/// Accepts a connection that the kernel makes non-blocking (and close-on-exec) as it
/// creates it (`accept4`'s `SOCK_NONBLOCK`): one system call fewer per connection than
/// std's `accept` and a `set_nonblocking` after it, as tokio's mio does.
fn accept_nonblocking(listener: &net::TcpListener) -> io::Result<(net::TcpStream, SocketAddr)> {
    let (socket, peer) =
        SockRef::from(listener).accept4(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC)?;
    let peer = peer
        .as_socket()
        .ok_or_else(|| io::Error::other("accept: the peer has no IP address"))?;
    Ok((socket.into(), peer))
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TcpListener")
            .field(self.source.get_ref())
            .finish()
    }
}

/// A TCP connection. Reading and writing go through the `futures-io` traits, implemented
/// for `TcpStream` and `&TcpStream` (so one task may read while another writes), or through
/// [`into_split`](Self::into_split)'s owned halves.
pub struct TcpStream {
    source: Rc<IoSource<net::TcpStream>>,
}

impl TcpStream {
    /// Connects to `addr` without blocking the loop (asyncio's `sock_connect`). A refused
    /// connection is `ConnectionRefused`; bound it in time with
    /// [`timeout`](crate::timeout).
    ///
    /// Cancel safety: dropping it abandons the attempt and closes the socket.
    pub async fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        // Non-blocking from its creation (`SOCK_NONBLOCK`): no `fcntl` pair after it.
        let socket = Socket::new(
            Domain::for_address(addr),
            Type::STREAM.nonblocking(),
            Some(Protocol::TCP),
        )?;
        match socket.connect(&addr.into()) {
            Ok(()) => {}
            Err(error) if error.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(error) => return Err(error),
        }
        let stream = TcpStream::from_nonblocking(socket.into())?;
        stream.source.await_connected().await?;
        Ok(stream)
    }

    /// Registers a connected std socket with the running loop (made non-blocking here).
    pub fn from_std(stream: net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_nonblocking(stream)
    }

    /// Registers a socket that is non-blocking already.
    fn from_nonblocking(stream: net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            source: Rc::new(IoSource::new(stream)?),
        })
    }

    /// The std socket, deregistered (still non-blocking). `Err` gives the stream back
    /// while a split half still shares it.
    pub fn into_std(self) -> Result<net::TcpStream, TcpStream> {
        match Rc::try_unwrap(self.source) {
            Ok(source) => Ok(source.into_inner()),
            Err(source) => Err(TcpStream { source }),
        }
    }

    /// Two owned halves, for a reader task and a writer task (asyncio's `StreamReader` /
    /// `StreamWriter` pair). Dropping the write half does not shut the connection down;
    /// closing it (`AsyncWriteExt::close`) does, for writing.
    pub fn into_split(self) -> (TcpReadHalf, TcpWriteHalf) {
        (
            TcpReadHalf {
                source: Rc::clone(&self.source),
            },
            TcpWriteHalf {
                source: self.source,
            },
        )
    }

    /// Half-closes: `Shutdown::Write` sends EOF to the peer (asyncio's `write_eof`).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.source.get_ref().shutdown(how)
    }

    /// Sets `TCP_NODELAY` (asyncio sets it on every TCP connection it makes).
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        self.source.get_ref().set_nodelay(on)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.source.get_ref().nodelay()
    }

    /// This end's address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().peer_addr()
    }

    /// The std socket, for options this type does not wrap.
    pub fn get_ref(&self) -> &net::TcpStream {
        self.source.get_ref()
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TcpStream")
            .field(self.source.get_ref())
            .finish()
    }
}

/// The reading half of a [`TcpStream`].
#[derive(Debug)]
pub struct TcpReadHalf {
    source: Rc<IoSource<net::TcpStream>>,
}

/// The writing half of a [`TcpStream`]; `close` shuts the connection down for writing.
#[derive(Debug)]
pub struct TcpWriteHalf {
    source: Rc<IoSource<net::TcpStream>>,
}

impl TcpWriteHalf {
    /// Half-closes the connection for writing (asyncio's `write_eof`).
    pub fn shutdown(&self) -> io::Result<()> {
        self.source.get_ref().shutdown(Shutdown::Write)
    }
}

impl_read!(TcpStream, &TcpStream, TcpReadHalf);
impl_write!(TcpStream, &TcpStream, TcpWriteHalf);
