import keras
from keras import ops

from keras_action.layers import temporal
from keras_action.layers.base import ReducedExcitation, torch_default_uniform
from keras_action.utils.torch_layout import TorchWeight, standard_layer_weights


@keras.saving.register_keras_serializable(package="keras_action")
class ChannelExcitation(ReducedExcitation):
    """Channel excitation (CE), the second path of ACTION-Net.

    Global average pooling, a 1×1 convolution C→C/r, a convolution over time
    (kernel 3, C/r→C/r), ReLU, a 1×1 convolution C/r→C and a sigmoid give a
    per-frame channel mask `m`; the output is `x + x·m`. No biases. Weights are
    stored as `squeeze` (Conv2D `(1, 1, C, C/r)`), `temporal_kernel` (Conv1D
    `(3, C/r, C/r)`) and `expand` (Conv2D `(1, 1, C/r, C)`).

    Causal form (`causal=True`, a design choice; the paper has none): the
    temporal convolution reads the taps `(t - 2, t - 1, t)`: `temporal_kernel[i]`
    weighs frame `t - 2 + i` (two-way: `t - 1 + i`). The state is the pooled,
    squeezed features of the two previous frames, `(N, 2, 1, C/r)`.

    Args:
        num_segments: int, frames per clip (T).
        reduction: int, channel reduction ratio r: the temporal convolution
            mixes `C // r` channels, at least one. Defaults to 16.
        causal: bool, read past frames only (see above). Defaults to `False`.
        kernel_initializer: initializer of the squeeze, temporal and expand
            convolutions. Defaults to `None`: PyTorch's default, uniform in
            ±1/√fan_in, as the official code.
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
    >>> tuple(ChannelExcitation(num_segments=8)(frames).shape)
    (16, 14, 14, 64)

    Reference:
        - [Wang et al., "ACTION-Net: Multipath Excitation for Action
          Recognition", CVPR 2021](https://arxiv.org/abs/2103.07372)
    """

    def build(self, input_shape):
        super().build(input_shape)
        channels = input_shape[-1]
        reduced = self.reduced_channels(input_shape)
        self.squeeze = self.pointwise(reduced, "squeeze", (None, 1, 1, channels))
        self.temporal_kernel = self.add_weight(
            name="temporal_kernel",
            shape=(3, reduced, reduced),
            initializer=self.kernel_initializer_or(torch_default_uniform(3 * reduced)),
        )
        self.expand = self.pointwise(channels, "expand", (None, 1, 1, reduced))

    def gate(self, inputs, training=None, states=None):
        steps = temporal.frames_per_call(self.num_segments, states)
        pooled = self.squeeze(ops.mean(inputs, axis=(1, 2), keepdims=True))
        mixed, history = temporal.conv_over_time(
            temporal.unfold_segments(pooled, steps),
            self.temporal_kernel,
            self.causal,
            None if states is None else states["history"],
        )
        mask = ops.sigmoid(self.expand(temporal.fold_segments(ops.relu(mixed), pooled)))
        return mask if states is None else (mask, {"history": history})

    def state_specs(self, input_shape):
        """The squeezed, pooled features of the two previous frames."""
        super().state_specs(input_shape)
        reduced = self.reduced_channels(input_shape)
        return {"history": self._history_spec(input_shape, 2, reduced, spatial=False)}

    def count_multiply_adds(self, input_shape):
        """Multiply-adds per frame: squeeze, temporal convolution, expand."""
        channels = input_shape[-1]
        reduced = self.reduced_channels(input_shape)
        return 2 * channels * reduced + 3 * reduced * reduced

    def torch_weights(self, prefix):
        """ACTION's `action_p2_squeeze`, `action_p2_conv1` and `action_p2_expand`."""
        return {
            **standard_layer_weights(self.squeeze, f"{prefix}_p2_squeeze"),
            # Conv1d (out, in, 3) -> Conv1D (3, in, out).
            f"{prefix}_p2_conv1.weight": TorchWeight(self.temporal_kernel, (2, 1, 0)),
            **standard_layer_weights(self.expand, f"{prefix}_p2_expand"),
        }
