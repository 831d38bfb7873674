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


@keras.saving.register_keras_serializable(package="keras_action")
class TemporalShift(TemporalLayer):
    """Temporal shift of TSM, fixed or learnable (ACTION-Net's first step).

    A fraction of the channels is shifted one frame back in time, the same
    fraction one frame forward, zeros entering at the clip's ends; the rest pass
    through. It costs no parameters and no multiply-adds. With `learnable=True`
    the shift becomes a depthwise convolution over time (kernel 3, no bias),
    initialised to exactly that shift, as in ACTION-Net; its kernel is stored as
    a DepthwiseConv1D kernel `(3, C, 1)`, the official `(C, 1, 3)` transposed.

    Args:
        num_segments: int, frames per clip (T).
        shift_div: int, `C // shift_div` channels move each way. Defaults to 8.
        learnable: bool, learn the temporal kernel (ACTION) instead of the
            fixed shift (TSM). Defaults to `False`.
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: folded frames `(N·T, H, W, C)`.

    Returns:
        A tensor of the same shape: for channel `c < fold`, frame `t` holds frame
        `t + 1` of the input; for `fold <= c < 2·fold`, frame `t - 1`.

    Example:

    >>> frames = keras.random.uniform((2 * 8, 14, 14, 64))
    >>> TemporalShift(num_segments=8)(frames).shape
    (16, 14, 14, 64)

    Reference:
        - [Lin et al., "TSM: Temporal Shift Module for Efficient Video
          Understanding", ICCV 2019](https://arxiv.org/abs/1811.08383)
        - [Wang et al., "ACTION-Net: Multipath Excitation for Action
          Recognition", CVPR 2021](https://arxiv.org/abs/2103.07372)
    """

    def __init__(self, num_segments, shift_div=8, learnable=False, **kwargs):
        super().__init__(num_segments, **kwargs)
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
            channels = input_shape[-1]
            self.kernel = self.add_weight(
                name="kernel",
                shape=(3, channels, 1),
                initializer=lambda shape, dtype=None: ops.cast(
                    shift_kernel(channels, self.shift_div), dtype
                ),
            )

    def call(self, inputs):
        frames = temporal.unfold_segments(inputs, self.num_segments)
        if self.learnable:
            shifted = temporal.temporal_depthwise_conv(frames, self.kernel)
        else:
            shifted = self._fixed_shift(frames)
        return temporal.fold_segments(shifted, inputs)

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
        """Multiply-adds per frame: 3 per element when learnable, else none."""
        _, height, width, channels = input_shape
        return 3 * height * width * channels if self.learnable else 0

    def torch_weights(self, prefix):
        """The learnable kernel as ACTION's `action_shift`, Conv1d `(C, 1, 3)`."""
        if not self.learnable:
            return {}
        return {f"{prefix}.weight": TorchWeight(self.kernel, (2, 0, 1))}

    def get_config(self):
        config = super().get_config()
        config.update(shift_div=self.shift_div, learnable=self.learnable)
        return config
