import keras
from keras import ops

from keras_action.layers import temporal
from keras_action.layers.base import ExcitationLayer, torch_default_uniform
from keras_action.utils.torch_layout import TorchWeight


@keras.saving.register_keras_serializable(package="keras_action")
class SpatioTemporalExcitation(ExcitationLayer):
    """Spatio-temporal excitation (STE), the first path of ACTION-Net.

    The channel mean of each frame goes through a 3×3×3 convolution over
    (T, H, W) with one input and one output channel and no bias; its sigmoid is
    a per-pixel mask `m`, and the output is `x + x·m`. The kernel is stored as a
    Conv3D kernel `(3, 3, 3, 1, 1)` (D, H, W, in, out), the official
    `(1, 1, 3, 3, 3)` transposed, but computed as a 2-D convolution per temporal
    tap followed by a sum over neighbouring frames, so the graph has no rank-5
    tensor and no CONV_3D op.

    Causal form (`causal=True`, a design choice; the paper has none): the same
    kernel over the temporal taps `(t - 2, t - 1, t)`: kernel slice `d` (the
    first axis) reads frame `t - 2 + d`, where the two-way layer reads
    `t - 1 + d`. The state is the channel mean of the two previous frames,
    `(N, 2, H·W, 1)`.

    Args:
        num_segments: int, frames per clip (T).
        causal: bool, read past frames only (see above). Defaults to `False`.
        kernel_initializer: initializer of the 3×3×3 convolution. Defaults to
            `None`: PyTorch's default, uniform in ±1/√fan_in, as the official
            code.
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: folded frames `(N·T, H, W, C)`, or with `states` one frame per
            stream `(N, H, W, C)`.
        return_gate: bool, return the mask `m` instead of `x + x·m`.
            Defaults to `False`.
        states: the state of a per-frame call (causal layers, see
            `state_specs`); the call then returns `(outputs, new_states)`.

    Returns:
        A tensor of the input's shape.

    Example:

    >>> frames = keras.random.uniform((2 * 8, 14, 14, 64))
    >>> tuple(SpatioTemporalExcitation(num_segments=8)(frames).shape)
    (16, 14, 14, 64)

    Reference:
        - [Wang et al., "ACTION-Net: Multipath Excitation for Action
          Recognition", CVPR 2021](https://arxiv.org/abs/2103.07372)
    """

    per_pixel_gate = True

    def build(self, input_shape):
        super().build(input_shape)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(3, 3, 3, 1, 1),
            initializer=self.kernel_initializer_or(torch_default_uniform(27)),
        )

    def gate(self, inputs, training=None, states=None):
        steps = temporal.frames_per_call(self.num_segments, states)
        channel_mean = ops.mean(inputs, axis=-1, keepdims=True)
        if not self.causal:
            per_tap = self._per_tap(channel_mean)
            summed = temporal.sum_taps(temporal.unfold_segments(per_tap, steps))
            return ops.sigmoid(temporal.fold_segments(summed, inputs))
        # The window holds the 1-channel mean, not the 3 per-tap maps: a
        # third of the state, for 2 more 2-D convolutions of one channel.
        window, history = temporal.causal_window(
            temporal.unfold_segments(channel_mean, steps),
            2,
            None if states is None else states["history"],
        )
        per_tap = self._per_tap(temporal.fold_segments(window, inputs))
        summed = temporal.sum_taps(
            temporal.unfold_segments(per_tap, steps + 2), padding="valid"
        )
        mask = ops.sigmoid(temporal.fold_segments(summed, inputs))
        return mask if states is None else (mask, {"history": history})

    def _per_tap(self, channel_mean):
        # (D, H, W, 1, 1) -> (H, W, 1, D): one 2-D output channel per temporal tap.
        per_tap_kernel = ops.expand_dims(
            ops.transpose(ops.reshape(self.kernel, (3, 3, 3)), (1, 2, 0)), 2
        )
        return ops.conv(channel_mean, per_tap_kernel, padding="same")

    def state_specs(self, input_shape):
        """The channel means of the two previous frames."""
        super().state_specs(input_shape)
        return {"history": self._history_spec(input_shape, 2, 1)}

    def torch_weights(self, prefix):
        """ACTION's `action_p1_conv1`, a Conv3d kernel `(1, 1, 3, 3, 3)`."""
        return {f"{prefix}_p1_conv1.weight": TorchWeight(self.kernel, (2, 3, 4, 1, 0))}

    def count_multiply_adds(self, input_shape):
        """Multiply-adds per frame of the 3×3×3 convolution."""
        _, height, width, _ = input_shape
        return 27 * height * width
