"""The trace file: record dataclasses, the JSON Lines writer and the reader (stdlib only).

The format is documented in docs/trace-format.md. Nothing here imports TensorFlow, and
reading a trace never executes anything from it.
"""
from tftrace.tracefile.records import (
    FORMAT_NAME,
    FORMAT_VERSION,
    CheckpointRecord,
    Header,
    ProcessRecord,
    RecorderError,
    RunRecord,
    SaveInfo,
    SaverRecord,
    GraphGrowth,
    SessionEnd,
    SessionRecord,
    StreakRecord,
    StreakSample,
    ValueSummary,
    VariableRecord,
    Write,
    RunError,
    InitializerInfo,
)
from tftrace.tracefile.reader import RawTrace, read_trace
from tftrace.tracefile.writer import TraceWriter

__all__ = [
    "FORMAT_NAME", "FORMAT_VERSION", "CheckpointRecord", "GraphGrowth", "Header",
    "ProcessRecord", "RecorderError", "RunRecord", "SaveInfo", "SaverRecord", "SessionEnd",
    "SessionRecord", "StreakRecord",
    "StreakSample", "ValueSummary", "VariableRecord", "Write", "RunError", "InitializerInfo",
    "RawTrace", "read_trace", "TraceWriter",
]
