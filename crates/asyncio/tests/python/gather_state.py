# done() / result() / cancel() of the future gather() returns, stepping the loop one
# iteration per frame (tests/gather_state.rs). Each frame prints what the gather says
# before the frame runs, then what its callbacks print during it. result() is asked while
# pending and once after done() turned true (the Rust gather hands its result over once,
# as a task's `result()` does).
import asyncio

loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
frame = 0


def log(*words):
    print(frame, *words)


def result(g):
    try:
        r = g.result()
        return ",".join(r) if isinstance(r, list) else str(r)
    except asyncio.InvalidStateError as e:
        return f"InvalidStateError: {e}"
    except asyncio.CancelledError:
        return "CancelledError"
    except ValueError as e:
        return f"ValueError: {e}"


def frames(g, n):
    """Runs n frames, saying what `g` is before each."""
    global frame
    for _ in range(n):
        frame += 1
        if not g.done():
            log("pending:", result(g))
        elif not getattr(g, "reported", False):
            g.reported = True
            log("done:", result(g))
        loop.stop()
        loop.run_forever()


def state(task):
    return "cancelled" if task.cancelled() else "done" if task.done() else "pending"


async def child(name, yields, fail=False):
    for _ in range(yields):
        await asyncio.sleep(0)
    log(name, "returns")
    if fail:
        raise ValueError(name)
    return name


def scenario(title):
    global frame
    frame = 0
    print("--", title)


scenario("all succeed: done() turns true in the last child's done callbacks")
a = loop.create_task(child("a", 1))
b = loop.create_task(child("b", 2))
b.add_done_callback(lambda _: log("callback added before gather: done", g.done()))
g = asyncio.gather(a, b)
b.add_done_callback(lambda _: log("callback added after gather: done", g.done()))
frames(g, 5)

scenario("a child fails: done at once, the sibling keeps running")
a = loop.create_task(child("a", 1, fail=True))
b = loop.create_task(child("b", 3))
g = asyncio.gather(a, b)
frames(g, 3)
log("cancel after done:", g.cancel())
frames(g, 3)
log("b", state(b))

scenario("cancel(): the children are cancelled, the gather ends with CancelledError")
a = loop.create_task(child("a", 5))
b = loop.create_task(child("b", 5))
g = asyncio.gather(a, b)
frames(g, 1)
log("cancel:", g.cancel(), "done", g.done())
log("cancel again:", g.cancel())
frames(g, 3)
log("a", state(a), "b", state(b))
log("cancel after done:", g.cancel())

scenario("cancel() before the children started")
g = asyncio.gather(child("a", 0), child("b", 0))
log("cancel:", g.cancel(), "done", g.done())
frames(g, 3)

scenario("cancel() once every child has finished, before their done callbacks ran")
a = loop.create_task(child("a", 0))
g = asyncio.gather(a)
frames(g, 1)
log("cancel:", g.cancel(), "done", g.done())
frames(g, 2)
loop.close()
