import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_action")
class PaddedAveragePooling2D(keras.layers.Layer):
    """Stride-1 average pooling over zero-padded frames, as PyTorch computes it.

    PyTorch's `AvgPool2d(k, stride=1, padding=k // 2)` counts the zero padding
    (`count_include_pad=True`, its default): every output is the window's sum
    divided by k², also at the borders. TensorFlow's "same" average pooling
    divides by the number of real pixels instead. This layer computes the
    PyTorch result as a depthwise convolution with a constant 1/k² kernel,
    which LiteRT's XNNPACK delegate runs in int8 (it does not run int8
    AVERAGE_POOL_2D). It has no weights. BN-Inception's pooling branches use it.

    Args:
        pool_size: int, odd window side k. Defaults to 3.
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: frames `(N, H, W, C)`.

    Returns:
        A tensor of the input's shape.

    Example:

    >>> frames = keras.ops.ones((1, 3, 3, 1))
    >>> pooled = PaddedAveragePooling2D()(frames)
    >>> keras.ops.convert_to_numpy(pooled)[0, :, :, 0].astype(float).round(4).tolist()
    [[0.4444, 0.6667, 0.4444], [0.6667, 1.0, 0.6667], [0.4444, 0.6667, 0.4444]]
    """

    def __init__(self, pool_size=3, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(pool_size, int) or pool_size < 1 or pool_size % 2 == 0:
            raise ValueError(
                f"`pool_size` must be an odd positive int; got {pool_size!r}."
            )
        self.pool_size = pool_size

    def call(self, inputs):
        channels = inputs.shape[-1]
        kernel = ops.full(
            (self.pool_size, self.pool_size, channels, 1),
            1.0 / self.pool_size**2,
            dtype=self.compute_dtype,
        )
        return ops.depthwise_conv(inputs, kernel, padding="same")

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["pool_size"] = self.pool_size
        return config
