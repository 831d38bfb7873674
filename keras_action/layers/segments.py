import keras
from keras import ops

from keras_action.layers.base import positive_int


@keras.saving.register_keras_serializable(package="keras_action")
class FoldSegments(keras.layers.Layer):
    """Folds clips `(N, T, H, W, C)` into frames `(N·T, H, W, C)`.

    Lets a 2-D backbone see every frame of every clip as one batch, in the
    clip-after-clip order that the temporal layers expect.

    Call arguments:
        inputs: clips `(N, T, H, W, C)` with static `T, H, W, C`.

    Example:

    >>> FoldSegments()(keras.ops.zeros((2, 8, 32, 32, 3))).shape
    (16, 32, 32, 3)
    """

    def call(self, inputs):
        return ops.reshape(inputs, (-1, *inputs.shape[2:]))

    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[:2]
        frames = None if batch is None else batch * steps
        return (frames, *input_shape[2:])


@keras.saving.register_keras_serializable(package="keras_action")
class SegmentConsensus(keras.layers.Layer):
    """Averages per-frame outputs `(N·T, K)` over the T frames of each clip.

    This is TSN's "avg" consensus, used by TSM and ACTION-Net on logits.

    Args:
        num_segments: int, frames per clip (T).
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: per-frame outputs `(N·T, K)`.

    Returns:
        Per-clip outputs `(N, K)`.

    Example:

    >>> SegmentConsensus(num_segments=8)(keras.ops.ones((16, 27))).shape
    (2, 27)

    Reference:
        - [Wang et al., "Temporal Segment Networks", ECCV 2016](https://arxiv.org/abs/1608.00859)
    """

    def __init__(self, num_segments, **kwargs):
        super().__init__(**kwargs)
        self.num_segments = positive_int("num_segments", num_segments)

    def call(self, inputs):
        clips = ops.reshape(inputs, (-1, self.num_segments, inputs.shape[-1]))
        return ops.mean(clips, axis=1)

    def compute_output_shape(self, input_shape):
        frames = input_shape[0]
        clips = None if frames is None else frames // self.num_segments
        return (clips, input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config["num_segments"] = self.num_segments
        return config
