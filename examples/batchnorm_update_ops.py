"""Batch norm trained correctly: the train op depends on tf.GraphKeys.UPDATE_OPS (CLEAN;
counterpart of batchnorm_update_ops_missing.py).

What it does
    The same model and the same frozen first layer as batchnorm_update_ops_missing.py,
    with the documented fix:
        with tf.control_dependencies(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)):
            train_op = optimizer.minimize(loss, var_list=fine_tuned)
    so every training step also updates layer2/bn/moving_mean and moving_variance.

tftrace should report no warning or error: layer2's moving statistics get an update with
every step; layer1 is frozen (none of its variables train), so its moving statistics are
left alone on purpose.

Variables: resource variables (VarHandleOp) -- disable_eager_execution().
"""
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

if __name__ == "__main__":
    sys.argv.append("--fixed")  # read by batchnorm_update_ops_missing.py when it is imported
    spec = importlib.util.spec_from_file_location("batchnorm_update_ops_missing", os.path.join(HERE, "batchnorm_update_ops_missing.py"))
    program = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(program)
    program.main()
