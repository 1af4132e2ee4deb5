"""A BERT ``run_classifier``-shaped fine-tuning job, run plain and under ``tftrace run``.

The graph of ``benchmarks/models.bert_like`` (12 layers, ~14k ops, 604 variables,
AdamWeightDecayOptimizer writing through ``assign``), trained under
``MonitoredTrainingSession`` with logging, step-counter and summary hooks, which make
several run signatures. Steps: argv[1] (default 150); checkpoints go to a temporary dir.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

import models  # noqa: E402

v1 = tf.compat.v1


def main(steps: int) -> None:
    graph, train_op, loss, feed = models.bert_like()
    with graph.as_default():
        v1.summary.scalar("loss", loss)
        out = tempfile.mkdtemp(prefix="bert-bench-")
        hooks = [v1.train.StopAtStepHook(last_step=steps),
                 v1.train.LoggingTensorHook({"loss": loss}, every_n_iter=50)]
        with v1.train.MonitoredTrainingSession(checkpoint_dir=out, hooks=hooks,
                                               save_summaries_steps=25,
                                               log_step_count_steps=50,
                                               save_checkpoint_secs=None) as sess:
            while not sess.should_stop():
                sess.run(train_op, feed)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 150)
