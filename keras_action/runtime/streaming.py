"""`StreamingRunner`: runs a per-frame `.tflite` file, feeding its states back."""

import time

import numpy as np

from keras_action.runtime.litert import LiteRTModel, dequantize, quantize
from keras_action.utils.numerics import softmax

#: Names in a streaming file's signature (see `keras_action.export.streaming`).
FRAME, LOGITS = "frame", "logits"


class StreamingRunner(LiteRTModel):
    """Runs a streaming file from `to_tflite(..., streaming=True)`, frame by frame.

    The runner holds the states (zeros at first, and after `reset()`) and
    feeds each output state back as the input of the same name. int8 files
    get their frame quantized and their logits dequantized; their states
    stay int8 from one frame to the next, copied as they are (each state
    output has its input's scale and zero point: `check_edge` verifies it).

    Args:
        model: path of a streaming `.tflite` file, or its content as `bytes`.
        num_threads: CPU threads (`None`: LiteRT's default).
        xnnpack: apply the XNNPACK delegate (LiteRT's default CPU delegate).

    Attributes:
        logits: float32 `(num_classes,)`, the last step's smoothed logits:
            the mean of the per-frame logits of the last T frames.
        latency: seconds (wall clock) of the last step's invocation.

    Example:

    >>> from keras_action import build_model
    >>> from keras_action.export import to_tflite
    >>> model = build_model("mobilenet_v2", "action", num_classes=5,
    ...                     num_segments=4, image_size=64, causal=True)
    >>> _ = to_tflite(model, "action_stream.tflite", streaming=True)
    >>> runner = StreamingRunner("action_stream.tflite", num_threads=2)
    >>> frames = np.zeros((10, 64, 64, 3), "float32")  # every frame_stride-th
    >>> for frame in frames:
    ...     probabilities = runner.step(frame)
    >>> probabilities.shape
    (5,)
    >>> runner.reset()
    """

    def __init__(self, model, num_threads=None, xnnpack=True):
        super().__init__(model, num_threads, xnnpack)
        signature = self.interpreter.get_signature_runner()
        self._inputs = signature.get_input_details()
        self._outputs = signature.get_output_details()
        names = self._inputs.keys() & self._outputs.keys()
        if FRAME not in self._inputs or LOGITS not in self._outputs:
            raise ValueError(
                f"{self.name}: not a streaming file (expected a `{FRAME}` input and "
                f"a `{LOGITS}` output, got inputs {sorted(self._inputs)}); export "
                "one with to_tflite(causal_model, path, streaming=True)."
            )
        self.state_names = sorted(names)
        self.reset()

    @property
    def frame_shape(self):
        """`(1, H, W, 3)`."""
        return tuple(int(d) for d in self._inputs[FRAME]["shape"])

    @property
    def image_size(self):
        return self.frame_shape[1]

    @property
    def num_classes(self):
        return int(self._outputs[LOGITS]["shape"][-1])

    @property
    def states(self):
        """`{name: float32 array}`: the states the next step will read."""
        return {
            name: dequantize(value, self._inputs[name])
            for name, value in self._states.items()
        }

    def state_bytes(self):
        """Bytes of state carried from one frame to the next (at the file's dtypes)."""
        return sum(value.nbytes for value in self._states.values())

    def reset(self):
        """Starts a new stream: every state back to zero (in real values)."""
        self._states = {
            name: quantize(np.zeros(self._inputs[name]["shape"]), self._inputs[name])
            for name in self.state_names
        }
        self.logits, self.latency = None, None

    def step(self, frame):
        """Runs one frame; returns class probabilities `(num_classes,)`.

        Args:
            frame: RGB pixels in [0, 255], `(H, W, 3)` or `(1, H, W, 3)`.

        Returns:
            float32 softmax of the smoothed logits (mean of the last T frames').
        """
        frame = np.asarray(frame)
        if frame.shape == self.frame_shape[1:]:
            frame = frame[np.newaxis]
        if frame.shape != self.frame_shape:
            raise ValueError(
                f"{self.name}: expected a frame of shape {self.frame_shape[1:]} "
                f"(H, W, 3), got {frame.shape}."
            )
        interpreter = self.interpreter
        frame_input = self._inputs[FRAME]
        interpreter.set_tensor(frame_input["index"], quantize(frame, frame_input))
        for name, value in self._states.items():
            interpreter.set_tensor(self._inputs[name]["index"], value)
        start = time.perf_counter()
        interpreter.invoke()
        self.latency = time.perf_counter() - start
        self._states = {
            name: interpreter.get_tensor(self._outputs[name]["index"])  # a copy
            for name in self.state_names
        }
        logits = self._outputs[LOGITS]
        self.logits = dequantize(interpreter.get_tensor(logits["index"]), logits)[0]
        return softmax(self.logits)
