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

    Args:
        num_segments: int, frames per clip (T).
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: folded frames `(N·T, H, W, C)`.
        return_gate: bool, return the mask `m` instead of `x + x·m`.
            Defaults to `False`.

    Returns:
        A tensor of the input's shape.

    Example:

    >>> frames = keras.random.uniform((2 * 8, 14, 14, 64))
    >>> SpatioTemporalExcitation(num_segments=8)(frames).shape
    (16, 14, 14, 64)

    Reference:
        - [Wang et al., "ACTION-Net: Multipath Excitation for Action
          Recognition", CVPR 2021](https://arxiv.org/abs/2103.07372)
    """

    per_pixel_gate = True

    def build(self, input_shape):
        super().build(input_shape)
        self.kernel = self.add_weight(
            name="kernel", shape=(3, 3, 3, 1, 1), initializer=torch_default_uniform(27)
        )

    def gate(self, inputs, training=None):
        channel_mean = ops.mean(inputs, axis=-1, keepdims=True)
        # (D, H, W, 1, 1) -> (H, W, 1, D): one 2-D output channel per temporal tap.
        per_tap_kernel = ops.expand_dims(
            ops.transpose(ops.reshape(self.kernel, (3, 3, 3)), (1, 2, 0)), 2
        )
        per_tap = ops.conv(channel_mean, per_tap_kernel, padding="same")
        summed = temporal.sum_taps(per_tap, self.num_segments)
        return ops.sigmoid(temporal.fold_segments(summed, inputs))

    def torch_weights(self, prefix):
        """ACTION's `action_p1_conv1`, a Conv3d kernel `(1, 1, 3, 3, 3)`."""
        return {f"{prefix}_p1_conv1.weight": TorchWeight(self.kernel, (2, 3, 4, 1, 0))}

    def count_multiply_adds(self, input_shape):
        """Multiply-adds per frame of the 3×3×3 convolution."""
        _, height, width, _ = input_shape
        return 27 * height * width
