//! asyncio's high-level streams over any `futures-io` source, for any executor.
//!
//! [`StreamReader`] wraps any [`futures_io::AsyncRead`] with asyncio's `StreamReader` methods
//! (`read`, `readline`, `readuntil`, `readexactly`, `at_eof`), cancel-safe, with asyncio's
//! errors and messages. The writer follows.
//!
//! ```
//! use asyncio_streams::StreamReader;
//! # futures_lite::future::block_on(async {
//! let mut reader = StreamReader::new(&b"one\ntwo\n"[..]);
//! assert_eq!(reader.readline().await?, b"one\n");
//! # Ok::<(), asyncio_streams::StreamError>(())
//! # }).unwrap();
//! ```
#![forbid(unsafe_code)]

mod error;
mod read_buffer;
mod reader;

pub use error::{IncompleteReadError, LimitOverrunError, StreamError};
pub use reader::{DEFAULT_LIMIT, StreamReader};
