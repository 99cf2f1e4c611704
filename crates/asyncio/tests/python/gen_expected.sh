#!/bin/sh
# Regenerates tests/expected/<name>.txt from tests/python/<name>.py under CPython 3.11.
# Three expected files are then adapted by hand where Rust must print something else; each
# Rust example says which line and why at its top:
#   s000_counter (a coroutine's repr has no address), s000_future (a task's repr has no
#   coro=<...>), s001_return_exceptions (each Result's Debug instead of a Python repr).
# A program with an input file (tests/input/<name>.txt, the console seeds, which need
# aioconsole installed) gets it on a piped stdin, its stdout and stderr piped too, as CI's
# examples step runs the Rust port.
# Run from this directory: `sh gen_expected.sh [name...]`.
set -e
cd "$(dirname "$0")"
names="$*"
[ -n "$names" ] || names=$(ls s[0-9]*.py | sed 's/\.py$//')
for name in $names; do
    if [ -f "../input/$name.txt" ]; then
        cat "../input/$name.txt" | python3 "$name.py" 2>&1 | cat > "../expected/$name.txt"
    else
        python3 "$name.py" > "../expected/$name.txt"
    fi
    echo "wrote ../expected/$name.txt"
done
