"""The app's screens: three main ones (variables, diagnostics, runs) and small modals."""
