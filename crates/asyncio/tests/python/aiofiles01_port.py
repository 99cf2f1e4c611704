"""Seed 003's aiofiles01.py with the device its Rust port (examples/s003_aiofiles01.rs)
uses to be deterministic: each phase waits for the tick the seed's timing puts in it (an
Event the ticker sets), the file goes to a temporary directory. The tick is 5 s here, not the
Rust port's 0.5 s: aiofiles makes a thread hop per character, so a phase takes about 2.5 s
on the project's machine (the seed's own tick), and the device needs a tick longer than a
phase. Needs aiofiles (`pip install aiofiles`), so `gen_expected.sh` does not run it (its
name does not start with `s<digit>`): run by hand, it prints
tests/expected/s003_aiofiles01.txt."""
import asyncio
import os
import tempfile

import aiofiles

flg = True


async def aFileIOr2(path, ticked):
    global flg
    for _ in range(2):
        ticked.clear()
        print('ファイルの作成')
        f = await aiofiles.open(path, 'w')
        for n in range(50000):
            c = chr(n % 26 + 97)
            await f.write(c)
            if c == 'z':
                await f.write('\n')
        await f.close()
        await ticked.wait()
        ticked.clear()
        print('ファイルの読み込み')
        f = await aiofiles.open(path, 'r')
        while True:
            c = await f.read(1)
            if not c:
                break
        await f.close()
        await ticked.wait()
    flg = False


async def msg(ticked):
    while flg:
        await asyncio.sleep(5)
        print('\t\t別のタスク')
        ticked.set()


async def exe(path):
    ticked = asyncio.Event()
    t1 = asyncio.create_task(aFileIOr2(path, ticked))
    t2 = asyncio.create_task(msg(ticked))
    await t1
    await t2


with tempfile.TemporaryDirectory() as directory:
    asyncio.run(exe(os.path.join(directory, 'aiofiles01.bin')))
