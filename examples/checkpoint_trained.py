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
import os
import runpy
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

if __name__ == "__main__":
    sys.argv = [sys.argv[0], "--fixed"]
    runpy.run_path(os.path.join(HERE, "checkpoint_untrained.py"), run_name="__main__")
