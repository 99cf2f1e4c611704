//! hyper 1.x on our loop (cargo feature `hyper`, off by default).
//!
//! hyper brings no runtime: it asks for three things, the `hyper::rt` traits, and this
//! module gives each one over the loop.
//!
//! - [`HyperIo`]: `hyper::rt::Read` and `hyper::rt::Write` over any `futures-io`
//!   `AsyncRead + AsyncWrite + Unpin`, such as our [`TcpStream`](crate::TcpStream).
//! - [`HyperTimer`]: `hyper::rt::Timer` on the loop's timer wheel
//!   ([`sleep`](crate::sleep) / [`sleep_until`](crate::sleep_until)); hyper needs one for
//!   `header_read_timeout` (30 s by default once a timer is set) and keep-alive timeouts.
//! - [`HyperExecutor`]: `hyper::rt::Executor`, spawning what hyper hands it as a task of
//!   the running loop ([`create_task`](crate::create_task)). The HTTP/1 server never
//!   spawns, so it needs none; HTTP/2 (hyper's `http2` feature, enabled by the
//!   application) and some client pieces do.
//!
//! A connection is served by polling hyper's connection future in a task of our loop:
//!
//! ```
//! use std::convert::Infallible;
//! use asyncio::hyper_rt::{HyperIo, HyperTimer};
//! use hyper::{Request, Response, body::Incoming, server::conn::http1, service::service_fn};
//!
//! async fn hello(_: Request<Incoming>) -> Result<Response<String>, Infallible> {
//!     Ok(Response::new("Hello, World!".to_owned()))
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! asyncio::run(async {
//!     let listener = asyncio::TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
//!     # let addr = listener.local_addr()?;
//!     # let client = asyncio::create_task(async move {
//!     #     use futures_lite::{AsyncReadExt, AsyncWriteExt};
//!     #     let mut stream = asyncio::TcpStream::connect(addr).await?;
//!     #     stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await?;
//!     #     let mut response = String::new();
//!     #     stream.read_to_string(&mut response).await?;
//!     #     assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
//!     #     assert!(response.ends_with("\r\n\r\nHello, World!"));
//!     #     Ok::<_, std::io::Error>(())
//!     # });
//!     # for _ in 0..1 {
//!     // `loop {` in a real server.
//!     let (stream, _peer) = listener.accept().await?;
//!     stream.set_nodelay(true)?;
//!     // One task per connection; it ends when the client goes away.
//!     drop(asyncio::create_task(async move {
//!         let connection = http1::Builder::new()
//!             .timer(HyperTimer)
//!             .serve_connection(HyperIo::vectored(stream), service_fn(hello));
//!         if let Err(error) = connection.await {
//!             eprintln!("connection: {error}");
//!         }
//!     }));
//!     # }
//!     # client.await.unwrap()?;
//!     Ok::<_, std::io::Error>(())
//! })??;
//! # Ok(())
//! # }
//! ```
//!
//! Everything here runs on the loop's thread: services and their futures need not be
//! `Send`. The one `Send + Sync` bound hyper puts on us, on the timer's sleep future, is met
//! by the loop's own [`Sleep`](crate::Sleep), which is plain data (a deadline or a timer
//! id) and only reaches the loop when polled by one of its tasks.

mod executor;
mod io;
mod timer;

pub use executor::HyperExecutor;
pub use io::HyperIo;
pub use timer::HyperTimer;
