"""SMNet (Yang, Lu, Zhou, Entropy 2022), rebuilt from the paper's description.

No code of SMNet is public and the paper leaves kernel sizes, ratios, the
attention's form and how the two parts combine unstated: every such detail here
is an argument, and its default is this project's approximation.
"""

import keras
import numpy as np
from keras import ops

from keras_action.layers import temporal
from keras_action.layers.base import (
    TemporalLayer,
    positive_int,
    torch_default_uniform,
)
from keras_action.layers.motion_excitation import MotionExcitation

COMBINATIONS = ("sequential", "parallel")


def identity_temporal_kernel(size, channels, groups):
    """A grouped Conv1D kernel `(size, C / groups, C)` passing each frame through."""
    per_group = channels // groups
    kernel = np.zeros((size, per_group, channels), dtype="float32")
    kernel[size // 2, np.arange(channels) % per_group, np.arange(channels)] = 1.0
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

    Args:
        num_segments: int, frames per clip (T).
        groups: int or `None`, groups of the temporal convolution; must divide
            C. `None` (default) means one per channel.
        temporal_kernel_size: odd int, frames the temporal convolution spans.
            Defaults to 3.
        attention_kernel_size: int, spatial size of the attention convolution.
            Defaults to 7.
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: folded frames `(N·T, H, W, C)`.

    Returns:
        A tensor of the input's shape.

    Example:

    >>> frames = keras.random.uniform((2 * 8, 14, 14, 64))
    >>> SMNetSpatioTemporalExcitation(num_segments=8)(frames).shape
    (16, 14, 14, 64)

    Reference:
        - [Yang et al., "A Spatio-Temporal Motion Network for Action Recognition
          Based on Spatial Attention", Entropy 2022](https://doi.org/10.3390/e24030368)
        - [Woo et al., "CBAM: Convolutional Block Attention Module", ECCV
          2018](https://arxiv.org/abs/1807.06521)
    """

    def __init__(
        self,
        num_segments,
        groups=None,
        temporal_kernel_size=3,
        attention_kernel_size=7,
        **kwargs,
    ):
        super().__init__(num_segments, **kwargs)
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
                identity_temporal_kernel(size, channels, groups), dtype
            ),
        )
        self.attention = keras.layers.Conv2D(
            1,
            self.attention_kernel_size,
            padding="same",
            use_bias=False,
            kernel_initializer=torch_default_uniform(2 * self.attention_kernel_size**2),
            dtype=self.dtype_policy,
            name="attention",
        )
        self.attention.build((*input_shape[:3], 2))

    def call(self, inputs):
        fused = self.fuse_time(inputs)
        pooled = ops.concatenate(
            [
                ops.mean(fused, axis=-1, keepdims=True),
                ops.max(fused, axis=-1, keepdims=True),
            ],
            axis=-1,
        )
        return fused + fused * ops.sigmoid(self.attention(pooled))

    def fuse_time(self, inputs):
        """The grouped temporal convolution, on folded frames."""
        frames = temporal.unfold_segments(inputs, self.num_segments)
        if self.temporal_kernel.shape[1] == 1:
            # (K, 1, C) is also a DepthwiseConv1D kernel (K, C, 1), reshaped.
            kernel = ops.reshape(self.temporal_kernel, (-1, inputs.shape[-1], 1))
            fused = temporal.temporal_depthwise_conv(frames, kernel)
        else:
            fused = temporal.temporal_conv(frames, self.temporal_kernel)
        return temporal.fold_segments(fused, inputs)

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


@keras.saving.register_keras_serializable(package="keras_action")
class SMNetMotionExcitation(MotionExcitation):
    """SMNet's motion excitation (ME): differences of adjacent frames as a mask.

    The paper describes it only as feature-level differences of adjacent
    frames; this follows the closest published template, TEA's motion
    excitation: `b = BN(1×1 conv C→C/r)(x)`, `d[t] = DW3×3(b)[t + 1] - b[t]`
    (zero for the last frame), global average pooling, a 1×1 convolution
    C/r→C, BatchNorm, then `m = sigmoid(·) - 0.5` and `x + x·m`. The last
    BatchNorm and the `- 0.5` are arguments; without both it is ACTION-Net's
    `MotionExcitation`, whose weights it extends with `expand_batch_norm`.
    Trainable parameters by default: `2·C·r' + 11·r' + 2·C` for `r' = C // r`.

    Args:
        num_segments: int, frames per clip (T).
        reduction: int, channel reduction ratio r. Defaults to 16.
        expand_batch_norm: bool, BatchNorm after the expansion (TEA).
            Defaults to `True`.
        centered: bool, subtract 0.5 from the sigmoid, so that the mask is
            centred on zero (TEA). Defaults to `True`.
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: folded frames `(N·T, H, W, C)`.
        training: bool, whether BatchNorm uses batch statistics.

    Returns:
        A tensor of the input's shape.

    Example:

    >>> frames = keras.random.uniform((2 * 8, 14, 14, 64))
    >>> SMNetMotionExcitation(num_segments=8)(frames).shape
    (16, 14, 14, 64)

    Reference:
        - [Yang et al., "A Spatio-Temporal Motion Network for Action Recognition
          Based on Spatial Attention", Entropy 2022](https://doi.org/10.3390/e24030368)
        - [Li et al., "TEA: Temporal Excitation and Aggregation for Action
          Recognition", CVPR 2020](https://arxiv.org/abs/2004.01398)
    """

    def __init__(
        self,
        num_segments,
        reduction=16,
        expand_batch_norm=True,
        centered=True,
        **kwargs,
    ):
        super().__init__(num_segments, reduction, **kwargs)
        self.expand_batch_norm = bool(expand_batch_norm)
        self.centered = bool(centered)

    def build(self, input_shape):
        super().build(input_shape)
        if self.expand_batch_norm:
            self.expand_norm = keras.layers.BatchNormalization(
                epsilon=1e-5, momentum=0.9, dtype=self.dtype_policy, name="expand_norm"
            )
            self.expand_norm.build((None, 1, 1, input_shape[-1]))

    def gate(self, inputs, training=None):
        logits = self.motion_logits(inputs, training=training)
        if self.expand_batch_norm:
            logits = self.expand_norm(logits, training=training)
        mask = ops.sigmoid(logits)
        return mask - 0.5 if self.centered else mask

    def get_config(self):
        config = super().get_config()
        config.update(expand_batch_norm=self.expand_batch_norm, centered=self.centered)
        return config


@keras.saving.register_keras_serializable(package="keras_action")
class SMNetBlock(TemporalLayer):
    """The SMNet module: spatio-temporal excitation and motion excitation.

    How the paper joins its two parts is not public. `"sequential"` (default)
    applies `SMNetSpatioTemporalExcitation` then `SMNetMotionExcitation`;
    `"parallel"` sums their outputs on the same input, as ACTION-Net sums its
    paths. Like ACTION-Net, it sits in front of the first convolution of a
    residual branch. The remaining arguments are passed to the two parts.

    Args:
        num_segments: int, frames per clip (T).
        reduction: int, channel reduction ratio of the motion excitation.
            Defaults to 16.
        groups: int or `None`, groups of the temporal convolution (`None`:
            one per channel).
        combination: `"sequential"` or `"parallel"`.
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: folded frames `(N·T, H, W, C)`.
        training: bool, whether BatchNorm uses batch statistics.

    Returns:
        A tensor of the input's shape.

    Example:

    >>> frames = keras.random.uniform((2 * 8, 14, 14, 64))
    >>> SMNetBlock(num_segments=8)(frames).shape
    (16, 14, 14, 64)

    Reference:
        - [Yang et al., "A Spatio-Temporal Motion Network for Action Recognition
          Based on Spatial Attention", Entropy 2022](https://doi.org/10.3390/e24030368)
    """

    def __init__(
        self,
        num_segments,
        reduction=16,
        groups=None,
        combination="sequential",
        **kwargs,
    ):
        super().__init__(num_segments, **kwargs)
        if combination not in COMBINATIONS:
            raise ValueError(
                f"`combination` must be one of {COMBINATIONS}; got {combination!r}."
            )
        self.reduction = positive_int("reduction", reduction)
        self.groups = None if groups is None else int(groups)
        self.combination = combination
        self.spatio_temporal = SMNetSpatioTemporalExcitation(
            num_segments, groups, dtype=self.dtype_policy, name="spatio_temporal"
        )
        self.motion = SMNetMotionExcitation(
            num_segments, reduction, dtype=self.dtype_policy, name="motion"
        )

    def build(self, input_shape):
        super().build(input_shape)
        self.spatio_temporal.build(input_shape)
        self.motion.build(input_shape)

    def call(self, inputs, training=None):
        excited = self.spatio_temporal(inputs)
        if self.combination == "sequential":
            return self.motion(excited, training=training)
        return excited + self.motion(inputs, training=training)

    def count_multiply_adds(self, input_shape):
        """Multiply-adds per frame of both parts."""
        return sum(
            part.count_multiply_adds(input_shape)
            for part in (self.spatio_temporal, self.motion)
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            reduction=self.reduction, groups=self.groups, combination=self.combination
        )
        return config
