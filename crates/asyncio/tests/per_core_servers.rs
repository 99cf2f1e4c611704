//! Servers on a set of loops, loopback only: a `reuse_port` listener per loop (the kernel
//! spreads connections over them), and one acceptor handing connections to the loops;
//! the options themselves against `tests/python/server_options.py`.

#![cfg(unix)]

use std::sync::{Arc, OnceLock};

use asyncio::{
    Event, Pick, Queue, ServerOptions, TcpReader, TcpWriter, open_connection, run_per_core,
    start_server_handing_off, start_server_with,
};

/// Answers one line with the index of the loop that served it.
async fn answer_with_loop_index(loops: asyncio::Loops, mut reader: TcpReader, writer: TcpWriter) {
    let _ = reader.readline().await;
    let served_by = loops.current().expect("served on a loop of the set");
    writer.write(format!("{served_by}\n").as_bytes()).unwrap();
    writer.close();
    let _ = writer.wait_closed().await;
}

/// Sends a line to the server at `port` and reads which loop answered.
async fn ask(port: u16) -> usize {
    let (mut reader, writer) = open_connection("127.0.0.1", port).await.unwrap();
    writer.write(b"which loop?\n").unwrap();
    writer.drain().await.unwrap();
    let line = reader.readline().await.unwrap();
    String::from_utf8(line).unwrap().trim().parse().unwrap()
}

// Linux spreads connections over `SO_REUSEPORT` listeners; macOS and the BSDs give them
// all to one.
#[cfg(target_os = "linux")]
#[test]
fn reuse_port_listeners_on_two_loops_share_a_port_and_both_get_connections() {
    let port = OnceLock::new();
    let (bound, listening, all_served) = (Event::new(), Event::new(), Event::new());
    let out = run_per_core(2, |index, loops| {
        let (port, bound, listening, all_served) = (&port, &bound, &listening, &all_served);
        async move {
            let options = ServerOptions::new().reuse_port(true);
            let handler = {
                let loops = loops.clone();
                move |reader, writer| answer_with_loop_index(loops.clone(), reader, writer)
            };
            if index == 1 {
                // Loop 1 binds the port loop 0 picked, then serves until the client is done.
                bound.wait().await;
                let server =
                    start_server_with(handler, "127.0.0.1", *port.get().unwrap(), &options)
                        .await
                        .unwrap();
                listening.set();
                all_served.wait().await;
                server.close();
                return Vec::new();
            }
            let server = start_server_with(handler, "127.0.0.1", 0, &options)
                .await
                .unwrap();
            let chosen = server.sockets()[0].port();
            port.set(chosen).unwrap();
            bound.set();
            listening.wait().await;
            // Connections from ever new ports: the kernel's hash sends some to each
            // listener; 200 with none on one would be a 2^-200 chance.
            let mut served_by = Vec::new();
            for _ in 0..200 {
                served_by.push(ask(chosen).await);
                if served_by.contains(&0) && served_by.contains(&1) {
                    break;
                }
            }
            all_served.set();
            server.close();
            served_by
        }
    });
    let served_by = &out.unwrap()[0];
    assert!(
        served_by.contains(&0) && served_by.contains(&1),
        "both loops accepted: {served_by:?}"
    );
}

#[test]
fn one_acceptor_hands_connections_to_the_loops_in_turn() {
    let out = run_per_core(3, |index, loops| async move {
        if index != 0 {
            return Vec::new();
        }
        let handler = {
            let loops = loops.clone();
            move |reader, writer| answer_with_loop_index(loops.clone(), reader, writer)
        };
        let options = ServerOptions::new();
        let server =
            start_server_handing_off(handler, "127.0.0.1", 0, &options, &loops, Pick::RoundRobin)
                .await
                .unwrap();
        let port = server.sockets()[0].port();
        let mut served_by = Vec::new();
        for _ in 0..4 {
            served_by.push(ask(port).await);
        }
        server.close();
        served_by
    });
    assert_eq!(out.unwrap()[0], [0, 1, 2, 0]);
}

#[test]
fn the_acceptor_hands_connections_to_the_least_loaded_loop() {
    // Two connections held open: the third goes to the loop serving neither.
    let out = run_per_core(3, |index, loops| async move {
        if index != 0 {
            return None;
        }
        let release = Arc::new(Event::new());
        let arrived: Queue<usize> = Queue::new(0);
        let handler = {
            let (loops, release, arrived) = (loops.clone(), Arc::clone(&release), arrived.clone());
            move |mut reader: TcpReader, writer: TcpWriter| {
                let (loops, release, arrived) =
                    (loops.clone(), Arc::clone(&release), arrived.clone());
                async move {
                    let line = reader.readline().await.unwrap();
                    if line == b"hold\n" {
                        arrived.put_nowait(loops.current().unwrap()).unwrap();
                        release.wait().await;
                    }
                    let me = loops.current().unwrap();
                    writer.write(format!("{me}\n").as_bytes()).unwrap();
                    writer.close();
                }
            }
        };
        let options = ServerOptions::new();
        let server =
            start_server_handing_off(handler, "127.0.0.1", 0, &options, &loops, Pick::LeastLoaded)
                .await
                .unwrap();
        let port = server.sockets()[0].port();
        let mut held = Vec::new();
        for _ in 0..2 {
            let (reader, writer) = open_connection("127.0.0.1", port).await.unwrap();
            writer.write(b"hold\n").unwrap();
            writer.drain().await.unwrap();
            held.push((reader, writer));
        }
        // Both held connections have reached their loops (and are in flight there).
        for _ in 0..2 {
            arrived.get().await.unwrap();
        }
        let idle: Vec<_> = (0..3).filter(|&i| loops.in_flight(i) == 0).collect();
        let third = ask(port).await;
        release.set();
        let mut held_on = Vec::new();
        for (mut reader, _writer) in held {
            let line = reader.readline().await.unwrap();
            held_on.push(
                String::from_utf8(line)
                    .unwrap()
                    .trim()
                    .parse::<usize>()
                    .unwrap(),
            );
        }
        server.close();
        Some((idle, third, held_on))
    });
    let (idle, third, mut held_on) = out.unwrap()[0].clone().unwrap();
    assert_eq!(idle.len(), 1);
    assert_eq!(third, idle[0], "the third connection went to the idle loop");
    held_on.sort();
    held_on.dedup();
    assert_eq!(
        held_on.len(),
        2,
        "the two held connections went to two loops"
    );
}

/// A socket option's value as a bool (`getsockopt`).
fn flag(listener: &asyncio::TcpListener, option: libc::c_int) -> bool {
    use std::os::fd::AsRawFd;
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: a valid descriptor (the listener is alive), and an int-sized out-parameter
    // with its length, as SOL_SOCKET's boolean options take.
    let got = unsafe {
        libc::getsockopt(
            listener.get_ref().as_raw_fd(),
            libc::SOL_SOCKET,
            option,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    assert_eq!(got, 0, "getsockopt");
    value != 0
}

/// The trace of `tests/python/server_options.py` under CPython 3.11: asyncio's
/// `start_server` keywords and what they do to the listening socket.
#[test]
fn server_options_do_what_asyncios_keywords_do() {
    let trace = asyncio::run(async {
        let mut trace = Vec::new();
        let handler = |_: TcpReader, writer: TcpWriter| async move { writer.close() };
        let reuse = ServerOptions::new().reuse_port(true);
        let first = start_server_with(handler, "127.0.0.1", 0, &reuse)
            .await
            .unwrap();
        let port = first.sockets()[0].port();
        // A `Server` does not expose its sockets: probe a listener made with the same
        // options (that it can join the port already shows `SO_REUSEPORT` on both).
        let probe = asyncio::TcpListener::bind_with(first.sockets()[0], &reuse).unwrap();
        let options = (
            flag(&probe, libc::SO_REUSEADDR),
            flag(&probe, libc::SO_REUSEPORT),
        );
        trace.push(format!(
            "first: reuse_address, reuse_port = {}",
            py(options)
        ));
        drop(probe);
        let second = start_server_with(handler, "127.0.0.1", port, &reuse)
            .await
            .unwrap();
        trace.push(format!(
            "second on the same port: {}",
            if second.sockets()[0].port() == port {
                "True"
            } else {
                "False"
            }
        ));
        match asyncio::start_server(handler, "127.0.0.1", port).await {
            Ok(_) => trace.push("third without reuse_port: bound".into()),
            Err(error) if error.raw_os_error() == Some(libc::EADDRINUSE) => {
                trace.push("third without reuse_port: EADDRINUSE".into());
            }
            Err(error) => trace.push(format!("third without reuse_port: {error}")),
        }
        let plain = ServerOptions::new().reuse_address(false).backlog(5);
        let listener =
            asyncio::TcpListener::bind_with("127.0.0.1:0".parse().unwrap(), &plain).unwrap();
        let options = (
            flag(&listener, libc::SO_REUSEADDR),
            flag(&listener, libc::SO_REUSEPORT),
        );
        trace.push(format!(
            "plain: reuse_address, reuse_port = {}",
            py(options)
        ));
        trace
    });
    assert_eq!(
        trace.unwrap(),
        [
            "first: reuse_address, reuse_port = (True, True)",
            "second on the same port: True",
            "third without reuse_port: EADDRINUSE",
            "plain: reuse_address, reuse_port = (False, False)",
        ]
    );
}

/// A pair of bools as Python prints a tuple of them.
fn py((a, b): (bool, bool)) -> String {
    let name = |v: bool| if v { "True" } else { "False" };
    format!("({}, {})", name(a), name(b))
}
