import keras
import numpy as np
import pytest

from keras_action.layers import CeilModeMaxPooling2D


def _ceil_mode_max(frames, size=3, stride=2):
    """PyTorch's MaxPool2d(size, stride, ceil_mode=True), written out: a last
    window may hang over the far edge and takes the max of what it covers."""
    _, height, width, _ = frames.shape

    def count(side):
        return -(-(side - size) // stride) + 1

    out = np.empty((frames.shape[0], count(height), count(width), frames.shape[3]))
    for i in range(count(height)):
        for j in range(count(width)):
            window = frames[
                :, i * stride : i * stride + size, j * stride : j * stride + size
            ]
            out[:, i, j] = window.max((1, 2))
    return out


@pytest.mark.parametrize("side", [4, 5, 6, 7, 8, 9, 112, 113])
def test_matches_pytorch_ceil_mode(side):
    # Negative values: padding with zeros instead of ignoring would show.
    frames = np.random.default_rng(side).normal(-5, 1, (2, side, side, 3))
    frames = frames.astype("float32")
    layer = CeilModeMaxPooling2D()
    actual = keras.ops.convert_to_numpy(layer(frames))
    np.testing.assert_array_equal(actual, _ceil_mode_max(frames))
    assert layer.compute_output_shape(frames.shape) == actual.shape


def test_sides_that_need_different_paddings_are_refused():
    with pytest.raises(ValueError, match=r"pool: .*\(1, 6, 7, 2\)"):
        CeilModeMaxPooling2D(name="pool")(np.zeros((1, 6, 7, 2), "float32"))


def test_windows_that_tensorflow_cannot_reproduce_are_refused():
    # k = 5, s = 2 on a side of 8: ceil mode gives 3 windows, "same" 4 (one
    # pixel padded before).
    with pytest.raises(ValueError, match="side of 8 with pool size 5 and stride 2"):
        CeilModeMaxPooling2D(5, 2)(np.zeros((1, 8, 8, 1), "float32"))


def test_a_one_pixel_overhang_with_other_sizes_is_reproduced():
    frames = np.random.default_rng(1).normal(-5, 1, (1, 7, 7, 2)).astype("float32")
    actual = keras.ops.convert_to_numpy(CeilModeMaxPooling2D(2, 3)(frames))
    np.testing.assert_array_equal(actual, _ceil_mode_max(frames, 2, 3))


def test_config_round_trips():
    layer = CeilModeMaxPooling2D(3, 2, name="pool1")
    restored = CeilModeMaxPooling2D.from_config(layer.get_config())
    assert (restored.pool_size, restored.strides, restored.name) == (3, 2, "pool1")
