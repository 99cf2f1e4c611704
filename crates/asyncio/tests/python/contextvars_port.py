# Python port of examples/contextvars.rs (named apart: a `contextvars.py` here would
# shadow the standard module for the `import asyncio` below). A request id set once per
# request is seen by every coroutine, task and thread the request's handler starts, and
# never by another request's.
import asyncio
import contextvars

request_id = contextvars.ContextVar('request_id', default='-')


def log(message):
    print(f"[{request_id.get()}] {message}")


async def query(table, delay):
    log(f"query {table}")
    await asyncio.sleep(delay)
    log(f"{table} done")
    return table.upper()


def render(rows):
    # Blocking work, on a pool thread: the request id came along.
    log(f"render {rows}")
    return ' & '.join(rows)


async def handle(n):
    request_id.set(f"req-{n}")
    log("start")
    rows = await asyncio.gather(query("users", 0.02 * n), query("orders", 0.02 * n))
    page = await asyncio.to_thread(render, rows)
    log(f"reply {page!r}")
    return page


async def main():
    log("server up")
    pages = await asyncio.gather(handle(1), handle(2))
    log(f"server down after {len(pages)} requests")

asyncio.run(main())
