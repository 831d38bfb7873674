import keras
from keras import ops

from keras_action.layers.base import positive_int


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
