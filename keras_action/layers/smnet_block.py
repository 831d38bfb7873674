"""The SMNet module (Yang, Lu, Zhou, Entropy 2022).

No code of SMNet is public and the paper leaves kernel sizes, ratios, the
attention's form and how the two parts combine unstated: every such detail here
is an argument, and its default is this project's approximation.
"""

import keras

from keras_action.layers.base import (
    TemporalLayer,
    merge_states,
    part_states,
    positive_int,
)
from keras_action.layers.smnet_motion_excitation import SMNetMotionExcitation
from keras_action.layers.smnet_spatio_temporal_excitation import (
    SMNetSpatioTemporalExcitation,
)

COMBINATIONS = ("sequential", "parallel")


@keras.saving.register_keras_serializable(package="keras_action")
class SMNetBlock(TemporalLayer):
    """The SMNet module: spatio-temporal excitation and motion excitation.

    How the paper joins its two parts is not public. `"sequential"` (default)
    applies `SMNetSpatioTemporalExcitation` then `SMNetMotionExcitation`;
    `"parallel"` sums their outputs on the same input, as ACTION-Net sums its
    paths. Like ACTION-Net, it sits in front of the first convolution of a
    residual branch. The remaining arguments are passed to the two parts.

    Causal form (`causal=True`): both parts in their causal forms (see their
    docstrings); the state merges theirs, `"spatio_temporal_history"` and
    `"motion_history"`.

    Args:
        num_segments: int, frames per clip (T).
        reduction: int, channel reduction ratio of the motion excitation.
            Defaults to 16.
        groups: int or `None`, groups of the temporal convolution (`None`:
            one per channel).
        combination: `"sequential"` or `"parallel"`.
        causal: bool, read past frames only (see above). Defaults to `False`.
        kernel_initializer: initializer of the convolutions of both parts but
            the temporal kernel. Defaults to `None`: PyTorch's default, uniform
            in ±1/√fan_in, as the official code.
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
    >>> tuple(SMNetBlock(num_segments=8)(frames).shape)
    (16, 14, 14, 64)

    Reference:
        - [Yang et al., "A Spatio-Temporal Motion Network for Action Recognition
          Based on Spatial Attention", Entropy 2022](https://doi.org/10.3390/e24030368)
    """

    has_default_kernels = True

    def __init__(
        self,
        num_segments,
        reduction=16,
        groups=None,
        combination="sequential",
        causal=False,
        **kwargs,
    ):
        super().__init__(num_segments, causal=causal, **kwargs)
        if combination not in COMBINATIONS:
            raise ValueError(
                f"`combination` must be one of {COMBINATIONS}; got {combination!r}."
            )
        self.reduction = positive_int("reduction", reduction)
        self.groups = None if groups is None else int(groups)
        self.combination = combination

    def build(self, input_shape):
        super().build(input_shape)
        self.spatio_temporal = SMNetSpatioTemporalExcitation(
            self.num_segments,
            self.groups,
            causal=self.causal,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="spatio_temporal",
        )
        self.motion = SMNetMotionExcitation(
            self.num_segments,
            self.reduction,
            causal=self.causal,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="motion",
        )
        self.spatio_temporal.build(input_shape)
        self.motion.build(input_shape)

    def call(self, inputs, training=None, states=None):
        if states is None:
            excited = self.spatio_temporal(inputs)
            motion_input = excited if self.combination == "sequential" else inputs
            moved = self.motion(motion_input, training=training)
        else:
            excited, spatio_temporal_states = self.spatio_temporal(
                inputs, states=part_states(states, "spatio_temporal")
            )
            motion_input = excited if self.combination == "sequential" else inputs
            moved, motion_states = self.motion(
                motion_input, training=training, states=part_states(states, "motion")
            )
        outputs = moved if self.combination == "sequential" else excited + moved
        if states is None:
            return outputs
        return outputs, merge_states(
            {"spatio_temporal": spatio_temporal_states, "motion": motion_states}
        )

    def state_specs(self, input_shape):
        """The parts' states, `"<part>_history"`."""
        super().state_specs(input_shape)
        return merge_states(
            {
                part.name: part.state_specs(input_shape)
                for part in (self.spatio_temporal, self.motion)
            }
        )

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
