"""SMNet's motion excitation (Yang, Lu, Zhou, Entropy 2022).

No code of SMNet is public and the paper leaves kernel sizes, ratios, the
attention's form and how the two parts combine unstated: every such detail here
is an argument, and its default is this project's approximation.
"""

import keras
from keras import ops

from keras_action.layers.motion_excitation import MotionExcitation


@keras.saving.register_keras_serializable(package="keras_action")
class SMNetMotionExcitation(MotionExcitation):
    """SMNet's motion excitation (ME): differences of adjacent frames as a mask.

    The paper describes it only as feature-level differences of adjacent
    frames; this follows the closest published template, TEA's motion
    excitation: `b = BN(1×1 conv C→C/r)(x)`, `d[t] = DW3×3(b)[t + 1] - b[t]`
    (zero for the last frame), global average pooling, a 1×1 convolution
    C/r→C, BatchNorm, then `m = sigmoid(·) - 0.5` and `x + x·m`. The last
    BatchNorm and the `- 0.5` are arguments; without both it is ACTION-Net's
    `MotionExcitation`, whose weights it extends with `expand_batch_norm`,
    and whose causal form it shares: `d[t] = DW3×3(b)[t] - b[t - 1]`.
    Trainable parameters by default: `2·C·r' + 11·r' + 2·C` for `r' = C // r`.

    Args:
        num_segments: int, frames per clip (T).
        reduction: int, channel reduction ratio r. Defaults to 16.
        expand_batch_norm: bool, BatchNorm after the expansion (TEA).
            Defaults to `True`.
        centered: bool, subtract 0.5 from the sigmoid, so that the mask is
            centred on zero (TEA). Defaults to `True`.
        causal: bool, read past frames only (see `MotionExcitation`).
            Defaults to `False`.
        kernel_initializer: initializer of the squeeze, depthwise and expand
            convolutions. Defaults to `None`: PyTorch's default, uniform in
            ±1/√fan_in, as the official code.
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: folded frames `(N·T, H, W, C)`, or with `states` one frame per
            stream `(N, H, W, C)`.
        training: bool, whether BatchNorm uses batch statistics.
        states: the state of a per-frame call (causal layers, see
            `state_specs`); the call then returns `(outputs, new_states)`.

    Returns:
        A tensor of the input's shape.

    Example:

    >>> frames = keras.random.uniform((2 * 8, 14, 14, 64))
    >>> tuple(SMNetMotionExcitation(num_segments=8)(frames).shape)
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
        causal=False,
        **kwargs,
    ):
        super().__init__(num_segments, reduction, causal=causal, **kwargs)
        self.expand_batch_norm = bool(expand_batch_norm)
        self.centered = bool(centered)

    def build(self, input_shape):
        super().build(input_shape)
        if self.expand_batch_norm:
            self.expand_norm = keras.layers.BatchNormalization(
                epsilon=1e-5, momentum=0.9, dtype=self.dtype_policy, name="expand_norm"
            )
            self.expand_norm.build((None, 1, 1, input_shape[-1]))

    def gate(self, inputs, training=None, states=None):
        logits, new_states = self.motion_logits(inputs, training, states)
        if self.expand_batch_norm:
            logits = self.expand_norm(logits, training=training)
        mask = ops.sigmoid(logits)
        mask = mask - 0.5 if self.centered else mask
        return mask if states is None else (mask, new_states)

    def torch_weights(self, prefix):
        """None: SMNet has no public code, hence no official checkpoint layout."""
        raise NotImplementedError(
            f"{type(self).__name__} has no official PyTorch checkpoint layout."
        )

    def get_config(self):
        config = super().get_config()
        config.update(expand_batch_norm=self.expand_batch_norm, centered=self.centered)
        return config
