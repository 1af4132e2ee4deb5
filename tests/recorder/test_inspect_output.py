"""`tftrace inspect` on a real checkpoint prints the report and nothing else: no absl or
oneDNN start-up lines on stderr, which TF_CPP_MIN_LOG_LEVEL alone does not silence."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.tf
def test_inspect_prints_no_tensorflow_start_up_noise(tmp_path):
    import numpy as np
    import tensorflow as tf

    v1 = tf.compat.v1
    with tf.Graph().as_default():
        w = v1.get_variable("dense/kernel", initializer=np.ones((3, 2), np.float32))
        saver = v1.train.Saver([w])
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            prefix = saver.save(sess, str(tmp_path / "model.ckpt"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("TF_ENABLE_ONEDNN_OPTS", None)
    result = subprocess.run([sys.executable, "-m", "tftrace", "inspect", prefix],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{prefix}: 1 key, 24 B")
    assert result.stderr == ""
