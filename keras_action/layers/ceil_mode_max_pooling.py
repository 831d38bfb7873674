import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_action")
class CeilModeMaxPooling2D(keras.layers.Layer):
    """Max pooling without padding in PyTorch's `ceil_mode`.

    PyTorch's `MaxPool2d(k, s, ceil_mode=True)` adds a last window where the
    floor rule would drop the remainder of a side; that window hangs over
    the far edge and sees only the real pixels. TensorFlow has no ceil mode,
    but its "same" pooling ignores padded pixels too: where the overhang is
    one pixel ("same" then pads nothing before and one pixel after, as with
    k = 3, s = 2 on an even side) it computes the same windows, and where no
    window hangs over, "valid" does. The choice is made per call, from the
    input's size, so a model keeps the PyTorch windows when it is rebuilt at
    another frame size (`keras_action.models.with_image_size`).

    Args:
        pool_size: int, window side k. Defaults to 3.
        strides: int, stride s. Defaults to 2.
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: frames `(N, H, W, C)` with a known H and W.

    Returns:
        The pooled frames, `ceil((side - k) / s) + 1` per side.

    Example:

    >>> frames = keras.ops.reshape(keras.ops.arange(16.0), (1, 4, 4, 1))
    >>> pooled = CeilModeMaxPooling2D()(frames)  # floor mode would give 1×1
    >>> keras.ops.convert_to_numpy(pooled)[0, :, :, 0].tolist()
    [[10.0, 11.0], [14.0, 15.0]]
    """

    def __init__(self, pool_size=3, strides=2, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = pool_size
        self.strides = strides

    def call(self, inputs):
        padding = {self._padding(side) for side in inputs.shape[1:3]}
        if len(padding) > 1:
            raise ValueError(
                f"{self.name}: ceil-mode pooling of the shape "
                f"{tuple(inputs.shape)} needs 'same' padding on one side and "
                "'valid' on the other, which one pooling op cannot do."
            )
        return ops.max_pool(inputs, self.pool_size, self.strides, padding=padding.pop())

    def _padding(self, side):
        if (side - self.pool_size) % self.strides == 0:
            return "valid"  # no window hangs over
        same_outputs = -(-side // self.strides)
        same_padding = (same_outputs - 1) * self.strides + self.pool_size - side
        if same_outputs == self._pooled(side) and same_padding == 1:
            return "same"  # nothing before, one ignored pixel after
        raise ValueError(
            f"{self.name}: a side of {side} with pool size {self.pool_size} and "
            f"stride {self.strides} leaves a ceil-mode window that TensorFlow "
            "pooling cannot reproduce."
        )

    def _pooled(self, side):
        return None if side is None else -(-(side - self.pool_size) // self.strides) + 1

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        return (batch, self._pooled(height), self._pooled(width), channels)

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=self.pool_size, strides=self.strides)
        return config
