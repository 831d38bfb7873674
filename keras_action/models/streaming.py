"""`streaming_model`: a causal clip model as a per-frame model with named states."""

import math

import keras
import numpy as np

from keras_action.layers import FoldSegments, SegmentConsensus
from keras_action.layers.base import TemporalLayer
from keras_action.utils import keras_internals

#: The name of the frame input and of the outputs of a streaming model.
FRAME, LOGITS, FRAME_LOGITS = "frame", "logits", "frame_logits"


class StreamingModel(keras.Model):
    """A functional model of one frame per stream and named states.

    Inputs: `{"frame": (B, H, W, 3) raw RGB pixels, **states}`; outputs:
    `{"logits": (B, K), "frame_logits": (B, K), **new_states}`, each new state
    under the same name as its input, as in MoViNet's stream models. `logits`
    is the mean of the last T per-frame logits (the clip model's TSN average,
    its window kept as the state `consensus_window`), `frame_logits` the
    current frame's alone. Build it with `streaming_model`; it shares the
    clip model's layers and weights, so it is not saved on its own: save the
    clip model and build the streaming model again.
    """

    def __init__(self, inputs, outputs, state_specs, **kwargs):
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self._specs = dict(state_specs)

    @property
    def state_specs(self):
        """`{name: StateSpec}`: shape and dtype of every state, in input order."""
        return dict(self._specs)

    def initial_states(self):
        """The states before the first frame: zeros (NumPy arrays)."""
        return {
            name: np.zeros(spec.shape, spec.dtype) for name, spec in self._specs.items()
        }

    def step(self, frame, states):
        """One frame per stream: returns `(logits, new_states)`.

        Args:
            frame: `(B, H, W, 3)` raw RGB pixels in [0, 255].
            states: the previous call's new states, or `initial_states()`.
        """
        inputs = {FRAME: frame, **states}
        # Keras refuses a mix of NumPy arrays (initial states) and tensors.
        inputs = {name: keras.ops.convert_to_tensor(x) for name, x in inputs.items()}
        outputs = self(inputs, training=False)
        return outputs[LOGITS], {name: outputs[name] for name in self._specs}


def streaming_model(model, batch_size=1):
    """Builds the per-frame (streaming) form of a causal clip model.

    Every temporal layer runs its per-frame call (see
    `keras_action.layers.base.TemporalLayer`), its state a named input and
    output; the clip model's layers and weights are shared, not copied, so
    training the clip model further changes the streaming model too. The
    clip model's average of the logits of T frames becomes the mean of the
    last T per-frame logits (`SegmentConsensus`, window state
    `consensus_window`): from zero states, the T-th output equals the clip
    model's logits for those T frames. Frames must come at the frame stride
    the model was trained with (`--frame-stride`, dense sampling).

    Args:
        model: a model from `build_model(..., causal=True)` (any module,
            TSN included), taking clips `(batch, T, H, W, 3)`.
        batch_size: int, the number of streams computed together (static,
            as edge runtimes want). Defaults to 1.

    Returns:
        A `StreamingModel`: `{"frame", **states} -> {"logits",
        "frame_logits", **states}`, every state of rank at most 4.

    Example:

    >>> from keras_action import build_model
    >>> model = build_model("mobilenet_v2", "action", causal=True,
    ...                     num_classes=27, num_segments=8, image_size=224)
    >>> stream = streaming_model(model)
    >>> states = stream.initial_states()
    >>> frame = np.zeros((1, 224, 224, 3), "float32")
    >>> logits, states = stream.step(frame, states)
    >>> tuple(logits.shape)
    (1, 27)
    """
    two_way = [layer.name for layer in _temporal_layers(model) if not layer.causal]
    if two_way:
        raise ValueError(
            f"streaming_model needs a causal model (build_model(..., causal=True)); "
            f"the layers {two_way} of {model.name!r} read future frames."
        )
    clip_shape = model.input.shape
    if len(clip_shape) != 5:
        raise ValueError(
            f"streaming_model expects a clip model with input (batch, T, H, W, 3); "
            f"{model.name!r} takes {tuple(clip_shape)}."
        )
    frame = keras.Input(
        batch_shape=(batch_size, *clip_shape[2:]), dtype=model.input.dtype, name=FRAME
    )
    graph = _StreamGraph()
    logits = keras_internals.run_through_graph(model, frame, graph.call)
    if graph.frame_logits is None:
        raise ValueError(f"{model.name!r} has no SegmentConsensus layer to stream.")
    outputs = {LOGITS: logits, FRAME_LOGITS: graph.frame_logits, **graph.new_states}
    return StreamingModel(
        {FRAME: frame, **graph.state_inputs},
        outputs,
        graph.specs,
        name=f"{model.name}_streaming",
    )


class _StreamGraph:
    """Calls each layer of a clip model on one frame, plumbing the states."""

    def __init__(self):
        self.specs, self.state_inputs, self.new_states = {}, {}, {}
        self.frame_logits = None

    def call(self, layer, *args, **kwargs):
        if isinstance(layer, FoldSegments):
            return args[0]  # a frame is already folded
        if isinstance(layer, keras.Model):
            return keras_internals.run_through_graph(layer, args[0], self.call)
        if not isinstance(layer, (TemporalLayer, SegmentConsensus)):
            return layer(*args, **kwargs)
        inputs, *rest = args
        states = {}
        for key, spec in layer.state_specs(tuple(inputs.shape)).items():
            name = f"{layer.name}_{key}"
            self.specs[name] = spec
            states[key] = self.state_inputs[name] = keras.Input(
                batch_shape=spec.shape, dtype=spec.dtype, name=name
            )
        if isinstance(layer, SegmentConsensus):
            self.frame_logits = inputs
        outputs, new_states = _PerFrameCall(layer)(inputs, states, *rest, **kwargs)
        for key, value in new_states.items():
            self.new_states[f"{layer.name}_{key}"] = value
        return outputs


class _PerFrameCall(keras.layers.Layer):
    """A layer's per-frame call as a node of its own.

    A Keras functional graph takes the output structure of a layer from the
    layer's first call, the clip call, which has no states; this node calls
    the same layer (same weights) with states.
    """

    def __init__(self, layer):
        super().__init__(name=layer.name, dtype=layer.dtype_policy)
        self.layer = layer
        self.built = True

    def call(self, inputs, states, training=None):
        return self.layer(inputs, states=states, training=training)

    def compute_output_spec(self, inputs, states, training=None):
        return self.layer.compute_output_spec(inputs, states=states)


def _temporal_layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _temporal_layers(layer)
        elif isinstance(layer, TemporalLayer):
            yield layer


def streaming_stats(stream):
    """The size of a streaming model's state.

    Args:
        stream: a `StreamingModel`, or a causal clip model (streamed first).

    Returns:
        A dict: `"state_tensors"` (count), `"state_floats"` (values),
        `"state_bytes"` (at each state's dtype), `"max_state_rank"`.

    Example:

    >>> from keras_action import build_model
    >>> model = build_model("mobilenet_v2", "action", causal=True,
    ...                     num_classes=27, image_size=224)
    >>> streaming_stats(model)["state_bytes"] <= 2**20
    True
    """
    if not isinstance(stream, StreamingModel):
        stream = streaming_model(stream)
    specs = stream.state_specs.values()
    return {
        "state_tensors": len(specs),
        "state_floats": sum(math.prod(spec.shape) for spec in specs),
        "state_bytes": sum(
            math.prod(spec.shape) * np.dtype(spec.dtype).itemsize for spec in specs
        ),
        "max_state_rank": max((len(spec.shape) for spec in specs), default=0),
    }
