"""Fine-tune a BERT-shaped encoder the way google-research/bert's run_classifier does
(CLEAN): tf.train.init_from_checkpoint, a new classifier head, an AdamWeightDecay-style
optimizer with adam_m/adam_v slots, and a MonitoredTrainingSession.

What it does
    Phase 1 ("pretraining") trains bert/ (embeddings and one encoder layer) with a
    pretraining head cls/ (masked-LM transform and next-sentence weights) and saves
    ckpt/bert_finetune/bert_model.ckpt -- like the released BERT checkpoints, it holds the
    model variables only, no optimizer slots.
    Phase 2 ("fine-tuning") builds bert/ again plus a fresh head (output_weights,
    output_bias) and global_step, and, as run_classifier.py does,
        assignment_map = {name: name for every bert/ variable}
        tf.compat.v1.train.init_from_checkpoint(INIT_CHECKPOINT, assignment_map)
    then trains 10 steps with an AdamWeightDecay-style optimizer (get_variable slots
    <param>/adam_m and <param>/adam_v) inside tf.compat.v1.train.MonitoredTrainingSession,
    whose scaffold runs the global initializer -- which is where the checkpoint values
    arrive.

tftrace should report no warning or error. The bert/ variables' origin is a restore from
bert_model.ckpt, wired by init_from_checkpoint (its line) and loaded when the scaffold's
initializer ran (the MonitoredTrainingSession line). restored-partially (info) names the
model variables that were not restored (output_weights, output_bias, global_step), counts
the optimizer slots apart, and lists the checkpoint keys nothing used (cls/*).

Variables: reference variables (VariableV2) -- tf.compat.v1.disable_v2_behavior().
"""
import os
import re
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

NAME = "bert_finetune"
CKPT_DIR = os.path.join("ckpt", NAME)
INIT_CHECKPOINT = os.path.join(CKPT_DIR, "bert_model.ckpt")
HIDDEN, VOCAB, SEQ = 8, 20, 6

rng = np.random.RandomState(0)
TOKENS = rng.randint(0, VOCAB, size=(16, SEQ)).astype(np.int32)
LABELS = (TOKENS[:, 0] % 2).astype(np.int32)


def bert(tokens):
    init = tf.compat.v1.truncated_normal_initializer(stddev=0.02, seed=1)
    with tf.compat.v1.variable_scope("bert"):
        table = tf.compat.v1.get_variable("embeddings/word_embeddings", [VOCAB, HIDDEN],
                                          initializer=init)
        x = tf.nn.embedding_lookup(table, tokens)
        with tf.compat.v1.variable_scope("encoder/layer_0"):
            for part in ("attention/self/query", "attention/output/dense", "output/dense"):
                with tf.compat.v1.variable_scope(part):
                    w = tf.compat.v1.get_variable("kernel", [HIDDEN, HIDDEN], initializer=init)
                    b = tf.compat.v1.get_variable("bias", [HIDDEN],
                                                  initializer=tf.compat.v1.zeros_initializer())
                    x = tf.nn.relu(tf.einsum("bsh,hk->bsk", x, w) + b)
        with tf.compat.v1.variable_scope("pooler/dense"):
            w = tf.compat.v1.get_variable("kernel", [HIDDEN, HIDDEN], initializer=init)
            return tf.tanh(tf.matmul(x[:, 0], w))


def pretrain():
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(1)
        pooled = bert(tf.constant(TOKENS))
        with tf.compat.v1.variable_scope("cls/predictions/transform/dense"):
            w = tf.compat.v1.get_variable("kernel", [HIDDEN, HIDDEN])
        with tf.compat.v1.variable_scope("cls/seq_relationship"):
            nsp = tf.compat.v1.get_variable("output_weights", [2, HIDDEN])
        logits = tf.matmul(tf.matmul(pooled, w), nsp, transpose_b=True)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.constant(LABELS), logits=logits))
        train_op = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(loss)
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for _ in range(5):
                sess.run(train_op)
            saver.save(sess, INIT_CHECKPOINT)
    print("phase 1: saved", INIT_CHECKPOINT)


def adam_weight_decay(loss, global_step, learning_rate=0.01, beta_1=0.9, beta_2=0.999):
    """The shape of BERT's AdamWeightDecayOptimizer: get_variable slots, plain assigns."""
    params = tf.compat.v1.trainable_variables()
    grads = tf.gradients(loss, params)
    updates = []
    for grad, param in zip(grads, params):
        grad = tf.convert_to_tensor(grad)  # the embedding's gradient is IndexedSlices
        name = re.sub(":\\d+$", "", param.name)
        m = tf.compat.v1.get_variable(name + "/adam_m", param.shape, trainable=False,
                                      initializer=tf.compat.v1.zeros_initializer())
        v = tf.compat.v1.get_variable(name + "/adam_v", param.shape, trainable=False,
                                      initializer=tf.compat.v1.zeros_initializer())
        next_m = beta_1 * m + (1.0 - beta_1) * grad
        next_v = beta_2 * v + (1.0 - beta_2) * tf.square(grad)
        step = next_m / (tf.sqrt(next_v) + 1e-6) + 0.01 * param
        updates += [param.assign(param - learning_rate * step), m.assign(next_m),
                    v.assign(next_v)]
    with tf.control_dependencies(updates):
        return tf.compat.v1.assign_add(global_step, 1)


def finetune():
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(2)
        global_step = tf.compat.v1.train.get_or_create_global_step()
        pooled = bert(tf.constant(TOKENS))
        output_weights = tf.compat.v1.get_variable(
            "output_weights", [2, HIDDEN],
            initializer=tf.compat.v1.truncated_normal_initializer(stddev=0.02, seed=2))
        output_bias = tf.compat.v1.get_variable("output_bias", [2],
                                                initializer=tf.compat.v1.zeros_initializer())
        logits = tf.matmul(pooled, output_weights, transpose_b=True) + output_bias
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.constant(LABELS), logits=logits))
        assignment_map = {v.op.name: v.op.name for v in tf.compat.v1.trainable_variables()
                          if v.op.name.startswith("bert/")}
        tf.compat.v1.train.init_from_checkpoint(INIT_CHECKPOINT, assignment_map)
        train_op = adam_weight_decay(loss, global_step)
        with tf.compat.v1.train.MonitoredTrainingSession(checkpoint_dir=None) as sess:
            for _ in range(10):
                sess.run(train_op)
            print(f"phase 2: fine-tuned, loss {sess.run(loss):.4f}")


def main():
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
    tf.compat.v1.disable_v2_behavior()
    shutil.rmtree(CKPT_DIR, ignore_errors=True)
    os.makedirs(CKPT_DIR)
    pretrain()
    finetune()


if __name__ == "__main__":
    main()
