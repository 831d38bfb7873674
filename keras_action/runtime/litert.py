"""`LiteRTRunner`: runs an exported clip classifier with LiteRT, without TensorFlow."""

import time

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType

_DELEGATE = "DELEGATE"


class LiteRTModel:
    """A `.tflite` file loaded in LiteRT's interpreter, with XNNPACK by default.

    What the clip and the streaming runners share: loading, a clear error
    for a file LiteRT cannot load, timing and the delegation check.

    Args:
        model: path of a `.tflite` file, or its content as `bytes`.
        num_threads: CPU threads (`None`: LiteRT's default).
        xnnpack: apply the XNNPACK delegate (LiteRT's default CPU delegate).

    Example:

    >>> from keras_action import build_model
    >>> from keras_action.export import to_tflite
    >>> model = build_model("mobilenet_v2", "action", num_classes=5,
    ...                     num_segments=4, image_size=64)
    >>> _ = to_tflite(model, "action.tflite")
    >>> LiteRTModel("action.tflite").undelegated_ops()
    []
    """

    def __init__(self, model, num_threads=None, xnnpack=True):
        source = (
            {"model_content": model}
            if isinstance(model, bytes)
            else {"model_path": str(model)}
        )
        resolver = (
            OpResolverType.AUTO
            if xnnpack
            else (OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        )
        self.name = "<bytes>" if isinstance(model, bytes) else str(model)
        try:
            self.interpreter = Interpreter(
                **source,
                num_threads=num_threads,
                experimental_op_resolver_type=resolver,
            )
            self.interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as error:
            raise ValueError(
                f"{self.name}: LiteRT cannot load this model: {error}"
            ) from None

    def latencies(self, repeats=10, warmup=2):
        """Seconds per invocation on random inputs: `repeats` runs after `warmup`.

        Returns:
            `(wall, cpu)`: arrays of wall-clock and process CPU seconds per run.
            CPU time barely depends on other jobs sharing the machine, so
            one-thread CPU times compare models more steadily than wall time.
        """
        rng = np.random.default_rng(0)
        for details in self.interpreter.get_input_details():
            values = rng.uniform(0, 255, details["shape"])
            self.interpreter.set_tensor(details["index"], quantize(values, details))
        for _ in range(warmup):
            self.interpreter.invoke()
        times = np.empty((2, repeats))
        for run in range(repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            self.interpreter.invoke()
            times[:, run] = time.perf_counter() - wall, time.process_time() - cpu
        return times[0], times[1]

    def undelegated_ops(self):
        """Names of the ops that run outside delegates (empty: all delegated).

        LiteRT lists the original ops, then one node per delegated partition.
        An original op runs itself when none of its outputs leaves a partition
        and one of them is needed: by a partition, by a running op, or as one
        of the model's outputs. Walking the ops backwards settles "needed".
        """
        ops = self.interpreter._get_ops_details()
        delegated = [op for op in ops if op["op_name"] == _DELEGATE]
        produced = {t for op in delegated for t in op["outputs"].tolist()}
        needed = {t for op in delegated for t in op["inputs"].tolist()}
        needed.update(int(d["index"]) for d in self.interpreter.get_output_details())
        running = set()
        for op in reversed([op for op in ops if op["op_name"] != _DELEGATE]):
            outputs = set(op["outputs"].tolist())
            if outputs & needed and not outputs & produced:
                running.add(op["op_name"])
                needed.update(op["inputs"].tolist())
        return sorted(running)


class LiteRTRunner(LiteRTModel):
    """Runs a `.tflite` clip classifier from `keras_action.export.to_tflite`.

    Args:
        model: path of a `.tflite` file, or its content as `bytes`.
        num_threads: CPU threads (`None`: LiteRT's default).
        xnnpack: apply the XNNPACK delegate (LiteRT's default CPU delegate).

    Call arguments:
        clip: pixels in [0, 255], `(T, H, W, 3)` (any real dtype); quantized
            models get them quantized with the input's scale and zero point.

    Returns:
        float32 logits `(1, num_classes)` (dequantized for int8 models).

    Example:

    >>> from keras_action import build_model
    >>> from keras_action.export import to_tflite
    >>> model = build_model("mobilenet_v2", "action", num_classes=5,
    ...                     num_segments=4, image_size=64)
    >>> _ = to_tflite(model, "action.tflite")
    >>> runner = LiteRTRunner("action.tflite", num_threads=2)
    >>> runner(np.zeros((4, 64, 64, 3), "float32")).shape  # a clip (T, H, W, 3)
    (1, 5)
    """

    def __init__(self, model, num_threads=None, xnnpack=True):
        super().__init__(model, num_threads, xnnpack)
        inputs = self.interpreter.get_input_details()
        outputs = self.interpreter.get_output_details()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ValueError(
                f"{self.name}: expected one input and one output, got "
                f"{len(inputs)} and {len(outputs)}"
                + (
                    " (a streaming file: use StreamingRunner)."
                    if len(inputs) > 1
                    else "."
                )
            )
        self._input, self._output = inputs[0], outputs[0]

    @property
    def input_shape(self):
        """`(T, H, W, 3)`."""
        return tuple(int(d) for d in self._input["shape"])

    @property
    def num_segments(self):
        return self.input_shape[0]

    @property
    def image_size(self):
        return self.input_shape[1]

    @property
    def num_classes(self):
        """K, the length of the logits."""
        return int(self._output["shape"][-1])

    @property
    def input_dtype(self):
        """`numpy.float32`, or `numpy.int8` for int8 models."""
        return self._input["dtype"]

    def __call__(self, clip):
        clip = np.asarray(clip)
        if clip.shape != self.input_shape:
            raise ValueError(
                f"{self.name}: expected a clip of shape {self.input_shape} "
                f"(T, H, W, 3), got {clip.shape}."
            )
        self.interpreter.set_tensor(self._input["index"], quantize(clip, self._input))
        self.interpreter.invoke()
        return dequantize(
            self.interpreter.get_tensor(self._output["index"]), self._output
        )


def quantize(values, details):
    """`values` in the dtype of the tensor `details`, quantized if it is an integer."""
    dtype = details["dtype"]
    values = np.asarray(values)
    if np.issubdtype(dtype, np.floating):
        return values.astype(dtype)
    scale, zero_point = details["quantization"]
    info = np.iinfo(dtype)
    values = np.round(values.astype(np.float32) / scale + zero_point)
    return np.clip(values, info.min, info.max).astype(dtype)


def dequantize(values, details):
    """float32 values of the tensor `details` (dequantized if it is an integer)."""
    if np.issubdtype(values.dtype, np.floating):
        return values.astype(np.float32)
    scale, zero_point = details["quantization"]
    return ((values.astype(np.float32) - zero_point) * scale).astype(np.float32)


def read_labels(path):
    """Class names from a `labels.txt` (one per line, blank lines ignored)."""
    with open(path, encoding="utf-8") as file:
        names = [line.strip() for line in file if line.strip()]
    if not names:
        raise ValueError(f"{path}: no class names in this labels file.")
    return names
