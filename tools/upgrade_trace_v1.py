"""Rewrite version-1 traces in the form the version-2 recorder writes for a local program.

    python tools/upgrade_trace_v1.py TRACE...

For committed example traces recorded before format version 2, when re-recording is not
wanted (TensorFlow's CPU kernels are not bit-reproducible from run to run, so fresh
recordings move float digests and every golden built on them). What a version-2 recorder
adds to a single-process program is known exactly: the header says version 2, a `process`
record (host and pid, nothing known about a cluster) follows it, sessions are not remote
and see no devices, variables are placed on no device. The freshness test
(tests/recorder/test_example_freshness.py) checks that this is what the recorder writes.
Traces already at version 2 are left alone. Readers need none of this: version 1 loads.
"""
from __future__ import annotations

import json
import socket
import sys


def upgrade(path: str) -> bool:
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    header = json.loads(lines[0])
    if header.get("version") != 1:
        return False
    header["version"] = 2
    out = [header, {"type": "process", "host": socket.gethostname(), "pid": header.get("pid"),
                    "job": None, "task": None, "is_chief": None, "cluster": None,
                    "sources": [], "time": header.get("created", 0.0)}]
    for line in lines[1:]:
        if not line.strip():
            continue
        record = json.loads(line)
        if record.get("type") == "session":
            record.setdefault("remote", False)
            record.setdefault("devices", {})
        elif record.get("type") == "variable":
            record.setdefault("device", None)
        out.append(record)
    with open(path, "w", encoding="utf-8") as f:
        for record in out:
            f.write(json.dumps(record, separators=(",", ":"), allow_nan=False,
                               ensure_ascii=False) + "\n")
    return True


def main(paths: list[str]) -> int:
    if not paths:
        sys.stderr.write(__doc__)
        return 2
    for path in paths:
        print(f"{path}: {'upgraded to version 2' if upgrade(path) else 'not version 1, left alone'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
