//! StreamReader: asyncio's results and errors, over sources that deliver in chunks.

mod common;

use std::io;

use asyncio_streams::{
    DEFAULT_LIMIT, IncompleteReadError, LimitOverrunError, StreamError, StreamReader,
};
use common::{ChunkedReader, Driven, End};
use futures_lite::future::block_on;
use futures_lite::{AsyncBufReadExt, AsyncReadExt, StreamExt};

fn chunked<const N: usize>(chunks: [&[u8]; N], end: End) -> StreamReader<ChunkedReader> {
    StreamReader::new(ChunkedReader::new(chunks, end, true))
}

fn limited<const N: usize>(chunks: [&[u8]; N], limit: usize) -> StreamReader<ChunkedReader> {
    StreamReader::with_limit(ChunkedReader::new(chunks, End::Eof, true), limit).unwrap()
}

#[test]
fn read_returns_what_one_chunk_brought_up_to_n() {
    block_on(async {
        let mut reader = chunked([b"hello", b" world"], End::Eof);
        assert_eq!(reader.read(3).await.unwrap(), b"hel");
        assert_eq!(
            reader.read(100).await.unwrap(),
            b"lo",
            "no wait for more once data is there"
        );
        assert_eq!(reader.read(100).await.unwrap(), b" world");
        assert_eq!(reader.read(100).await.unwrap(), b"");
        assert_eq!(reader.read(100).await.unwrap(), b"", "EOF stays EOF");
    });
}

#[test]
fn read_zero_returns_empty_without_reading() {
    block_on(async {
        let mut reader = chunked([b"data"], End::Eof);
        assert_eq!(reader.read(0).await.unwrap(), b"");
        assert_eq!(reader.get_ref().polls, 0);
    });
}

#[test]
fn read_to_end_collects_every_chunk() {
    block_on(async {
        let mut reader = chunked([b"a", b"bc", b"def"], End::Eof);
        assert_eq!(reader.read(1).await.unwrap(), b"a");
        assert_eq!(reader.read_to_end().await.unwrap(), b"bcdef");
        assert!(reader.at_eof());
        assert_eq!(reader.read_to_end().await.unwrap(), b"");
    });
}

#[test]
fn read_to_end_of_a_large_stream() {
    let data: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
    let mut reader = StreamReader::new(ChunkedReader::split(
        &data,
        &[1000, 70_000, 3],
        End::Eof,
        true,
    ));
    assert_eq!(block_on(reader.read_to_end()).unwrap(), data);
}

#[test]
fn readline_returns_the_partial_last_line_then_empty() {
    block_on(async {
        let mut reader = chunked([b"one\ntw", b"o\nthr", b"ee"], End::Eof);
        assert_eq!(reader.readline().await.unwrap(), b"one\n");
        assert_eq!(reader.readline().await.unwrap(), b"two\n");
        assert_eq!(reader.readline().await.unwrap(), b"three");
        assert_eq!(reader.readline().await.unwrap(), b"");
        assert!(reader.at_eof());
    });
}

#[test]
fn readuntil_finds_a_separator_split_across_chunks() {
    block_on(async {
        let mut reader = chunked([b"head\r", b"\nbody\r\n", b"\r\n"], End::Eof);
        assert_eq!(reader.readuntil(b"\r\n").await.unwrap(), b"head\r\n");
        assert_eq!(
            reader.readuntil(b"\r\n\r\n").await.unwrap(),
            b"body\r\n\r\n"
        );
    });
}

#[test]
fn empty_separator_is_an_error_and_consumes_nothing() {
    block_on(async {
        let mut reader = chunked([b"data"], End::Eof);
        let error = reader.readuntil(b"").await.unwrap_err();
        assert!(matches!(error, StreamError::EmptySeparator));
        assert_eq!(
            error.to_string(),
            "Separator should be at least one-byte string"
        );
        assert_eq!(reader.read(10).await.unwrap(), b"data");
    });
}

#[test]
fn limit_overrun_without_separator_keeps_the_data() {
    block_on(async {
        // CPython 3.11: "abc" searched (offset 3 <= 4), then "abcdef" (offset 6 > 4).
        let mut reader = limited([b"abc", b"def", b"ghi\n"], 4);
        let error = reader.readuntil(b"\n").await.unwrap_err();
        let StreamError::LimitOverrun(overrun) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(
            *overrun,
            LimitOverrunError {
                consumed: 6,
                separator_found: false
            }
        );
        assert_eq!(
            error.to_string(),
            "Separator is not found, and chunk exceed the limit"
        );
        assert_eq!(reader.buffer(), b"abcdef", "asyncio keeps the data");
        assert_eq!(reader.read(100).await.unwrap(), b"abcdef");
        assert_eq!(reader.readuntil(b"\n").await.unwrap(), b"ghi\n");
    });
}

#[test]
fn limit_overrun_with_separator_beyond_the_limit_keeps_the_data() {
    block_on(async {
        let mut reader = StreamReader::with_limit(&b"abcdefgh\nrest"[..], 4).unwrap();
        let error = reader.readuntil(b"\n").await.unwrap_err();
        let StreamError::LimitOverrun(overrun) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(
            *overrun,
            LimitOverrunError {
                consumed: 8,
                separator_found: true
            }
        );
        assert_eq!(
            error.to_string(),
            "Separator is found, but chunk is longer than limit"
        );
        assert_eq!(reader.read(100).await.unwrap(), b"abcdefgh\nrest");
    });
}

#[test]
fn a_line_as_long_as_the_limit_is_accepted() {
    block_on(async {
        // The limit bounds the bytes before the separator, not the separator.
        let mut reader = StreamReader::with_limit(&b"abcd\nabcde\n"[..], 4).unwrap();
        assert_eq!(reader.readline().await.unwrap(), b"abcd\n");
        assert!(matches!(
            reader.readline().await,
            Err(StreamError::LineTooLong(_))
        ));
    });
}

#[test]
fn readline_too_long_with_the_newline_in_the_buffer_drops_that_line() {
    block_on(async {
        let mut reader = StreamReader::with_limit(&b"abcdefgh\nok\n"[..], 4).unwrap();
        let error = reader.readline().await.unwrap_err();
        let StreamError::LineTooLong(overrun) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(
            *overrun,
            LimitOverrunError {
                consumed: 8,
                separator_found: true
            }
        );
        assert_eq!(
            error.to_string(),
            "Separator is found, but chunk is longer than limit"
        );
        assert_eq!(
            reader.buffer(),
            b"ok\n",
            "up to and including the newline removed"
        );
        assert_eq!(reader.readline().await.unwrap(), b"ok\n");
    });
}

#[test]
fn readline_too_long_without_a_newline_clears_the_buffer() {
    block_on(async {
        let mut reader = limited([b"abc", b"def", b"ghi\nok\n"], 4);
        let error = reader.readline().await.unwrap_err();
        assert!(matches!(
            error,
            StreamError::LineTooLong(LimitOverrunError {
                consumed: 6,
                separator_found: false
            })
        ));
        assert_eq!(reader.buffer(), b"", "CPython clears the buffer");
        // ... so the rest of the long line comes out as the next line, as in CPython.
        assert_eq!(reader.readline().await.unwrap(), b"ghi\n");
        assert_eq!(reader.readline().await.unwrap(), b"ok\n");
    });
}

#[test]
fn readexactly_at_eof_carries_the_partial_bytes() {
    block_on(async {
        let mut reader = chunked([b"ab", b"c"], End::Eof);
        assert_eq!(reader.readexactly(0).await.unwrap(), b"");
        let error = reader.readexactly(5).await.unwrap_err();
        assert_eq!(
            error.to_string(),
            "3 bytes read on a total of 5 expected bytes"
        );
        let StreamError::IncompleteRead(incomplete) = error else {
            panic!()
        };
        assert_eq!(
            incomplete,
            IncompleteReadError {
                partial: b"abc".to_vec(),
                expected: Some(5)
            }
        );
        assert!(reader.at_eof(), "the partial bytes were consumed");
    });
}

#[test]
fn readuntil_at_eof_carries_the_partial_bytes() {
    block_on(async {
        let mut reader = chunked([b"no sep", b"arator"], End::Eof);
        let error = reader.readuntil(b";").await.unwrap_err();
        assert_eq!(
            error.to_string(),
            "12 bytes read on a total of undefined expected bytes"
        );
        let StreamError::IncompleteRead(incomplete) = error else {
            panic!()
        };
        assert_eq!(incomplete.partial, b"no separator");
        assert_eq!(incomplete.expected, None);
        assert_eq!(reader.read(10).await.unwrap(), b"");
    });
}

#[test]
fn readexactly_is_not_bounded_by_the_limit() {
    block_on(async {
        let data = vec![7u8; 100];
        let mut reader =
            StreamReader::with_limit(ChunkedReader::split(&data, &[9], End::Eof, true), 4).unwrap();
        assert_eq!(reader.readexactly(100).await.unwrap(), data);
    });
}

#[test]
fn connection_reset_mid_read_keeps_the_bytes_before_it() {
    block_on(async {
        let reset = End::Error(io::ErrorKind::ConnectionReset);
        let mut reader = chunked([b"hel", b"lo\nwor"], reset);
        assert_eq!(reader.readline().await.unwrap(), b"hello\n");
        let error = reader.readline().await.unwrap_err();
        let StreamError::Io(io_error) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(io_error.kind(), io::ErrorKind::ConnectionReset);
        assert_eq!(reader.buffer(), b"wor");
        assert_eq!(
            reader.read(100).await.unwrap(),
            b"wor",
            "served from the buffer"
        );
        let again = reader.readexactly(1).await.unwrap_err();
        assert!(matches!(again, StreamError::Io(e) if e.kind() == io::ErrorKind::ConnectionReset));
        assert!(!reader.at_eof(), "a reset is not an end of stream");
    });
}

#[test]
fn at_eof_needs_the_end_seen_and_the_buffer_empty() {
    block_on(async {
        let mut reader = chunked([b"x\n"], End::Eof);
        assert!(!reader.at_eof());
        assert_eq!(reader.readline().await.unwrap(), b"x\n");
        assert!(!reader.at_eof(), "the end is not known yet");
        assert_eq!(reader.readline().await.unwrap(), b"");
        assert!(reader.at_eof());
    });
}

#[test]
fn limits() {
    assert_eq!(StreamReader::new(&b""[..]).limit(), DEFAULT_LIMIT);
    assert_eq!(DEFAULT_LIMIT, 65_536);
    let error = StreamReader::with_limit(&b""[..], 0).unwrap_err();
    assert!(matches!(error, StreamError::InvalidLimit));
    assert_eq!(error.to_string(), "Limit cannot be <= 0");
}

#[test]
fn into_parts_gives_back_the_unread_bytes() {
    block_on(async {
        let mut reader = chunked([b"line\nmore"], End::Eof);
        reader.readline().await.unwrap();
        let (source, unread) = reader.into_parts();
        assert_eq!(unread, b"more");
        assert_eq!(source.polls, 2, "one Pending, one chunk");
    });
}

#[test]
fn a_dropped_readexactly_loses_nothing() {
    let mut reader = chunked([b"ab", b"cd", b"ef"], End::Eof);
    {
        let mut read = Driven::new(reader.readexactly(6));
        for _ in 0..3 {
            read.pending(); // each chunk is preceded by a Pending
        }
    } // dropped with "abcd" read from the source
    assert_eq!(reader.buffer(), b"abcd");
    assert_eq!(block_on(reader.readexactly(6)).unwrap(), b"abcdef");
}

#[test]
fn is_an_async_read_and_an_async_buf_read() {
    block_on(async {
        let mut reader = chunked([b"first\nsec", b"ond\nthird"], End::Eof);
        assert_eq!(reader.readline().await.unwrap(), b"first\n");
        let mut line = String::new();
        AsyncBufReadExt::read_line(&mut reader, &mut line)
            .await
            .unwrap();
        assert_eq!(line, "second\n");
        let mut rest = Vec::new();
        AsyncReadExt::read_to_end(&mut reader, &mut rest)
            .await
            .unwrap();
        assert_eq!(rest, b"third");

        let lines: Vec<String> = chunked([b"a\nb", b"\nc"], End::Eof)
            .lines()
            .map(Result::unwrap)
            .collect()
            .await;
        assert_eq!(lines, ["a", "b", "c"]);
    });
}

#[test]
fn large_async_reads_bypass_the_empty_buffer() {
    block_on(async {
        let data: Vec<u8> = (0..=255u8).cycle().take(50_000).collect();
        let mut reader = StreamReader::new(ChunkedReader::split(&data, &[30_000], End::Eof, false));
        let mut out = vec![0; 40_000];
        let n = AsyncReadExt::read(&mut reader, &mut out).await.unwrap();
        assert_eq!(&out[..n], &data[..30_000]);
        assert_eq!(reader.buffer(), b"");
        assert_eq!(
            AsyncReadExt::read(&mut reader, &mut out).await.unwrap(),
            20_000
        );
        assert_eq!(AsyncReadExt::read(&mut reader, &mut out).await.unwrap(), 0);
        assert!(reader.at_eof());
    });
}

/// A source that is interrupted before each read, as a signal can make a system call.
struct Interrupting(bool, &'static [u8]);

impl futures_lite::AsyncRead for Interrupting {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut [u8],
    ) -> std::task::Poll<io::Result<usize>> {
        self.0 = !self.0;
        if self.0 {
            return std::task::Poll::Ready(Err(io::ErrorKind::Interrupted.into()));
        }
        let n = self.1.len().min(buf.len()).min(2);
        buf[..n].copy_from_slice(&self.1[..n]);
        self.1 = &self.1[n..];
        std::task::Poll::Ready(Ok(n))
    }
}

#[test]
fn interrupted_reads_are_retried() {
    let mut reader = StreamReader::new(Interrupting(false, b"abc\ndef"));
    assert_eq!(block_on(reader.readline()).unwrap(), b"abc\n");
    assert_eq!(block_on(reader.read_to_end()).unwrap(), b"def");
}
