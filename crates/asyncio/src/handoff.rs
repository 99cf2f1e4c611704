//! [`start_server_handing_off`]: one loop accepts, every loop serves. The alternative to a
//! `reuse_port` listener per loop: the acceptor takes each connection off its own loop
//! (the std socket is `Send`), and the loop [`Pick`] chooses registers it and runs the
//! handler there. asyncio has no such call: by hand, the acceptor would
//! `run_coroutine_threadsafe` onto another loop a coroutine that passes the socket to
//! `asyncio.start_server`'s cousin `connect_accepted_socket`. It is here because a set of
//! loops needs it where `SO_REUSEPORT` does not fit.

use std::future::Future;
use std::io;
use std::rc::Rc;
use std::sync::Arc;

use asyncio_loop::TcpStream;

use crate::loops::{Loops, Pick};
use crate::streams::{Connection, Server, ServerOptions, TcpReader, TcpWriter, listen, streams};

/// Starts a TCP server on `host:port` whose accepting runs on the calling loop and whose
/// connections are each handed to the loop of `loops` that `pick` chooses, where
/// `handler(reader, writer)` runs as a task (the handler is shared by the loops, hence
/// `Send + Sync`; the future it makes is not sent, so it need not be `Send`).
///
/// When to use it rather than `reuse_port` ([`start_server_with`](crate::start_server_with)
/// on every loop): when the work a connection brings is uneven (`Pick::LeastLoaded`
/// balances where the kernel's hash cannot), when the platform has no `SO_REUSEPORT`
/// spreading, or when the loops must not each own a listener. It costs each connection a
/// hop through the acceptor loop, and the acceptor is one core's worth of accepting.
///
/// ```
/// use asyncio::{Pick, ServerOptions, start_server_handing_off};
///
/// let served_on = asyncio::run_per_core(2, |index, loops| async move {
///     if index > 0 {
///         return None;
///     }
///     let handler = |mut reader: asyncio::TcpReader, writer: asyncio::TcpWriter| async move {
///         let line = reader.readline().await.unwrap();
///         let me = asyncio::get_running_loop().unwrap().id();
///         writer.write(format!("{} {me}\n", line.len()).as_bytes()).unwrap();
///         writer.close();
///     };
///     let options = ServerOptions::new();
///     let server =
///         start_server_handing_off(handler, "127.0.0.1", 0, &options, &loops, Pick::Index(1))
///             .await
///             .unwrap();
///     let port = server.sockets()[0].port();
///     let (mut reader, writer) = asyncio::open_connection("127.0.0.1", port).await.unwrap();
///     writer.write(b"hi\n").unwrap();
///     let answer = String::from_utf8(reader.readline().await.unwrap()).unwrap();
///     Some(answer.trim() == format!("3 {}", loops.handle(1).id()))
/// });
/// assert_eq!(served_on.unwrap(), [Some(true), None], "loop 1 served it");
/// ```
///
/// Cancel safety: dropping it before it completes leaves nothing listening.
pub async fn start_server_handing_off<H, F>(
    handler: H,
    host: &str,
    port: u16,
    options: &ServerOptions,
    loops: &Loops,
    pick: Pick,
) -> io::Result<Server>
where
    H: Fn(TcpReader, TcpWriter) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + 'static,
{
    let (listeners, addrs) = listen(host, port, options).await?;
    let handler = Arc::new(handler);
    let loops = loops.clone();
    let handle = move |connection: Connection| {
        let Connection::Tcp(stream) = connection else {
            return;
        };
        // Not split, so this cannot fail; the socket leaves this loop's poller.
        let Ok(stream) = stream.into_std() else {
            return;
        };
        let handler = Arc::clone(&handler);
        // The connection's task on the chosen loop; nobody awaits its (empty) output.
        drop(loops.spawn_with(pick, move || {
            let served = TcpStream::from_std(stream).and_then(|stream| {
                stream.set_nodelay(true)?;
                let (read, write) = stream.into_split();
                let (reader, writer) = streams(read, write);
                Ok(handler(reader, writer))
            });
            async move {
                // A socket the loop could not register is closed, as a failed accept.
                if let Ok(served) = served {
                    served.await;
                }
            }
        }));
    };
    Ok(Server::start(listeners, Rc::new(handle), addrs))
}
