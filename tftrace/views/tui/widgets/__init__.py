"""Widgets of the terminal UI: the variable tree, the variable detail, the header."""
