//! Property tests of the reader against a model over the whole input:
//!
//! 1. however the input is cut into chunks (with `Pending` between them), a sequence of
//!    `readline`/`readuntil`/`readexactly` gives what the model gives reading the input whole;
//! 2. dropping reads after any number of polls (a cancellation at any point) loses nothing:
//!    everything eventually returned, concatenated, is the input.
//!
//! The limit is above the input's length, so no limit error makes results depend on the
//! chunking (asyncio's limit checks do, by design: see the reader's own tests).

mod common;

use std::pin::pin;
use std::task::{Context, Poll, Waker};

use asyncio_streams::{IncompleteReadError, StreamError, StreamReader};
use common::{ChunkedReader, End};
use futures_lite::future::block_on;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Line,
    Until(Vec<u8>),
    Exactly(usize),
    /// `read(n)`: how much it returns depends on the chunking, so only the cancellation
    /// property uses it.
    Read(usize),
}

/// What an operation gave, comparably.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Bytes(Vec<u8>),
    Incomplete(IncompleteReadError),
}

fn outcome(result: Result<Vec<u8>, StreamError>) -> Outcome {
    match result {
        Ok(bytes) => Outcome::Bytes(bytes),
        Err(StreamError::IncompleteRead(error)) => Outcome::Incomplete(error),
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

/// asyncio's semantics over the whole input, from `pos`.
fn model(data: &[u8], pos: &mut usize, op: &Op) -> Outcome {
    let rest = &data[*pos..];
    let find = |sep: &[u8]| {
        rest.windows(sep.len())
            .position(|w| w == sep)
            .map(|at| at + sep.len())
    };
    let mut take = |n: usize| {
        *pos += n;
        rest[..n].to_vec()
    };
    match op {
        Op::Line => Outcome::Bytes(take(find(b"\n").unwrap_or(rest.len()))),
        Op::Until(sep) => match find(sep) {
            Some(end) => Outcome::Bytes(take(end)),
            None => Outcome::Incomplete(IncompleteReadError {
                partial: take(rest.len()),
                expected: None,
            }),
        },
        Op::Exactly(n) if *n <= rest.len() => Outcome::Bytes(take(*n)),
        Op::Exactly(n) => Outcome::Incomplete(IncompleteReadError {
            partial: take(rest.len()),
            expected: Some(*n),
        }),
        Op::Read(_) => unreachable!("not modelled"),
    }
}

async fn run(reader: &mut StreamReader<ChunkedReader>, op: &Op) -> Result<Vec<u8>, StreamError> {
    match op {
        Op::Line => reader.readline().await,
        Op::Until(sep) => reader.readuntil(sep).await,
        Op::Exactly(n) => reader.readexactly(*n).await,
        Op::Read(n) => reader.read(*n).await,
    }
}

/// Bytes from a small alphabet, so separators and newlines are frequent.
fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![Just(b'\n'), Just(b'a'), Just(b'b'), any::<u8>()],
        0..max,
    )
}

fn separator() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop_oneof![Just(b'\n'), Just(b'a'), Just(b'b')], 1..4)
}

fn deterministic_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Line),
        separator().prop_map(Op::Until),
        (0..40usize).prop_map(Op::Exactly)
    ]
}

fn any_op() -> impl Strategy<Value = Op> {
    prop_oneof![deterministic_op(), (0..40usize).prop_map(Op::Read)]
}

fn reader(data: &[u8], sizes: &[usize]) -> StreamReader<ChunkedReader> {
    let source = ChunkedReader::split(data, sizes, End::Eof, true);
    StreamReader::with_limit(source, data.len() + 1).expect("a positive limit")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn chunking_does_not_change_results(
        data in bytes(300),
        sizes in prop::collection::vec(1..24usize, 0..30),
        ops in prop::collection::vec(deterministic_op(), 0..24),
    ) {
        let mut chunked = reader(&data, &sizes);
        let mut whole = reader(&data, &[]);
        let mut pos = 0;
        for op in &ops {
            let expected = model(&data, &mut pos, op);
            prop_assert_eq!(&outcome(block_on(run(&mut chunked, op))), &expected, "chunked, {:?}", op);
            prop_assert_eq!(&outcome(block_on(run(&mut whole, op))), &expected, "whole, {:?}", op);
        }
        prop_assert_eq!(block_on(chunked.read_to_end()).unwrap(), &data[pos..]);
        prop_assert!(chunked.at_eof());
    }

    #[test]
    fn cancellation_at_any_point_loses_nothing(
        data in bytes(300),
        sizes in prop::collection::vec(1..24usize, 0..30),
        ops in prop::collection::vec((any_op(), 0..5usize), 0..40),
    ) {
        let mut reader = reader(&data, &sizes);
        let mut returned = Vec::new();
        let mut cx = Context::from_waker(Waker::noop());
        for (op, polls) in &ops {
            let mut future = pin!(run(&mut reader, op));
            for _ in 0..*polls {
                if let Poll::Ready(result) = future.as_mut().poll(&mut cx) {
                    match outcome(result) {
                        Outcome::Bytes(bytes) => returned.extend(bytes),
                        Outcome::Incomplete(error) => returned.extend(error.partial),
                    }
                    break;
                }
            }
            // Dropped here, finished or not.
        }
        returned.extend(block_on(reader.read_to_end()).unwrap());
        prop_assert_eq!(returned, data);
    }
}
