//! An echo server on every core: a `LoopSet` of two loops, each accepting on its own
//! `reuse_port` listener of one port (asyncio's `start_server(..., reuse_port=True)`), and
//! clients on loop 0 that note which loop answered. A `Queue` shared by the loops carries
//! the port from loop 0 (which binds port 0) to loop 1, an `Event` says loop 1 listens:
//! asyncio-sync's primitives work across loops.
//!
//! The split between the loops is the kernel's (a hash per connection), so the example
//! prints only what does not depend on it.

use std::sync::Arc;

use asyncio::{Event, Queue, ServerOptions, TcpReader, TcpWriter, start_server_with};

const CONNECTIONS: usize = 20;

async fn echo(loop_index: usize, mut reader: TcpReader, writer: TcpWriter) {
    while let Ok(line) = reader.readline().await {
        if line.is_empty() {
            break;
        }
        let answer = format!(
            "{} from loop {loop_index}\n",
            String::from_utf8_lossy(&line).trim()
        );
        if writer.write(answer.as_bytes()).is_err() || writer.drain().await.is_err() {
            break;
        }
    }
    writer.close();
}

fn main() {
    let port: Queue<u16> = Queue::new(0);
    let (listening, done) = (Arc::new(Event::new()), Arc::new(Event::new()));
    let served = asyncio::run_per_core(2, |index, _loops| {
        let (port, listening, done) = (port.clone(), Arc::clone(&listening), Arc::clone(&done));
        async move {
            let options = ServerOptions::new().reuse_port(true);
            let handler = move |reader, writer| echo(index, reader, writer);
            if index == 1 {
                // Loop 1 joins the port loop 0 chose, says so, and serves until told.
                let at = port.get().await.expect("loop 0 sends the port");
                let server = start_server_with(handler, "127.0.0.1", at, &options)
                    .await
                    .expect("a second listener on the port");
                listening.set();
                done.wait().await;
                server.close();
                return Vec::new();
            }
            let server = start_server_with(handler, "127.0.0.1", 0, &options)
                .await
                .expect("a listener");
            let at = server.sockets()[0].port();
            port.put_nowait(at).expect("an unbounded queue");
            listening.wait().await;
            let mut answered_by = Vec::new();
            for n in 0..CONNECTIONS {
                let (mut reader, writer) = asyncio::open_connection("127.0.0.1", at)
                    .await
                    .expect("connects");
                writer
                    .write(format!("hello {n}\n").as_bytes())
                    .expect("writes");
                writer.drain().await.expect("drains");
                let line = reader.readline().await.expect("an answer");
                answered_by.push(String::from_utf8(line).expect("utf-8"));
                writer.close();
            }
            done.set();
            server.close();
            answered_by
        }
    });
    let answers = served.expect("the loop set runs").swap_remove(0);
    for (n, answer) in answers.iter().enumerate() {
        assert!(answer.starts_with(&format!("hello {n} from loop ")));
    }
    println!(
        "{} connections echoed by a server on every loop",
        answers.len()
    );
}
