"""CPython's asyncio (and uvloop, when importable) on the `io` bench group's workloads.

Run by `cargo xtask bench [io] [--quick]`. Prints one line per measurement in the form
`GROUP/CASE IMPLEMENTATION VALUE UNIT`, the same cases as `crates/asyncio-bench/src/io.rs`,
so the xtask can print ratios. Every server and client talks to 127.0.0.1 in this process,
on the loop under test, and every loop is bounded by a count.

- `echo`: 50 connections, each client writing 64 B and reading the echo back before its next
  write; round trips per second (`req/s`). With asyncio streams (`open_connection` /
  `start_server`, `write` + `drain`, `readexactly`), named after the loop (`cpython`,
  `uvloop`), and with protocols (`create_connection` / `create_server`, `data_received`
  writing straight to the transport), named `cpython-protocol` and `uvloop-protocol`.
- `bulk`: 1 GiB through one connection in 64 KiB writes, each followed by `drain()`, read
  by the server's handler with `read(64 KiB)`; `MiB/s`.
- `churn`: connect, accept, close (the server closes first); connections per second.
- `idle_memory`: resident memory per idle connection, both ends and the server's handler
  task parked in `read(1)`, each loop in a fresh interpreter; `bytes/conn`.

The churn count is smaller than the Rust side's (4,000 connections against 20,000): CPython
connects about a third as fast, and the figure is a rate, so it stays comparable. asyncio
and uvloop set `TCP_NODELAY` on every TCP connection; the echo case sets it again,
explicitly, as the Rust side does.
"""

import asyncio
import gc
import os
import resource
import socket
import statistics
import subprocess
import sys
import time

from _loops import implementations
from _results import emit

QUICK = "--quick" in sys.argv

HOST = "127.0.0.1"
ECHO_CONNECTIONS = 50
MESSAGE = b"x" * 64
ECHO_BUFFER = 4096
CHUNK = 64 * 1024
CHURN_CLIENTS = 10


def size(full, quick):
    return quick if QUICK else full


def report(case, implementation, value, unit):
    emit("io", case, implementation, value, unit)


def run_on(new_loop, main):
    """Runs `main()` on a fresh loop, closed afterwards; `main` returns what it timed."""
    loop = new_loop()
    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()


def median_rate(new_loop, main, count):
    """`count` per second, the median over several runs of `main` on a fresh loop each."""
    runs = 1 if QUICK else 3
    return statistics.median(count / run_on(new_loop, main) for _ in range(runs))


def nodelay(transport_or_writer):
    sock = transport_or_writer.get_extra_info("socket")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def port_of(server):
    return server.sockets[0].getsockname()[1]


# ---- echo ----------------------------------------------------------------------------------


def echo_rounds():
    return size(1_000, 20)


async def echo_serve(reader, writer):
    nodelay(writer)
    while data := await reader.read(ECHO_BUFFER):
        writer.write(data)
        await writer.drain()
    writer.close()


def echo_streams(new_loop):
    rounds = echo_rounds()

    async def client(reader, writer):
        for _ in range(rounds):
            writer.write(MESSAGE)
            await writer.drain()
            back = await reader.readexactly(len(MESSAGE))
        assert back == MESSAGE
        writer.close()
        await writer.wait_closed()

    async def main():
        server = await asyncio.start_server(echo_serve, HOST, 0)
        clients = []
        for _ in range(ECHO_CONNECTIONS):
            reader, writer = await asyncio.open_connection(HOST, port_of(server))
            nodelay(writer)
            clients.append((reader, writer))
        started = time.perf_counter()
        await asyncio.gather(*(client(r, w) for r, w in clients))
        took = time.perf_counter() - started
        server.close()
        await server.wait_closed()
        return took

    return median_rate(new_loop, main, ECHO_CONNECTIONS * rounds)


class EchoServerProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        nodelay(transport)
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


class EchoClientProtocol(asyncio.Protocol):
    def __init__(self, rounds, done):
        self.rounds_left = rounds
        self.received = 0
        self.done = done

    def connection_made(self, transport):
        nodelay(transport)
        self.transport = transport

    def start(self):
        self.transport.write(MESSAGE)

    def data_received(self, data):
        self.received += len(data)
        if self.received < len(MESSAGE):
            return
        assert self.received == len(MESSAGE)
        self.received = 0
        self.rounds_left -= 1
        if self.rounds_left:
            self.transport.write(MESSAGE)
        else:
            self.done.set_result(None)


def echo_protocols(new_loop):
    rounds = echo_rounds()

    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(EchoServerProtocol, HOST, 0)
        clients = []
        for _ in range(ECHO_CONNECTIONS):
            _, protocol = await loop.create_connection(
                lambda: EchoClientProtocol(rounds, loop.create_future()),
                HOST,
                port_of(server),
            )
            clients.append(protocol)
        started = time.perf_counter()
        for protocol in clients:
            protocol.start()
        await asyncio.gather(*(protocol.done for protocol in clients))
        took = time.perf_counter() - started
        for protocol in clients:
            protocol.transport.close()
        server.close()
        await server.wait_closed()
        return took

    return median_rate(new_loop, main, ECHO_CONNECTIONS * rounds)


# ---- bulk ----------------------------------------------------------------------------------


def bulk_bytes():
    return size(1 << 30, 16 << 20)


def bulk_streams(new_loop, total):
    async def main():
        done = asyncio.get_running_loop().create_future()

        async def receive(reader, writer):
            received = 0
            while data := await reader.read(CHUNK):
                received += len(data)
            done.set_result(received)
            writer.close()

        server = await asyncio.start_server(receive, HOST, 0)
        _, writer = await asyncio.open_connection(HOST, port_of(server))
        chunk = b"x" * CHUNK
        started = time.perf_counter()
        for _ in range(total // CHUNK):
            writer.write(chunk)
            await writer.drain()
        writer.close()
        received = await done
        took = time.perf_counter() - started
        assert received == total
        await writer.wait_closed()
        server.close()
        await server.wait_closed()
        return took

    return median_rate(new_loop, main, total / (1 << 20))


# ---- churn ---------------------------------------------------------------------------------


def churn_streams(new_loop):
    count = size(4_000, 500)

    async def close_at_once(reader, writer):
        writer.close()

    async def client(port):
        for _ in range(count // CHURN_CLIENTS):
            reader, writer = await asyncio.open_connection(HOST, port)
            assert await reader.read(1) == b""
            writer.close()
            await writer.wait_closed()

    async def main():
        server = await asyncio.start_server(close_at_once, HOST, 0)
        started = time.perf_counter()
        await asyncio.gather(*(client(port_of(server)) for _ in range(CHURN_CLIENTS)))
        took = time.perf_counter() - started
        server.close()
        await server.wait_closed()
        return took

    return median_rate(new_loop, main, count)


# ---- idle_memory ---------------------------------------------------------------------------

MEMORY_CHILD = "--memory-child"


def resident_bytes():
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize()


def make_room_for(pairs):
    """Raises RLIMIT_NOFILE so that `pairs` connections fit (the hard limit too, where this
    process may); how many pairs fit."""
    spare = 64
    needed = 2 * pairs + spare
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return pairs
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, max(hard, needed)))
        return pairs
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return min(pairs, (hard - spare) // 2)


def idle_memory(name):
    """Measured in a fresh interpreter: memory an earlier case freed stays in this process's
    arenas and would be reused, hiding the connections' cost. `(connections, bytes/conn)`."""
    args = [sys.executable, __file__, MEMORY_CHILD, name] + (["--quick"] if QUICK else [])
    output = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    measured, per_connection = output.split()[-2:]
    return int(measured), float(per_connection)


def idle_memory_here(new_loop, n):
    async def main():
        parked = 0

        async def idle(reader, writer):
            nonlocal parked
            parked += 1
            await reader.read(1)

        server = await asyncio.start_server(idle, HOST, 0)
        port = port_of(server)
        gc.collect()
        before = resident_bytes()
        clients = []
        for _ in range(n):
            clients.append(await asyncio.open_connection(HOST, port))
        while parked < n:
            await asyncio.sleep(0)
        return (resident_bytes() - before) / n

    return run_on(new_loop, main)


def main():
    wanted = size(10_000, 200)
    print(f"# io/bulk: {bulk_bytes() >> 20} MiB in {CHUNK}-byte writes", flush=True)
    for name, new_loop in implementations():
        report("echo", name, echo_streams(new_loop), "req/s")
        report("echo", f"{name}-protocol", echo_protocols(new_loop), "req/s")
        report("bulk", name, bulk_streams(new_loop, bulk_bytes()), "MiB/s")
        report("churn", name, churn_streams(new_loop), "conn/s")
        measured, per_connection = idle_memory(name)
        if measured < wanted:
            print(f"# io/idle_memory {name}: {measured} connections (RLIMIT_NOFILE)")
        report("idle_memory", name, per_connection, "bytes/conn")


if __name__ == "__main__":
    if MEMORY_CHILD in sys.argv:
        wanted = sys.argv[sys.argv.index(MEMORY_CHILD) + 1]
        n = make_room_for(size(10_000, 200))
        print(n, idle_memory_here(dict(implementations())[wanted], n), flush=True)
        # The connections and their tasks are not torn down: the process ends here.
        os._exit(0)
    else:
        main()
