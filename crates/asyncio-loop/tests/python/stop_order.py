# stop() lets the current iteration finish; stop() before run_forever() runs exactly one
# iteration. Expected trace of tests/ordering.rs::stop_ordering.
import asyncio

loop = asyncio.new_event_loop()
def cb(name):
    print(name)
def stopper():
    print('stopper')
    loop.stop()
    loop.call_soon(cb, 'after stop (next run)')
loop.call_soon(cb, 'one')
loop.call_soon(stopper)
loop.call_soon(cb, 'two')
loop.run_forever()
print('run_forever returned')
loop.call_soon(cb, 'three')
loop.stop()
loop.run_forever()
print('stepped once')
loop.run_until_complete(asyncio.sleep(0))
print('done')
loop.close()
