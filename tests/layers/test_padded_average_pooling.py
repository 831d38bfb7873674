import keras
import numpy as np
import pytest

from keras_action.layers import PaddedAveragePooling2D


def _pytorch_average(frames, size):
    """AvgPool2d(size, 1, size // 2) with count_include_pad, written out."""
    pad = size // 2
    padded = np.pad(frames, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    _, height, width, _ = frames.shape
    out = np.zeros_like(frames)
    for i in range(height):
        for j in range(width):
            out[:, i, j] = padded[:, i : i + size, j : j + size].sum((1, 2))
    return out / size**2


@pytest.mark.parametrize("size", [3, 5])
def test_borders_divide_by_the_whole_window(size):
    frames = np.random.default_rng(0).normal(size=(2, 6, 7, 4)).astype("float32")
    actual = keras.ops.convert_to_numpy(PaddedAveragePooling2D(size)(frames))
    np.testing.assert_allclose(actual, _pytorch_average(frames, size), atol=1e-6)


def test_differs_from_keras_same_average_pooling_at_the_border():
    frames = np.ones((1, 4, 4, 1), "float32")
    ours = keras.ops.convert_to_numpy(PaddedAveragePooling2D()(frames))
    keras_same = keras.layers.AveragePooling2D(3, 1, padding="same")(frames)
    assert ours[0, 0, 0, 0] == pytest.approx(4 / 9)
    assert keras.ops.convert_to_numpy(keras_same)[0, 0, 0, 0] == pytest.approx(1.0)


def test_has_no_weights_and_config_round_trips():
    layer = PaddedAveragePooling2D(5, name="pool")
    layer.build((None, 8, 8, 3))
    assert layer.weights == []
    restored = PaddedAveragePooling2D.from_config(layer.get_config())
    assert restored.pool_size == 5 and restored.name == "pool"


@pytest.mark.parametrize("size", [2, 0, 3.0])
def test_even_or_non_int_sizes_are_refused(size):
    with pytest.raises(ValueError, match="odd positive int"):
        PaddedAveragePooling2D(size)
