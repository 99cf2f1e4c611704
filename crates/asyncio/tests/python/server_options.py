"""start_server's socket options (reuse_port, reuse_address, backlog), as
crates/asyncio/tests/per_core_servers.rs asserts them: two reuse_port servers share a port;
a server without reuse_port cannot join it; the listener's options are what was asked."""

import asyncio
import errno
import socket


async def handler(reader, writer):
    writer.close()


def options(server):
    sock = server.sockets[0]
    return (
        bool(sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)),
        bool(sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)),
    )


async def main():
    first = await asyncio.start_server(handler, "127.0.0.1", 0, reuse_port=True)
    port = first.sockets[0].getsockname()[1]
    print("first: reuse_address, reuse_port =", options(first))
    second = await asyncio.start_server(handler, "127.0.0.1", port, reuse_port=True)
    print("second on the same port:", second.sockets[0].getsockname()[1] == port)
    try:
        await asyncio.start_server(handler, "127.0.0.1", port)
        print("third without reuse_port: bound")
    except OSError as error:
        print("third without reuse_port:", errno.errorcode[error.errno])
    plain = await asyncio.start_server(handler, "127.0.0.1", 0, reuse_address=False, backlog=5)
    print("plain: reuse_address, reuse_port =", options(plain))
    for server in (first, second, plain):
        server.close()
        await server.wait_closed()


asyncio.run(main())
