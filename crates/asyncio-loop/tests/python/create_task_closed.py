"""create_task on a closed loop raises RuntimeError('Event loop is closed'), from the
call_soon in Task.__init__; the coroutine's body never runs and it is dropped with the
failed call. Asserted by misuse.rs `create_task_on_a_closed_loop_panics_with_asyncios_message`."""
import asyncio
import gc

loop = asyncio.new_event_loop()
loop.close()


class Guard:
    def __del__(self):
        print("future dropped")


async def body(guard):
    print("body ran")


coro = body(Guard())
try:
    loop.create_task(coro)
except RuntimeError as e:
    print(f"RuntimeError: {e}")
# 3.11 leaves the coroutine unclosed ("never awaited" warning); here the future is moved
# in, so it goes with the call.
del coro
gc.collect()
print("end")
