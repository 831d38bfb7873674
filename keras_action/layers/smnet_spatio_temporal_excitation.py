"""SMNet's spatio-temporal excitation (Yang, Lu, Zhou, Entropy 2022).

No code of SMNet is public and the paper leaves kernel sizes, ratios, the
attention's form and how the two parts combine unstated: every such detail here
is an argument, and its default is this project's approximation.
"""

import keras
import numpy as np
from keras import ops

from keras_action.layers import temporal
from keras_action.layers.base import TemporalLayer, torch_default_uniform


def identity_temporal_kernel(size, channels, groups, causal=False):
    """A grouped Conv1D kernel `(size, C / groups, C)` passing each frame through.

    The present frame is the centre tap, or the last one when causal.
    """
    per_group = channels // groups
    kernel = np.zeros((size, per_group, channels), dtype="float32")
    present = size - 1 if causal else size // 2
    kernel[present, np.arange(channels) % per_group, np.arange(channels)] = 1.0
    return kernel


@keras.saving.register_keras_serializable(package="keras_action")
class SMNetSpatioTemporalExcitation(TemporalLayer):
    """SMNet's spatio-temporal excitation (SE): grouped temporal convolution, then
    spatial attention.

    A grouped convolution over T (kernel `temporal_kernel_size`, `groups`
    groups, no bias) fuses neighbouring frames into `y`; a spatial attention
    mask `m = sigmoid(conv_k×k([mean_c(y), max_c(y)]))` (CBAM's form, no bias)
    then excites it: the output is `y + y·m`.

    What the paper states: group convolution fuses time (to save parameters),
    spatial attention extracts spatial information. Approximated here, as
    arguments: the number of groups (default: one per channel, a channel-wise
    convolution, which edge runtimes run as a depthwise convolution), the
    temporal kernel size (3), the attention's form and kernel size (CBAM, 7),
    and the initialisation of the temporal kernel (identity, so that a
    pretrained backbone sees its own features at first; the spatial attention
    uses PyTorch's default uniform initialisation). Weights:
    `temporal_kernel`, a grouped Conv1D kernel `(K, C / groups, C)`, and
    `attention`, a Conv2D `(k, k, 2, 1)`. Trainable parameters:
    `K·C²/groups + 2·k²` (`3·C + 98` by default).

    Causal form (`causal=True`, a design choice): the temporal convolution
    reads the taps `(t - K + 1, …, t)` (tap `i` weighs frame `t - K + 1 + i`;
    two-way, the taps are centred), initialised to the identity on its last
    tap; same weight shapes. The state is the `K - 1` previous frames of the
    input, `(N, K - 1, H·W, C)`: all channels at full resolution.

    Args:
        num_segments: int, frames per clip (T).
        groups: int or `None`, groups of the temporal convolution; must divide
            C. `None` (default) means one per channel.
        temporal_kernel_size: odd int, frames the temporal convolution spans.
            Defaults to 3.
        attention_kernel_size: int, spatial size of the attention convolution.
            Defaults to 7.
        causal: bool, read past frames only (see above). Defaults to `False`.
        kernel_initializer: initializer of the attention convolution (the
            temporal kernel keeps its identity start). Defaults to `None`:
            PyTorch's default, uniform in ±1/√fan_in, as the official code.
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: folded frames `(N·T, H, W, C)`, or with `states` one frame per
            stream `(N, H, W, C)`.
        states: the state of a per-frame call (causal layers, see
            `state_specs`); the call then returns `(outputs, new_states)`.

    Returns:
        A tensor of the input's shape.

    Example:

    >>> frames = keras.random.uniform((2 * 8, 14, 14, 64))
    >>> tuple(SMNetSpatioTemporalExcitation(num_segments=8)(frames).shape)
    (16, 14, 14, 64)

    Reference:
        - [Yang et al., "A Spatio-Temporal Motion Network for Action Recognition
          Based on Spatial Attention", Entropy 2022](https://doi.org/10.3390/e24030368)
        - [Woo et al., "CBAM: Convolutional Block Attention Module", ECCV
          2018](https://arxiv.org/abs/1807.06521)
    """

    has_default_kernels = True

    def __init__(
        self,
        num_segments,
        groups=None,
        temporal_kernel_size=3,
        attention_kernel_size=7,
        causal=False,
        **kwargs,
    ):
        super().__init__(num_segments, causal=causal, **kwargs)
        if int(temporal_kernel_size) < 1 or int(temporal_kernel_size) % 2 == 0:
            raise ValueError(
                f"`temporal_kernel_size` must be a positive odd int; "
                f"got {temporal_kernel_size}."
            )
        self.groups = None if groups is None else int(groups)
        self.temporal_kernel_size = int(temporal_kernel_size)
        self.attention_kernel_size = int(attention_kernel_size)

    def build(self, input_shape):
        super().build(input_shape)
        channels = input_shape[-1]
        groups = self._groups(channels)
        if groups < 1 or channels % groups:
            raise ValueError(
                f"{self.name}: groups={groups} does not divide the {channels} "
                f"channels of input shape {tuple(input_shape)}."
            )
        size = self.temporal_kernel_size
        self.temporal_kernel = self.add_weight(
            name="temporal_kernel",
            shape=(size, channels // groups, channels),
            initializer=lambda shape, dtype=None: ops.cast(
                identity_temporal_kernel(size, channels, groups, self.causal), dtype
            ),
        )
        self.attention = keras.layers.Conv2D(
            1,
            self.attention_kernel_size,
            padding="same",
            use_bias=False,
            kernel_initializer=self.kernel_initializer_or(
                torch_default_uniform(2 * self.attention_kernel_size**2)
            ),
            dtype=self.dtype_policy,
            name="attention",
        )
        self.attention.build((*input_shape[:3], 2))

    def call(self, inputs, states=None):
        fused = self.fuse_time(inputs, states)
        if states is not None:
            fused, states = fused
        pooled = ops.concatenate(
            [
                ops.mean(fused, axis=-1, keepdims=True),
                ops.max(fused, axis=-1, keepdims=True),
            ],
            axis=-1,
        )
        outputs = fused + fused * ops.sigmoid(self.attention(pooled))
        return outputs if states is None else (outputs, states)

    def fuse_time(self, inputs, states=None):
        """The grouped temporal convolution, on folded frames; with `states`,
        `(fused, new_states)`."""
        frames = temporal.unfold_segments(
            inputs, temporal.frames_per_call(self.num_segments, states)
        )
        kernel, depthwise = self.temporal_kernel, self.temporal_kernel.shape[1] == 1
        if depthwise:
            # (K, 1, C) is also a DepthwiseConv1D kernel (K, C, 1), reshaped.
            kernel = ops.reshape(kernel, (-1, inputs.shape[-1], 1))
        fused, history = temporal.conv_over_time(
            frames,
            kernel,
            self.causal,
            None if not states else states["history"],
            depthwise=depthwise,
        )
        fused = temporal.fold_segments(fused, inputs)
        if states is None:
            return fused
        return fused, ({} if history is None else {"history": history})

    def state_specs(self, input_shape):
        """The `K - 1` previous input frames (none for `K = 1`)."""
        super().state_specs(input_shape)
        length = self.temporal_kernel_size - 1
        if length == 0:
            return {}
        return {"history": self._history_spec(input_shape, length, input_shape[-1])}

    def _groups(self, channels):
        return channels if self.groups is None else self.groups

    def count_multiply_adds(self, input_shape):
        """Multiply-adds per frame: temporal convolution, then the attention."""
        _, height, width, channels = input_shape
        temporal_mads = (
            self.temporal_kernel_size * channels**2 // self._groups(channels)
        )
        return height * width * (temporal_mads + 2 * self.attention_kernel_size**2)

    def get_config(self):
        config = super().get_config()
        config.update(
            groups=self.groups,
            temporal_kernel_size=self.temporal_kernel_size,
            attention_kernel_size=self.attention_kernel_size,
        )
        return config
