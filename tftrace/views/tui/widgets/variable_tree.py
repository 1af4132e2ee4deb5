"""The variables of one session's graph as a tree of name scopes, built lazily.

A scope's children become tree nodes only when the scope is first opened, and a
variable's badge (origin, updates) is looked up only when its node is created: opening a
graph of 10 000 variables creates the top level and nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tftrace.model import Trace
from tftrace.views.tui.cells import scope_label, variable_label
from tftrace.views.tui.scopes import Scope, leaf_name, scope_paths
from tftrace.views.tui.status import Findings, VariableStatus, variable_status

#: Show every scope open at once when the tree holds at most this many variables.
OPEN_ALL_BELOW = 60


@dataclass(eq=False)
class Item:
    """What a tree node stands for: a scope or a variable (full name)."""

    scope: Scope | None = None
    variable: str | None = None
    loaded: bool = False


class VariableTree(Tree[Item]):
    """Call :meth:`show` with a session's scopes; :meth:`reveal` to go to a variable."""

    def __init__(self, **kwargs):
        super().__init__(Text("variables"), data=Item(), **kwargs)
        self.show_root = False
        self.guide_depth = 3
        self.auto_expand = True
        self.trace: Trace | None = None
        self.session = 0
        self.findings: Findings | None = None
        self.top = Scope(name="", path="")
        self.touched = False  # the person moved the cursor (no more automatic moves)
        self._scope_nodes: dict[str, TreeNode[Item]] = {}
        self._variable_nodes: dict[str, TreeNode[Item]] = {}
        self._statuses: dict[str, VariableStatus] = {}

    # --- filling the tree ---------------------------------------------------------------

    def show(self, trace: Trace, session: int, top: Scope, findings: Findings | None,
             ) -> None:
        """Replace the tree by the scopes of ``top`` (all variables of ``session``, or a
        filtered subset)."""
        self.trace, self.session, self.top, self.findings = trace, session, top, findings
        self._statuses = {}
        self.clear()
        self.root.data = Item(scope=top)
        self._scope_nodes = {"": self.root}
        self._variable_nodes = {}
        self._populate(self.root)
        if top.count <= OPEN_ALL_BELOW:
            for scope in top.walk():
                if scope.path:
                    self._open(scope.path)
        else:  # open a chain of lone scopes (everything under "model/")
            scope = top
            while (scope := scope.only_child()) is not None:
                self._open(scope.path)

    def _populate(self, node: TreeNode[Item]) -> None:
        item = node.data
        if item is None or item.scope is None or item.loaded:
            return
        item.loaded = True
        for scope in item.scope.sorted_scopes():
            child = node.add(self._scope_label(scope), data=Item(scope=scope))
            self._scope_nodes[scope.path] = child
        for name in item.scope.sorted_variables():
            leaf = node.add_leaf(self._variable_label(name), data=Item(variable=name))
            self._variable_nodes[name] = leaf

    def _open(self, path: str) -> TreeNode[Item] | None:
        node = self._scope_nodes.get(path)
        if node is not None:
            self._populate(node)
            node.expand()
        return node

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Item]) -> None:
        self._populate(event.node)

    def opened_scopes(self) -> list[str]:
        """Paths of the scopes shown open (to open them again after a reload)."""
        return [path for path, node in self._scope_nodes.items()
                if path and node.is_expanded]

    def open_scopes(self, paths: list[str]) -> None:
        for path in paths:
            self._open(path)

    # --- labels ------------------------------------------------------------------------

    def status(self, name: str) -> VariableStatus:
        known = self._statuses.get(name)
        if known is None:
            assert self.trace is not None
            known = self._statuses[name] = variable_status(self.trace, name, self.session,
                                                           self.findings)
        return known

    def _variable_label(self, name: str) -> Text:
        return variable_label(leaf_name(name), self.status(name))

    def _scope_label(self, scope: Scope) -> Text:
        problems, severity = (0, None) if self.findings is None \
            else self.findings.scope(self.session, scope.path)
        return scope_label(scope.name, scope.count, problems, severity)

    def set_findings(self, findings: Findings | None) -> None:
        """New diagnostics: relabel the nodes created so far."""
        self.findings = findings
        self._statuses = {}
        for name, node in self._variable_nodes.items():
            node.set_label(self._variable_label(name))
        for path, node in self._scope_nodes.items():
            if path and node.data is not None and node.data.scope is not None:
                node.set_label(self._scope_label(node.data.scope))

    # --- moving around ------------------------------------------------------------------

    @property
    def current_variable(self) -> str | None:
        node = self.cursor_node
        return None if node is None or node.data is None else node.data.variable

    @property
    def current_scope(self) -> Scope | None:
        node = self.cursor_node
        return None if node is None or node.data is None else node.data.scope

    def reveal(self, name: str) -> bool:
        """Open the scopes holding ``name`` and put the cursor on it (False when the tree
        does not show it)."""
        for path in scope_paths(name):
            if self._open(path) is None:
                return False
        node = self._variable_nodes.get(name)
        if node is None:
            return False
        self.move_to(node)
        return True

    def move_to(self, node: TreeNode[Item]) -> None:
        # Nodes added since the last refresh have no line number yet: reading _tree_lines
        # rebuilds the line list (it is what Tree itself does on idle).
        self._tree_lines  # noqa: B018
        self.cursor_line = node.line
        # Scroll once the tree has its size (before the first layout, every line looks
        # out of view and the tree would scroll its top lines away).
        self.call_after_refresh(self.scroll_to_node, node, animate=False)

    def first_variable(self) -> str | None:
        return next(self.top.all_variables(), None)

    def on_key(self, event: events.Key) -> None:
        self.touched = True

    def on_click(self, event: events.Click) -> None:
        self.touched = True
