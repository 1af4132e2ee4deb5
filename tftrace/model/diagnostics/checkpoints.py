"""Rules about Savers and checkpoints (bugs 4 and 5 of PRODUCT §1).

- ``checkpoint-key-missing`` (error): a restore needs keys the checkpoint lacks — all of
  them (TensorFlow names only the first), with the closest unused keys and a var_list.
- ``checkpoint-unreadable`` (error): a restore from a checkpoint that could not be read.
- ``checkpoint-shape-mismatch`` (error): checkpoint tensor shape != declared shape.
- ``not-in-saver`` (warning): variables created after a default-var_list Saver.

The key/shape matching itself lives in :mod:`tftrace.ckptmatch` (shared with the recorder's
exception notes and ``tftrace inspect``); :meth:`Trace.restore_matches` runs it once per
restore, and the diagram flags its rows from the same answer (:meth:`Trace.key_problem`).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Iterator

from tftrace.findings import names, plural
from tftrace.model.diagnostics.base import Diagnostic, Site, rule
from tftrace.model.diagnostics.common import is_global, is_optimizer_state
from tftrace.shapes import format_shape

if TYPE_CHECKING:
    from tftrace.model.trace import Trace


@rule("checkpoint-key-missing")
def checkpoint_key_missing(trace: Trace) -> Iterator[Diagnostic]:
    for restore in trace.restore_matches():
        match, record, path = restore.match, restore.run, restore.path
        # Not recorded or unreadable: checkpoint-unreadable says so.
        if not restore.failed or match is None or not match.missing:
            continue
        renamed = _renamed(trace, record.session, match.missing)
        message = (f"the restore at {record.location} (run {record.run}) failed: "
                   + match.missing_message(path, renamed))
        variables = trace.variables_of(record.session)
        yield _at_restore(
            record, "checkpoint-key-missing", variables=tuple(sorted(match.missing)),
            message=message, hint=match.missing_hint(restore.checkpoint.keys, renamed),
            also=tuple(Site("renamed (name-uniquified)", variables[var].location)
                       for var in sorted(renamed)[:3]))


def _at_restore(record: Any, rule: str, also: tuple[Site, ...] = (), **fields: Any
                ) -> Diagnostic:
    """An error of ``rule`` about the restore in run ``record``, sited there first."""
    return Diagnostic(rule=rule, severity="error", session=record.session, run=record.run,
                      location=record.location,
                      sites=(Site("restore", record.location, record.session, record.run),
                             *also), **fields)


def _renamed(trace: Trace, session: int, missing: dict[str, str]) -> dict[str, str]:
    """Missing variables that are renamed copies (``w_1`` asked for ``w``): their keys are
    missing because of the renaming name-uniquified reports, not another model."""
    variables = trace.variables_of(session)
    return {var: variables[var].requested for var in missing
            if var in variables and variables[var].requested}


@rule("checkpoint-unreadable")
def checkpoint_unreadable(trace: Trace) -> Iterator[Diagnostic]:
    for restore in trace.restore_matches():
        record, path, checkpoint = restore.run, restore.path, restore.checkpoint
        if not restore.failed or checkpoint is None or not checkpoint.error:
            continue
        yield _at_restore(
            record, "checkpoint-unreadable", variables=tuple(sorted(restore.wanted)),
            message=f"the restore at {record.location} (run {record.run}) could not "
                    f"read checkpoint {path}: {checkpoint.error}",
            hint="Check the path: Saver.restore wants the prefix (model.ckpt-100), not "
                 "a .index/.data file; tf.train.latest_checkpoint(dir) finds it.")


@rule("checkpoint-shape-mismatch")
def checkpoint_shape_mismatch(trace: Trace) -> Iterator[Diagnostic]:
    for restore in trace.restore_matches():
        match, record, path, failed = restore.match, restore.run, restore.path, restore.failed
        if match is None or not match.mismatched:
            continue
        parts = [f"{var} is declared {format_shape(decl)} but key {restore.wanted[var]!r} "
                 f"holds {format_shape(ckpt)}"
                 for var, (decl, ckpt) in sorted(match.mismatched.items())]
        one = len(match.mismatched) == 1
        outcome = ("the restore failed" if failed else
                   "the restore succeeded silently (resource variables accept any "
                   f"shape), so {'it now holds' if one else 'they now hold'} the "
                   "checkpoint's shape" + ("" if one else "s"))
        yield _at_restore(
            record, "checkpoint-shape-mismatch", variables=tuple(sorted(match.mismatched)),
            message=f"restore at {record.location} (run {record.run}) from {path}: "
                    f"{names(parts, 4)}; {outcome}",
            hint="The checkpoint comes from a model with other shapes: rebuild the "
                 "graph with the checkpoint's shapes, or leave these variables out of "
                 "the Saver's var_list and initialize them fresh.")


@rule("not-in-saver")
def not_in_saver(trace: Trace) -> Iterator[Diagnostic]:
    saved_keys = defaultdict(list)  # graph -> [(session, run, location, key set)]
    for save in trace.saves:
        saved_keys[trace.session(save.session).graph].append(save)
    reported: dict[tuple[Any, ...], list[int]] = {}  # same line, same variables -> sessions
    pending: list[tuple[tuple[Any, ...], Diagnostic]] = []
    for saver in trace.savers:
        variables = trace.variables.get(saver.graph, {})
        global_vars = {n: r for n, r in variables.items() if is_global(r)}
        before = {n for n, r in global_vars.items() if r.index < saver.index}
        saved = set(saver.keys.values())
        # A default Saver: every global variable existing at its creation, under its name.
        if not before or saved != before or any(k != v for k, v in saver.keys.items()):
            continue
        late = sorted(n for n, r in global_vars.items() if r.index > saver.index)
        saves = [s for s in saved_keys[saver.graph] if set(s.keys) == set(saver.keys)]
        # Only saves that ran while the late variables existed left them out (a graph
        # can grow after the last save: an optimizer added for a later session).
        saves = [s for s in saves if set(late) & set(trace.variables_while_open(s.session))]
        if not late or not saves:
            continue
        slots = [n for n in late if is_optimizer_state(n)]
        first = saves[0]
        message = (f"the Saver created at {saver.location} ({saver.name}/) was built before "
                   f"{plural(len(late), 'variable')}, so its checkpoints never contain them: "
                   f"{names(late)}")
        if slots:
            message += (f"; among them optimizer state ({names(slots, 4)}): the Saver was "
                        f"built before minimize(), so a resumed run restarts the optimizer "
                        f"from scratch")
        hint = ("Build the Saver after the whole model and the optimizer (after minimize() "
                "and the global step), or pass var_list explicitly.")
        # The same code building the graph again (resume, evaluation) gives the same
        # finding word for word: say it once, naming every session it applies to.
        same = (saver.location, saver.name, tuple(late))
        if same in reported:
            reported[same].append(first.session)
            # Reported at the latest graph (the resumed run, the one views open on).
            pending = [(k, d if k != same else replace(
                d, session=first.session, run=first.run,
                sites=(d.sites[0], Site("saved", first.location, first.session, first.run))))
                for k, d in pending]
            continue
        reported[same] = [first.session]
        pending.append((same, Diagnostic(
            rule="not-in-saver", severity="warning", variables=tuple(late),
            message=message, hint=hint, session=first.session, run=first.run,
            location=saver.location,
            sites=(Site("saver created", saver.location),
                   Site("saved", first.location, first.session, first.run)))))
    for same, diagnostic in pending:
        sessions = reported[same]
        if len(sessions) > 1:
            diagnostic = replace(diagnostic, message=diagnostic.message + (
                f" (the same Saver line built the graphs of sessions "
                f"{', '.join(map(str, sessions[:-1]))} and {sessions[-1]})"))
        yield diagnostic
