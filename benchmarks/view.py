"""`tftrace view` on a big trace: how long until the UI is up and answering keys.

    python benchmarks/view.py [--variables 10000] [--runs 100000]

The trace has 10 000 variables and 100 000 assign runs (110 000 write events; the worst case
for readers, see benchmarks/synthetic.py). Reading the file is measured on its own
("load": the tracefile's and the model's work) against ``json.loads`` of every line. The
UI's part is "app ready": from creating the app on the loaded trace to the first screen
drawn with the tree filled and the first variable's detail in it. It is measured

- cold: the first app of the process, importing the UI and parsing its CSS, as
  ``tftrace view`` does;
- warm, on the big trace and on the smallest example trace, whose difference is what the
  size of the trace costs the UI (its startup must not grow with the number of events);
- against a bare Textual app with a 100-node Tree, the floor for any Textual UI here.

Then the time to answer keys on the big trace: the first key while the diagnostics still
run in their thread, next variable, open a scope, search. Headless (``App.run_test``).
"""
from __future__ import annotations

import argparse
import asyncio
import atexit
import gc
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from synthetic import write_large_trace  # noqa: E402

from tftrace.model import Trace  # noqa: E402

SIZE = (120, 40)


async def settle(pilot) -> None:
    """Until the workers are done and the screen is redrawn."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def bare_textual_start() -> float:
    """The baseline: a minimal Textual app with a Tree, until its first screen is drawn."""
    from textual.app import App
    from textual.widgets import Static, Tree

    painted: list[float] = []

    class Bare(App):
        def compose(self):
            tree: Tree = Tree("root")
            for i in range(100):
                tree.root.add(f"scope{i}")
            yield tree
            yield Static("detail")

        def on_mount(self):
            self.call_after_refresh(lambda: painted.append(time.perf_counter()))

    start = time.perf_counter()
    async with Bare().run_test(size=SIZE):
        while not painted:
            await asyncio.sleep(0.001)
        return painted[0] - start


async def view_start(trace: Trace, keys: bool = False) -> dict[str, float]:
    from tftrace.views.tui import create_app
    from tftrace.views.tui.widgets.variable_detail import VariableDetail

    times: dict[str, float] = {}
    filled: list[tuple[float, str]] = []
    fill = VariableDetail._fill

    painted: list[float] = []

    def timed_fill(self, trace, detail):  # when a variable's detail is filled in
        fill(self, trace, detail)
        filled.append((time.perf_counter(), detail.name))
        if len(filled) == 1:  # ... and when the screen showing it is first drawn
            self.app.call_after_refresh(lambda: painted.append(time.perf_counter()))

    VariableDetail._fill = timed_fill
    try:
        start = time.perf_counter()
        app = create_app(trace, freeze_gc=True)
        async with app.run_test(size=SIZE) as pilot:
            while not painted:
                await asyncio.sleep(0.001)
            times["app ready"] = painted[0] - start
            if keys:
                await answer_keys(app, pilot, start, times, filled)
    finally:
        VariableDetail._fill = fill
    return times


async def answer_keys(app, pilot, start: float, times: dict[str, float],
                      filled: list[tuple[float, str]]) -> None:
    async def next_variable(key: str = "down") -> float:
        """From ``key`` to the next variable's detail drawn (pilot.press itself waits
        until the app is idle, which is later)."""
        current, seen = filled[-1][1], len(filled)
        t = time.perf_counter()
        press = asyncio.create_task(pilot.press(key))
        while filled[-1][1] == current:
            await asyncio.sleep(0.001)
        await press
        return next(when for when, name in filled[seen:] if name != current) - t

    while not any(w.group == "check" and w.is_running for w in app.workers):
        await asyncio.sleep(0.001)
    times["key during diagnostics: next variable"] = await next_variable()
    while app.findings is None:
        await asyncio.sleep(0.01)
    times["diagnostics done (in the background)"] = time.perf_counter() - start
    await settle(pilot)
    times["key: next variable (median of 5)"] = statistics.median(
        [await next_variable() for _ in range(5)])
    t = time.perf_counter()
    await pilot.press("space")
    await settle(pilot)
    times["key: open a scope of 100 (until idle)"] = time.perf_counter() - t
    times["search: keystroke to matches shown (median)"] = statistics.median(
        await type_search(pilot, "v5123"))
    times["search: Enter to the variable shown"] = await next_variable("enter")
    assert app.screen.tree.current_variable == "layer51/v5123", \
        app.screen.tree.current_variable


async def type_search(pilot, query: str) -> list[float]:
    """Open the search box and type ``query``: for each key, the time until the matches
    are on the screen."""
    from tftrace.views.tui.screens.search import SearchScreen

    shown: list[str] = []
    show = SearchScreen.show_matches

    def timed_show(self, typed, found):
        show(self, typed, found)
        shown.append(typed)

    SearchScreen.show_matches = timed_show
    try:
        await pilot.press("slash")
        await settle(pilot)
        delays = []
        for i, key in enumerate(query, start=1):
            t = time.perf_counter()
            press = asyncio.create_task(pilot.press(key))
            while not shown or shown[-1] != query[:i]:
                await asyncio.sleep(0.001)
            delays.append(time.perf_counter() - t)
            await press
        return delays
    finally:
        SearchScreen.show_matches = show


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variables", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=100_000)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="tftrace-bench-")
    atexit.register(shutil.rmtree, workdir, True)  # 45 MB at the default size
    path = write_large_trace(os.path.join(workdir, "assigns.jsonl"), args.variables, args.runs)

    start = time.perf_counter()
    with open(path, encoding="utf-8") as f:
        for line in f:
            json.loads(line)
    parse = time.perf_counter() - start
    start = time.perf_counter()
    trace = Trace.load(path)
    load = time.perf_counter() - start
    small = Trace.load(os.path.join(ROOT, "examples", "traces", "restore_then_init.json"))
    gc.freeze()  # as tftrace view does after loading (see tftrace.views.tui.run)
    events = sum(len(e) for e in trace.index.events.values())

    start = time.perf_counter()
    import tftrace.views.tui.app  # noqa: F401
    imports = time.perf_counter() - start
    cold = asyncio.run(view_start(trace))["app ready"]
    warm_small = asyncio.run(view_start(small))["app ready"]
    times = asyncio.run(view_start(trace, keys=True))
    bare = asyncio.run(bare_textual_start())
    warm = times.pop("app ready")

    rows = [("json.loads of every line (baseline)", parse, ""),
            ("load (Trace.load)", load, f"= {load / parse:.1f}x baseline"),
            ("view, cold: import the UI", imports, ""),
            ("view, cold: app ready", cold,
             f"import + ready = {imports + cold:.2f} s: "
             f"{'under' if imports + cold < 1 else 'OVER'} the 1 s budget"),
            ("bare Textual app (baseline)", bare, ""),
            ("view, warm: app ready, smallest trace", warm_small,
             f"= {warm_small / bare:.1f}x bare"),
            ("view, warm: app ready, this trace", warm,
             f"= {warm / bare:.1f}x bare, {warm / warm_small:.2f}x the smallest trace")]
    rows += [(label, value, "") for label, value in times.items()]
    print(f"{args.variables} variables, {events} write events, "
          f"{os.path.getsize(path) / 2 ** 20:.1f} MiB")
    for label, value, note in rows:
        print(f"  {label:<46}{value:7.3f} s  {note}".rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
