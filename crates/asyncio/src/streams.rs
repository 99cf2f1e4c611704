//! asyncio's high-level streams on our sockets: [`open_connection`], [`start_server`] and
//! their Unix twins, composed from `asyncio-streams` (the runtime-agnostic
//! `StreamReader` / `StreamWriter`) and `asyncio-loop`'s sockets. Each writer's transport
//! (the part that writes its buffer out in the background, as asyncio's transports do) runs
//! as a task of the loop, so `write` never blocks and `drain` waits only while the buffer
//! is above its high-water mark, exactly as in asyncio.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use asyncio_loop::{
    Task, TcpListener, TcpReadHalf, TcpStream, TcpWriteHalf, UnixListener, UnixReadHalf,
    UnixStream, UnixWriteHalf, create_task, sleep,
};
use asyncio_streams::{StreamReader, StreamWriter, WriteEof};
use futures_io::AsyncWrite;

use crate::executor::to_thread;

/// How long a server stops accepting after running out of descriptors or memory (asyncio's
/// `ACCEPT_RETRY_DELAY`), instead of spinning on an error that will come again at once.
const ACCEPT_RETRY_DELAY: Duration = Duration::from_secs(1);

/// The writing half of a socket as a stream's sink: it can half-close (`write_eof`).
pub struct Sink<W> {
    half: W,
}

macro_rules! sink_for {
    ($($half:ty),*) => {$(
        impl AsyncWrite for Sink<$half> {
            fn poll_write(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                Pin::new(&mut self.half).poll_write(cx, buf)
            }

            fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Pin::new(&mut self.half).poll_flush(cx)
            }

            fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Pin::new(&mut self.half).poll_close(cx)
            }
        }

        impl WriteEof for Sink<$half> {
            fn poll_write_eof(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
            ) -> Poll<io::Result<()>> {
                // Shutting the write side down is what closing a socket's half does.
                Pin::new(&mut self.half).poll_close(cx)
            }
        }
    )*};
}

sink_for!(TcpWriteHalf, UnixWriteHalf);

/// The reader of a TCP connection (asyncio's `StreamReader`).
pub type TcpReader = StreamReader<TcpReadHalf>;
/// The writer of a TCP connection (asyncio's `StreamWriter`).
pub type TcpWriter = StreamWriter<Sink<TcpWriteHalf>>;
/// The reader of a Unix-socket connection.
pub type UnixReader = StreamReader<UnixReadHalf>;
/// The writer of a Unix-socket connection.
pub type UnixWriter = StreamWriter<Sink<UnixWriteHalf>>;

/// A connection's two streams, with its writer's transport running as a task of the loop.
pub(crate) fn streams<R, W>(read: R, write: W) -> (StreamReader<R>, StreamWriter<Sink<W>>)
where
    R: futures_io::AsyncRead + Unpin,
    Sink<W>: WriteEof + Unpin + 'static,
{
    let writer = StreamWriter::with_write_eof(Sink { half: write });
    let transport = writer.transport();
    // The task ends when the writer is closed (or its connection fails); nobody awaits it.
    drop(create_task(transport));
    (StreamReader::new(read), writer)
}

/// Resolves `host` and `port` off the loop, in the default executor (asyncio's
/// `loop.getaddrinfo`).
///
/// Cancel safety: cancel-safe; the lookup finishes on its thread and is dropped.
pub async fn getaddrinfo(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    let host = host.to_owned();
    let resolved = to_thread(move || (host.as_str(), port).to_socket_addrs());
    let addrs: Vec<SocketAddr> = resolved.await.map_err(io::Error::other)??.collect();
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "getaddrinfo: no address for the host",
        ));
    }
    Ok(addrs)
}

/// Connects to `host:port` and returns the connection's reader and writer (asyncio's
/// `open_connection`). The name is resolved in the default executor; each address is
/// tried in turn; `TCP_NODELAY` is set, as asyncio sets it.
///
/// ```
/// let out = asyncio::run(async {
///     let server = asyncio::start_server(
///         |mut reader: asyncio::TcpReader, writer: asyncio::TcpWriter| async move {
///             let line = reader.readline().await.unwrap();
///             writer.write(&line).unwrap();
///             writer.close();
///             writer.wait_closed().await.unwrap();
///         },
///         "127.0.0.1",
///         0,
///     )
///     .await?;
///     let port = server.sockets()[0].port();
///     let (mut reader, writer) = asyncio::open_connection("127.0.0.1", port).await?;
///     writer.write(b"hello\n")?;
///     writer.drain().await?;
///     let echoed = reader.readline().await?;
///     server.close();
///     server.wait_closed().await;
///     Ok::<_, Box<dyn std::error::Error>>(echoed)
/// });
/// assert_eq!(out.unwrap().unwrap(), b"hello\n");
/// ```
///
/// Cancel safety: dropping it abandons the attempt; nothing is left open.
pub async fn open_connection(host: &str, port: u16) -> io::Result<(TcpReader, TcpWriter)> {
    let mut last_error = None;
    for addr in getaddrinfo(host, port).await? {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                stream.set_nodelay(true)?;
                let (read, write) = stream.into_split();
                return Ok(streams(read, write));
            }
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.expect("getaddrinfo gives at least one address"))
}

/// Connects to the Unix socket at `path` (asyncio's `open_unix_connection`).
///
/// Cancel safety: dropping it abandons the attempt; nothing is left open.
pub async fn open_unix_connection(path: impl AsRef<Path>) -> io::Result<(UnixReader, UnixWriter)> {
    let (read, write) = UnixStream::connect(path).await?.into_split();
    Ok(streams(read, write))
}

/// How a server's listening sockets are made: asyncio's `start_server` / `create_server`
/// keywords `reuse_address` (default on), `reuse_port` (default off) and `backlog`
/// (default 100).
pub type ServerOptions = asyncio_loop::ListenOptions;

/// What a server accepts on.
pub(crate) enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

/// A running server (asyncio's `Server`): it accepts on its sockets in a task of the loop
/// and runs the handler as a task per connection.
pub struct Server {
    addrs: Vec<SocketAddr>,
    accepting: Vec<Task<()>>,
    serving: Rc<Cell<bool>>,
    closed: Rc<RefCell<Vec<std::task::Waker>>>,
}

impl Server {
    pub(crate) fn start(
        listeners: Vec<Listener>,
        handle: Rc<dyn Fn(Connection)>,
        addrs: Vec<SocketAddr>,
    ) -> Server {
        let serving = Rc::new(Cell::new(true));
        let accepting = listeners
            .into_iter()
            .map(|listener| create_task(accept_loop(listener, Rc::clone(&handle))))
            .collect();
        Server {
            addrs,
            accepting,
            serving,
            closed: Rc::new(RefCell::new(Vec::new())),
        }
    }

    /// The addresses it listens on (asyncio's `[s.getsockname() for s in server.sockets]`).
    pub fn sockets(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Whether it accepts connections.
    pub fn is_serving(&self) -> bool {
        self.serving.get()
    }

    /// Stops accepting and closes the listening sockets; connections already accepted go
    /// on (as asyncio's `Server.close`).
    pub fn close(&self) {
        self.serving.set(false);
        for task in &self.accepting {
            task.cancel();
        }
        for waker in self.closed.borrow_mut().drain(..) {
            waker.wake();
        }
    }

    /// Waits until [`close`](Self::close) has taken effect.
    ///
    /// Cancel safety: cancel-safe.
    pub async fn wait_closed(&self) {
        for task in &self.accepting {
            if task.done() {
                continue;
            }
            let Ok(event_loop) = asyncio_loop::get_running_loop() else {
                return;
            };
            let ended = event_loop.create_future::<()>();
            let setter = ended.clone();
            task.add_done_callback(move |_| drop(setter.set_result(())));
            let _ = ended.await;
        }
    }

    /// Serves until the server is closed (asyncio's `serve_forever`).
    ///
    /// Cancel safety: cancel-safe; cancelling it closes the server, as in asyncio.
    pub async fn serve_forever(&self) {
        struct CloseOnDrop<'a>(&'a Server);
        impl Drop for CloseOnDrop<'_> {
            fn drop(&mut self) {
                self.0.close();
            }
        }
        let guard = CloseOnDrop(self);
        std::future::poll_fn(|cx| {
            if self.serving.get() {
                self.closed.borrow_mut().push(cx.waker().clone());
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
        .await;
        drop(guard);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.close();
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "<Server sockets={:?} serving={}>",
            self.addrs,
            self.serving.get()
        )
    }
}

/// An accepted connection, before it becomes a reader and a writer of its kind.
pub(crate) enum Connection {
    Tcp(TcpStream),
    Unix(UnixStream),
}

/// Accepts until cancelled. An error a descriptor or memory shortage causes pauses
/// accepting for [`ACCEPT_RETRY_DELAY`] (asyncio's behaviour: back off, do not spin);
/// any other is reported on stderr as asyncio logs it, and accepting goes on.
async fn accept_loop(listener: Listener, handle: Rc<dyn Fn(Connection)>) {
    loop {
        let accepted = match &listener {
            Listener::Tcp(listener) => listener.accept().await.map(|(s, _)| Connection::Tcp(s)),
            Listener::Unix(listener) => listener.accept().await.map(|(s, _)| Connection::Unix(s)),
        };
        match accepted {
            Ok(connection) => handle(connection),
            Err(error) => {
                let exhausted = matches!(
                    error.raw_os_error(),
                    Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
                );
                eprintln!("asyncio: socket.accept() out of system resource: {error}");
                if exhausted {
                    sleep(ACCEPT_RETRY_DELAY).await;
                }
            }
        }
    }
}

/// Starts a TCP server on `host:port` (port 0: any free port; see [`Server::sockets`]):
/// each connection runs `handler(reader, writer)` as a task of the loop (asyncio's
/// `start_server`). The name is resolved in the default executor and every address it
/// gives is listened on.
///
/// Cancel safety: dropping it before it completes leaves nothing listening.
pub async fn start_server<H, F>(handler: H, host: &str, port: u16) -> io::Result<Server>
where
    H: Fn(TcpReader, TcpWriter) -> F + 'static,
    F: Future<Output = ()> + 'static,
{
    start_server_with(handler, host, port, &ServerOptions::new()).await
}

/// [`start_server`] with asyncio's `start_server` keywords `reuse_address`, `reuse_port`
/// and `backlog` ([`ServerOptions`]). With `reuse_port`, each loop of a set can run its
/// own server on one port: the kernel spreads the connections over their listeners.
///
/// ```
/// use asyncio::{ServerOptions, start_server_with};
///
/// let out = asyncio::run(async {
///     let options = ServerOptions::new().reuse_port(true).backlog(1024);
///     let handler = |_r: asyncio::TcpReader, _w: asyncio::TcpWriter| async {};
///     let first = start_server_with(handler, "127.0.0.1", 0, &options).await?;
///     let port = first.sockets()[0].port();
///     // A second listener on the same port: what a second loop does.
///     let second = start_server_with(handler, "127.0.0.1", port, &options).await?;
///     Ok::<_, std::io::Error>(second.sockets()[0].port() == port)
/// });
/// assert!(out.unwrap().unwrap());
/// ```
///
/// Cancel safety: dropping it before it completes leaves nothing listening.
pub async fn start_server_with<H, F>(
    handler: H,
    host: &str,
    port: u16,
    options: &ServerOptions,
) -> io::Result<Server>
where
    H: Fn(TcpReader, TcpWriter) -> F + 'static,
    F: Future<Output = ()> + 'static,
{
    let (listeners, addrs) = listen(host, port, options).await?;
    let handle = move |connection: Connection| {
        if let Connection::Tcp(stream) = connection {
            if stream.set_nodelay(true).is_err() {
                return;
            }
            let (read, write) = stream.into_split();
            let (reader, writer) = streams(read, write);
            drop(create_task(handler(reader, writer)));
        }
    };
    Ok(Server::start(listeners, Rc::new(handle), addrs))
}

/// Listeners on every address `host` resolves to, made with `options`, and their
/// addresses.
pub(crate) async fn listen(
    host: &str,
    port: u16,
    options: &ServerOptions,
) -> io::Result<(Vec<Listener>, Vec<SocketAddr>)> {
    let mut listeners = Vec::new();
    let mut addrs = Vec::new();
    for addr in getaddrinfo(host, port).await? {
        let listener = TcpListener::bind_with(addr, options)?;
        addrs.push(listener.local_addr()?);
        listeners.push(Listener::Tcp(listener));
    }
    Ok((listeners, addrs))
}

/// Starts a server on the Unix socket at `path` (asyncio's `start_unix_server`).
///
/// Cancel safety: cancel-safe (it completes without waiting).
pub async fn start_unix_server<H, F>(handler: H, path: impl AsRef<Path>) -> io::Result<Server>
where
    H: Fn(UnixReader, UnixWriter) -> F + 'static,
    F: Future<Output = ()> + 'static,
{
    let listener = UnixListener::bind(path)?;
    let handle = move |connection: Connection| {
        if let Connection::Unix(stream) = connection {
            let (read, write) = stream.into_split();
            let (reader, writer) = streams(read, write);
            drop(create_task(handler(reader, writer)));
        }
    };
    Ok(Server::start(
        vec![Listener::Unix(listener)],
        Rc::new(handle),
        Vec::new(),
    ))
}
