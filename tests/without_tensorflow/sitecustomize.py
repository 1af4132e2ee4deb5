"""Make `import tensorflow` fail in this interpreter, as on a machine without TensorFlow.

Put this directory first on PYTHONPATH; Python imports ``sitecustomize`` at start-up.
PRODUCT promises that everything but recording works without TensorFlow, and
``tests/test_layers.py`` runs ``pytest -m "not tf"`` under this blocker to prove it.
"""
from __future__ import annotations

import sys

BLOCKED = ("tensorflow", "tf_keras", "keras")


class _BlockTensorFlow:
    """A meta path finder that refuses TensorFlow and its Keras before any other finder."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked: tests without "
                                      "TensorFlow)", name=name)
        return None


sys.meta_path.insert(0, _BlockTensorFlow())
