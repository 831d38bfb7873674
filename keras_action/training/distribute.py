"""Choosing a `tf.distribute` strategy and knowing this process's role in it."""

import dataclasses
import json
import os

import tensorflow as tf

STRATEGIES = ("auto", "one", "mirrored", "multiworker", "tpu")


def make_strategy(name="auto", cpu_replicas=None):
    """Returns a `tf.distribute.Strategy`.

    Args:
        name: `"one"` (default device), `"mirrored"` (all local GPUs, or
            `cpu_replicas` logical CPUs), `"multiworker"` (workers described by
            the `TF_CONFIG` environment variable), `"tpu"`, or `"auto"`:
            multiworker when `TF_CONFIG` names several workers, mirrored when
            there are several GPUs, otherwise one device.
        cpu_replicas: split the CPU into this many logical devices and mirror
            over them (for testing data parallelism without accelerators). It
            must be set before TensorFlow initialises its devices.
    """
    if name not in STRATEGIES:
        raise ValueError(f"Unknown strategy {name!r}; expected one of {STRATEGIES}.")
    if cpu_replicas:
        _split_cpu(cpu_replicas)
    if name == "auto":
        name = _automatic_choice(cpu_replicas)
    if name == "one":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        devices = [d.name for d in tf.config.list_logical_devices("GPU")]
        if not devices and cpu_replicas:
            devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices or None)
    if name == "multiworker":
        return _reducing_structures(tf.distribute.MultiWorkerMirroredStrategy())
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


def _reducing_structures(strategy):
    """Works around two Keras 3.15 calls that `MultiWorkerMirroredStrategy` rejects.

    `fit` reduces a whole `(x, y)` batch in one `strategy.reduce` call (to
    build the model), and reduces scalar logs with `axis=0`. Here each value is
    reduced on its own, and scalars over replicas only.
    """
    reduce = strategy.reduce

    def reduce_one(reduce_op, value, axis):
        (local, *_) = strategy.experimental_local_results(value)
        return reduce(reduce_op, value, axis=axis if local.shape.rank else None)

    def reduce_each(reduce_op, value, axis=None):
        return tf.nest.map_structure(lambda v: reduce_one(reduce_op, v, axis), value)

    strategy.reduce = reduce_each
    return strategy


def _automatic_choice(cpu_replicas):
    if Worker.from_environment().count > 1:
        return "multiworker"
    if len(tf.config.list_physical_devices("GPU")) > 1 or cpu_replicas:
        return "mirrored"
    return "one"


def _split_cpu(replicas):
    (cpu,) = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * replicas
    )


@dataclasses.dataclass(frozen=True)
class Worker:
    """This process's place among the workers of a multi-worker run."""

    index: int = 0
    count: int = 1

    @property
    def is_chief(self):
        return self.index == 0

    @classmethod
    def from_environment(cls):
        """Reads `TF_CONFIG`; a single worker when it is absent."""
        config = json.loads(os.environ.get("TF_CONFIG") or "{}")
        workers = config.get("cluster", {}).get("worker", [])
        task = config.get("task", {})
        if len(workers) <= 1 or task.get("type", "worker") != "worker":
            return cls()
        return cls(index=int(task.get("index", 0)), count=len(workers))
