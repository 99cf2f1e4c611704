//! aioconsole's `ainput`: Python's `input()` as a future, so other tasks keep running while
//! the program waits for a line. How standard input is read (a dedicated thread, no mode of
//! any descriptor or terminal changed) is `stdin_lines.rs`'s business.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::io::{self, Write};
use std::pin::Pin;
use std::str::Utf8Error;
use std::task::{Context, Poll};

use crate::stdin_lines::{self, Read};

/// aioconsole's `await ainput(prompt)`: writes `prompt` to standard output (flushed), then
/// resolves with the next line of standard input, without its newline, while the loop runs
/// other tasks. Standard input may be a terminal, a pipe, a file or a socket.
///
/// The end of input is `Err(AinputError::Eof)` (Python's `EOFError`, "EOF when reading a
/// line"): Ctrl-D on an empty terminal line, a pipe whose writers have all closed, the end
/// of a file, a closed or absent standard input. As Python's `input()` (and unlike
/// aioconsole, which raises `EOFError` and drops the text), a last line without newline is
/// returned as a line; the call after it gets `Eof`. A terminal's EOF is not final: the call
/// after a Ctrl-D reads again. Only `\n` is removed (`input()` keeps a `\r` too).
///
/// Nothing about standard input is changed: no `O_NONBLOCK` on the descriptor shared with
/// the shell, no terminal mode, so a panic or Ctrl-C cannot leave one behind. The terminal
/// stays in its own line editing mode (the kernel's canonical mode: echo, backspace,
/// Ctrl-D), as for `input()`. Lines are read by one thread of the process started on first
/// use; it reads only while an `ainput` waits, at most one line ahead of what was asked.
///
/// The future works on any executor (it wakes through `std::task::Waker`). Several `ainput`s
/// waiting at once get successive lines, the first polled first. The thread reads through
/// `std::io::stdin()`: bytes it read beyond a line stay in std's buffer, where a later
/// synchronous `stdin().read_line()` finds them (one made while an `ainput` waits competes
/// with it: each gets whole lines, in an order the two threads decide).
///
/// Cancel safety: cancelling (dropping) a waiting `ainput` loses no input. A line being
/// typed, or already read, when it is dropped goes to the next `ainput`, whole (the partial
/// line is kept until its newline comes). The prompt is written at the first poll, once.
///
/// ```no_run
/// # fn main() -> Result<(), asyncio::RunError> {
/// asyncio::run(async {
///     loop {
///         match asyncio::ainput("> ").await {
///             Ok(line) if line == "end" => break,
///             Ok(line) => println!("got {line:?}"),
///             Err(asyncio::AinputError::Eof) => break, // Ctrl-D, or the input's end
///             Err(error) => panic!("{error}"),
///         }
///     }
/// })
/// # }
/// ```
pub fn ainput(prompt: impl Into<String>) -> Ainput {
    Ainput {
        prompt: Some(prompt.into()),
        waiter: None,
    }
}

/// The future of [`ainput`]: the next line of standard input.
#[must_use = "futures do nothing unless awaited"]
pub struct Ainput {
    /// Written at the first poll, then `None`.
    prompt: Option<String>,
    /// This call's place among the waiters, once it has waited.
    waiter: Option<u64>,
}

impl Future for Ainput {
    type Output = Result<String, AinputError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some(prompt) = this.prompt.take() {
            write_prompt(&prompt)?;
        }
        let waiter = *this.waiter.get_or_insert_with(stdin_lines::new_waiter);
        match stdin_lines::take_or_wait(waiter, cx.waker())? {
            None => Poll::Pending,
            Some(read) => {
                this.waiter = None; // nothing to forget on drop
                Poll::Ready(line_of(read))
            }
        }
    }
}

impl Drop for Ainput {
    fn drop(&mut self) {
        if let Some(waiter) = self.waiter {
            stdin_lines::forget(waiter);
        }
    }
}

impl fmt::Debug for Ainput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ainput")
            .field("prompt_written", &self.prompt.is_none())
            .finish()
    }
}

/// The prompt, on standard output and flushed, as `input()` writes it: through std's
/// `stdout()`, so it keeps its place among the program's `println!`s.
fn write_prompt(prompt: &str) -> io::Result<()> {
    if prompt.is_empty() {
        return Ok(());
    }
    let mut stdout = io::stdout().lock();
    stdout.write_all(prompt.as_bytes())?;
    stdout.flush()
}

/// A read as `ainput`'s outcome: the line as text without its `\n`.
fn line_of(read: Read) -> Result<String, AinputError> {
    match read {
        Read::Eof => Err(AinputError::Eof),
        Read::Failed(error) => Err(AinputError::Io(error)),
        Read::Line(mut bytes) => {
            if bytes.last() == Some(&b'\n') {
                bytes.pop();
            }
            String::from_utf8(bytes).map_err(|error| AinputError::Decode {
                error: error.utf8_error(),
                line: error.into_bytes(),
            })
        }
    }
}

/// Why [`ainput`] gave no line.
#[derive(Debug)]
#[non_exhaustive]
pub enum AinputError {
    /// The end of standard input (Python's `EOFError`): see [`ainput`].
    Eof,
    /// The line is not UTF-8 (Python's `UnicodeDecodeError`). The line is consumed; its
    /// bytes are here.
    Decode {
        /// The line's bytes, without the newline.
        line: Vec<u8>,
        /// Where decoding failed.
        error: Utf8Error,
    },
    /// Reading standard input or writing the prompt failed (Python's `OSError`).
    Io(io::Error),
}

impl fmt::Display for AinputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AinputError::Eof => f.write_str("EOF when reading a line"),
            AinputError::Decode { line, error } => {
                let at = error.valid_up_to();
                let byte = line[at];
                // CPython's reasons, as its UTF-8 decoder names them.
                let reason = match (error.error_len(), byte) {
                    (None, _) => "unexpected end of data",
                    (_, 0x80..=0xC1 | 0xF5..) => "invalid start byte",
                    _ => "invalid continuation byte",
                };
                match error.error_len() {
                    Some(len) if len > 1 => write!(
                        f,
                        "'utf-8' codec can't decode bytes in position {at}-{}: {reason}",
                        at + len - 1
                    ),
                    _ => write!(
                        f,
                        "'utf-8' codec can't decode byte {byte:#04x} in position {at}: {reason}"
                    ),
                }
            }
            AinputError::Io(error) => fmt::Display::fmt(error, f),
        }
    }
}

impl Error for AinputError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            AinputError::Eof => None,
            AinputError::Decode { error, .. } => Some(error),
            AinputError::Io(error) => Some(error),
        }
    }
}

impl From<io::Error> for AinputError {
    fn from(error: io::Error) -> Self {
        AinputError::Io(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_loses_only_its_newline() {
        let line = line_of(Read::Line(b"abc\r\n".to_vec())).unwrap();
        assert_eq!(line, "abc\r", "input() keeps the \\r");
        let last = line_of(Read::Line(b"no newline".to_vec())).unwrap();
        assert_eq!(last, "no newline");
    }

    #[test]
    fn eof_displays_pythons_message() {
        let eof = line_of(Read::Eof).unwrap_err();
        assert!(matches!(eof, AinputError::Eof));
        assert_eq!(eof.to_string(), "EOF when reading a line");
    }

    #[test]
    fn bad_utf8_displays_pythons_message_and_keeps_the_bytes() {
        // `b'ab\xffc'.decode()` in CPython 3.11.
        let error = line_of(Read::Line(b"ab\xffc\n".to_vec())).unwrap_err();
        assert_eq!(
            error.to_string(),
            "'utf-8' codec can't decode byte 0xff in position 2: invalid start byte"
        );
        assert!(matches!(&error, AinputError::Decode { line, .. } if line == b"ab\xffc"));
        // `b'\xe3\x81x'.decode()`, `b'\xe3x'.decode()` and `b'a\xe3'.decode()`.
        let error = line_of(Read::Line(b"\xe3\x81x".to_vec())).unwrap_err();
        assert_eq!(
            error.to_string(),
            "'utf-8' codec can't decode bytes in position 0-1: invalid continuation byte"
        );
        let error = line_of(Read::Line(b"\xe3x".to_vec())).unwrap_err();
        assert_eq!(
            error.to_string(),
            "'utf-8' codec can't decode byte 0xe3 in position 0: invalid continuation byte"
        );
        let error = line_of(Read::Line(b"a\xe3".to_vec())).unwrap_err();
        assert_eq!(
            error.to_string(),
            "'utf-8' codec can't decode byte 0xe3 in position 1: unexpected end of data"
        );
    }
}
