# The `subprocess_run` example's CPython original (asyncio's documentation example, with
# commands whose output is the same everywhere): shell commands with their output and return
# code, three at once with gather, and a child's stdout read line by line.
import asyncio
from asyncio.subprocess import PIPE


async def run(cmd):
    proc = await asyncio.create_subprocess_shell(cmd, stdout=PIPE, stderr=PIPE)
    stdout, stderr = await proc.communicate()
    report = f"[{cmd!r} exited with {proc.returncode}]"
    if stdout:
        report += f"\n[stdout]\n{stdout.decode()}"
    if stderr:
        report += f"\n[stderr]\n{stderr.decode()}"
    return report


async def main():
    print(await run("echo hello"))
    print(await run("echo oops >&2; exit 1"))
    # Three at once: the slow one does not hold up the others; gather keeps the order.
    for report in await asyncio.gather(
        run("sleep 0.1; echo slow"), run("echo fast"), run("kill -9 $$")
    ):
        print(report)
    proc = await asyncio.create_subprocess_exec("seq", "3", stdout=PIPE)
    while line := await proc.stdout.readline():
        print("line:", line.decode().rstrip())
    print("seq exited with", await proc.wait())


asyncio.run(main())
