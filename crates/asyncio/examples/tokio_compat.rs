//! A tokio-based crate inside our loop (the facade's `tokio` feature): hyper-util's HTTP
//! client, which connects with `tokio::net`, spawns its connection task with
//! `tokio::spawn` and keeps a pool, fetches pages from a hyper server that runs in our
//! loop (the `hyper` feature's `asyncio::hyper_rt`); tokio's timer waits beside our own.
//!
//! ```sh
//! cargo run -p asyncio --features tokio,hyper --example tokio_compat
//! ```
//!
//! Each tokio-based future is wrapped with [`asyncio::tokio_compat`], which enters a
//! background tokio runtime (one per process, started here on first use) around its polls;
//! everything else, the server included, is ordinary asyncio code. Its output is the same
//! every run (`cargo xtask ci` compares it with `tests/expected/tokio_compat.txt`).

use std::convert::Infallible;
use std::error::Error;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use asyncio::hyper_rt::{HyperIo, HyperTimer};
use asyncio::tokio_compat;
use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// The server's one page: which path, and which connection of the server's it came on.
async fn page(request: Request<Incoming>, connection: u32) -> Result<Response<String>, Infallible> {
    let path = request.uri().path();
    Ok(Response::new(format!(
        "page {path} on connection {connection}"
    )))
}

/// A response body, read whole (it arrives from the client's connection task on tokio's
/// thread; reading it needs no runtime).
async fn read_body(mut body: Incoming) -> Result<String, Box<dyn Error>> {
    let mut out = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        if let Ok(data) = frame?.into_data() {
            out.extend_from_slice(&data);
        }
    }
    Ok(String::from_utf8(out)?)
}

async fn main_async() -> Result<(), Box<dyn Error>> {
    // The server: hyper on our loop, one task per connection.
    let listener = asyncio::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let port = listener.local_addr()?.port();
    let server = asyncio::create_task(async move {
        for connection in 1.. {
            let Ok((stream, _)) = listener.accept().await else {
                break;
            };
            let service = service_fn(move |request| page(request, connection));
            let serving = http1::Builder::new()
                .timer(HyperTimer)
                .serve_connection(HyperIo::vectored(stream), service);
            drop(asyncio::create_task(serving));
        }
    });

    // The client: hyper-util's, tokio-based, through tokio_compat.
    let client = Client::builder(TokioExecutor::new()).build_http::<String>();
    for path in ["/", "/about"] {
        let uri = format!("http://127.0.0.1:{port}{path}").parse()?;
        let response = tokio_compat(client.get(uri)).await?;
        let status = response.status();
        println!(
            "GET {path}: {status} {:?}",
            read_body(response.into_body()).await?
        );
    }

    // tokio's timer and ours, side by side: the loop runs its own task while tokio's
    // sleep waits (the sleep is made inside the wrapper: tokio looks for its runtime then).
    let ours = asyncio::create_task(async {
        asyncio::sleep(Duration::from_millis(10)).await;
        println!("asyncio::sleep done");
    });
    tokio_compat(async { tokio::time::sleep(Duration::from_millis(50)).await }).await;
    println!("tokio::time::sleep done");
    ours.await?;

    server.cancel();
    Ok(())
}

fn main() {
    asyncio::run(main_async())
        .expect("the loop ran")
        .expect("the example ran");
}
