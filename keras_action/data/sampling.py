"""Which frames of a video make up a clip: TSN segments or dense windows.

A video of `n` frames is split into `T` equal segments, segment `i` covering
frames `[i·n/T, (i+1)·n/T)`. Training takes one random frame per segment;
evaluation takes `K` clips whose frames sit at evenly spread offsets inside each
segment (offset `(k + ½)/K` of a segment for clip `k`), so one clip is the
centre frame of each segment, as in TSN/TSM validation. Videos shorter than
`T` frames repeat frames; no index ever reaches `n`.

Dense sampling (`dense_indices`) takes `T` consecutive frames `frame_stride`
apart, the way a camera stream delivers them to a streaming model: a window
from a random start in training, centred in evaluation (`K` windows evenly
spread for `K` clips). A video shorter than the window repeats its last frame.
"""

import tensorflow as tf

from keras_action.data.views import spread_indices


def segment_indices(num_frames, num_segments, training, num_clips=1, seed=None):
    """Frame indices of one video, as a graph-friendly TensorFlow computation.

    Args:
        num_frames: scalar integer tensor, the video's frame count (> 0).
        num_segments: `T`, number of frames per clip.
        training: `True` for one random frame per segment, `False` for the
            evenly spread evaluation offsets.
        num_clips: `K`, evaluation clips per video (must be 1 when training).
        seed: shape `(2,)` integer tensor for `tf.random.stateless_uniform`
            (training only; `None` draws from the global generator).

    Returns:
        int32 tensor `(num_clips, num_segments)` of indices in `[0, num_frames)`,
        non-decreasing within each clip.

    Example:
        >>> segment_indices(10, 4, training=False).numpy()
        array([[1, 3, 6, 8]], dtype=int32)
    """
    if training and num_clips != 1:
        raise ValueError("training samples one clip per video; num_clips must be 1")
    n = tf.cast(num_frames, tf.int64)
    segments = tf.range(num_segments, dtype=tf.int64)
    if training:
        # Integer bounds keep every segment inside [0, n) without rounding drift.
        starts = segments * n // num_segments
        lengths = tf.maximum((segments + 1) * n // num_segments - starts, 1)
        shape = [num_segments]
        if seed is None:
            unit = tf.random.uniform(shape, dtype=tf.float64)
        else:
            unit = tf.random.stateless_uniform(shape, seed, dtype=tf.float64)
        offsets = tf.minimum(
            tf.cast(unit * tf.cast(lengths, tf.float64), tf.int64), lengths - 1
        )
        indices = (starts + offsets)[tf.newaxis]
    else:
        clips = tf.range(num_clips, dtype=tf.int64)[:, tf.newaxis]
        indices = spread_indices(
            n, segments[tf.newaxis], clips, num_segments, num_clips
        )
    return tf.cast(tf.clip_by_value(indices, 0, tf.maximum(n - 1, 0)), tf.int32)


def dense_indices(
    num_frames, num_segments, frame_stride, training, num_clips=1, seed=None
):
    """Frame indices of one video for dense sampling, in TensorFlow.

    Args:
        num_frames: scalar integer tensor, the video's frame count (> 0).
        num_segments: `T`, frames per clip.
        frame_stride: int, frames between consecutive clip frames (1: every
            frame). A streaming model must be fed frames at this stride.
        training: `True` for a window at a random start, `False` for the
            centred window (or `num_clips` windows evenly spread).
        num_clips: `K`, evaluation clips per video (must be 1 when training).
        seed: shape `(2,)` integer tensor for `tf.random.stateless_uniform`
            (training only; `None` draws from the global generator).

    Returns:
        int32 tensor `(num_clips, num_segments)` of indices in `[0, num_frames)`,
        `frame_stride` apart until the video's last frame, which repeats.

    Example:
        >>> dense_indices(20, 4, 2, training=False).numpy()
        array([[ 6,  8, 10, 12]], dtype=int32)
    """
    if training and num_clips != 1:
        raise ValueError("training samples one clip per video; num_clips must be 1")
    if (
        isinstance(frame_stride, bool)
        or int(frame_stride) != frame_stride
        or (frame_stride < 1)
    ):
        raise ValueError(
            f"frame_stride must be a whole number >= 1, got {frame_stride!r}"
        )
    n = tf.cast(num_frames, tf.int64)
    span = (num_segments - 1) * int(frame_stride) + 1
    slack = tf.maximum(n - span, 0)  # the starts that keep the window inside
    if training:
        if seed is None:
            unit = tf.random.uniform([1], dtype=tf.float64)
        else:
            unit = tf.random.stateless_uniform([1], seed, dtype=tf.float64)
        start = tf.minimum(
            tf.cast(unit * tf.cast(slack + 1, tf.float64), tf.int64), slack
        )
        starts = start[:, tf.newaxis]
    else:
        # floor(slack · (2k + 1) / (2K)): clip k at (k + ½)/K of the slack,
        # K = 1 being the centred window.
        clips = tf.range(num_clips, dtype=tf.int64)[:, tf.newaxis]
        starts = slack * (2 * clips + 1) // (2 * num_clips)
    offsets = tf.range(num_segments, dtype=tf.int64) * int(frame_stride)
    indices = starts + offsets[tf.newaxis]
    return tf.cast(tf.clip_by_value(indices, 0, tf.maximum(n - 1, 0)), tf.int32)
