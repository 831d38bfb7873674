"""Counting and reporting the samples dropped under `on_error="skip"`."""

import logging
import threading

import tensorflow as tf

logger = logging.getLogger("keras_action.data")


class SkipReport:
    """How many samples a dataset dropped because their files were unreadable.

    Every loader attaches one as `dataset.skipped`. The count covers all
    failures: each sample bumps a counter before its files are read and
    un-bumps it once its clip is built, so whatever error stops a sample
    (missing folder, corrupt JPEG, undecodable video) leaves it counted. It is
    exact once a pass over the dataset is complete (samples still in flight
    count as skipped until they finish). `messages` lists the failures the
    pipeline diagnosed itself, each naming the file. A warning is logged on the
    `keras_action.data` logger for each diagnosed failure and, at the end of a
    pass, whenever the total has grown.

    Example:
        >>> train = data.load_jester(root, split="train", training=True)
        >>> model.fit(train)
        >>> train.skipped.count, train.skipped.messages[:3]
    """

    def __init__(self, name="dataset"):
        self.name = name
        self._failures = tf.Variable(0, dtype=tf.int64, trainable=False)
        self._messages = []
        self._lock = threading.Lock()
        self._reported = 0

    @property
    def count(self):
        """Samples dropped so far, over all passes."""
        return int(self._failures.numpy())

    @property
    def messages(self):
        """Diagnoses of the dropped samples, each naming its file."""
        with self._lock:
            return list(self._messages)

    def record(self, message):
        """Logs and keeps the diagnosis of one failed sample."""
        if isinstance(message, (bytes, tf.Tensor)):
            message = message.numpy() if isinstance(message, tf.Tensor) else message
            message = message.decode("utf-8", "replace")
        with self._lock:
            self._messages.append(message)
        logger.warning("%s: skipping a sample: %s", self.name, message)
        return True

    def announce(self):
        """Logs the running total if it grew since the last call (end of a pass)."""
        count = self.count
        if count > self._reported:
            self._reported = count
            logger.warning(
                "%s: %d sample(s) skipped so far because of unreadable files "
                "(see `dataset.skipped.messages`)",
                self.name,
                count,
            )
        return False

    def lost(self, count, message):
        """Graph op counting `count` samples lost before any per-sample function
        ran (e.g. the tail of a corrupt TFRecord shard), with a diagnosis."""
        recorded = tf.py_function(self.record, [message], tf.bool)
        with tf.control_dependencies([recorded]):
            added = self._failures.assign_add(tf.cast(count, tf.int64))
        with tf.control_dependencies([added]):
            return tf.constant(True)

    def guard(self, build):
        """Wraps a per-sample function so that any failure inside it is counted."""

        def guarded(*args):
            started = self._failures.assign_add(1)
            with tf.control_dependencies([started]):
                args = tf.nest.map_structure(tf.identity, args)
            outputs = build(*args)
            with tf.control_dependencies(tf.nest.flatten(outputs)):
                finished = self._failures.assign_sub(1)
            with tf.control_dependencies([finished]):
                return tf.nest.map_structure(tf.identity, outputs)

        return guarded

    def __int__(self):
        return self.count

    def __repr__(self):
        return f"SkipReport(name={self.name!r}, count={self.count})"
