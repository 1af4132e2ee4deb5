"""Train, save, restore for evaluation; and restore the initial weights on purpose to
train again (CLEAN; counterpart of checkpoint_untrained.py).

What it does
    The program of checkpoint_untrained.py with the fix: a batch size of 8, so the loop
    runs 3 steps per epoch (15 in all) before the save; the evaluation restores the
    trained checkpoint. It also saves the initial weights (initial.ckpt) before training
    and, at the end, restores them and trains 5 steps: rewinding to the initial weights
    on purpose.

tftrace should report no warning or error: the evaluated checkpoint was trained, and the
untrained initial.ckpt is restored only to be trained again.

Variables: resource variables (VarHandleOp) -- disable_eager_execution().
"""
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

if __name__ == "__main__":
    sys.argv.append("--fixed")  # read by checkpoint_untrained.py when it is imported
    spec = importlib.util.spec_from_file_location("checkpoint_untrained", os.path.join(HERE, "checkpoint_untrained.py"))
    program = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(program)
    program.main()
