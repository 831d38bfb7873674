"""Shared behaviour of layers that work on folded `(N·T, H, W, C)` clips."""

import math

import keras
import numpy as np

from keras_action.layers import temporal


def positive_int(name, value):
    """`value` as an int, or a `ValueError` naming the argument unless it is a
    whole number of at least 1 (a zero divides by zero later, and a negative
    shift or reduction silently computes something else)."""
    if isinstance(value, bool) or not float(value).is_integer() or value < 1:
        raise ValueError(
            f"`{name}` must be a whole number of at least 1, got {value!r}."
        )
    return int(value)


def torch_default_uniform(fan_in):
    """PyTorch's default conv initialisation, uniform in `±1/sqrt(fan_in)`.

    The official modules rely on it, and Keras' `VarianceScaling` would compute a
    different fan-in for depthwise and 3-D kernels.
    """
    limit = 1.0 / math.sqrt(fan_in)
    return keras.initializers.RandomUniform(-limit, limit)


class TemporalLayer(keras.layers.Layer):
    """Base class of layers that mix the frames of folded clips.

    Beyond a Keras layer, every temporal layer declares:

    - `count_multiply_adds(input_shape)`: its multiply-adds per frame, counted
      as the papers count them (convolutions and dense products inside the
      module), which `keras_action.model_stats` adds up;
    - `torch_weights(prefix)`: its weights under the official PyTorch names,
      which `keras_action.checkpoints` uses to import official checkpoints;
    - with `causal=True`, its streaming state: `state_specs(input_shape)`
      names the state tensors (shapes and dtypes, each of rank 4) of a
      per-frame call, and `layer(frame, states=states)` computes one frame
      per clip of the batch and returns `(outputs, new_states)`, the way
      keras-hub's cached attention takes and returns its `cache`. Zeros are
      the state before the first frame (`initial_states`). The per-frame call
      and the clip call share their code (`temporal.causal_window`), so
      streaming T frames one by one from zeros gives the clip's outputs.

    Sublayers are created and built in `build`, where the channels are known.

    Args:
        num_segments: int, frames per clip (T). The batch axis of the input holds
            `N·T` frames, clip after clip.
        causal: bool, the output at frame `t` depends on frames `<= t` only,
            so that the layer can run on a live stream, one frame per call.
            The papers define two-way modules only; each layer's docstring
            states its causal form, a design choice of this project.
            Defaults to `False` (the papers' two-way modules).
        kernel_initializer: for layers with `has_default_kernels`, the
            initializer of every kernel that the official code leaves at
            PyTorch's default (uniform in ±1/√fan_in, the default `None`).
            Kernels with a designed start keep it: the learnable shift (TSM's
            shift), GSM's gate (zeros), SMNet's temporal kernel (identity).
            Other layers refuse it.
        **kwargs: standard `keras.layers.Layer` arguments.
    """

    #: Whether the layer has kernels that start as PyTorch starts its
    #: convolutions, which a `kernel_initializer` argument replaces.
    has_default_kernels = False

    def __init__(self, num_segments, causal=False, kernel_initializer=None, **kwargs):
        super().__init__(**kwargs)
        self.num_segments = positive_int("num_segments", num_segments)
        self.causal = bool(causal)
        if kernel_initializer is not None and not self.has_default_kernels:
            raise ValueError(
                f"{type(self).__name__} has no kernel that `kernel_initializer` "
                "would start (its weights, if any, have a designed start)."
            )
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def kernel_initializer_or(self, default):
        """`kernel_initializer`, or `default` (PyTorch's start) when it is `None`."""
        return default if self.kernel_initializer is None else self.kernel_initializer

    def _check_input_shape(self, shape, whole_clips=True):
        if len(shape) != 4:
            raise ValueError(
                f"{self.name} expects folded frames of shape (N·T, H, W, C); "
                f"got a tensor of rank {len(shape)} with shape {tuple(shape)}."
            )
        frames = shape[0]
        if whole_clips and isinstance(frames, int) and frames % self.num_segments:
            raise ValueError(
                f"{self.name}: the batch of {frames} frames is not a multiple of "
                f"num_segments={self.num_segments} (shape {tuple(shape)})."
            )

    def build(self, input_shape):
        # Not whole clips: a per-frame call may build the layer, one frame per
        # stream. Clip calls check the batch in `__call__`.
        self._check_input_shape(input_shape, whole_clips=False)

    def _post_build(self):
        super()._post_build()
        # Sublayers made in `build` start trainable; a layer created frozen
        # (`trainable=False` from a saved config, or a clone of a frozen one)
        # must freeze them too, or the model would train them. The setter is
        # called directly: TensorFlow's attribute tracking skips
        # `self.trainable = False` when the value is False already.
        if not self.trainable:
            keras.layers.Layer.trainable.fset(self, False)

    def __call__(self, inputs, *args, states=None, **kwargs):
        if states is None:
            self._check_input_shape(tuple(inputs.shape))
            return super().__call__(inputs, *args, **kwargs)
        self._check_streamable()
        self._check_input_shape(tuple(inputs.shape), whole_clips=False)
        return super().__call__(inputs, *args, states=states, **kwargs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, inputs, *args, states=None, **kwargs):
        outputs = keras.KerasTensor(inputs.shape, dtype=self.compute_dtype)
        if states is None:
            return outputs
        return outputs, _like(states)

    def _check_streamable(self):
        if not self.causal:
            raise ValueError(
                f"{self.name} is a two-way layer (causal=False): it reads future "
                "frames, so it cannot run one frame at a time. Build it with "
                "causal=True."
            )

    def state_specs(self, input_shape):
        """`{name: StateSpec}` of the state of a per-frame call.

        Args:
            input_shape: the shape of the frames of one call, `(N, H, W, C)`,
                one frame of each of N streams.

        Returns:
            A dict of `keras_action.layers.temporal.StateSpec` (shape, dtype),
            empty for a causal layer without memory.
        """
        self._check_streamable()
        if not self.built:
            self.build(input_shape)
        return {}

    def initial_states(self, input_shape):
        """The state before the first frame: zeros of `state_specs(input_shape)`."""
        return {
            name: np.zeros(spec.shape, spec.dtype)
            for name, spec in self.state_specs(input_shape).items()
        }

    def _history_spec(self, input_shape, length, channels, spatial=True):
        return temporal.history_spec(
            input_shape, length, channels, self.compute_dtype, spatial
        )

    def count_multiply_adds(self, input_shape):
        """Multiply-adds per frame for folded inputs of `input_shape`."""
        raise NotImplementedError(
            f"{type(self).__name__} does not count its multiply-adds."
        )

    def torch_weights(self, prefix):
        """`{official PyTorch name: TorchWeight}` for every weight of the layer.

        Args:
            prefix: the official name of the module (or of its parent, for
                paths that the official code names after their parent).
        """
        if not self.weights:
            return {}
        raise NotImplementedError(
            f"{type(self).__name__} has no official PyTorch checkpoint layout."
        )

    def get_config(self):
        config = super().get_config()
        config.update(num_segments=self.num_segments, causal=self.causal)
        if self.has_default_kernels:
            config["kernel_initializer"] = keras.initializers.serialize(
                self.kernel_initializer
            )
        return config


def merge_states(parts):
    """`{part name: states}` -> one flat dict, keys `"<part>_<key>"`."""
    return {
        f"{part}_{key}": value
        for part, states in parts.items()
        for key, value in states.items()
    }


def part_states(states, part):
    """The states of `part` in a dict from `merge_states`; `None` stays `None`."""
    if states is None:
        return None
    prefix = f"{part}_"
    return {
        key[len(prefix) :]: value
        for key, value in states.items()
        if key.startswith(prefix)
    }


def _like(states):
    return {
        name: keras.KerasTensor(state.shape, dtype=state.dtype)
        for name, state in states.items()
    }


class ExcitationLayer(TemporalLayer):
    """Base class of excitation paths: `outputs = x + x · gate(x)`.

    Subclasses implement `gate(inputs, training)`, a mask that broadcasts
    against the input, and set `per_pixel_gate`: `True` for a spatial mask
    `(N·T, H, W, 1)`, `False` for a channel mask `(N·T, 1, 1, C)`. Called with
    `return_gate=True`, the layer returns the mask itself: `ActionBlock` sums
    several paths through their masks, so that the full-resolution products
    are computed once for all of them.
    """

    per_pixel_gate = False
    has_default_kernels = True

    def gate(self, inputs, training=None, states=None):
        """The mask; with `states` (a per-frame call), `(mask, new_states)`."""
        raise NotImplementedError

    def call(self, inputs, training=None, return_gate=False, states=None):
        if states is None:
            gate = self.gate(inputs, training=training)
        else:
            gate, states = self.gate(inputs, training=training, states=states)
        outputs = gate if return_gate else inputs + inputs * gate
        return outputs if states is None else (outputs, states)

    def compute_output_spec(
        self, inputs, training=None, return_gate=False, states=None
    ):
        if not return_gate:
            return super().compute_output_spec(inputs, states=states)
        frames, height, width, channels = inputs.shape
        shape = (
            (frames, height, width, 1)
            if self.per_pixel_gate
            else (frames, 1, 1, channels)
        )
        outputs = keras.KerasTensor(shape, dtype=self.compute_dtype)
        return outputs if states is None else (outputs, _like(states))


class ReducedExcitation(ExcitationLayer):
    """Base class of channel-mask paths that work on `C/r` channels (CE, ME).

    A bias-free 1×1 convolution `squeeze` (C→C/r) opens the path and another,
    `expand` (C/r→C), closes it before the sigmoid; subclasses build both with
    `pointwise`, and what lies between, in `build`.

    Args:
        num_segments: int, frames per clip (T).
        reduction: int, channel reduction ratio r. Defaults to 16. The path
            has `C // r` channels, and at least one: narrow backbones (e.g.
            MobileNetV2 at width 0.35) have blocks of fewer than 16 channels.
        causal: bool, read past frames only. Defaults to `False`.
        **kwargs: standard `keras.layers.Layer` arguments.
    """

    def __init__(self, num_segments, reduction=16, causal=False, **kwargs):
        super().__init__(num_segments, causal=causal, **kwargs)
        self.reduction = positive_int("reduction", reduction)

    def reduced_channels(self, input_shape):
        """`C // r`, at least 1: the channels of the path for `input_shape`."""
        return max(input_shape[-1] // self.reduction, 1)

    def pointwise(self, filters, name, input_shape):
        """A built bias-free 1×1 convolution with `filters` outputs, started
        as the official code starts it (PyTorch's default, not Glorot, whose
        bound is 2.4× larger for a squeeze of C to C/16)."""
        layer = keras.layers.Conv2D(
            filters,
            1,
            use_bias=False,
            kernel_initializer=self.kernel_initializer_or(
                torch_default_uniform(input_shape[-1])
            ),
            dtype=self.dtype_policy,
            name=name,
        )
        layer.build(input_shape)
        return layer

    def get_config(self):
        config = super().get_config()
        config["reduction"] = self.reduction
        return config
