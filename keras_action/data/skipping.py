"""Counting and reporting the samples dropped under `on_error="skip"`."""

import logging
import re
import threading

import tensorflow as tf

logger = logging.getLogger("keras_action.data")


def after(check, tensor):
    """`tensor`, not available before `check` has run (and passed).

    An identity of a tensor made earlier carries the dependency: ops merely
    created under `tf.control_dependencies` may get it only through their
    constant inputs, which graph optimisation is free to rewrite.
    """
    with tf.control_dependencies([check]):
        return tf.identity(tensor)


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
        >>> from keras_action import data
        >>> root = data.write_synthetic_jester("jester")
        >>> train = data.load_jester(root, split="train", training=True,
        ...                          num_segments=4, image_size=32)
        >>> batches = list(train)  # or model.fit(train)
        >>> train.skipped.count, train.skipped.messages[:3]
        (0, [])
    """

    def __init__(self, name="dataset", diagnose=None):
        self.name = name
        self._diagnose = diagnose
        self._failures = tf.Variable(0, dtype=tf.int64, trainable=False)
        # Samples started and not finished: at the end of a pass, the failed.
        self._unfinished = tf.lookup.experimental.MutableHashTable(
            tf.string, tf.int64, 0
        )
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
        self._explain_failures()
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
        added = self._failures.assign_add(after(recorded, tf.cast(count, tf.int64)))
        return after(added, tf.constant(True))

    def guard(self, build, key=None):
        """Wraps a per-sample function so that any failure inside it is counted.

        Args:
            build: the per-sample function.
            key: `(*args) -> string tensor`, `"<source>#<unique>"`: the failed
                samples' sources are then named in `messages` even when the
                error (e.g. a JPEG whose data is corrupt inside) came from a
                TensorFlow op that names no file.
        """

        def guarded(*args):
            started = [self._failures.assign_add(1)]
            if key is not None:
                sample = tf.reshape(key(*args), [1])
                started.append(self._unfinished.insert(sample, tf.ones([1], tf.int64)))
            with tf.control_dependencies(started):
                args = tf.nest.map_structure(tf.identity, args)
            outputs = build(*args)
            one = tf.constant(1, tf.int64)
            with tf.control_dependencies(tf.nest.flatten(outputs)):
                # Inputs made outside this block, so the dependency is direct.
                finished = [self._failures.assign_sub(tf.identity(one))]
                if key is not None:
                    finished.append(self._unfinished.remove(tf.identity(sample)))
            with tf.control_dependencies(finished):
                return tf.nest.map_structure(tf.identity, outputs)

        return guarded

    def _explain_failures(self):
        """Adds a message for each failed sample no message names yet."""
        keys, _ = self._unfinished.export()
        if not len(keys):
            return
        self._unfinished.remove(keys)
        for key in keys.numpy():
            source = key.decode("utf-8", "replace").rpartition("#")[0]
            named = re.compile(re.escape(source) + r"(?![\w.-])")
            if any(named.search(message) for message in self.messages):
                continue
            reason = self._diagnose(source) if self._diagnose else None
            self.record(
                reason
                or f"{source}: failed with an error TensorFlow did not "
                "attribute to a file (see its log)"
            )

    def __int__(self):
        return self.count

    def __repr__(self):
        return f"SkipReport(name={self.name!r}, count={self.count})"
