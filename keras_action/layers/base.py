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
    """Base class: holds `num_segments` and checks folded input shapes.

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

    def _check_reduction(self, channels, reduction):
        if channels is not None and channels // reduction < 1:
            raise ValueError(
                f"{self.name}: {channels} channels are too few for "
                f"reduction={reduction}; at least {reduction} are needed."
            )

    def build(self, input_shape):
        self._check_input_shape(input_shape)

    def __call__(self, inputs, *args, **kwargs):
        self._check_input_shape(tuple(inputs.shape))
        return super().__call__(inputs, *args, **kwargs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["num_segments"] = self.num_segments
        return config


class ExcitationLayer(TemporalLayer):
    """Base class of excitation paths: `outputs = x + x · gate(x)`.

    Subclasses implement `gate(inputs)`, a sigmoid mask that broadcasts against
    the input. `ActionBlock` sums several paths through their gates, so that the
    full-resolution products are computed once for all of them.
    """

    def gate(self, inputs, training=None):
        raise NotImplementedError

    def call(self, inputs, training=None):
        return inputs + inputs * self.gate(inputs, training=training)
