import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_action")
class HardSwish(keras.layers.Layer):
    """Hard-swish, `x · relu6(x + 3) / 6`, written so that int8 stays on XNNPACK.

    MobileNetV3's activation. Written as `x · relu6(x + 3) · (1/6)`, the
    TFLite converter fuses it into one HARD_SWISH op, which LiteRT's XNNPACK
    delegate does not run in int8 (it falls back to the builtin kernel).
    Computed as `relu6(x + 3) · (x / 6)` it converts to an ADD with a fused
    RELU6 and two MULs, all delegated, with the same values.

    Args:
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: a tensor of any shape.

    Returns:
        A tensor of the input's shape.

    Example:

    >>> x = keras.ops.convert_to_tensor([-4.0, -1.0, 0.0, 1.0, 4.0])
    >>> keras.ops.convert_to_numpy(HardSwish()(x)).astype(float).round(4).tolist()
    [-0.0, -0.3333, 0.0, 0.6667, 4.0]

    Reference:
        - [Howard et al., "Searching for MobileNetV3", ICCV
          2019](https://arxiv.org/abs/1905.02244)
    """

    def call(self, inputs):
        return ops.relu6(inputs + 3.0) * (inputs * (1.0 / 6.0))

    def compute_output_shape(self, input_shape):
        return input_shape
