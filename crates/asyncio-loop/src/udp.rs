//! Layer 4 (the public surface): UDP on the loop, [`UdpSocket`], an [`IoSource`] of std's
//! socket (what asyncio's `create_datagram_endpoint` transports stand on).

use std::fmt;
use std::io;
use std::net::{self, SocketAddr};

use crate::source::IoSource;

/// A UDP socket.
///
/// ```
/// use asyncio_loop::{EventLoop, UdpSocket};
///
/// let got = EventLoop::new().run_until_complete(async {
///     let a = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
///     let b = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
///     a.send_to(b"hi", b.local_addr()?).await?;
///     let mut buf = [0; 8];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!(from, a.local_addr()?);
///     Ok::<_, std::io::Error>(buf[..n].to_vec())
/// });
/// assert_eq!(got.unwrap().unwrap(), b"hi");
/// ```
pub struct UdpSocket {
    source: IoSource<net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr` and registers with the running loop.
    pub fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
        UdpSocket::from_std(net::UdpSocket::bind(addr)?)
    }

    /// Registers a std socket with the running loop (made non-blocking here).
    pub fn from_std(socket: net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            source: IoSource::new(socket)?,
        })
    }

    /// The std socket, deregistered (still non-blocking).
    pub fn into_std(self) -> net::UdpSocket {
        self.source.into_inner()
    }

    /// Connects it to `addr`: `send` and `recv` then need no address.
    pub fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        self.source.get_ref().connect(addr)
    }

    /// Sends `buf` to `addr`. Cancel safety: cancel-safe (a datagram goes whole or not).
    pub async fn send_to(&self, buf: &[u8], addr: SocketAddr) -> io::Result<usize> {
        self.source
            .write_with(|socket| socket.send_to(buf, addr))
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

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().peer_addr()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UdpSocket")
            .field(self.source.get_ref())
            .finish()
    }
}
