"""The TUI on a merged trace: the timeline says which process wrote."""
from __future__ import annotations

import asyncio

from tftrace.model import Trace
from tftrace.views.tui import create_app


def test_merged_trace_timeline_has_a_process_column(settle):
    async def scenario() -> tuple[list[str], list[str]]:
        app = create_app(Trace.load("tests/data/cluster_wipe"))
        async with app.run_test(size=(160, 40)) as pilot:
            await settle(pilot)
            table = app.screen.detail.table
            labels = [str(c.label) for c in table.columns.values()]
            column = labels.index("process")
            cells = [str(table.get_row_at(i)[column]) for i in range(table.row_count)]
            return labels, cells

    labels, cells = asyncio.run(scenario())
    assert labels[:3] == ["kind", "s", "process"]
    assert "worker:1 r1" in cells and "worker:0 r2-9" in cells
