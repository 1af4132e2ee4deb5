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
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

if __name__ == "__main__":
    sys.argv.append("--fixed")  # read by graph_grows.py when it is imported
    spec = importlib.util.spec_from_file_location("graph_grows", os.path.join(HERE, "graph_grows.py"))
    program = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(program)
    program.main()
