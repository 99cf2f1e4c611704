//! StreamWriter: asyncio's buffering, flow control, closing and errors, with and without a
//! transport, over slow, gated and breaking in-memory sinks.

mod common;

use std::io;

use asyncio_streams::{DEFAULT_HIGH_WATER, StreamError, StreamWriter};
use common::{Driven, Gate, SlowSink};
use futures_lite::future::{self, block_on};

fn pattern(len: usize) -> Vec<u8> {
    (0..=255u8).cycle().take(len).collect()
}

#[test]
fn write_hands_bytes_to_the_sink_at_once_when_nothing_is_queued() {
    let sink = SlowSink::new(2);
    let log = sink.log();
    let writer = StreamWriter::new(sink);
    writer.write(b"hello").unwrap();
    assert_eq!(writer.get_write_buffer_size(), 0);
    let log = log.lock().unwrap();
    assert_eq!(log.written, b"hello");
    assert_eq!(
        log.flushes, 1,
        "and flushes it, so a transport has nothing left to do"
    );
}

#[test]
fn write_queues_what_the_sink_does_not_take_and_never_waits() {
    let gate = Gate::default();
    let sink = SlowSink::new(100).gated(&gate);
    let log = sink.log();
    let writer = StreamWriter::new(sink);
    writer.write(b"queued ").unwrap();
    writer.writelines([&b"in "[..], b"order"]).unwrap();
    assert_eq!(writer.get_write_buffer_size(), 15);
    assert!(log.lock().unwrap().written.is_empty());
    gate.open();
    block_on(writer.flush()).unwrap();
    assert_eq!(log.lock().unwrap().written, b"queued in order");
}

#[test]
fn drain_returns_at_once_below_the_high_water_mark() {
    let gate = Gate::default();
    let writer = StreamWriter::new(SlowSink::new(100).gated(&gate));
    writer.write(&pattern(DEFAULT_HIGH_WATER)).unwrap();
    let mut drain = Driven::new(writer.drain());
    assert!(drain.ready().is_ok(), "at the mark is not above it");
    drop(drain);
    assert_eq!(writer.get_write_buffer_size(), DEFAULT_HIGH_WATER);
}

#[test]
fn drain_without_a_transport_writes_down_to_low_water_then_what_the_sink_takes() {
    let sink = SlowSink::new(3).alternating();
    let log = sink.log();
    let writer = StreamWriter::new(sink);
    writer.set_write_buffer_limits(Some(8), Some(2)).unwrap();
    let data = pattern(10);
    writer.write(&data).unwrap(); // the sink's first poll is pending: all queued, paused
    assert_eq!(writer.get_write_buffer_size(), 10);
    block_on(writer.drain()).unwrap();
    // Took 3, 3, 3 (down to 1 <= low-water), then the sink was pending again: the byte
    // below low-water stays queued until the next drain, flush or wait_closed.
    assert_eq!(writer.get_write_buffer_size(), 1);
    assert_eq!(log.lock().unwrap().written, &data[..9]);
    block_on(writer.flush()).unwrap();
    assert_eq!(writer.get_write_buffer_size(), 0);
    assert_eq!(log.lock().unwrap().written, data);
}

/// Writes `total` bytes in chunks of varying sizes, awaiting `drain` after each write, and
/// checks the queue never exceeds the high-water mark plus one write.
async fn produce(writer: &StreamWriter<SlowSink>, total: usize) -> Vec<u8> {
    let data = pattern(total);
    let (_, high) = writer.get_write_buffer_limits();
    let mut sizes = [700, 5_000, 1, 12_000, 3_333].into_iter().cycle();
    let mut rest = &data[..];
    while !rest.is_empty() {
        let size = sizes.next().unwrap().min(rest.len());
        writer.write(&rest[..size]).unwrap();
        assert!(writer.get_write_buffer_size() <= high + size);
        writer.drain().await.unwrap();
        assert!(writer.get_write_buffer_size() <= high);
        rest = &rest[size..];
    }
    writer.close();
    writer.wait_closed().await.unwrap();
    data
}

#[test]
fn a_slow_sink_and_drain_bound_the_queue_without_a_transport() {
    let sink = SlowSink::new(1_000).alternating();
    let log = sink.log();
    let writer = StreamWriter::new(sink);
    writer
        .set_write_buffer_limits(Some(16 * 1024), None)
        .unwrap();
    let data = block_on(produce(&writer, 300_000));
    let log = log.lock().unwrap();
    assert_eq!(log.written, data);
    assert!(log.closed);
}

#[test]
fn a_slow_sink_and_drain_bound_the_queue_with_a_transport() {
    let sink = SlowSink::new(1_000).alternating();
    let log = sink.log();
    let writer = StreamWriter::new(sink);
    writer
        .set_write_buffer_limits(Some(16 * 1024), None)
        .unwrap();
    let (data, ended) = block_on(future::zip(produce(&writer, 300_000), writer.transport()));
    ended.unwrap();
    let log = log.lock().unwrap();
    assert_eq!(log.written, data);
    assert!(log.closed);
}

#[test]
fn with_a_transport_drain_waits_only_while_paused() {
    let gate = Gate::default();
    let sink = SlowSink::new(4).gated(&gate);
    let log = sink.log();
    let writer = StreamWriter::new(sink);
    writer.set_write_buffer_limits(Some(10), Some(2)).unwrap();
    let mut transport = Driven::new(writer.transport());
    transport.pending();
    writer.write(b"12345").unwrap();
    assert!(
        Driven::new(writer.drain()).ready().is_ok(),
        "not paused: no wait"
    );
    transport.pending(); // the gate is closed
    writer.write(b"6789abcdef").unwrap(); // 15 queued > 10: paused
    let mut drain = Driven::new(writer.drain());
    drain.pending();
    drain.pending(); // it only waits: the transport writes
    gate.open();
    transport.pending(); // wrote everything, then waits for more
    assert!(drain.ready().is_ok());
    assert_eq!(log.lock().unwrap().written, b"123456789abcdef");
}

#[test]
fn a_cancelled_drain_loses_nothing() {
    let gate = Gate::default();
    let sink = SlowSink::new(3).gated(&gate);
    let log = sink.log();
    let writer = StreamWriter::new(sink);
    writer.set_write_buffer_limits(Some(4), None).unwrap();
    let data = pattern(10);
    writer.write(&data).unwrap();
    {
        let mut drain = Driven::new(writer.drain());
        drain.pending();
        drain.pending();
    } // cancelled, e.g. by a timeout
    assert_eq!(writer.get_write_buffer_size(), 10);
    gate.open();
    block_on(writer.drain()).unwrap();
    block_on(writer.flush()).unwrap();
    assert_eq!(log.lock().unwrap().written, data);
}

#[test]
fn two_tasks_can_drain_one_writer() {
    let sink = SlowSink::new(10).alternating();
    let log = sink.log();
    let writer = StreamWriter::new(sink);
    writer.set_write_buffer_limits(Some(20), None).unwrap();
    let data = pattern(100);
    writer.write(&data).unwrap();
    let (a, b) = block_on(future::zip(writer.drain(), writer.drain()));
    a.unwrap();
    b.unwrap();
    block_on(writer.flush()).unwrap();
    assert_eq!(log.lock().unwrap().written, data);
}

#[test]
fn write_after_close_is_an_error_and_wait_closed_closes_the_sink() {
    let gate = Gate::default();
    let sink = SlowSink::new(100).gated(&gate);
    let log = sink.log();
    let writer = StreamWriter::new(sink);
    writer.write(b"last").unwrap();
    writer.close();
    assert!(writer.is_closing());
    let error = writer.write(b"more").unwrap_err();
    assert!(matches!(error, StreamError::WriteAfterClose));
    assert_eq!(error.to_string(), "Cannot call write() after close()");
    assert!(matches!(
        writer.writelines([b"x"]),
        Err(StreamError::WriteAfterClose)
    ));
    let mut closing = Driven::new(writer.wait_closed());
    closing.pending();
    gate.open();
    closing.ready().unwrap();
    let log = log.lock().unwrap();
    assert_eq!(
        log.written, b"last",
        "the queued bytes went out before the close"
    );
    assert!(log.closed);
    drop(log);
    block_on(writer.wait_closed()).unwrap();
    block_on(writer.drain()).unwrap();
}

#[test]
fn wait_closed_without_close_closes() {
    let sink = SlowSink::new(100);
    let log = sink.log();
    let writer = StreamWriter::new(sink);
    block_on(writer.wait_closed()).unwrap();
    assert!(log.lock().unwrap().closed);
    assert!(writer.is_closing());
}

#[test]
fn write_eof_half_closes_after_the_queued_bytes() {
    let gate = Gate::default();
    let sink = SlowSink::new(100).gated(&gate);
    let log = sink.log();
    let writer = StreamWriter::with_write_eof(sink);
    assert!(writer.can_write_eof());
    writer.write(b"bye").unwrap();
    writer.write_eof().unwrap();
    assert!(!log.lock().unwrap().eof, "the queue goes first");
    let error = writer.write(b"late").unwrap_err();
    assert!(matches!(error, StreamError::WriteAfterEof));
    assert_eq!(error.to_string(), "Cannot call write() after write_eof()");
    writer.write_eof().unwrap(); // a second call does nothing, as in asyncio
    gate.open();
    block_on(writer.drain()).unwrap();
    let log = log.lock().unwrap();
    assert_eq!(log.written, b"bye");
    assert!(log.eof && !log.closed);
}

#[test]
fn write_eof_needs_a_sink_that_can_half_close() {
    let writer = StreamWriter::new(SlowSink::new(100));
    assert!(!writer.can_write_eof());
    assert!(matches!(
        writer.write_eof(),
        Err(StreamError::EofNotSupported)
    ));
    writer.write(b"still writable").unwrap();
}

#[test]
fn a_broken_pipe_is_reported_by_drain_and_later_writes_fail() {
    let sink = SlowSink::new(100).failing_after(3, io::ErrorKind::BrokenPipe);
    let log = sink.log();
    let writer = StreamWriter::new(sink);
    writer.write(b"hello").unwrap(); // the sink broke after "hel": reported by drain
    let error = block_on(writer.drain()).unwrap_err();
    assert!(matches!(&error, StreamError::Io(e) if e.kind() == io::ErrorKind::BrokenPipe));
    let again = block_on(writer.drain()).unwrap_err();
    assert!(matches!(
        again,
        StreamError::ConnectionLost(io::ErrorKind::BrokenPipe)
    ));
    assert_eq!(again.to_string(), "Connection lost");
    assert!(matches!(
        writer.write(b"more"),
        Err(StreamError::ConnectionLost(io::ErrorKind::BrokenPipe))
    ));
    assert!(writer.is_closing());
    assert_eq!(writer.get_write_buffer_size(), 0);
    assert!(matches!(
        block_on(writer.wait_closed()),
        Err(StreamError::ConnectionLost(_))
    ));
    assert_eq!(log.lock().unwrap().written, b"hel");
}

#[test]
fn a_reset_with_a_transport_is_reported_by_wait_closed() {
    let sink = SlowSink::new(2)
        .alternating()
        .failing_after(5, io::ErrorKind::ConnectionReset);
    let writer = StreamWriter::new(sink);
    let transport = writer.transport();
    writer.write(&pattern(50)).unwrap();
    let (closed, ended) = block_on(future::zip(writer.wait_closed(), transport));
    assert!(
        matches!(closed, Err(StreamError::Io(e)) if e.kind() == io::ErrorKind::ConnectionReset)
    );
    assert!(matches!(
        ended,
        Err(StreamError::ConnectionLost(io::ErrorKind::ConnectionReset))
    ));
    assert!(matches!(
        block_on(writer.flush()),
        Err(StreamError::ConnectionLost(_))
    ));
}

#[test]
fn bad_water_marks_are_rejected_and_change_nothing() {
    let writer = StreamWriter::new(SlowSink::new(1));
    assert_eq!(
        writer.get_write_buffer_limits(),
        (DEFAULT_HIGH_WATER / 4, DEFAULT_HIGH_WATER)
    );
    let error = writer
        .set_write_buffer_limits(Some(10), Some(20))
        .unwrap_err();
    assert!(matches!(
        error,
        StreamError::BadWaterMarks { high: 10, low: 20 }
    ));
    assert_eq!(
        error.to_string(),
        "high (10) must be >= low (20) must be >= 0"
    );
    assert!(matches!(
        writer.set_write_buffer_limits(None, Some(100_000)),
        Ok(()) // high defaults to 4 * low, as in asyncio
    ));
    assert_eq!(writer.get_write_buffer_limits(), (100_000, 400_000));
    assert!(matches!(
        writer.set_write_buffer_limits(Some(1), None),
        Ok(()) // low defaults to high / 4
    ));
    assert_eq!(writer.get_write_buffer_limits(), (0, 1));
    writer.set_write_buffer_limits(Some(0), Some(0)).unwrap();
}

#[test]
fn lowering_the_high_water_mark_pauses_a_full_writer() {
    let gate = Gate::default();
    let writer = StreamWriter::new(SlowSink::new(100).gated(&gate));
    writer.write(&pattern(10)).unwrap();
    assert!(Driven::new(writer.drain()).ready().is_ok());
    writer.set_write_buffer_limits(Some(5), Some(1)).unwrap();
    let mut drain = Driven::new(writer.drain());
    drain.pending();
    gate.open();
    drain.ready().unwrap();
    assert!(writer.get_write_buffer_size() <= 1);
}

#[test]
fn one_transport_per_writer() {
    let writer = StreamWriter::new(SlowSink::new(1));
    let mut first = Driven::new(writer.transport());
    first.pending();
    let second = block_on(writer.transport());
    assert!(matches!(second, Err(StreamError::TransportRunning)));
    writer.close();
    first.ready().unwrap();
}

#[test]
fn a_dropped_transport_hands_the_writing_back_to_drain() {
    let gate = Gate::default();
    let sink = SlowSink::new(3).gated(&gate);
    let log = sink.log();
    let writer = StreamWriter::new(sink);
    writer.set_write_buffer_limits(Some(4), None).unwrap();
    let mut transport = Driven::new(writer.transport());
    transport.pending();
    writer.write(&pattern(10)).unwrap();
    let mut drain = Driven::new(writer.drain());
    drain.pending();
    drop(transport); // the runtime went away
    gate.open();
    drain.ready().unwrap();
    assert!(writer.get_write_buffer_size() <= 1);
    block_on(writer.wait_closed()).unwrap();
    assert_eq!(log.lock().unwrap().written, pattern(10));
}

#[test]
fn dropping_the_writer_lets_its_transport_finish_and_close() {
    let gate = Gate::default();
    let sink = SlowSink::new(3).gated(&gate);
    let log = sink.log();
    let writer = StreamWriter::new(sink);
    writer.write(b"parting words").unwrap();
    let transport = writer.transport();
    drop(writer);
    gate.open();
    block_on(transport).unwrap();
    let log = log.lock().unwrap();
    assert_eq!(log.written, b"parting words");
    assert!(log.closed);
}

#[test]
fn flush_flushes_the_sink_every_time() {
    let sink = SlowSink::new(100);
    let log = sink.log();
    let writer = StreamWriter::new(sink);
    block_on(writer.flush()).unwrap();
    block_on(writer.flush()).unwrap();
    assert_eq!(log.lock().unwrap().flushes, 2);
}

#[test]
fn handles_are_send_and_sync_over_send_sinks() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<StreamWriter<SlowSink>>();
    send_sync::<asyncio_streams::Transport<SlowSink>>();
    send_sync::<asyncio_streams::StreamReader<common::ChunkedReader>>();
}
