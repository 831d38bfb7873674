import keras
import numpy as np
from keras import ops

from keras_action.layers import temporal
from keras_action.layers.base import TemporalLayer, positive_int
from keras_action.utils.torch_layout import TorchWeight


def shift_kernel(channels, shift_div):
    """TSM's shift as a DepthwiseConv1D kernel `(3, C, 1)` over time.

    Taps read frames t-1, t, t+1: channels `[0, fold)` take the next frame,
    `[fold, 2·fold)` the previous one, the rest stay, with `fold = C // shift_div`.
    """
    fold = channels // shift_div
    kernel = np.zeros((3, channels, 1), dtype="float32")
    kernel[2, :fold] = 1.0
    kernel[0, fold : 2 * fold] = 1.0
    kernel[1, 2 * fold :] = 1.0
    return kernel


def causal_shift_kernel(channels, shift_div):
    """The causal shift as a DepthwiseConv1D kernel `(2, C, 1)` over time.

    Taps read frames t-1, t: channels `[0, fold)` take the previous frame, the
    rest stay, with `fold = C // shift_div` (TSM online).
    """
    fold = channels // shift_div
    kernel = np.zeros((2, channels, 1), dtype="float32")
    kernel[0, :fold] = 1.0
    kernel[1, fold:] = 1.0
    return kernel


@keras.saving.register_keras_serializable(package="keras_action")
class TemporalShift(TemporalLayer):
    """Temporal shift of TSM, fixed or learnable (ACTION-Net's first step).

    A fraction of the channels is shifted one frame back in time, the same
    fraction one frame forward, zeros entering at the clip's ends; the rest pass
    through. It costs no parameters and no multiply-adds. With `learnable=True`
    the shift becomes a depthwise convolution over time (kernel 3, no bias),
    initialised to exactly that shift, as in ACTION-Net; its kernel is stored as
    a DepthwiseConv1D kernel `(3, C, 1)`, the official `(C, 1, 3)` transposed.

    Causal form (`causal=True`, a design choice; the papers have none): the
    uni-directional shift of TSM's online demo, channels `[0, fold)` of frame
    `t` hold frame `t - 1` (zeros for the first frame) and the rest pass
    through; nothing reads frame `t + 1`. Its state is the previous frame's
    `C // shift_div` shifted channels. The learnable causal shift is a
    depthwise convolution over the taps `(t - 1, t)`, a kernel `(2, C, 1)`
    (tap 0 reads `t - 1`, tap 1 reads `t`), initialised to that shift: its
    state is the previous frame of all C channels. Why two taps and not three
    (`t - 2, t - 1, t`, the two-way kernel's shape): two past frames of every
    channel make the state of a causal ACTION-Net MobileNetV2 at 224² about
    1.7 MiB, one past frame about 0.87 MiB (docs/streaming.md), and the
    network still reaches back one frame per block, ten frames through the
    ten blocks.

    Args:
        num_segments: int, frames per clip (T).
        shift_div: int, `C // shift_div` channels move each way. Defaults to 8.
        learnable: bool, learn the temporal kernel (ACTION) instead of the
            fixed shift (TSM). Defaults to `False`.
        causal: bool, read past frames only (see above). Defaults to `False`.
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: folded frames `(N·T, H, W, C)`, or with `states` one frame per
            stream `(N, H, W, C)`.
        states: the state of a per-frame call (causal layers, see
            `state_specs`); the call then returns `(outputs, new_states)`.

    Returns:
        A tensor of the same shape: for channel `c < fold`, frame `t` holds frame
        `t + 1` of the input; for `fold <= c < 2·fold`, frame `t - 1`.

    Example:

    >>> frames = keras.random.uniform((2 * 8, 14, 14, 64))
    >>> tuple(TemporalShift(num_segments=8)(frames).shape)
    (16, 14, 14, 64)

    Reference:
        - [Lin et al., "TSM: Temporal Shift Module for Efficient Video
          Understanding", ICCV 2019](https://arxiv.org/abs/1811.08383)
        - [Wang et al., "ACTION-Net: Multipath Excitation for Action
          Recognition", CVPR 2021](https://arxiv.org/abs/2103.07372)
    """

    def __init__(
        self, num_segments, shift_div=8, learnable=False, causal=False, **kwargs
    ):
        super().__init__(num_segments, causal=causal, **kwargs)
        self.shift_div = positive_int("shift_div", shift_div)
        self.learnable = bool(learnable)

    def build(self, input_shape):
        super().build(input_shape)
        channels = input_shape[-1]
        if channels is not None and channels < self.shift_div:
            raise ValueError(
                f"{self.name}: shift_div={self.shift_div} shifts no channel of an "
                f"input with {channels}; `shift_div` must be at most {channels}."
            )
        if self.learnable:
            initial = causal_shift_kernel if self.causal else shift_kernel
            initial = initial(channels, self.shift_div)
            self.kernel = self.add_weight(
                name="kernel",
                shape=initial.shape,
                initializer=lambda shape, dtype=None: ops.cast(initial, dtype),
            )

    def call(self, inputs, states=None):
        steps = temporal.frames_per_call(self.num_segments, states)
        frames = temporal.unfold_segments(inputs, steps)
        history = None if states is None else states["history"]
        if self.learnable:
            shifted, history = temporal.conv_over_time(
                frames, self.kernel, self.causal, history, depthwise=True
            )
        elif self.causal:
            shifted, history = self._causal_shift(frames, history)
        else:
            shifted = self._fixed_shift(frames)
        outputs = temporal.fold_segments(shifted, inputs)
        return outputs if states is None else (outputs, {"history": history})

    def state_specs(self, input_shape):
        """The previous frame of the shifted channels (all C when learnable)."""
        super().state_specs(input_shape)
        channels = input_shape[-1]
        kept = channels if self.learnable else channels // self.shift_div
        return {"history": self._history_spec(input_shape, 1, kept)}

    def _causal_shift(self, frames, history):
        fold = frames.shape[-1] // self.shift_div
        window, history = temporal.causal_window(frames[..., :fold], 1, history)
        shifted = temporal.delayed(window, frames.shape[1])
        return ops.concatenate([shifted, frames[..., fold:]], axis=-1), history

    def _fixed_shift(self, frames):
        fold = frames.shape[-1] // self.shift_div
        return ops.concatenate(
            [
                temporal.shift_frames(frames[..., :fold], 1),
                temporal.shift_frames(frames[..., fold : 2 * fold], -1),
                frames[..., 2 * fold :],
            ],
            axis=-1,
        )

    def count_multiply_adds(self, input_shape):
        """Multiply-adds per frame: one per tap and element when learnable."""
        _, height, width, channels = input_shape
        taps = 2 if self.causal else 3
        return taps * height * width * channels if self.learnable else 0

    def torch_weights(self, prefix):
        """The learnable kernel as ACTION's `action_shift`, Conv1d `(C, 1, 3)`.

        A causal kernel maps to `(C, 1, 2)`, which no official checkpoint has.
        """
        if not self.learnable:
            return {}
        return {f"{prefix}.weight": TorchWeight(self.kernel, (2, 0, 1))}

    def get_config(self):
        config = super().get_config()
        config.update(shift_div=self.shift_div, learnable=self.learnable)
        return config
