"""``Trace.graph`` on big traces: building the networkx export, against loading the trace.

    python benchmarks/graph.py [--variables 10000] [--steps 100000] [--runs 100000]

The traces of ``benchmarks/check.py``: a model of 10 000 variables trained 100 000 steps
(an initializer run and one sampled streak), and 100 000 non-update runs (assigns), the
worst case for the graph (one event node and its "value came from" edges per assign).
The baseline is loading the trace (read + index), measured in the same run; ``explain``
of one variable is timed too, to show why queries read the model and not the graph.
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from check import timed  # noqa: E402  (benchmarks/ is on sys.path)
from synthetic import add_size_flags, big_traces  # noqa: E402

import tftrace.model.graph  # noqa: E402, F401  (networkx, imported before any timing)
from tftrace.model import Trace  # noqa: E402

def measure(label: str, path: str) -> None:
    trace, load = timed(lambda: Trace.load(path))
    name = trace.variable_names()[-1]
    # What explain answers from the model (the findings, run on demand, are check's cost).
    _, explain = timed(lambda: (trace.explain(name).origin.to_json(),
                                trace.lineage(name).lines()))
    graph, build = timed(lambda: trace.graph)
    print(f"{label}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges")
    print(f"  load: read + index (baseline)  {load:6.2f} s")
    print(f"  explain + lineage, one variable {explain * 1000:4.1f} ms")
    print(f"  build the graph                {build:6.2f} s  = {build / load:.2f}x baseline")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_size_flags(parser)
    with big_traces(parser.parse_args()) as traces:
        for label, path in traces:
            measure(label, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
