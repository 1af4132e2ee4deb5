"""The assign op built once and fed its value (CLEAN; counterpart of graph_grows.py).

What it does
    The same hand-written gradient descent as graph_grows.py, with the fix: the assign
    op is built once before the loop, from a placeholder, and each step feeds the new
    value: sess.run(assign, {value: new_value}). After training it builds one evaluation
    op (once, which is fine) and saves ckpt/graph_fixed/model.ckpt.

tftrace should report no warning or error: the graph does not grow between runs (the
one evaluation op added after the loop is not "again and again").

Variables: resource variables (VarHandleOp) -- disable_eager_execution().
"""
import os
import runpy
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

if __name__ == "__main__":
    sys.argv = [sys.argv[0], "--fixed"]
    runpy.run_path(os.path.join(HERE, "graph_grows.py"), run_name="__main__")
