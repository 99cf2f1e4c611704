//! asyncio's streams on our sockets, over 127.0.0.1 and Unix paths in a temp dir:
//! `open_connection` / `start_server` and their Unix twins, the reader's limit and EOF
//! errors across a real connection, `drain` bounding a writer whose peer does not read,
//! and a closed server refusing connections.

use std::io;
use std::time::Duration;

use asyncio::{StreamError, TcpReader, TcpWriter, UnixReader, UnixWriter};

#[test]
fn a_line_echo_server_and_client() {
    let lines = asyncio::run(async {
        let server = asyncio::start_server(
            |mut reader: TcpReader, writer: TcpWriter| async move {
                while let Ok(line) = reader.readline().await {
                    if line.is_empty() {
                        break; // EOF
                    }
                    writer.write(&line).unwrap();
                    writer.drain().await.unwrap();
                }
                writer.close();
                let _ = writer.wait_closed().await;
            },
            "127.0.0.1",
            0,
        )
        .await?;
        assert!(server.is_serving());
        let port = server.sockets()[0].port();
        let (mut reader, writer) = asyncio::open_connection("localhost", port).await?;
        let mut lines = Vec::new();
        for i in 0..50 {
            writer.write(format!("line {i}\n").as_bytes())?;
            writer.drain().await?;
            lines.push(String::from_utf8(reader.readline().await?).unwrap());
        }
        writer.write_eof()?;
        assert!(reader.read_to_end().await?.is_empty());
        assert!(reader.at_eof());
        server.close();
        server.wait_closed().await;
        assert!(!server.is_serving());
        Ok::<_, StreamError>(lines)
    })
    .unwrap()
    .unwrap();
    assert_eq!(lines.len(), 50);
    assert_eq!(lines[49], "line 49\n");
}

#[test]
fn limit_overrun_and_incomplete_reads_over_a_connection() {
    let out = asyncio::run(async {
        let server = asyncio::start_server(
            |_reader: TcpReader, writer: TcpWriter| async move {
                writer.write(&[b'x'; 100]).unwrap();
                writer.write(b"\nabc").unwrap();
                writer.close();
                let _ = writer.wait_closed().await;
            },
            "127.0.0.1",
            0,
        )
        .await?;
        let port = server.sockets()[0].port();
        let (reader, _writer) = asyncio::open_connection("127.0.0.1", port).await?;
        let mut reader = asyncio::StreamReader::with_limit(reader.into_inner(), 10)?;
        // No newline within the limit: an error, and the bytes stay for the next read.
        let overrun = match reader.readuntil(b"\n").await {
            Err(StreamError::LimitOverrun(error)) => error,
            other => panic!("expected a limit overrun, got {other:?}"),
        };
        assert!(overrun.consumed >= 10);
        let kept = reader.readexactly(101).await?;
        assert_eq!(&kept[100..], b"\n");
        let incomplete = match reader.readexactly(10).await {
            Err(StreamError::IncompleteRead(error)) => error,
            other => panic!("expected an incomplete read, got {other:?}"),
        };
        assert_eq!(incomplete.partial, b"abc");
        assert_eq!(incomplete.expected, Some(10));
        server.close();
        Ok::<_, StreamError>(())
    });
    out.unwrap().unwrap();
}

#[test]
fn drain_bounds_a_writer_whose_peer_does_not_read() {
    let high_water_held = asyncio::run(async {
        let (accepted, accepted_rx) = std::sync::mpsc::channel();
        let server = asyncio::start_server(
            move |reader: TcpReader, _writer: TcpWriter| {
                // Keep the connection open and never read.
                accepted.send(()).unwrap();
                async move {
                    asyncio::sleep(Duration::from_secs(60)).await;
                    drop(reader);
                }
            },
            "127.0.0.1",
            0,
        )
        .await?;
        let port = server.sockets()[0].port();
        let (_reader, writer) = asyncio::open_connection("127.0.0.1", port).await?;
        let chunk = vec![0_u8; 16 * 1024];
        let mut largest = 0;
        // The kernel's buffers take some megabytes first; after that `drain` must hold.
        for _ in 0..2000 {
            writer.write(&chunk)?;
            largest = largest.max(writer.get_write_buffer_size());
            if asyncio::timeout(Duration::from_millis(50), writer.drain())
                .await
                .is_err()
            {
                break;
            }
        }
        assert!(accepted_rx.try_recv().is_ok());
        server.close();
        Ok::<_, StreamError>(largest)
    })
    .unwrap()
    .unwrap();
    assert!(
        high_water_held <= 64 * 1024 + 16 * 1024,
        "the write buffer grew to {high_water_held} bytes"
    );
}

#[test]
fn a_unix_server_and_a_closed_server_refusing_connections() {
    let dir = std::env::temp_dir().join(format!("asyncio-streams-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).unwrap();
    let path = dir.join("echo.sock");
    let out = asyncio::run(async move {
        let server = asyncio::start_unix_server(
            |mut reader: UnixReader, writer: UnixWriter| async move {
                let data = reader.readexactly(4).await.unwrap();
                writer.write(&data).unwrap();
                writer.close();
                let _ = writer.wait_closed().await;
            },
            &path,
        )
        .await?;
        let (mut reader, writer) = asyncio::open_unix_connection(&path).await?;
        writer.write(b"unix")?;
        let echoed = reader.readexactly(4).await?;
        server.close();
        server.wait_closed().await;
        let tcp =
            asyncio::start_server(|_: TcpReader, _: TcpWriter| async {}, "127.0.0.1", 0).await?;
        let port = tcp.sockets()[0].port();
        tcp.close();
        tcp.wait_closed().await;
        let refused = asyncio::open_connection("127.0.0.1", port)
            .await
            .unwrap_err();
        Ok::<_, StreamError>((echoed, refused.kind()))
    });
    let _ = std::fs::remove_dir_all(&dir);
    let (echoed, refused) = out.unwrap().unwrap();
    assert_eq!(echoed, b"unix");
    assert_eq!(refused, io::ErrorKind::ConnectionRefused);
}
