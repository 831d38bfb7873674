"""The evaluation view of a video, in NumPy: which frames, and which pixels.

One clip is the centre frame of each of `T` equal segments (TSN/TSM
validation); one crop is a centred square of 224/256 of the shorter side. The
`tf.data` pipelines compute the same in graph code
(`keras_action.data.segment_indices`, `center_crop_windows`) from the formula
and the fraction defined here; `keras_action.export.predict` uses these
functions directly. Only NumPy is imported, so prediction with a `.tflite`
model needs no TensorFlow.
"""

import numpy as np

#: Evaluation crop side relative to the shorter side: resizing the shorter side
#: to `image_size · 256/224` and centre-cropping `image_size` keeps 224/256 of it.
EVAL_CROP_FRACTION = 224 / 256
#: Where training crops may lie: anywhere in the frame (TSN), or in its
#: centred square, the part every evaluation crop is taken from.
CROP_AREAS = ("frame", "centre")


def spread_indices(num_frames, segments, clips, num_segments, num_clips):
    """`floor(n · (i + (2k+1)/(2K)) / T)`: clip `k`'s frame in segment `i`.

    Clip `k` of `K` sits at offset `(k + ½)/K` of each segment, `K = 1` being
    the centre frame. Integer arithmetic only (no rounding drift), written with
    operators that NumPy arrays and TensorFlow tensors share, so the pipelines
    and `centre_indices` evaluate this one expression.

    Args:
        num_frames: `n`, the video's frame count.
        segments: segment numbers `i` (broadcast against `clips`).
        clips: clip numbers `k`.
        num_segments: `T`.
        num_clips: `K`.
    """
    numerator = num_frames * (2 * num_clips * segments + 2 * clips + 1)
    return numerator // (2 * num_clips * num_segments)


def centre_indices(num_frames, num_segments):
    """The centre frame of each of `num_segments` equal segments of a video.

    Equals `keras_action.data.segment_indices(n, T, training=False)[0]`:
    videos shorter than `T` frames repeat frames, and no index reaches `n`.

    Returns:
        int64 array `(num_segments,)`, non-decreasing.
    """
    segments = np.arange(num_segments, dtype=np.int64)
    indices = spread_indices(np.int64(num_frames), segments, 0, num_segments, 1)
    return np.clip(indices, 0, max(num_frames - 1, 0))


def centre_crop_window(height, width, crop_fraction=EVAL_CROP_FRACTION):
    """The evaluation crop `(top, left, side)` of a `height × width` frame.

    A square of `crop_fraction` of the shorter side (at least one pixel),
    centred; computed in float32 like `center_crop_windows` with one crop.
    """
    shorter = np.float32(min(height, width))
    side = max(int(shorter * np.float32(crop_fraction)), 1)
    return (height - side) // 2, (width - side) // 2, side
