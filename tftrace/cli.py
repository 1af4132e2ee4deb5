"""The ``tftrace`` command: argument parsing and exit codes, nothing else.

Exit codes (PRODUCT §5): 0 ok, 1 findings, 2 bad input or usage. Every error the user can
cause is a :class:`~tftrace.errors.TftraceError` and becomes one line on stderr.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import TYPE_CHECKING, Any, Callable, Sequence

from tftrace import __version__
from tftrace.errors import TftraceError
from tftrace.model.display import printable
from tftrace.model.trace import TRUNCATED_NOTE
from tftrace.recorder import DEFAULT_TRACE  # a name only: the recorder package imports nothing

if TYPE_CHECKING:
    from tftrace.model import Trace
    from tftrace.model.compare import Side

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2



def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``tftrace`` command line; return its exit code.

    >>> main(["explain", "tests/data/reinit.jsonl", "step"])  # doctest: +ELLIPSIS
    step: reset by its initializer at counter.py:16, discarding 3 updates
    ...
    0
    """
    parser = build_parser()
    args = _parse_args(parser, argv)
    if not hasattr(args, "handler"):  # bare `tftrace`: the help, not just a usage error
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.handler(args)
    except TftraceError as e:
        # printable(): the message may quote names from an untrusted trace.
        print(f"tftrace: error: {printable(e)}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # `tftrace explain ... | head`: the reader left; Python would complain at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tftrace",
        description="Where did the value in this TensorFlow variable come from? Records "
                    "every write to every variable of a tf.compat.v1 program and explains "
                    "it.",
        epilog=_examples("tftrace run -o trace.json train.py --epochs 3",
                         "tftrace explain trace.json dense/kernel"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"tftrace {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_run(commands)
    _add_check(commands)
    _add_explain(commands)
    _add_render(commands)
    _add_inspect(commands)
    _add_view(commands)
    _add_merge(commands)
    _add_diff(commands)
    return parser


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def _command(commands: argparse._SubParsersAction, name: str, summary: str, description: str,
             epilog: str, handler: Callable[[argparse.Namespace], int],
             ) -> argparse.ArgumentParser:
    parser = commands.add_parser(name, help=summary, description=description, epilog=epilog,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(handler=handler)
    return parser


# --- tftrace run ------------------------------------------------------------------------

def _add_run(commands: argparse._SubParsersAction) -> None:
    parser = _command(
        commands, "run", "run a Python script with every TensorFlow session traced",
        "Run SCRIPT as `python SCRIPT ARGS` would (or MODULE as `python -m MODULE ARGS` "
        "would), recording every tf.compat.v1 session into one trace file. The program "
        "needs no change; its output, exceptions, signals and exit status are its own. "
        "Everything after SCRIPT (or -m MODULE) goes to the program untouched, '--' "
        "included; a '--' before SCRIPT ends tftrace's own options. Recording needs "
        "TensorFlow.",
        _examples("tftrace run train.py                  # writes ./tftrace.json",
                  "tftrace run -o finetune.json finetune.py --lr 0.01 -o out/",
                  "tftrace run -o eval.json -m mypackage.evaluate --split test",
                  "tftrace run -o t.json -- -weird-name.py   # a script named like an option",
                  "tftrace explain finetune.json encoder/w   # then ask about a variable"),
        _run)
    parser.usage = "tftrace run [-h] [-o TRACE] (SCRIPT | -m MODULE) [ARGS ...]"
    parser.set_defaults(run_parser=parser)  # for its usage errors, which need the program
    parser.add_argument("-o", "--output", metavar="TRACE", default=DEFAULT_TRACE,
                        help=f"the trace file to write (default: {DEFAULT_TRACE}); may hold "
                        "{job}, {task}, {pid}, {host}, e.g. traces/{job}{task}.json: one "
                        "launch line for every task of a cluster")
    # Shown by --help only: the words after tftrace's own options are split off by hand
    # (split_run_words), because argparse drops or misplaces '--' and cannot stop at -m.
    parser.add_argument("-m", dest="module", metavar="MODULE",
                        help="run a module (a package's __main__) as python -m does")
    parser.add_argument("script", metavar="SCRIPT", nargs="?",
                        help="the Python script to run")
    parser.add_argument("args", metavar="ARGS", nargs="*",
                        help="arguments passed to the script or module")


def _parse_args(parser: argparse.ArgumentParser,
                argv: Sequence[str] | None) -> argparse.Namespace:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] != ["run"]:
        return parser.parse_args(argv)
    own, program = split_run_words(argv[1:])
    args = parser.parse_args(["run", *own])
    args.program = program
    return args


def split_run_words(words: Sequence[str]) -> tuple[list[str], list[str]]:
    """``run``'s words → (tftrace's options, the program: ``[SCRIPT, *ARGS]`` or
    ``["-m", MODULE, *ARGS]``). Every word after SCRIPT or MODULE is the program's, as with
    ``python``; a ``--`` before SCRIPT only ends tftrace's options.

    >>> split_run_words(["-o", "t.json", "train.py", "--", "-o", "x"])
    (['-o', 't.json'], ['train.py', '--', '-o', 'x'])
    >>> split_run_words(["-m", "pkg.train", "--epochs", "3"])
    ([], ['-m', 'pkg.train', '--epochs', '3'])
    """
    own, i = [], 0
    while i < len(words):
        word = words[i]
        if word == "--":
            return own, list(words[i + 1:])
        if word in ("-o", "--output"):
            own += words[i:i + 2]
            i += 2
        elif word == "-m":
            return own, list(words[i:])
        elif word.startswith("-m"):  # python -mpkg.mod
            return own, ["-m", word[2:], *words[i + 1:]]
        elif word.startswith("-") and word != "-":  # -h, -oTRACE, --output=TRACE, typos
            own.append(word)
            i += 1
        else:
            return own, list(words[i:])
    return own, []


def _run(args: argparse.Namespace) -> int:
    # The launcher is imported in the branches: it belongs to the recorder, and `explain`
    # must not pay for it.
    program = args.program
    if program[:1] == ["-m"]:
        if len(program) < 2 or not program[1]:
            args.run_parser.error("-m needs a module name: tftrace run -m MODULE [ARGS ...]")
        from tftrace.recorder.launcher import run_module

        return run_module(args.output, program[1], program[2:])
    if not program:
        args.run_parser.error("name the script to run (SCRIPT), or -m MODULE")
    from tftrace.recorder.launcher import run_script

    return run_script(args.output, program[0], program[1:])


# --- tftrace explain --------------------------------------------------------------------

def _add_explain(commands: argparse._SubParsersAction) -> None:
    parser = _command(
        commands, "explain", "where a variable's value came from",
        "Say where VAR's value came from — its initializer, a restore from a checkpoint "
        "(which key of which file), an assign (from which variables) — what overwrote it, "
        "and how many training updates followed; then list every write with its run, "
        "call site and value summary. Without --session, the last session that has VAR. "
        "Without VAR, list every variable of the session with where its value came from.",
        _examples("tftrace explain trace.json            # every variable, one line each",
                  "tftrace explain trace.json dense/kernel",
                  "tftrace explain trace.json dense/kernel:0 --session 1",
                  "tftrace explain trace.json global_step --format json | jq .origin",
                  "tftrace explain traces/ global_step        # a cluster's traces, merged",
                  "tftrace explain finetune.json enc/w --with pretrain.json"),
        _explain)
    parser.add_argument("trace", metavar="TRACE", help=TRACE_HELP)
    parser.add_argument("variable", metavar="VAR", nargs="?",
                        help="a variable name, with or without ':0' (e.g. dense/kernel); "
                             "without it, every variable is listed")
    parser.add_argument("--session", type=int, metavar="N",
                        help="the session number (default: the last one that has VAR, or "
                             "the last session)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text for people (default), json for scripts")
    parser.add_argument("--with", dest="others", metavar="OTHER", nargs="+",
                        action="extend", default=[],
                        help="traces of other runs (the training run that saved the "
                             "checkpoint VAR was restored from, ...): follow VAR's lineage "
                             "through their saves")


def _explain(args: argparse.Namespace) -> int:
    from tftrace.views import text

    if args.others and args.variable is None:
        raise TftraceError("--with follows one variable's lineage: give VAR "
                           "(tftrace explain TRACE VAR --with OTHER...)")
    trace = _load(args.trace)
    if args.variable is None:
        if not trace.sessions:
            raise TftraceError(f"{args.trace}: the trace has no sessions")
        session = trace.sessions[-1].number if args.session is None else args.session
        trace.session(session)  # UnknownSession names the ones there are
        if args.format == "json":
            print(text.variables_json(trace, session, incomplete=trace.incomplete))
        else:
            print(text.variables_text(trace, session))
        return EXIT_OK
    explanation = trace.explain(args.variable, args.session)
    if args.others:
        others = [_load(other) for other in args.others]
        lineage = trace.lineage(explanation.variable, explanation.session, others=others)
        if args.format == "json":
            print(text.explain_json(explanation, lineage, incomplete=trace.incomplete))
        else:
            print(text.explain_text(explanation) + "\n\n  lineage:\n"
                  + "\n".join("    " + line for line in lineage.lines()))
        return EXIT_OK
    if args.format == "json":
        print(text.explain_json(explanation, incomplete=trace.incomplete))
    else:
        print(text.explain_text(explanation))
    return EXIT_OK


# --- tftrace check ----------------------------------------------------------------------

def _add_check(commands: argparse._SubParsersAction) -> None:
    parser = _command(
        commands, "check", "diagnose the classic state bugs in a trace",
        "Report what went wrong with the variables of a traced program: restores "
        "overwritten by the initializer, uninitialized reads, re-run initializers, Savers "
        "built too early, checkpoint key and shape mismatches, NaN weights, ... Exit code 1 "
        "when there is a warning or an error (for CI), 0 otherwise, 2 on bad input.",
        _examples("tftrace check trace.json",
                  "tftrace check trace.json --min-severity warning   # hide info",
                  "tftrace check trace.json --format json | jq '.diagnostics[].rule'",
                  "tftrace check traces/      # every process of a cluster, merged"),
        _check)
    parser.add_argument("trace", metavar="TRACE", nargs="+", help=TRACES_HELP)
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text for people (default), json for scripts and CI")
    parser.add_argument("--min-severity", choices=("info", "warning", "error"),
                        default="info", metavar="S",
                        help="hide findings below S: info (default), warning or error")


def _check(args: argparse.Namespace) -> int:
    from tftrace.views import check

    trace = _load(args.trace)
    diagnostics = trace.diagnostics(args.min_severity)
    if args.format == "json":
        print(check.check_json(diagnostics, incomplete=trace.incomplete))
    else:
        label = check.trace_name(args.trace)
        if trace.processes:  # a merge: say of what (the summary line names the trace)
            label += (f" ({len(trace.processes)} processes: "
                      f"{', '.join(p.label for p in trace.processes)})")
        check.write_check_text(diagnostics, label, sys.stdout,
                               hidden=len(trace.diagnostics()) - len(diagnostics))
    return EXIT_FINDINGS if any(d.severity in ("warning", "error") for d in diagnostics) \
        else EXIT_OK


# --- tftrace render ---------------------------------------------------------------------

def _add_render(commands: argparse._SubParsersAction) -> None:
    parser = _command(
        commands, "render", "draw where every variable's value came from (Graphviz)",
        "Draw TRACE's provenance diagram into OUT: checkpoints (with the keys used) and the "
        "runs that wrote are the sources, variables sit in the middle clustered by scope; "
        "each variable's current origin is bold, overwritten ones grey and dashed, failed "
        "runs and the variables that findings name are red. The format follows OUT's "
        "suffix: .png, .svg and .pdf need Graphviz's dot, .dot (text) needs nothing; "
        "-o - writes DOT to stdout. Without --session, the last session. Big traces "
        "stay readable: beyond --max-nodes variables, those sharing scope and history "
        "collapse into one box, and scopes whose variables do not are summarized "
        "(\"encoder/ — 412 variables: 400 restored from ...\"); the title says what was "
        "collapsed.",
        _examples("tftrace render trace.json -o trace.png",
                  "tftrace render trace.json -o bug.svg --problems",
                  "tftrace render trace.json -o enc.png --session 2 --scope encoder",
                  "tftrace render trace.json -o all.pdf --session all --rankdir TB"),
        _render)
    parser.add_argument("trace", metavar="TRACE", nargs="+", help=TRACES_HELP)
    parser.add_argument("-o", "--output", metavar="OUT", required=True,
                        help="the picture to write: .png, .svg, .pdf or .dot (- for stdout)")
    parser.add_argument("--session", type=_session_or_all, metavar="N",
                        help="a session number, or 'all' for every session side by side "
                             "(default: the last session)")
    parser.add_argument("--var", dest="variables", metavar="NAME", nargs="+",
                        action="extend", default=[],
                        help="only these variables (and the ones their values came from)")
    parser.add_argument("--scope", dest="scopes", metavar="PREFIX", nargs="+",
                        action="extend", default=[],
                        help="only variables in these scopes: 'enc' is enc/..., not encoder/")
    parser.add_argument("--problems", action="store_true",
                        help="only variables named by a warning or an error")
    parser.add_argument("--max-nodes", type=int, metavar="N",
                        help="beyond N variables, those sharing scope and history collapse "
                             "into one box each, and scopes whose variables do not are "
                             "summarized in one box each (default: 60)")
    parser.add_argument("--rankdir", choices=("LR", "TB"), default="LR",
                        help="left to right (default) or top to bottom")
    parser.add_argument("--dot-timeout", type=float, metavar="SECONDS", default=None,
                        help="give up when Graphviz's dot takes longer than this "
                             "(default: 60)")


def _session_or_all(text: str) -> int | str:
    if text == "all":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a session number or 'all': {text!r}") from None


def _render(args: argparse.Namespace) -> int:
    from tftrace.views import dot

    options = dict(session=args.session, variables=tuple(args.variables),
                   scopes=tuple(args.scopes), problems=args.problems,
                   max_nodes=dot.MAX_NODES if args.max_nodes is None else args.max_nodes,
                   rankdir=args.rankdir)
    if args.output == "-":
        sys.stdout.write(dot.to_dot(_load(args.trace), **options))
        return EXIT_OK
    dot.check_output(args.output)  # a bad suffix or a missing dot before loading anything
    timeout = dot.DOT_TIMEOUT if args.dot_timeout is None else args.dot_timeout
    if timeout <= 0:
        raise TftraceError(f"--dot-timeout must be more than 0 seconds, not {timeout:g}")
    dot.render(_load(args.trace), args.output, dot_timeout=timeout,
               progress=lambda line: print(f"tftrace: {printable(line)}", file=sys.stderr),
               **options)
    return EXIT_OK


# --- tftrace inspect --------------------------------------------------------------------

def _add_inspect(commands: argparse._SubParsersAction) -> None:
    parser = _command(
        commands, "inspect", "list a checkpoint's keys and match them against a trace",
        "List the keys, shapes, dtypes and sizes of a checkpoint (a path prefix such as "
        "model.ckpt-100, or a directory holding a 'checkpoint' file). With --against, "
        "compare them with the variables of a traced program: keys the graph needs but the "
        "checkpoint lacks, keys nothing uses, shape mismatches, and a ready var_list. "
        "Reading a checkpoint needs TensorFlow, unless the trace recorded that checkpoint. "
        "Exit code 1 when --against finds a mismatch.",
        _examples("tftrace inspect ckpt/model.ckpt-100",
                  "tftrace inspect ckpt/ --against finetune.json",
                  "tftrace inspect ckpt/model.ckpt --against trace.json --format json"),
        _inspect)
    parser.add_argument("checkpoint", metavar="CHECKPOINT",
                        help="a checkpoint prefix or a directory with a 'checkpoint' file")
    parser.add_argument("--against", metavar="TRACE",
                        help="a trace whose variables the checkpoint should fit")
    parser.add_argument("--session", type=int, metavar="N",
                        help="with --against: the session whose graph to match "
                             "(default: the last session)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text for people (default), json for scripts")


def _inspect(args: argparse.Namespace) -> int:
    from tftrace.views import checkpoint

    trace = _load(args.against) if args.against else None
    report = checkpoint.inspect_checkpoint(args.checkpoint, trace, args.session,
                                           reader=_checkpoint_reader)
    print(checkpoint.inspect_json(report) if args.format == "json"
          else checkpoint.inspect_text(report))
    return EXIT_FINDINGS if report.problems else EXIT_OK


def _checkpoint_reader() -> Any:
    """The recorder's checkpoint reader; ImportError without TensorFlow. Loaded only when a
    checkpoint is actually read (TensorFlow takes seconds to import)."""
    # This process is ours: keep TensorFlow's C++ start-up chatter off stderr. The oneDNN
    # notice is printed before absl's logging starts, so no log level hides it (with it
    # comes absl's "All log messages before absl::InitializeLog()" line); reading a
    # checkpoint's index computes nothing, so oneDNN's kernels do not matter here.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    # `import a.b as c` fails when sys.modules holds None for it (how a test hides
    # TensorFlow); `from a import b` would take the attribute already on the package.
    import tftrace.recorder.capture as capture

    return capture


# --- tftrace view -----------------------------------------------------------------------

def _add_view(commands: argparse._SubParsersAction) -> None:
    parser = _command(
        commands, "view", "browse a trace in a terminal UI",
        "Open TRACE in a terminal UI: the variables by scope, each marked with where its "
        "value came from (restored, initialized, assigned, uninitialized) and with its "
        "findings; a variable's timeline, lineage and findings; every finding; the "
        "sessions and their runs. Press ? inside for the keys. Needs Textual "
        "(pip install textual, or the tui extra when installing tftrace).",
        _examples("tftrace view trace.json",
                  "tftrace view --follow trace.json   # while the traced program runs "
                  "(or before: it waits for the file)",
                  "tftrace view trace.json --session 1"),
        _view)
    parser.add_argument("trace", metavar="TRACE", nargs="+", help=TRACES_HELP)
    parser.add_argument("-f", "--follow", action="store_true",
                        help="re-read the trace as the traced program writes it; wait "
                             "for it when it does not exist yet")
    parser.add_argument("--session", type=int, metavar="N",
                        help="the session to show first (default: the last one)")


def _view(args: argparse.Namespace) -> int:
    # Textual is imported only here, after a one-line check that it is installed.
    from tftrace.views import tui

    tui.require_textual()
    if args.follow:
        if len(args.trace) > 1 or os.path.isdir(args.trace[0]):
            raise TftraceError("--follow reads one trace file, not a directory or several")
        tui.require_terminal()  # before waiting, possibly long, for the trace
        try:
            trace = _wait_for_trace(args.trace[0])
        except KeyboardInterrupt:
            return 130
    else:
        trace = _load(args.trace)
    return tui.run(trace, follow=args.follow, session=args.session)


#: ``view --follow``: how often to look for a trace that does not exist yet, in seconds.
WAIT_INTERVAL = 0.5


def _wait_for_trace(path: str, sleep: Callable[[float], object] | None = None) -> Trace:
    """``view --follow`` on a trace not written yet (the viewer opened before the
    program): wait while the file is missing, empty or has no complete first line (its
    header), then load it. A file whose first line is written but is no trace (a foreign
    or corrupt file) is the usual one-line error, at once: waiting would never end."""
    sleep = sleep or time.sleep  # looked up per call: tests replace time.sleep
    if not _first_line_written(path):
        print(f"tftrace: waiting for {printable(path)} to appear (start the traced "
              "program; Ctrl-C to stop)", file=sys.stderr)
        while not _first_line_written(path):
            sleep(WAIT_INTERVAL)
    return _load(path)


def _first_line_written(path: str) -> bool:
    """Whether ``path`` holds a whole first line (False while it is missing or empty).
    A file that cannot be read is True: loading it says why, in one line."""
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 16):
                if b"\n" in chunk:
                    return True
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return False


# --- tftrace merge ----------------------------------------------------------------------

def _add_merge(commands: argparse._SubParsersAction) -> None:
    parser = _command(
        commands, "merge", "join the traces of a cluster's processes into one trace",
        "Join the traces of one job's processes (ps and workers of a tf.train.Server "
        "cluster, each traced with `tftrace run -o traces/{job}{task}.json ...`) into one "
        "file that every command reads. Variables on the same server are one variable; "
        "runs are ordered by time (run order inside a process); every event and finding "
        "says which process it came from, and updates add up over processes. Traces that "
        "share nothing, and tasks of the cluster spec with no trace, are named. The other "
        "commands also merge on the fly: `tftrace check traces/`.",
        _examples("tftrace merge -o job.json traces/ps0.json traces/worker0.json "
                  "traces/worker1.json",
                  "tftrace merge -o job.json traces/        # every trace in the directory",
                  "tftrace check job.json && tftrace explain job.json global_step"),
        _merge)
    parser.add_argument("-o", "--output", metavar="OUT", required=True,
                        help="the merged trace to write")
    parser.add_argument("trace", metavar="TRACE", nargs="+", help=TRACES_HELP)


def _merge(args: argparse.Namespace) -> int:
    from tftrace import __version__ as version
    from tftrace.model import Trace, merge
    from tftrace.tracefile.merged import write_merged

    raws = merge.read_traces(args.trace)
    trace = Trace.merge_raw(raws, args.output)  # the story, built before anything is written
    try:
        with open(args.output, "w", encoding="utf-8") as out:
            write_merged(out, raws, version)
    except OSError as e:
        raise TftraceError(f"{args.output}: cannot write ({e.strerror or e})") from None
    labels = ", ".join(p.label for p in trace.processes)
    joined = [s for s in trace.sessions if len({p.number for p, _ in s.members}) > 1]
    print(f"tftrace: merged {len(raws)} trace{'s' if len(raws) != 1 else ''} ({labels}) "
          f"into {args.output}: {len(trace.sessions)} session"
          f"{'s' if len(trace.sessions) != 1 else ''}, {len(joined)} of them shared by "
          "several processes", file=sys.stderr)
    _notes(trace)
    return EXIT_OK


# --- tftrace diff -----------------------------------------------------------------------

def _add_diff(commands: argparse._SubParsersAction) -> None:
    parser = _command(
        commands, "diff", "which variables' origins, updates or values differ",
        "Compare two traces, or two sessions (A and B as TRACE:SESSION): for each "
        "variable, its origin (initializer, restore with checkpoint and key, assign; and "
        "the call site), its training updates since, and its latest value (digest). The "
        "most significant change comes first: origin, only on one side, updates, value. "
        "Without a session, each variable in the last session that has it. Exit code 1 "
        "when something differs, 0 when nothing does.",
        _examples("tftrace diff yesterday.json today.json",
                  "tftrace diff trace.json:1 trace.json:2 --format json",
                  "tftrace diff train.json finetune.json | head"),
        _diff)
    parser.add_argument("a", metavar="A", help="a trace (or TRACE:SESSION)")
    parser.add_argument("b", metavar="B", help="the trace (or TRACE:SESSION) to compare it with")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text for people (default), json for scripts")


def _diff(args: argparse.Namespace) -> int:
    from tftrace.model.compare import diff
    from tftrace.views.diff import diff_json, diff_text

    a, b = _side(args.a), _side(args.b)
    changes = diff(a, b)
    print(diff_json(a, b, changes) if args.format == "json" else diff_text(a, b, changes))
    return EXIT_FINDINGS if changes else EXIT_OK


def _side(text: str) -> Side:
    from tftrace.model.compare import Side

    path, session = text, None
    head, sep, tail = text.rpartition(":")
    if sep and tail.isdigit() and not os.path.exists(text):
        path, session = head, int(tail)
    trace = _load(path)
    if session is not None:
        trace.session(session)  # a clear error for a session the trace lacks
    return Side(label=text, trace=trace, session=session)


# --- loading ----------------------------------------------------------------------------

TRACE_HELP = "a trace file written by tftrace, a merged trace, or a directory of traces"
TRACES_HELP = ("trace files written by tftrace, merged traces, or directories of traces; "
               "several are merged into one story")


def _load(paths: str | Sequence[str]) -> Trace:
    from tftrace.model import Trace

    if isinstance(paths, str):
        paths = [paths]
    trace = Trace.load(paths[0]) if len(paths) == 1 else Trace.merge(paths)
    if trace.truncated:
        print(f"tftrace: note: {TRUNCATED_NOTE}", file=sys.stderr)
    elif trace.unclosed_note:  # killed without a torn line (SIGKILL between two runs)
        print(f"tftrace: note: {trace.unclosed_note}", file=sys.stderr)
    return trace


def _notes(trace: Trace) -> None:
    for note in trace.merge_notes:
        print(f"tftrace: note: {printable(note.message)}", file=sys.stderr)
