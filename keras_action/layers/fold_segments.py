import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_action")
class FoldSegments(keras.layers.Layer):
    """Folds clips `(N, T, H, W, C)` into frames `(N·T, H, W, C)`.

    Lets a 2-D backbone see every frame of every clip as one batch, in the
    clip-after-clip order that the temporal layers expect.

    Call arguments:
        inputs: clips `(N, T, H, W, C)` with static `T, H, W, C`.

    Example:

    >>> tuple(FoldSegments()(keras.ops.zeros((2, 8, 32, 32, 3))).shape)
    (16, 32, 32, 3)
    """

    def call(self, inputs):
        return ops.reshape(inputs, (-1, *inputs.shape[2:]))

    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[:2]
        frames = None if batch is None else batch * steps
        return (frames, *input_shape[2:])
