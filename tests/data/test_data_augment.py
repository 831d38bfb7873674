import numpy as np
import pytest
import tensorflow as tf

from keras_action.data import augment


def windows(height, width, size=224, draws=200, area="frame"):
    return np.array(
        [
            augment.multiscale_crop_window(
                height, width, size, tf.constant([i, 7]), area=area
            )[0]
            for i in range(draws)
        ]
    )


@pytest.mark.parametrize("height, width", [(100, 176), (240, 427), (64, 48)])
def test_multiscale_crops_stay_inside_the_frame(height, width):
    got = windows(height, width)
    y, x, h, w = got.T
    assert np.all(y >= 0) and np.all(x >= 0)
    assert np.all(y + h <= height) and np.all(x + w <= width)
    base = min(height, width)
    allowed = {int(base * s) for s in augment.SCALES} | {224}
    assert set(h.tolist()) <= allowed and set(w.tolist()) <= allowed


def test_multiscale_crops_jitter_scale_and_aspect_but_not_too_much():
    got = windows(240, 320, size=112)
    h, w = got[:, 2], got[:, 3]
    sizes = sorted({int(240 * s) for s in augment.SCALES}, reverse=True)
    steps = np.abs(
        np.array([sizes.index(v) for v in h]) - np.array([sizes.index(v) for v in w])
    )
    assert steps.max() == 1  # max_distort = 1: neighbouring scales only
    assert len(set(zip(h.tolist(), w.tolist(), strict=True))) == 10  # all pairs drawn
    # Corners, centre and quarter points: 5 distinct x positions for a small crop.
    small = got[(h == sizes[-1]) & (w == sizes[-1])]
    assert len(set(small[:, 1].tolist())) >= 4


@pytest.mark.parametrize("height, width", [(100, 176), (176, 100)])
def test_centre_area_crops_stay_in_the_centred_square(height, width):
    # Jester's 176x100: the centred square is x 38..138; TSN's positions over
    # the whole frame reach x 0 and x 176.
    got = windows(height, width, size=64, area="centre")
    y, x, h, w = got.T
    low = (max(height, width) - 100) // 2
    along, extent = (x, w) if width > height else (y, h)
    across, across_extent = (y, h) if width > height else (x, w)
    assert along.min() == low and (along + extent).max() == low + 100
    assert across.min() == 0 and (across + across_extent).max() == 100
    frame = windows(height, width, size=64)
    frame_along = frame[:, 1] if width > height else frame[:, 0]
    assert frame_along.min() == 0  # the default still uses the whole frame


def test_unknown_crop_area_is_an_error():
    with pytest.raises(ValueError, match="area must be one of"):
        augment.multiscale_crop_window(100, 176, 64, tf.constant([0, 1]), area="middle")


def test_centre_crop_matches_resize_then_crop():
    # Shorter side 256 -> crop 224 in the middle; for a 256x400 frame: y 16, x 88.
    window = augment.center_crop_windows(256, 400).numpy()
    np.testing.assert_array_equal(window, [[16, 88, 224, 224]])


@pytest.mark.parametrize("height, width, axis", [(100, 200, 1), (200, 100, 0)])
def test_three_crops_cover_the_longer_side(height, width, axis):
    got = augment.center_crop_windows(height, width, num_crops=3).numpy()
    side = int(min(height, width) * augment.EVAL_CROP_FRACTION)
    assert np.all(got[:, 2:] == side)
    along = got[:, axis]  # x when wide, y when tall
    free = max(height, width) - side
    np.testing.assert_array_equal(along, [0, free // 2, free])
    across = got[:, 1 - axis]
    assert np.all(across == (min(height, width) - side) // 2)


def test_resize_keeps_pixel_range_and_dtype():
    frames = tf.constant(np.tile([[[0], [255]]], (2, 5, 3, 3)).astype(np.uint8))
    out = augment.resize_frames(frames, 8)
    assert out.dtype == tf.uint8 and out.shape == (2, 8, 8, 3)
    out = augment.resize_frames(frames, 8, tf.float32).numpy()
    assert out.min() >= 0 and out.max() <= 255 and out.max() > 200


def test_random_flip_flips_whole_clips_half_the_time():
    clip = tf.constant(np.arange(2 * 1 * 3 * 1).reshape(2, 1, 3, 1))
    flipped = 0
    for i in range(100):
        out = augment.random_flip(clip, tf.constant([i, 0])).numpy()
        if out[0, 0, 0, 0] == 2:
            flipped += 1
            np.testing.assert_array_equal(out, clip.numpy()[:, :, ::-1])
        else:
            np.testing.assert_array_equal(out, clip.numpy())
    assert 25 < flipped < 75
