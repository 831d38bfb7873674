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
    `t - 1 + d`. The state is the channel mean of the two previous frames as
    two channels, `(N, H, W, 2)`, so that a per-frame call is one 2-D
    convolution over the frames `(t - 2, t - 1, t)` taken as its input
    channels.

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
        channel_mean = ops.mean(inputs, axis=-1, keepdims=True)
        if states is not None:
            return self._frame_gate(channel_mean, states["history"])
        if not self.causal:
            per_tap = self._per_tap(channel_mean)
            summed = temporal.sum_taps(
                temporal.unfold_segments(per_tap, self.num_segments)
            )
            return ops.sigmoid(temporal.fold_segments(summed, inputs))
        # The window holds the 1-channel mean, not the 3 per-tap maps: a
        # third of the state, for 2 more 2-D convolutions of one channel.
        window, _ = temporal.causal_window(
            temporal.unfold_segments(channel_mean, self.num_segments), 2
        )
        per_tap = self._per_tap(temporal.fold_segments(window, inputs))
        summed = temporal.sum_taps(
            temporal.unfold_segments(per_tap, self.num_segments + 2), padding="valid"
        )
        return ops.sigmoid(temporal.fold_segments(summed, inputs))

    def _frame_gate(self, channel_mean, history):
        # A streaming file runs this once per frame, where each op's fixed cost
        # counts: with the past frames as channels, the 3×3×3 kernel is a
        # single 2-D convolution, and no reshape or tap sum is needed.
        window = ops.concatenate(
            [ops.cast(history, channel_mean.dtype), channel_mean], axis=-1
        )
        # Input channel d of the kernel reads frame t - 2 + d.
        kernel = ops.expand_dims(self._spatial_first_kernel(), -1)
        mask = ops.sigmoid(ops.conv(window, kernel, padding="same"))
        return mask, {"history": window[..., 1:]}

    def _per_tap(self, channel_mean):
        # One 2-D output channel per temporal tap.
        kernel = ops.expand_dims(self._spatial_first_kernel(), 2)
        return ops.conv(channel_mean, kernel, padding="same")

    def _spatial_first_kernel(self):
        """The kernel `(D, H, W, 1, 1)` as `(H, W, D)`."""
        return ops.transpose(ops.reshape(self.kernel, (3, 3, 3)), (1, 2, 0))

    def state_specs(self, input_shape):
        """The channel means of the two previous frames, `(N, H, W, 2)`."""
        super().state_specs(input_shape)
        batch, height, width, _ = input_shape
        return {
            "history": temporal.StateSpec((batch, height, width, 2), self.compute_dtype)
        }

    def torch_weights(self, prefix):
        """ACTION's `action_p1_conv1`, a Conv3d kernel `(1, 1, 3, 3, 3)`."""
        return {f"{prefix}_p1_conv1.weight": TorchWeight(self.kernel, (2, 3, 4, 1, 0))}

    def count_multiply_adds(self, input_shape):
        """Multiply-adds per frame of the 3×3×3 convolution."""
        _, height, width, _ = input_shape
        return 27 * height * width
