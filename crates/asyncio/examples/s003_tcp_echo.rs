//! Seed 003 ends its chapter pointing at asyncio's TCP streams; this is the echo server
//! and client of asyncio's streams documentation in one program: the server listens on a
//! free port of 127.0.0.1 (no port is printed, so the output is the same every run), the
//! client sends one message, and the server is closed afterwards instead of serving
//! forever. `tests/python/s003_tcp_echo.py` is the same program for CPython 3.11. Python's
//! `{message!r}` is written `'{message}'` here: Rust's `{:?}` quotes with `"`.

use asyncio::{TcpReader, TcpWriter};

async fn handle_echo(mut reader: TcpReader, writer: TcpWriter) {
    let data = reader.read(100).await.expect("read");
    let message = String::from_utf8_lossy(&data).into_owned();
    println!("Received '{message}' from the client");
    println!("Send: '{message}'");
    writer.write(&data).expect("write");
    writer.drain().await.expect("drain");
    println!("Close the connection");
    writer.close();
    writer.wait_closed().await.expect("wait_closed");
}

async fn tcp_echo_client(message: &str, port: u16) -> std::io::Result<()> {
    let (mut reader, writer) = asyncio::open_connection("127.0.0.1", port).await?;
    println!("Send: '{message}'");
    writer.write(message.as_bytes())?;
    writer.drain().await?;
    let data = reader.read(100).await?;
    println!("Received: '{}'", String::from_utf8_lossy(&data));
    println!("Close the connection");
    writer.close();
    writer.wait_closed().await?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    asyncio::run(async {
        let server = asyncio::start_server(handle_echo, "127.0.0.1", 0).await?;
        println!("Serving on 127.0.0.1");
        tcp_echo_client("Hello World!", server.sockets()[0].port()).await?;
        server.close();
        server.wait_closed().await;
        Ok::<_, Box<dyn std::error::Error>>(())
    })??;
    Ok(())
}
