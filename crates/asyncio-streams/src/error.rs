//! The errors of the streams, with asyncio's wording.
//!
//! asyncio raises four kinds of exception from its streams: `OSError`s from the socket,
//! `LimitOverrunError`, `IncompleteReadError`, and `ValueError`/`RuntimeError` for misuse.
//! Here they are one matchable enum, [`StreamError`], whose two data-carrying cases keep
//! asyncio's attributes (`consumed`, `partial`, `expected`) as public fields.

use std::error::Error;
use std::fmt;
use std::io;

/// What went wrong in a stream operation.
///
/// Every variant displays asyncio's message for the same situation, so a program ported from
/// Python prints the same text; the variant (`Debug`) tells the cases apart where asyncio's
/// text is the same, and carries details asyncio's message leaves out (the
/// [`io::ErrorKind`] of a lost connection).
#[derive(Debug)]
#[non_exhaustive]
pub enum StreamError {
    /// The source or sink failed (connection reset, broken pipe...): the error passes through
    /// with its [`io::ErrorKind`].
    Io(io::Error),
    /// `readuntil` found no separator within the limit; the data stays in the reader's buffer
    /// (asyncio's `LimitOverrunError`).
    LimitOverrun(LimitOverrunError),
    /// `readline` met the limit; as in CPython 3.11 the over-long line (or the buffer, if no
    /// newline was seen) was discarded (asyncio's `ValueError` raised from `readline`).
    LineTooLong(LimitOverrunError),
    /// The stream ended before the read could complete; the bytes read so far were consumed
    /// and are carried here (asyncio's `IncompleteReadError`).
    IncompleteRead(IncompleteReadError),
    /// `readuntil` was given an empty separator.
    EmptySeparator,
    /// A reader was asked for a limit of zero.
    InvalidLimit,
    /// `set_write_buffer_limits` was given a high-water mark below the low-water mark.
    BadWaterMarks {
        /// The high-water mark asked for (after asyncio's defaulting).
        high: usize,
        /// The low-water mark asked for (after asyncio's defaulting).
        low: usize,
    },
    /// `write` after `close()`.
    WriteAfterClose,
    /// `write` after `write_eof()`.
    WriteAfterEof,
    /// The sink failed earlier (its error was or will be reported once, as [`StreamError::Io`]);
    /// the connection is gone and nothing more can be written (asyncio's
    /// `ConnectionResetError('Connection lost')`).
    ConnectionLost(io::ErrorKind),
    /// `write_eof` on a writer whose sink cannot half-close (asyncio's `NotImplementedError`);
    /// see [`crate::WriteEof`].
    EofNotSupported,
    /// A second transport future was polled while one is already running for this writer.
    TransportRunning,
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Io(error) => error.fmt(f),
            StreamError::LimitOverrun(error) | StreamError::LineTooLong(error) => error.fmt(f),
            StreamError::IncompleteRead(error) => error.fmt(f),
            StreamError::EmptySeparator => {
                f.write_str("Separator should be at least one-byte string")
            }
            StreamError::InvalidLimit => f.write_str("Limit cannot be <= 0"),
            StreamError::BadWaterMarks { high, low } => {
                write!(f, "high ({high}) must be >= low ({low}) must be >= 0")
            }
            StreamError::WriteAfterClose => f.write_str("Cannot call write() after close()"),
            StreamError::WriteAfterEof => f.write_str("Cannot call write() after write_eof()"),
            StreamError::ConnectionLost(_) => f.write_str("Connection lost"),
            StreamError::EofNotSupported => {
                f.write_str("write_eof() is not supported: this writer's sink cannot half-close")
            }
            StreamError::TransportRunning => {
                f.write_str("a transport is already running for this writer")
            }
        }
    }
}

impl Error for StreamError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            // Transparent: the I/O error's own message is this one's, so its source is next
            // (and the other wrapped errors have none): a message is never printed twice.
            StreamError::Io(error) => error.source(),
            _ => None,
        }
    }
}

impl From<io::Error> for StreamError {
    fn from(error: io::Error) -> Self {
        StreamError::Io(error)
    }
}

impl From<LimitOverrunError> for StreamError {
    fn from(error: LimitOverrunError) -> Self {
        StreamError::LimitOverrun(error)
    }
}

impl From<IncompleteReadError> for StreamError {
    fn from(error: IncompleteReadError) -> Self {
        StreamError::IncompleteRead(error)
    }
}

/// So a stream operation can be `?`-ed inside code that speaks `io::Result`: an I/O error comes
/// back as it was; the others become an error of the closest kind carrying this one.
impl From<StreamError> for io::Error {
    fn from(error: StreamError) -> Self {
        let error = match error {
            StreamError::Io(inner) => return inner,
            other => other,
        };
        let kind = match &error {
            StreamError::Io(inner) => inner.kind(),
            StreamError::IncompleteRead(_) => io::ErrorKind::UnexpectedEof,
            StreamError::LimitOverrun(_) | StreamError::LineTooLong(_) => {
                io::ErrorKind::InvalidData
            }
            StreamError::EmptySeparator
            | StreamError::InvalidLimit
            | StreamError::BadWaterMarks { .. } => io::ErrorKind::InvalidInput,
            StreamError::WriteAfterClose | StreamError::WriteAfterEof => io::ErrorKind::BrokenPipe,
            StreamError::ConnectionLost(kind) => *kind,
            StreamError::EofNotSupported => io::ErrorKind::Unsupported,
            StreamError::TransportRunning => io::ErrorKind::Other,
        };
        io::Error::new(kind, error)
    }
}

/// The separator was not found within the reader's limit (asyncio's `LimitOverrunError`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitOverrunError {
    /// asyncio's `consumed`: where the separator starts when it was found beyond the limit, or
    /// how many bytes were searched without finding it.
    pub consumed: usize,
    /// Whether the separator was in the buffer (beyond the limit) or not seen at all; it
    /// chooses asyncio's message.
    pub separator_found: bool,
}

impl fmt::Display for LimitOverrunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.separator_found {
            "Separator is found, but chunk is longer than limit"
        } else {
            "Separator is not found, and chunk exceed the limit"
        })
    }
}

impl Error for LimitOverrunError {}

/// The stream ended before the read was complete (asyncio's `IncompleteReadError`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncompleteReadError {
    /// The bytes read before the end of the stream; they were taken out of the reader.
    pub partial: Vec<u8>,
    /// How many bytes were asked for (`readexactly`), or `None` when reading up to a
    /// separator.
    pub expected: Option<usize>,
}

impl fmt::Display for IncompleteReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let read = self.partial.len();
        match self.expected {
            Some(expected) => write!(
                f,
                "{read} bytes read on a total of {expected} expected bytes"
            ),
            None => write!(
                f,
                "{read} bytes read on a total of undefined expected bytes"
            ),
        }
    }
}

impl Error for IncompleteReadError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_asyncios() {
        let overrun = |found| LimitOverrunError {
            consumed: 3,
            separator_found: found,
        };
        assert_eq!(
            StreamError::LimitOverrun(overrun(false)).to_string(),
            "Separator is not found, and chunk exceed the limit"
        );
        assert_eq!(
            StreamError::LineTooLong(overrun(true)).to_string(),
            "Separator is found, but chunk is longer than limit"
        );
        let incomplete = |expected| IncompleteReadError {
            partial: b"ab".to_vec(),
            expected,
        };
        assert_eq!(
            StreamError::from(incomplete(Some(5))).to_string(),
            "2 bytes read on a total of 5 expected bytes"
        );
        assert_eq!(
            StreamError::from(incomplete(None)).to_string(),
            "2 bytes read on a total of undefined expected bytes"
        );
        assert_eq!(
            StreamError::EmptySeparator.to_string(),
            "Separator should be at least one-byte string"
        );
        assert_eq!(
            StreamError::BadWaterMarks { high: 1, low: 2 }.to_string(),
            "high (1) must be >= low (2) must be >= 0"
        );
        assert_eq!(
            StreamError::WriteAfterEof.to_string(),
            "Cannot call write() after write_eof()"
        );
    }

    #[test]
    fn io_errors_round_trip_with_their_kind() {
        let error = StreamError::from(io::Error::from(io::ErrorKind::ConnectionReset));
        assert_eq!(
            io::Error::from(error).kind(),
            io::ErrorKind::ConnectionReset
        );
        let lost = io::Error::from(StreamError::ConnectionLost(io::ErrorKind::BrokenPipe));
        assert_eq!(lost.kind(), io::ErrorKind::BrokenPipe);
        assert_eq!(
            lost.to_string(),
            "Connection lost",
            "asyncio's ConnectionResetError"
        );
        let lost = StreamError::ConnectionLost(io::ErrorKind::BrokenPipe);
        assert_eq!(format!("{lost:?}"), "ConnectionLost(BrokenPipe)");
        let eof = io::Error::from(StreamError::from(IncompleteReadError {
            partial: vec![],
            expected: Some(1),
        }));
        assert_eq!(eof.kind(), io::ErrorKind::UnexpectedEof);
    }
}
