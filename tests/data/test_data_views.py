import numpy as np
import pytest

from keras_action.data import augment, segment_indices
from keras_action.data.views import centre_crop_window, centre_indices


@pytest.mark.parametrize("num_segments", [1, 4, 8])
def test_centre_indices_are_the_pipelines_evaluation_indices(num_segments):
    for num_frames in [1, 2, 3, 7, 8, 9, 37, 100, 1001]:
        expected = segment_indices(num_frames, num_segments, training=False).numpy()
        got = centre_indices(num_frames, num_segments)
        np.testing.assert_array_equal(got, expected[0], err_msg=f"n={num_frames}")


def test_centre_indices_take_the_middle_of_each_segment():
    np.testing.assert_array_equal(centre_indices(10, 4), [1, 3, 6, 8])
    np.testing.assert_array_equal(centre_indices(2, 4), [0, 0, 1, 1])


@pytest.mark.parametrize(
    "height, width", [(1, 1), (7, 3), (32, 32), (100, 176), (240, 320), (481, 17)]
)
def test_centre_crop_window_is_the_pipelines_centre_crop(height, width):
    (window,) = augment.center_crop_windows(height, width).numpy()
    top, left, side = centre_crop_window(height, width)
    assert [top, left, side, side] == window.tolist()


def test_centre_crop_window_keeps_224_of_256():
    assert centre_crop_window(256, 320) == (16, 48, 224)
