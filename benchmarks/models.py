"""Graphs shaped like real TF1 training programs, built with ``get_variable`` (benchmarks).

Each builder makes its own ``tf.Graph`` and returns what a loop needs. Kept small in width so
a step costs about a millisecond on a CPU: the benchmarks measure the recorder, not matmuls.
"""
from __future__ import annotations

import math
import re

import numpy as np
import tensorflow as tf

v1 = tf.compat.v1


def _dense(x, width, name, activation=None):
    with v1.variable_scope(name):
        kernel = v1.get_variable("kernel", [x.shape[-1], width],
                                 initializer=v1.truncated_normal_initializer(stddev=0.02))
        bias = v1.get_variable("bias", [width], initializer=v1.zeros_initializer())
        y = tf.matmul(x, kernel) + bias
    return activation(y) if activation is not None else y


def _layer_norm(x, name):
    with v1.variable_scope(name):
        gamma = v1.get_variable("gamma", [x.shape[-1]], initializer=v1.ones_initializer())
        beta = v1.get_variable("beta", [x.shape[-1]], initializer=v1.zeros_initializer())
        mean, variance = tf.nn.moments(x, [-1], keepdims=True)
        return (x - mean) * tf.math.rsqrt(variance + 1e-12) * gamma + beta


def _gelu(x):
    return 0.5 * x * (1.0 + tf.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * tf.pow(x, 3))))


class AdamWeightDecayOptimizer(v1.train.Optimizer):
    """BERT's optimizer (google-research/bert ``optimization.py``): Adam with decoupled
    weight decay, written with ``assign`` — every parameter and both slots are ``Assign``
    ops whose value is computed from the variable itself (the recorder sees updates)."""

    def __init__(self, learning_rate, weight_decay_rate=0.01, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-6, name="AdamWeightDecayOptimizer"):
        super().__init__(False, name)
        self.learning_rate = learning_rate
        self.weight_decay_rate = weight_decay_rate
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        assignments = []
        for grad, param in grads_and_vars:
            if grad is None or param is None:
                continue
            grad = tf.convert_to_tensor(grad)  # the embedding gradient is IndexedSlices
            param_name = re.sub(":\\d+$", "", param.name)
            m = v1.get_variable(param_name + "/adam_m", param.shape.as_list(), tf.float32,
                                trainable=False, initializer=v1.zeros_initializer())
            v = v1.get_variable(param_name + "/adam_v", param.shape.as_list(), tf.float32,
                                trainable=False, initializer=v1.zeros_initializer())
            next_m = self.beta_1 * m + (1.0 - self.beta_1) * grad
            next_v = self.beta_2 * v + (1.0 - self.beta_2) * tf.square(grad)
            update = next_m / (tf.sqrt(next_v) + self.epsilon)
            if "LayerNorm" not in param_name and "bias" not in param_name:
                update += self.weight_decay_rate * param
            next_param = param - self.learning_rate * update
            assignments.extend([param.assign(next_param), m.assign(next_m), v.assign(next_v)])
        return tf.group(*assignments, name=name)


def bert_like(layers: int = 12, hidden: int = 32, seq: int = 8, batch: int = 2,
              vocab: int = 64, heads: int = 2):
    """A BERT ``run_classifier`` fine-tuning graph: embeddings, ``layers`` transformer
    blocks, pooler, classifier, gradients clipped by global norm, polynomial learning rate
    decay and ``AdamWeightDecayOptimizer``; the global step advanced by ``assign``.

    Returns (graph, train_op, loss, feed) — with the defaults about 14 000 ops and 604
    variables, like the real 12-layer model (whose tensors are just wider).
    """
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(0)
        ids = v1.placeholder(tf.int32, [batch, seq], name="input_ids")
        labels = v1.placeholder(tf.int32, [batch], name="label_ids")
        with v1.variable_scope("bert"):
            with v1.variable_scope("embeddings"):
                words = v1.get_variable("word_embeddings", [vocab, hidden])
                positions = v1.get_variable("position_embeddings", [seq, hidden])
                types = v1.get_variable("token_type_embeddings", [2, hidden])
                x = tf.gather(words, ids) + positions + types[0]
                x = _layer_norm(x, "LayerNorm")
            x = tf.reshape(x, [batch * seq, hidden])
            size = hidden // heads
            for i in range(layers):
                with v1.variable_scope(f"encoder/layer_{i}"):
                    with v1.variable_scope("attention"):
                        with v1.variable_scope("self"):
                            q, k, v = (tf.transpose(tf.reshape(
                                _dense(x, hidden, n), [batch, seq, heads, size]), [0, 2, 1, 3])
                                for n in ("query", "key", "value"))
                            scores = tf.matmul(q, k, transpose_b=True) / math.sqrt(size)
                            context = tf.matmul(tf.nn.softmax(scores), v)
                            context = tf.reshape(tf.transpose(context, [0, 2, 1, 3]),
                                                 [batch * seq, hidden])
                        with v1.variable_scope("output"):
                            attention = _layer_norm(_dense(context, hidden, "dense") + x,
                                                    "LayerNorm")
                    with v1.variable_scope("intermediate"):
                        inner = _dense(attention, 2 * hidden, "dense", _gelu)
                    with v1.variable_scope("output"):
                        x = _layer_norm(_dense(inner, hidden, "dense") + attention,
                                        "LayerNorm")
            with v1.variable_scope("pooler"):
                first = tf.reshape(x, [batch, seq, hidden])[:, 0]
                pooled = _dense(first, hidden, "dense", tf.tanh)
        weights = v1.get_variable("output_weights", [2, hidden])
        bias = v1.get_variable("output_bias", [2], initializer=v1.zeros_initializer())
        logits = tf.matmul(pooled, weights, transpose_b=True) + bias
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=logits))
        global_step = v1.train.get_or_create_global_step()
        learning_rate = v1.train.polynomial_decay(2e-5, global_step, 10_000, end_learning_rate=0.0)
        tvars = v1.trainable_variables()
        grads, _ = tf.clip_by_global_norm(tf.gradients(loss, tvars), clip_norm=1.0)
        train_op = AdamWeightDecayOptimizer(learning_rate).apply_gradients(
            zip(grads, tvars), global_step=global_step)
        train_op = tf.group(train_op, [global_step.assign(global_step + 1)])
    rng = np.random.default_rng(0)
    feed = {ids: rng.integers(0, vocab, size=(batch, seq)).astype(np.int32),
            labels: rng.integers(0, 2, size=(batch,)).astype(np.int32)}
    return graph, train_op, loss, feed


def mlp(hidden: int = 64, layers: int = 3):
    """x -> dense(relu) x (layers-1) -> dense(1), squared error: the loss and the feed."""
    x = v1.placeholder(tf.float32, [None, 32], name="x")
    y = v1.placeholder(tf.float32, [None, 1], name="y")
    h = x
    for i in range(layers):
        width = 1 if i == layers - 1 else hidden
        h = _dense(h, width, f"dense{i}", tf.nn.relu if width != 1 else None)
    rng = np.random.default_rng(0)
    feed = {x: rng.normal(size=(64, 32)).astype(np.float32),
            y: rng.normal(size=(64, 1)).astype(np.float32)}
    return tf.reduce_mean(tf.square(h - y)), feed
