import keras
import numpy as np
import pytest

from keras_action.layers import PixelNormalization

PIXELS = np.array([[[[0.0, 128.0, 255.0]]]], "float32")  # one RGB pixel


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("tf", [-1.0, 128 / 127.5 - 1, 1.0]),
        # BGR: the blue value first, minus each channel's mean.
        ("caffe", [255 - 103.939, 128 - 116.779, 0 - 123.68]),
        ("bninception", [255 - 104.0, 128 - 117.0, 0 - 128.0]),
        (
            "torch",
            [
                (0 - 0.485) / 0.229,
                (128 / 255 - 0.456) / 0.224,
                (1 - 0.406) / 0.225,
            ],
        ),
    ],
)
def test_each_mode_normalises_one_pixel(mode, expected):
    actual = keras.ops.convert_to_numpy(PixelNormalization(mode)(PIXELS))
    np.testing.assert_allclose(actual[0, 0, 0], expected, rtol=1e-6, atol=1e-6)


def test_integer_pixels_are_cast():
    actual = PixelNormalization("bninception")(PIXELS.astype("uint8"))
    assert actual.dtype == "float32"


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="'bgr'"):
        PixelNormalization("bgr")


def test_config_round_trips():
    layer = PixelNormalization("bninception", name="normalization")
    restored = PixelNormalization.from_config(layer.get_config())
    assert restored.mode == "bninception" and restored.name == "normalization"
