"""Shared behaviour of layers that work on folded `(N·T, H, W, C)` clips."""

import math

import keras


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
      which `keras_action.checkpoints` uses to import official checkpoints.

    Sublayers are created and built in `build`, where the channels are known.

    Args:
        num_segments: int, frames per clip (T). The batch axis of the input holds
            `N·T` frames, clip after clip.
        **kwargs: standard `keras.layers.Layer` arguments.
    """

    def __init__(self, num_segments, **kwargs):
        super().__init__(**kwargs)
        self.num_segments = positive_int("num_segments", num_segments)

    def _check_input_shape(self, shape):
        if len(shape) != 4:
            raise ValueError(
                f"{self.name} expects folded frames of shape (N·T, H, W, C); "
                f"got a tensor of rank {len(shape)} with shape {tuple(shape)}."
            )
        frames = shape[0]
        if isinstance(frames, int) and frames % self.num_segments:
            raise ValueError(
                f"{self.name}: the batch of {frames} frames is not a multiple of "
                f"num_segments={self.num_segments} (shape {tuple(shape)})."
            )

    def build(self, input_shape):
        self._check_input_shape(input_shape)

    def __call__(self, inputs, *args, **kwargs):
        self._check_input_shape(tuple(inputs.shape))
        return super().__call__(inputs, *args, **kwargs)

    def compute_output_shape(self, input_shape):
        return input_shape

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
        config["num_segments"] = self.num_segments
        return config


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

    def gate(self, inputs, training=None):
        raise NotImplementedError

    def call(self, inputs, training=None, return_gate=False):
        gate = self.gate(inputs, training=training)
        return gate if return_gate else inputs + inputs * gate

    def compute_output_spec(self, inputs, training=None, return_gate=False):
        if not return_gate:
            return super().compute_output_spec(inputs)
        frames, height, width, channels = inputs.shape
        shape = (
            (frames, height, width, 1)
            if self.per_pixel_gate
            else (frames, 1, 1, channels)
        )
        return keras.KerasTensor(shape, dtype=self.compute_dtype)


class ReducedExcitation(ExcitationLayer):
    """Base class of channel-mask paths that work on `C/r` channels (CE, ME).

    A bias-free 1×1 convolution `squeeze` (C→C/r) opens the path and another,
    `expand` (C/r→C), closes it before the sigmoid; subclasses build both with
    `pointwise`, and what lies between, in `build`.

    Args:
        num_segments: int, frames per clip (T).
        reduction: int, channel reduction ratio r. Defaults to 16; the input
            needs at least `reduction` channels.
        **kwargs: standard `keras.layers.Layer` arguments.
    """

    def __init__(self, num_segments, reduction=16, **kwargs):
        super().__init__(num_segments, **kwargs)
        self.reduction = positive_int("reduction", reduction)

    def build(self, input_shape):
        super().build(input_shape)
        channels = input_shape[-1]
        if channels is not None and channels // self.reduction < 1:
            raise ValueError(
                f"{self.name}: {channels} channels are too few for "
                f"reduction={self.reduction}; at least {self.reduction} are needed."
            )

    def pointwise(self, filters, name, input_shape):
        """A built bias-free 1×1 convolution with `filters` outputs."""
        layer = keras.layers.Conv2D(
            filters, 1, use_bias=False, dtype=self.dtype_policy, name=name
        )
        layer.build(input_shape)
        return layer

    def get_config(self):
        config = super().get_config()
        config["reduction"] = self.reduction
        return config
