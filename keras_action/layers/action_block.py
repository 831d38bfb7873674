import keras
from keras import ops

from keras_action.layers.base import (
    TemporalLayer,
    merge_states,
    part_states,
    positive_int,
)
from keras_action.layers.channel_excitation import ChannelExcitation
from keras_action.layers.motion_excitation import MotionExcitation
from keras_action.layers.spatio_temporal_excitation import SpatioTemporalExcitation
from keras_action.layers.temporal_shift import TemporalShift

PATHS = ("ce", "me", "ste")


@keras.saving.register_keras_serializable(package="keras_action")
class ActionBlock(TemporalLayer):
    """The ACTION module: learnable temporal shift, then excitation paths, summed.

    `xs = TemporalShift(learnable=True)(x)`, then each selected path p gives
    `xs + xs·m_p`, and the output is their sum, `xs·(P + Σ m_p)` for P paths.
    In a network it sits in front of the first convolution of a residual
    branch, which the official code wraps. With the three paths and
    `C // reduction = r`, it has `3C + 27 + 4Cr + 3r² + 11r` trainable weights.

    Causal form (`causal=True`): each part in its causal form, documented in
    its layer: the learnable shift over `(t - 1, t)` (kernel `(2, C, 1)`, so
    `2C + 27 + 4Cr + 3r² + 11r` weights), STE and CE over
    `(t - 2, t - 1, t)` with the two-way weight shapes, and ME as
    `d[t] = DW(u)[t] - u[t - 1]`. Its state merges the parts' states, named
    `"<part>_history"` (`shift`, `spatio_temporal`, `channel`, `motion`).

    Args:
        num_segments: int, frames per clip (T).
        shift_div: int, `C // shift_div` channels are shifted each way at
            initialisation. Defaults to 8.
        reduction: int, channel reduction ratio of CE and ME. Defaults to 16.
        paths: the excitation paths to sum, any of `"ste"`
            (`SpatioTemporalExcitation`), `"ce"` (`ChannelExcitation`) and
            `"me"` (`MotionExcitation`). Defaults to all three.
        causal: bool, read past frames only (see above). Defaults to `False`.
        kernel_initializer: initializer of the convolutions of STE, CE and ME.
            Defaults to `None`: PyTorch's default, uniform in ±1/√fan_in, as the
            official code.
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: folded frames `(N·T, H, W, C)`, or with `states` one frame per
            stream `(N, H, W, C)`.
        training: bool, whether BatchNorm in the motion path uses batch
            statistics.
        states: the state of a per-frame call (causal layers, see
            `state_specs`); the call then returns `(outputs, new_states)`.

    Returns:
        A tensor of the input's shape.

    Example:

    >>> frames = keras.random.uniform((2 * 8, 14, 14, 64))
    >>> block = ActionBlock(num_segments=8)
    >>> tuple(block(frames).shape)
    (16, 14, 14, 64)
    >>> block.count_params()  # 3·64 + 27 + 4·64·4 + 3·16 + 11·4 + 8 BN statistics
    1343

    Reference:
        - [Wang et al., "ACTION-Net: Multipath Excitation for Action
          Recognition", CVPR 2021](https://arxiv.org/abs/2103.07372)
    """

    has_default_kernels = True

    def __init__(
        self,
        num_segments,
        shift_div=8,
        reduction=16,
        paths=("ste", "ce", "me"),
        causal=False,
        **kwargs,
    ):
        super().__init__(num_segments, causal=causal, **kwargs)
        unknown = set(paths) - set(PATHS)
        if unknown or not paths or len(set(paths)) != len(paths):
            raise ValueError(
                f"`paths` must be distinct names among {PATHS}; got {tuple(paths)}."
            )
        self.shift_div = positive_int("shift_div", shift_div)
        self.reduction = positive_int("reduction", reduction)
        self.paths = tuple(paths)

    def build(self, input_shape):
        super().build(input_shape)
        self.shift = TemporalShift(
            self.num_segments,
            self.shift_div,
            learnable=True,
            causal=self.causal,
            dtype=self.dtype_policy,
            name="shift",
        )
        options = dict(
            causal=self.causal,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
        )
        path_layers = {
            "ce": lambda: ChannelExcitation(
                self.num_segments, self.reduction, name="channel", **options
            ),
            "me": lambda: MotionExcitation(
                self.num_segments, self.reduction, name="motion", **options
            ),
            "ste": lambda: SpatioTemporalExcitation(
                self.num_segments, name="spatio_temporal", **options
            ),
        }
        self.excitations = [path_layers[name]() for name in PATHS if name in self.paths]
        for layer in (self.shift, *self.excitations):
            layer.build(input_shape)

    def call(self, inputs, training=None, states=None):
        # Σ_p (xs + xs·m_p) = xs·(P + Σ channel masks) + xs·m_ste. The channel
        # masks are (N·T, 1, 1, C), so their sum is cheap; the per-pixel STE
        # product is added on its own, so that after int8 quantization both
        # operands of that ADD have the scale of xs, which XNNPACK requires.
        new_states = {}
        shifted = self._run(self.shift, inputs, states, new_states)
        scale = float(len(self.excitations))
        per_pixel = None
        for excitation in self.excitations:
            gate = self._run(
                excitation, shifted, states, new_states, training, return_gate=True
            )
            if excitation.per_pixel_gate:
                per_pixel = gate
            else:
                scale = ops.add(scale, gate)
        outputs = shifted * scale
        if per_pixel is not None:
            outputs = outputs + shifted * per_pixel
        return outputs if states is None else (outputs, merge_states(new_states))

    @staticmethod
    def _run(part, inputs, states, new_states, training=None, **kwargs):
        """Calls a part, collecting its new states on a per-frame call."""
        if training is not None:
            kwargs["training"] = training
        if states is None:
            return part(inputs, **kwargs)
        outputs, new_states[part.name] = part(
            inputs, states=part_states(states, part.name), **kwargs
        )
        return outputs

    def state_specs(self, input_shape):
        """The parts' states, `"<part>_history"`."""
        super().state_specs(input_shape)
        return merge_states(
            {part.name: part.state_specs(input_shape) for part in self._parts()}
        )

    def _parts(self):
        return [self.shift, *self.excitations]

    def count_multiply_adds(self, input_shape):
        """Multiply-adds per frame of the shift and the selected paths."""
        return sum(part.count_multiply_adds(input_shape) for part in self._parts())

    def torch_weights(self, prefix):
        """The official `Action` module's names: `action_shift`, `action_p1_*`…"""
        weights = self.shift.torch_weights(f"{prefix}.action_shift")
        for excitation in self.excitations:
            weights.update(excitation.torch_weights(f"{prefix}.action"))
        return weights

    def get_config(self):
        config = super().get_config()
        config.update(
            shift_div=self.shift_div,
            reduction=self.reduction,
            paths=list(self.paths),
        )
        return config
