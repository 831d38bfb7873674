"""Dense sampling: T consecutive frames at a fixed stride, as a stream sees them."""

import numpy as np
import pytest
import tensorflow as tf

from keras_action.data import dense_indices
from keras_action.data.pipeline import ClipBuilder, ClipConfig


def indices(n, t, stride, training, clips=1, seed=(1, 2)):
    seed = tf.constant(seed, tf.int64) if training else None
    return dense_indices(n, t, stride, training, clips, seed).numpy()


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_training_takes_a_window_at_the_stride_from_a_random_start(stride):
    n, t = 40, 8
    span = (t - 1) * stride + 1
    starts = set()
    for seed in range(60):
        got = indices(n, t, stride, True, seed=(seed, 0))[0]
        np.testing.assert_array_equal(np.diff(got), stride)
        assert got[0] >= 0 and got[-1] < n
        starts.add(int(got[0]))
    # Every start that keeps the window inside the video is possible.
    assert starts <= set(range(n - span + 1))
    assert len(starts) >= 0.6 * (n - span + 1)


def test_training_is_reproducible_with_a_seed():
    a, b = indices(100, 8, 2, True, seed=(3, 4)), indices(100, 8, 2, True, seed=(3, 4))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("n, expected", [(20, [6, 8, 10, 12]), (8, [0, 2, 4, 6])])
def test_evaluation_centres_the_window(n, expected):
    np.testing.assert_array_equal(indices(n, 4, 2, False)[0], expected)


def test_evaluation_spreads_several_windows():
    got = indices(30, 4, 1, False, clips=3)
    np.testing.assert_array_equal(got[:, 0], [4, 13, 21])  # slack 26 at 1/6, 3/6, 5/6
    np.testing.assert_array_equal(np.diff(got, axis=1), 1)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("n", [1, 3, 7])
def test_short_videos_repeat_their_last_frame(n, training):
    got = indices(n, 8, 2, training)[0]
    expected = np.minimum(np.arange(8) * 2, n - 1)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("stride", [0, -1, 1.5, True])
def test_a_bad_stride_is_an_error_naming_it(stride):
    with pytest.raises(ValueError, match="frame_stride"):
        dense_indices(10, 4, stride, False)


def test_the_pipeline_samples_densely_when_given_a_stride():
    dense = ClipBuilder(ClipConfig(num_segments=4, frame_stride=3))
    tsn = ClipBuilder(ClipConfig(num_segments=4))
    np.testing.assert_array_equal(dense.indices(40, None).numpy(), [15, 18, 21, 24])
    np.testing.assert_array_equal(tsn.indices(40, None).numpy(), [5, 15, 25, 35])
    with pytest.raises(ValueError, match="frame_stride"):
        ClipConfig(frame_stride=0)
