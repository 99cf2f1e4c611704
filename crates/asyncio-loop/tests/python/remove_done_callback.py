# remove_done_callback: the callbacks left run in the order they were added, the iteration
# after the future is done; once it is done, nothing is left to remove. Expected trace of
# tests/future.rs::removed_done_callbacks_do_not_run (Rust ids one registration each, so
# removing `b` takes two calls there where one removes both registrations here).
import asyncio

loop = asyncio.new_event_loop()
fut = loop.create_future()

def cb(name):
    return lambda f: print(name, f.result())

a, b, c = cb('a'), cb('b'), cb('c')
fut.add_done_callback(a)
fut.add_done_callback(b)
fut.add_done_callback(c)
fut.add_done_callback(b)
print('removed b:', fut.remove_done_callback(b))
print('removed b again:', fut.remove_done_callback(b))
fut.set_result(1)
print('removed a after done:', fut.remove_done_callback(a))
print('result', loop.run_until_complete(fut))
loop.close()
