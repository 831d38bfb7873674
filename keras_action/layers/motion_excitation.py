import keras
from keras import ops

from keras_action.layers import temporal
from keras_action.layers.base import ReducedExcitation, torch_default_uniform
from keras_action.utils.torch_layout import standard_layer_weights


@keras.saving.register_keras_serializable(package="keras_action")
class MotionExcitation(ReducedExcitation):
    """Motion excitation (ME), the third path of ACTION-Net.

    A 1×1 convolution C→C/r with BatchNorm gives `u`; a depthwise 3×3
    convolution of the next frame minus the current frame,
    `d[t] = DW(u)[t + 1] - u[t]` (zero for the last frame), is averaged over
    space, expanded by a 1×1 convolution C/r→C and passed through a sigmoid to a
    channel mask `m`; the output is `x + x·m`. No biases, no BatchNorm after the
    expansion (unlike TEA). Average pooling is linear, so it is applied before
    the frame difference: the same result, computed on `(N·T, 1, 1, C/r)`
    instead of full-resolution maps.

    Weights: `squeeze` (Conv2D `(1, 1, C, C/r)`), `batch_norm` (epsilon 1e-5,
    PyTorch momentum 0.1), `depthwise` (DepthwiseConv2D `(3, 3, C/r, 1)`) and
    `expand` (Conv2D `(1, 1, C/r, C)`).

    Causal form (`causal=True`, a design choice; the paper has none): the
    difference with the previous frame, `d[t] = DW(u)[t] - u[t - 1]`, with
    `u[-1] = 0` before the first frame (so `d[0] = DW(u)[0]`; the two-way
    layer sets the last frame's to zero instead). Same weights. The state is
    the pooled `u` of the previous frame, `(N, 1, 1, C/r)`.

    Args:
        num_segments: int, frames per clip (T).
        reduction: int, channel reduction ratio r: frames are differenced on
            `C // r` channels, at least one. Defaults to 16.
        causal: bool, read past frames only (see above). Defaults to `False`.
        kernel_initializer: initializer of the squeeze, depthwise and expand
            convolutions. Defaults to `None`: PyTorch's default, uniform in
            ±1/√fan_in, as the official code.
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: folded frames `(N·T, H, W, C)`, or with `states` one frame per
            stream `(N, H, W, C)`.
        training: bool, whether BatchNorm uses batch statistics.
        return_gate: bool, return the channel mask `m`, `(N·T, 1, 1, C)`,
            instead of `x + x·m`. Defaults to `False`.
        states: the state of a per-frame call (causal layers, see
            `state_specs`); the call then returns `(outputs, new_states)`.

    Returns:
        A tensor of the input's shape, or the mask.

    Example:

    >>> frames = keras.random.uniform((2 * 8, 14, 14, 64))
    >>> tuple(MotionExcitation(num_segments=8)(frames, return_gate=True).shape)
    (16, 1, 1, 64)

    Reference:
        - [Wang et al., "ACTION-Net: Multipath Excitation for Action
          Recognition", CVPR 2021](https://arxiv.org/abs/2103.07372)
        - [Li et al., "TEA: Temporal Excitation and Aggregation for Action
          Recognition", CVPR 2020](https://arxiv.org/abs/2004.01398), whose
          motion excitation this path follows
    """

    def build(self, input_shape):
        super().build(input_shape)
        channels = input_shape[-1]
        reduced = self.reduced_channels(input_shape)
        frame_shape = (None, *input_shape[1:3])
        self.squeeze = self.pointwise(reduced, "squeeze", (*frame_shape, channels))
        self.batch_norm = keras.layers.BatchNormalization(
            epsilon=1e-5, momentum=0.9, dtype=self.dtype_policy, name="batch_norm"
        )
        self.batch_norm.build((*frame_shape, reduced))
        self.depthwise = keras.layers.DepthwiseConv2D(
            3,
            padding="same",
            use_bias=False,
            depthwise_initializer=self.kernel_initializer_or(torch_default_uniform(9)),
            dtype=self.dtype_policy,
            name="depthwise",
        )
        self.depthwise.build((*frame_shape, reduced))
        self.expand = self.pointwise(channels, "expand", (None, 1, 1, reduced))

    def gate(self, inputs, training=None, states=None):
        logits, new_states = self.motion_logits(inputs, training, states)
        mask = ops.sigmoid(logits)
        return mask if states is None else (mask, new_states)

    def motion_logits(self, inputs, training=None, states=None):
        """Pooled, expanded frame differences `(N·T, 1, 1, C)`, before the
        sigmoid, and the new states (`None` on a clip call)."""
        steps = temporal.frames_per_call(self.num_segments, states)
        reduced = self.batch_norm(self.squeeze(inputs), training=training)
        pooled = ops.mean(reduced, axis=(1, 2), keepdims=True)
        current = temporal.unfold_segments(pooled, steps)
        filtered = temporal.unfold_segments(
            ops.mean(self.depthwise(reduced), axis=(1, 2), keepdims=True), steps
        )
        new_states = None
        if self.causal:
            motion, history = temporal.previous_frame_difference(
                filtered, current, None if states is None else states["history"]
            )
            new_states = None if states is None else {"history": history}
        else:
            motion = temporal.next_frame_difference(current, filtered)
        return self.expand(temporal.fold_segments(motion, pooled)), new_states

    def state_specs(self, input_shape):
        """The pooled, reduced features `u` of the previous frame."""
        super().state_specs(input_shape)
        reduced = self.reduced_channels(input_shape)
        return {"history": self._history_spec(input_shape, 1, reduced, spatial=False)}

    def count_multiply_adds(self, input_shape):
        """Multiply-adds per frame: squeeze, depthwise 3×3, expand."""
        _, height, width, channels = input_shape
        reduced = self.reduced_channels(input_shape)
        return height * width * (channels * reduced + 9 * reduced) + reduced * channels

    def torch_weights(self, prefix):
        """ACTION's `action_p3_squeeze`, `_p3_bn1`, `_p3_conv1` and `_p3_expand`."""
        parts = {
            "squeeze": self.squeeze,
            "bn1": self.batch_norm,
            "conv1": self.depthwise,
            "expand": self.expand,
        }
        weights = {}
        for name, layer in parts.items():
            weights.update(standard_layer_weights(layer, f"{prefix}_p3_{name}"))
        return weights
