//! asyncio's high-level streams, [`StreamReader`] and [`StreamWriter`], over any `futures-io`
//! source and sink, for any executor.
//!
//! asyncio builds its streams on a transport and a protocol that the event loop drives:
//! bytes are pushed into the reader (`feed_data`) and pulled out of the writer's buffer when
//! the socket is writable. Here nothing is pushed: [`StreamReader`] wraps any
//! [`futures_io::AsyncRead`] and reads from it when a method needs more bytes;
//! [`StreamWriter`] wraps any [`futures_io::AsyncWrite`] and keeps asyncio's write buffer and
//! flow control, with an optional [`Transport`] future that a runtime spawns to write in the
//! background as asyncio's transport does. The crate depends on no runtime and no crate of
//! this project, so the `asyncio` facade composes it with its sockets (`open_connection`,
//! `start_server`), and it works as well over tokio's or smol's I/O types.
//!
//! | asyncio | here |
//! |---|---|
//! | `reader, writer = await asyncio.open_connection(...)` | `StreamReader::new(read_half)`, `StreamWriter::new(write_half)` |
//! | `StreamReader(limit=2**16)` | [`StreamReader::with_limit`]`(source, 1 << 16)?` ([`DEFAULT_LIMIT`]) |
//! | `await reader.read(n)` / `await reader.read()` | [`reader.read(n)`](StreamReader::read)`.await?` / [`reader.read_to_end()`](StreamReader::read_to_end)`.await?` |
//! | `await reader.readline()` | [`reader.readline()`](StreamReader::readline)`.await?` |
//! | `await reader.readuntil(b"\r\n")` | [`reader.readuntil(b"\r\n")`](StreamReader::readuntil)`.await?` |
//! | `await reader.readexactly(n)` | [`reader.readexactly(n)`](StreamReader::readexactly)`.await?` |
//! | `reader.at_eof()` | [`reader.at_eof()`](StreamReader::at_eof) |
//! | `except asyncio.LimitOverrunError as e: e.consumed` | `Err(StreamError::LimitOverrun(e)) => e.consumed` |
//! | `except asyncio.IncompleteReadError as e: e.partial` | `Err(StreamError::IncompleteRead(e)) => e.partial` |
//! | `writer.write(data)` / `writer.writelines(lines)` | [`writer.write(data)?`](StreamWriter::write) / [`writer.writelines(lines)?`](StreamWriter::writelines) |
//! | `await writer.drain()` | [`writer.drain()`](StreamWriter::drain)`.await?` |
//! | `writer.can_write_eof()` / `writer.write_eof()` | [`writer.can_write_eof()`](StreamWriter::can_write_eof) / [`writer.write_eof()?`](StreamWriter::write_eof) (sink implements [`WriteEof`]) |
//! | `writer.close(); await writer.wait_closed()` | [`writer.close()`](StreamWriter::close)`; writer.wait_closed().await?` |
//! | `writer.is_closing()` | [`writer.is_closing()`](StreamWriter::is_closing) |
//! | `writer.transport.set_write_buffer_limits(high, low)` | [`writer.set_write_buffer_limits(Some(high), Some(low))?`](StreamWriter::set_write_buffer_limits) |
//! | `writer.transport.get_write_buffer_size()` | [`writer.get_write_buffer_size()`](StreamWriter::get_write_buffer_size) |
//! | the event loop writing the transport's buffer | `spawn(writer.transport())` ([`Transport`]), or `drain` doing it |
//! | `await writer.drain()` after the loop wrote everything | [`writer.flush()`](StreamWriter::flush)`.await?` |
//!
//! **Cancel safety** is the property the reader is built around: every read method keeps the
//! bytes it read in the reader's buffer and takes them out only when it returns, so a read
//! dropped by a timeout loses nothing, and the next read sees every byte. Likewise the
//! writer's queued bytes live in the writer, so a dropped `drain` loses none.
//!
//! **Errors** are one matchable enum, [`StreamError`], displayed with asyncio's messages.
//! The methods return what CPython 3.11 returns for the same bytes arriving the same way,
//! including `readline`'s handling of over-long lines.
//!
//! A line protocol over an in-memory source and sink:
//!
//! ```
//! use asyncio_streams::{StreamError, StreamReader, StreamWriter};
//! use futures_lite::future;
//!
//! future::block_on(async {
//!     let requests: &[u8] = b"HELLO world\nBYE\n";
//!     let mut reader = StreamReader::new(requests);
//!     let writer = StreamWriter::new(Vec::new());
//!     loop {
//!         let line = reader.readline().await?;
//!         if line.is_empty() {
//!             break; // EOF
//!         }
//!         writer.write(b"> ")?;
//!         writer.write(&line.to_ascii_lowercase())?;
//!         writer.drain().await?;
//!     }
//!     writer.close();
//!     writer.wait_closed().await?;
//!     assert_eq!(*writer.get_ref(), b"> hello world\n> bye\n");
//!     Ok::<(), StreamError>(())
//! })
//! .unwrap();
//! ```
#![forbid(unsafe_code)]

mod error;
mod fan_out;
mod read_buffer;
mod reader;
mod transport;
mod write_buffer;
mod write_eof;
mod write_state;
mod writer;

pub use error::{IncompleteReadError, LimitOverrunError, StreamError};
pub use reader::{DEFAULT_LIMIT, StreamReader};
pub use transport::Transport;
pub use write_eof::WriteEof;
pub use write_state::DEFAULT_HIGH_WATER;
pub use writer::{SinkRef, StreamWriter};
