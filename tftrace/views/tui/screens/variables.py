"""The main screen: the variable tree on the left, the selected variable on the right."""
from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Tree

from tftrace.model.display import printable
from tftrace.views.tui.scopes import build_scopes
from tftrace.views.tui.screens.base import TraceScreen
from tftrace.views.tui.screens.export import ExportScreen, Selection
from tftrace.views.tui.screens.search import SearchScreen
from tftrace.views.tui.screens.source import SourceScreen, roots_for
from tftrace.views.tui.widgets.trace_header import TraceHeader
from tftrace.views.tui.widgets.variable_detail import VariableDetail
from tftrace.views.tui.widgets.variable_tree import Item, VariableTree


@dataclass(frozen=True)
class Filter:
    """The tree shows only ``names`` (of ``session``): ``label`` says why."""

    label: str
    names: frozenset[str]
    session: int
    problems: bool = False  # "problems only": recomputed when the findings change


class VariablesScreen(TraceScreen):
    BINDINGS = [
        Binding("slash", "search", "Search"),
        Binding("p", "toggle_problems", "Problems"),
        Binding("n", "next_problem(1)", "Next problem", show=False),
        Binding("N", "next_problem(-1)", "Previous problem", show=False),
        Binding("o", "open_source", "Source"),
        Binding("e", "export", "Export", show=False),
        Binding("escape", "clear_filter", "Show all", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter: Filter | None = None

    def compose(self) -> ComposeResult:
        yield TraceHeader(id="header")
        with Horizontal(id="body"):
            yield VariableTree(id="tree")
            yield VariableDetail(id="detail")
        yield Footer(compact=True)

    @property
    def tree(self) -> VariableTree:
        return self.query_one(VariableTree)

    @property
    def detail(self) -> VariableDetail:
        return self.query_one(VariableDetail)

    def on_mount(self) -> None:
        super().on_mount()
        self.rebuild()
        self.tree.focus()

    # --- what the tree shows ---------------------------------------------------------

    def names(self) -> list[str]:
        """The variables of the session shown (in its graph's declaration order)."""
        app = self.app
        if not app.trace.has_session(app.session):
            return []
        return list(app.trace.variables_of(app.session))

    def rebuild(self, keep: str | None = None) -> None:
        """Fill the tree for the app's session and the current filter; put the cursor on
        ``keep`` (or the first variable with the worst finding, or the first variable)."""
        app = self.app
        names = self.names()
        shown = names if self.filter is None else [n for n in names if n in self.filter.names]
        tree = self.tree
        tree.show(app.trace, app.session, build_scopes(shown), app.findings)
        tree.border_title = self.tree_title(len(names), len(shown))
        tree.border_subtitle = "Esc shows all" if self.filter is not None else ""
        visible = set(shown)
        target = keep if keep in visible else self.worst_problem(visible) or tree.first_variable()
        line = tree.cursor_line
        if target is not None:
            tree.reveal(target)
        if tree.cursor_line == line:  # the tree sends no highlight then: redraw here
            self.show_selection()

    def tree_title(self, total: int, shown: int) -> Text:
        if self.filter is None:
            return Text(f"variables ({total})", end="")
        text = Text(end="")
        text.append(printable(self.filter.label), style="bold")
        text.append(f" ({shown} of {total})")
        return text

    def worst_problem(self, shown: set[str]) -> str | None:
        """The first variable in ``shown`` named by the most severe finding."""
        findings = self.app.findings
        if findings is None:
            return None
        session = self.app.session
        for d in findings.in_session(session):  # most severe first
            for name in d.variables:
                if name in shown:
                    return name
        return None

    def show_only(self, names: list[str], label: str) -> None:
        """Show only ``names`` (a finding's variables, a run's writes) and go to the
        first."""
        app = self.app
        known = [n for n in names if n in app.trace.variables_of(app.session)]
        if not known:
            self.notify("none of those variables is in this session's graph",
                        severity="warning", markup=False)
            return
        self.filter = Filter(label=label, names=frozenset(known), session=app.session)
        self.tree.touched = True
        self.rebuild(keep=known[0])
        self.tree.focus()

    # --- reacting to the app's state ---------------------------------------------------

    def session_changed(self) -> None:
        self.filter = None
        self.tree.touched = False
        self.rebuild()

    def findings_changed(self) -> None:
        findings = self.app.findings
        if self.filter is not None and self.filter.problems and findings is not None:
            self.filter = self._problems_filter()
            self.rebuild(keep=self.tree.current_variable)
            return
        tree = self.tree
        tree.set_findings(findings)
        if not tree.touched:
            target = self.worst_problem(set(tree.top.all_variables()))
            if target is not None and target != tree.current_variable:
                tree.reveal(target)
                return
        self.show_selection()

    def trace_changed(self) -> None:
        """The followed trace grew: rebuild, keeping the filter, the open scopes and the
        cursor."""
        tree = self.tree
        keep = tree.current_variable
        opened = tree.opened_scopes()
        if self.filter is not None and self.filter.session != self.app.session:
            self.filter = None
        if self.filter is not None and self.filter.problems:
            self.filter = self._problems_filter()
        self.rebuild(keep=keep)
        tree.open_scopes(opened)
        if keep is not None and tree.reveal(keep):
            self.show_selection()

    # --- selection ----------------------------------------------------------------------

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[Item]) -> None:
        self.show_selection()

    def on_tree_node_selected(self, event: Tree.NodeSelected[Item]) -> None:
        if event.node.data is not None and event.node.data.variable is not None:
            self.detail.table.focus()

    def show_selection(self) -> None:
        app, tree, detail = self.app, self.tree, self.detail
        name = tree.current_variable
        if name is not None:
            detail.show_variable(app.trace, name, app.session, tree.status(name),
                                 app.findings)
        elif tree.current_scope is not None:
            detail.show_scope(tree.current_scope, app.session, app.findings)
        elif not self.names():
            detail.show_message(Text(f"Session {app.session} has no variables.", style="dim"))
        else:
            detail.show_message(Text("Select a variable.", style="dim"))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_source()

    # --- actions ------------------------------------------------------------------------

    def action_search(self) -> None:
        def chosen(name: str | None) -> None:
            if name is None:
                return
            if self.filter is not None and name not in self.filter.names:
                self.filter = None
                self.rebuild(keep=name)
            self.tree.touched = True
            self.tree.reveal(name)
            self.tree.focus()

        self.app.push_screen(SearchScreen(self.names()), chosen)

    def _problems_filter(self) -> Filter:
        app = self.app
        return Filter(label="problems only",
                      names=frozenset(app.findings.problems(app.session)),
                      session=app.session, problems=True)

    def action_toggle_problems(self) -> None:
        app = self.app
        if self.filter is not None and self.filter.problems:
            self.action_clear_filter()
            return
        if app.findings is None:
            self.notify("still checking for problems; try again in a moment",
                        markup=False)
            return
        found = self._problems_filter()
        if not found.names:
            self.notify(no_findings_here(app), markup=False)
            return
        self.filter = found
        keep = self.tree.current_variable
        self.rebuild(keep=keep if keep in found.names else None)

    def action_clear_filter(self) -> None:
        if self.filter is None:
            return
        keep = self.tree.current_variable
        self.filter = None
        self.rebuild(keep=keep)

    def action_next_problem(self, step: int) -> None:
        app, tree = self.app, self.tree
        if app.findings is None:
            self.notify("still checking for problems", markup=False)
            return
        problems = set(app.findings.problems(app.session))
        ordered = [n for n in tree.top.all_variables() if n in problems]
        if not ordered:
            self.notify(no_findings_here(app), markup=False)
            return
        current = tree.current_variable
        if current in ordered:
            target = ordered[(ordered.index(current) + step) % len(ordered)]
        else:
            target = ordered[0] if step > 0 else ordered[-1]
        tree.touched = True
        tree.reveal(target)

    def action_open_source(self) -> None:
        app, tree, detail = self.app, self.tree, self.detail
        roots = roots_for(app.trace)
        if self.focused is detail.table:
            row = detail.current_row()
            if row is not None:
                what = f"{row.kind} in session {row.session} run {row.runs} at"
                app.push_screen(SourceScreen(row.location, roots, what))
                return
        name = tree.current_variable
        if name is None:
            self.notify("select a variable first", markup=False)
            return
        origin = app.trace.origin(name, app.session)
        if origin.location:
            what = f"{printable(name)}: {origin.kind} at"
            app.push_screen(SourceScreen(origin.location, roots, what))
        else:
            record = app.trace.variable(name, app.session)
            app.push_screen(SourceScreen(record.location, roots,
                                         f"{printable(name)} created at"))

    def action_export(self) -> None:
        app, tree = self.app, self.tree
        name, scope = tree.current_variable, tree.current_scope
        if name is not None:
            selection = Selection(app.session, name, variables=(name,))
        elif scope is not None and scope.path:
            selection = Selection(app.session, scope.path, scopes=(scope.path[:-1],))
        elif self.filter is not None and self.filter.problems:
            selection = Selection(app.session, "problems", problems=True)
        elif self.filter is not None:
            selection = Selection(app.session, self.filter.label,
                                  variables=tuple(sorted(self.filter.names)))
        else:
            selection = Selection(app.session, f"session {app.session}")
        app.push_screen(ExportScreen(app.trace, selection))


def no_findings_here(app) -> str:
    """Why ``p``/``n`` found nothing, and where the findings are when another session has
    them (the header counts every session's findings)."""
    text = f"no finding names a variable of session {app.session}"
    others = [s for s in sorted(app.trace.session_numbers)
              if s != app.session and app.findings.problems(s)]
    if others:
        label, verb = ("session", "has") if len(others) == 1 else ("sessions", "have")
        text += f"; {label} {', '.join(map(str, others))} {verb} some: press s to switch"
    return text
