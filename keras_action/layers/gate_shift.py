import keras
from keras import ops

from keras_action.layers import temporal
from keras_action.layers.base import TemporalLayer
from keras_action.utils.torch_layout import TorchWeight, standard_layer_weights


@keras.saving.register_keras_serializable(package="keras_action")
class GateShift(TemporalLayer):
    """Gate-Shift Module (GSM): a learned, spatially gated temporal shift.

    The official computation: `a = ReLU(BN(x))`; a 3×3×3 convolution over
    (T, H, W) of `a` with two groups (one per channel half), two output
    channels and a bias, followed by tanh, gives one gate map per half,
    `g1, g2` of shape `(N·T, H, W, 1)`. With `x1, x2` the channel halves of the
    raw input, `y_k = g_k · x_k` is shifted in time, `y1` backward
    (`y1[t + 1]`), `y2` forward (`y2[t - 1]`), zeros entering at the clip's
    ends, and the ungated remainder `x_k - y_k` is added back. Finally, the
    channels of each half are interleaved as in the official code: viewing a
    half's `C/2` channels as `(2, C/4)` and transposing, new channel `2k + j`
    is old channel `j·C/4 + k`.

    The gate's weights and bias start at zero (the official initialisation),
    so at first the output is a channel permutation of the input. The kernel is
    stored as a grouped Conv3D kernel `(3, 3, 3, C/2, 2)` (D, H, W, in per
    group, out), the official `(2, C/2, 3, 3, 3)` transposed, but computed as
    one 2-D convolution per half with a channel per temporal tap, followed by a
    sum over neighbouring frames: no rank-5 tensor and no CONV_3D op. The
    BatchNorm normalises over (N, T, H, W) like the official BatchNorm3d,
    with PyTorch's epsilon 1e-5. Trainable parameters: `29·C + 2`.

    Causal form (`causal=True`, a design choice; the paper has none): the gate
    convolution reads the temporal taps `(t - 2, t - 1, t)` (kernel slice `d`
    of the first axis reads frame `t - 2 + d`, two-way `t - 1 + d`; same
    weights), and both gated halves come from the previous frame,
    `z_k[t] = y_k[t - 1] + x_k[t] - y_k[t]`, as TSM's online shift moves
    channels from the past only: the halves keep their own gates. The state
    is the per-tap gate maps of the two previous frames `(N, 2, H·W, 6)` and
    the gated features of the previous frame `(N, 1, H·W, C)`.

    Args:
        num_segments: int, frames per clip (T).
        causal: bool, read past frames only (see above). Defaults to `False`.
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: folded frames `(N·T, H, W, C)`, with C divisible by 4, or
            with `states` one frame per stream `(N, H, W, C)`.
        training: bool, whether BatchNorm uses batch statistics.
        states: the state of a per-frame call (causal layers, see
            `state_specs`); the call then returns `(outputs, new_states)`.

    Returns:
        A tensor of the input's shape.

    Example:

    >>> frames = keras.random.uniform((2 * 8, 14, 14, 64))
    >>> layer = GateShift(num_segments=8)
    >>> tuple(layer(frames).shape)
    (16, 14, 14, 64)
    >>> layer.count_params()  # 29·64 + 2 trainable, 2·64 BN statistics
    1986

    Reference:
        - [Sudhakaran et al., "Gate-Shift Networks for Video Action
          Recognition", CVPR 2020](https://arxiv.org/abs/1912.00381)
    """

    def build(self, input_shape):
        super().build(input_shape)
        channels = input_shape[-1]
        if channels is None or channels % 4:
            raise ValueError(
                f"{self.name}: GateShift needs a channel count divisible by 4; "
                f"got {channels} (input shape {tuple(input_shape)})."
            )
        self.batch_norm = keras.layers.BatchNormalization(
            epsilon=1e-5, momentum=0.9, dtype=self.dtype_policy, name="batch_norm"
        )
        self.batch_norm.build(input_shape)
        self.gate_kernel = self.add_weight(
            name="gate_kernel", shape=(3, 3, 3, channels // 2, 2), initializer="zeros"
        )
        self.gate_bias = self.add_weight(
            name="gate_bias", shape=(2,), initializer="zeros"
        )

    def call(self, inputs, training=None, states=None):
        steps = temporal.frames_per_call(self.num_segments, states)
        gates, gate_taps = self._gates(
            inputs, training, steps, None if states is None else states["gate_taps"]
        )
        frames = temporal.unfold_segments(inputs, steps)
        halves = ops.split(frames, 2, axis=-1)
        gated = [halves[0] * gates[..., :1], halves[1] * gates[..., 1:]]
        if self.causal:
            window, gated_history = temporal.causal_window(
                ops.concatenate(gated, axis=-1),
                1,
                None if states is None else states["gated"],
            )
            past = ops.split(temporal.delayed(window, steps), 2, axis=-1)
        else:
            past = [
                temporal.shift_frames(gated[0], 1),
                temporal.shift_frames(gated[1], -1),
            ]
        shifted = [
            moved + (half - kept)
            for moved, half, kept in zip(past, halves, gated, strict=True)
        ]
        outputs = temporal.fold_segments(ops.concatenate(shifted, axis=-1), inputs)
        outputs = _interleave_halves(outputs)
        if states is None:
            return outputs
        return outputs, {"gate_taps": gate_taps, "gated": gated_history}

    def _gates(self, inputs, training, steps, history=None):
        """The two tanh gate maps `(N, T, H·W, 2)`, and the new per-tap history."""
        activated = ops.relu(self.batch_norm(inputs, training=training))
        per_tap = ops.concatenate(
            [
                ops.conv(half, self._per_tap_kernel(group), padding="same")
                for group, half in enumerate(ops.split(activated, 2, axis=-1))
            ],
            axis=-1,
        )
        per_tap = temporal.unfold_segments(per_tap, steps)
        if self.causal:
            # The window holds the 6 per-tap maps, not the C-channel input
            # of the expensive 3×3 convolutions.
            per_tap, history = temporal.causal_window(per_tap, 2, history)
        gates = temporal.sum_taps(
            per_tap, groups=2, padding="valid" if self.causal else "same"
        )
        return ops.tanh(gates + self.gate_bias), history

    def state_specs(self, input_shape):
        """Per-tap gate maps of the two previous frames, gated features of the
        previous one."""
        super().state_specs(input_shape)
        return {
            "gate_taps": self._history_spec(input_shape, 2, 6),
            "gated": self._history_spec(input_shape, 1, input_shape[-1]),
        }

    def _per_tap_kernel(self, group):
        # (D, H, W, C/2) -> (H, W, C/2, D): one 2-D output channel per temporal tap.
        return ops.transpose(self.gate_kernel[..., group], (1, 2, 3, 0))

    def torch_weights(self, prefix):
        """GSM's `gsmModule` names: `conv3D`, the gate's Conv3d `(2, C/2, 3, 3,
        3)` with its bias, and `bn`, the BatchNorm3d."""
        return {
            **standard_layer_weights(self.batch_norm, f"{prefix}.bn"),
            f"{prefix}.conv3D.weight": TorchWeight(self.gate_kernel, (2, 3, 4, 1, 0)),
            f"{prefix}.conv3D.bias": TorchWeight(self.gate_bias),
        }

    def count_multiply_adds(self, input_shape):
        """Multiply-adds per frame of the grouped 3×3×3 gate convolution."""
        _, height, width, channels = input_shape
        return 27 * channels * height * width


def _interleave_halves(x):
    """The official channel interleave within each half of `(N·T, H, W, C)`."""
    _, height, width, channels = ops.shape(x)
    quarters = ops.reshape(x, (-1, 2, 2, channels // 4))
    return ops.reshape(
        ops.transpose(quarters, (0, 1, 3, 2)), (-1, height, width, channels)
    )
