# An add_reader callback runs, every time, in one context: a copy of the context current
# when it was added, kept by its handle, so what one run sets the next sees.
# Expected trace of tests/contextvars.rs::a_reader_keeps_one_context.
import asyncio
import contextvars
import socket

runs = contextvars.ContextVar('runs', default=0)
request = contextvars.ContextVar('request')


async def main():
    loop = asyncio.get_running_loop()
    for added_from in [None, 'adder']:
        if added_from:
            request.set(added_from)
        ours, theirs = socket.socketpair()
        ours.setblocking(False)
        done = loop.create_future()

        def reader():
            ours.recv(1)
            print(f"run {runs.get()} request={request.get('unset')}")
            runs.set(runs.get() + 1)
            if runs.get() == 3:
                loop.remove_reader(ours)
                done.set_result(None)
        loop.add_reader(ours, reader)
        theirs.send(b'abc')  # readable for three runs, one byte each
        await done
        print(f"main: runs={runs.get()}")
        ours.close()
        theirs.close()

asyncio.run(main())
