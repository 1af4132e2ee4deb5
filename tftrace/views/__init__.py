"""Views of a loaded trace: text and JSON output (more to come: Graphviz, the TUI)."""
