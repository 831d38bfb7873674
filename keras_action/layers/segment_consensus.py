import keras
from keras import ops

from keras_action.layers import temporal
from keras_action.layers.base import positive_int


@keras.saving.register_keras_serializable(package="keras_action")
class SegmentConsensus(keras.layers.Layer):
    """Averages per-frame outputs `(N·T, K)` over the T frames of each clip.

    This is TSN's "avg" consensus, used by TSM and ACTION-Net on logits.

    On a stream (`states` given, one frame per call) it is the mean of the
    last T per-frame outputs: the state `"window"` `(N, T - 1, K)` holds the
    previous T - 1 outputs, zeros before the first frame, so the T-th output
    of a stream equals the clip's and the earlier ones are the partial sums
    divided by T (the same argmax as the mean of the frames seen so far).

    Args:
        num_segments: int, frames per clip (T).
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: per-frame outputs `(N·T, K)`, or `(N, K)` with `states`.
        states: `{"window": (N, T - 1, K)}` on a per-frame call, which then
            returns `(outputs, new_states)`.

    Returns:
        Per-clip outputs `(N, K)`.

    Example:

    >>> tuple(SegmentConsensus(num_segments=8)(keras.ops.ones((16, 27))).shape)
    (2, 27)

    Reference:
        - [Wang et al., "Temporal Segment Networks", ECCV 2016](https://arxiv.org/abs/1608.00859)
    """

    def __init__(self, num_segments, **kwargs):
        super().__init__(**kwargs)
        self.num_segments = positive_int("num_segments", num_segments)

    def call(self, inputs, states=None):
        if states is None:
            clips = ops.reshape(inputs, (-1, self.num_segments, inputs.shape[-1]))
            return ops.mean(clips, axis=1)
        window, history = temporal.causal_window(
            ops.expand_dims(inputs, 1), self.num_segments - 1, states.get("window")
        )
        outputs = ops.sum(window, axis=1) / self.num_segments
        return outputs, ({} if history is None else {"window": history})

    def state_specs(self, input_shape):
        """The previous T - 1 per-frame outputs of each stream (none for T = 1)."""
        if self.num_segments == 1:
            return {}
        batch, classes = input_shape
        shape = (batch, self.num_segments - 1, classes)
        return {"window": temporal.StateSpec(shape, self.compute_dtype)}

    def compute_output_spec(self, inputs, states=None):
        if states is None:
            return super().compute_output_spec(inputs)
        outputs = keras.KerasTensor(inputs.shape, dtype=self.compute_dtype)
        return outputs, {
            name: keras.KerasTensor(state.shape, dtype=state.dtype)
            for name, state in states.items()
        }

    def compute_output_shape(self, input_shape):
        frames = input_shape[0]
        clips = None if frames is None else frames // self.num_segments
        return (clips, input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config["num_segments"] = self.num_segments
        return config
