"""Clip-level crops, flips and resizing (the TSN recipe), identical for all frames.

Crop positions are computed as windows `[y, x, h, w]` in the coordinates of the
source frames, so JPEG frames can be decoded straight into the window
(`tf.io.decode_and_crop_jpeg`) and decoded video frames sliced, before the one
resize to the output size.
"""

import itertools

import tensorflow as tf

from keras_action.data.views import CROP_AREAS, EVAL_CROP_FRACTION

#: TSN multi-scale crop scales, relative to the shorter side.
SCALES = (1.0, 0.875, 0.75, 0.66)
# TSN `more_fix_crop` positions, in quarters of the free space (x, y).
_FIXED_POSITIONS = (
    (0, 0),
    (4, 0),
    (0, 4),
    (4, 4),
    (2, 2),
    (0, 2),
    (4, 2),
    (2, 4),
    (2, 0),
    (1, 1),
    (3, 1),
    (1, 3),
    (3, 3),
)


def multiscale_crop_window(
    height, width, output_size, seed, scales=SCALES, max_distort=1, area="frame"
):
    """TSN `GroupMultiScaleCrop`: a random scale pair and one of 13 fixed positions.

    The crop height and width are each `scale · min(height, width)` for scales
    at most `max_distort` steps apart in `scales` (scale jitter with limited
    aspect change); sizes within 3 px of `output_size` snap to it, as in TSN.
    The crop is placed at a corner, the centre or one of the quarter points
    of `area`: the whole frame, or its centred square ("centre"). On wide
    frames such as Jester's 176×100 a corner crop of the whole frame can
    leave out a performer standing in the middle, whom every evaluation
    crop shows.

    Args:
        height, width: scalar integer tensors, frame size.
        output_size: the size the crop will be resized to.
        seed: shape `(2,)` integer tensor for stateless random ops.
        scales: candidate scales of the shorter side.
        max_distort: how many steps apart the height and width scales may be.
        area: one of `CROP_AREAS`.

    Returns:
        int32 tensor `(1, 4)`: one window `[y, x, h, w]`.
    """
    if area not in CROP_AREAS:
        raise ValueError(f"area must be one of {CROP_AREAS}, got {area!r}")
    top = left = 0
    if area == "centre":
        side = tf.minimum(height, width)
        top, left = (height - side) // 2, (width - side) // 2
        height = width = side
    base = tf.cast(tf.minimum(height, width), tf.float32)
    sizes = tf.cast(base * tf.constant(scales, tf.float32), tf.int32)
    sizes = tf.where(tf.abs(sizes - output_size) < 3, output_size, sizes)
    sizes = tf.clip_by_value(sizes, 1, tf.cast(base, tf.int32))
    pairs = [
        (i, j)
        for i, j in itertools.product(range(len(scales)), repeat=2)
        if abs(i - j) <= max_distort
    ]
    choice_seeds = tf.random.experimental.stateless_split(seed, 2)
    pair = tf.gather(
        tf.constant(pairs, tf.int32), _randint(choice_seeds[0], len(pairs))
    )
    crop_h, crop_w = tf.gather(sizes, pair[0]), tf.gather(sizes, pair[1])
    position = tf.gather(
        tf.constant(_FIXED_POSITIONS, tf.int32),
        _randint(choice_seeds[1], len(_FIXED_POSITIONS)),
    )
    x = position[0] * ((width - crop_w) // 4)
    y = position[1] * ((height - crop_h) // 4)
    return tf.stack([top + y, left + x, crop_h, crop_w])[tf.newaxis]


def center_crop_windows(height, width, num_crops=1, crop_fraction=EVAL_CROP_FRACTION):
    """Evaluation crops: squares of `crop_fraction` of the shorter side.

    With one crop this equals resizing the shorter side to
    `image_size / crop_fraction` and centre-cropping `image_size`. Three crops
    sit at the start, centre and end of the longer side (centred on the
    shorter one), covering the whole frame like TSM's three-crop testing. The
    one crop is `keras_action.data.views.centre_crop_window` in graph code.

    Args:
        height, width: scalar integer tensors, frame size.
        num_crops: 1 or 3.
        crop_fraction: crop side relative to the shorter side.

    Returns:
        int32 tensor `(num_crops, 4)` of windows `[y, x, h, w]`.
    """
    if num_crops not in (1, 3):
        raise ValueError(f"num_crops must be 1 or 3, got {num_crops}")
    side = tf.cast(
        tf.cast(tf.minimum(height, width), tf.float32) * crop_fraction, tf.int32
    )
    side = tf.maximum(side, 1)
    free_y, free_x = height - side, width - side
    if num_crops == 1:
        steps = tf.constant([1], tf.int32)
    else:
        steps = tf.constant([0, 1, 2], tf.int32)
    # The longer side takes the listed positions; the shorter one stays centred.
    along_x = free_x >= free_y
    xs = tf.where(along_x, steps * free_x // 2, tf.fill(tf.shape(steps), free_x // 2))
    ys = tf.where(along_x, tf.fill(tf.shape(steps), free_y // 2), steps * free_y // 2)
    sides = tf.fill(tf.shape(steps), side)
    return tf.stack([ys, xs, sides, sides], axis=1)


def crop_frames(frames, window):
    """Crops decoded frames `(N, H, W, C)` to `window = [y, x, h, w]`."""
    return tf.slice(
        frames, [0, window[0], window[1], 0], [-1, window[2], window[3], -1]
    )


def resize_frames(frames, size, dtype=tf.uint8):
    """Bilinear resize of `(N, h, w, 3)` frames to `(N, size, size, 3)` in [0, 255].

    uint8 results are rounded to the nearest integer.
    """
    if tf.as_dtype(dtype) != tf.uint8:
        return tf.cast(tf.image.resize(frames, [size, size]), dtype)
    # Bilinear weights are convex and sum to one, so resize(x + ½) equals
    # resize(x) + ½, stays within [½, 255½], and truncating it rounds. Adding
    # the ½ to the smaller of input and output saves a pass over the larger.
    shape = tf.shape(frames)
    input_size = shape[0] * shape[1] * shape[2]
    output_size = shape[0] * size * size
    resized = tf.cond(
        input_size < output_size,
        lambda: tf.image.resize(tf.cast(frames, tf.float32) + 0.5, [size, size]),
        lambda: tf.image.resize(frames, [size, size]) + 0.5,
    )
    return tf.cast(resized, tf.uint8)


def random_flip(clip, seed):
    """Flips a whole clip `(..., H, W, C)` left-right with probability ½."""
    return tf.cond(
        _randint(seed, 2) > 0,
        lambda: tf.reverse(clip, axis=[-2]),
        lambda: clip,
    )


def _randint(seed, upper):
    """Stateless random integer in `[0, upper)`."""
    return tf.random.stateless_uniform([], seed, maxval=upper, dtype=tf.int32)
