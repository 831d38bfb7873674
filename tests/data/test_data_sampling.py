import numpy as np
import pytest
import tensorflow as tf

from keras_action.data import segment_indices


def indices(n, t, training, clips=1, seed=(1, 2)):
    seed = tf.constant(seed, tf.int64) if training else None
    return segment_indices(n, t, training, clips, seed).numpy()


@pytest.mark.parametrize("n", [8, 9, 37, 100])
def test_training_takes_one_frame_inside_each_segment(n):
    t = 8
    seen = set()
    for seed in range(40):
        got = indices(n, t, True, seed=(seed, 0))[0]
        low = np.arange(t) * n // t
        high = (np.arange(t) + 1) * n // t
        assert np.all(got >= low) and np.all(got < high)
        seen.update(got.tolist())
    # Random: over many draws most frames of the video get used.
    assert len(seen) >= 0.75 * n


def test_training_is_random_and_reproducible():
    a, b = indices(100, 8, True, seed=(3, 4)), indices(100, 8, True, seed=(3, 4))
    c = indices(100, 8, True, seed=(5, 6))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_validation_takes_segment_centres():
    np.testing.assert_array_equal(indices(80, 8, False)[0], np.arange(8) * 10 + 5)
    np.testing.assert_array_equal(indices(10, 4, False)[0], [1, 3, 6, 8])


def test_test_clips_are_evenly_spread_within_segments():
    got = indices(80, 4, False, clips=4)  # segments of 20 frames
    assert got.shape == (4, 4)
    np.testing.assert_array_equal(got[:, 0], [2, 7, 12, 17])
    np.testing.assert_array_equal(got[1], np.array([7, 27, 47, 67]))
    # One clip is exactly the validation sampling.
    np.testing.assert_array_equal(indices(80, 4, False, clips=1), indices(80, 4, False))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("n", [1, 3, 5])
def test_short_videos_repeat_frames_without_reading_past_the_end(n, training):
    got = indices(n, 8, training)[0]
    assert got.shape == (8,)
    assert got.min() >= 0 and got.max() <= n - 1
    assert np.all(np.diff(got) >= 0)
    assert set(got.tolist()) == set(range(n))  # every frame used, in order


def test_training_rejects_several_clips():
    with pytest.raises(ValueError, match="num_clips"):
        segment_indices(10, 4, True, num_clips=2)


def test_works_in_a_graph_with_a_dynamic_frame_count():
    fn = tf.function(lambda n: segment_indices(n, 4, False, 2))
    assert fn(tf.constant(12)).numpy().tolist() == [[0, 3, 6, 9], [2, 5, 8, 11]]
