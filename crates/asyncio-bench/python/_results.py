"""One measurement, printed as `GROUP/CASE IMPLEMENTATION VALUE UNIT` for a person and, when
`ASYNCIO_BENCH_RESULTS` names a file, appended to it as the JSON line the report reads
(`crates/asyncio-bench/src/results.rs` writes the same lines for the Rust side). A module,
not a group: `cargo xtask bench` skips scripts whose name starts with `_`."""

import json
import os


def emit(group, case, implementation, value, unit, decimals=1):
    """Prints one measurement line and records it in the results file, if one is named."""
    printed = f"{value:.{decimals}f}"
    print(f"{group}/{case} {implementation} {printed} {unit}", flush=True)
    path = os.environ.get("ASYNCIO_BENCH_RESULTS")
    if path:
        record = {
            "group": group,
            "case": case,
            "implementation": implementation,
            "value": float(printed),
            "unit": unit,
        }
        with open(path, "a", encoding="utf-8") as results:
            results.write(json.dumps(record) + "\n")
