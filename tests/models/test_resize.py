import numpy as np
import pytest

from keras_action.models import build_model, with_image_size
from tests.models.common import trained_like


def _clips(size, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, (2, 4, size, size, 3)).astype("float32")


@pytest.mark.parametrize(
    "backbone, module", [("mobilenet_v2", "action"), ("resnet50_torch", "gsm")]
)
def test_a_larger_view_computes_what_a_model_built_for_it_computes(backbone, module):
    model = trained_like(build_model(backbone, module, 5, 4, image_size=32))
    resized = with_image_size(model, 64)
    assert resized.input_shape == (None, 4, 64, 64, 3)
    built = build_model(backbone, module, 5, 4, image_size=64)
    built.set_weights(model.get_weights())
    clips = _clips(64)
    expected = built.predict(clips, verbose=0)
    np.testing.assert_allclose(
        resized.predict(clips, verbose=0), expected, rtol=1e-5, atol=1e-5
    )
    same = with_image_size(model, 32)
    np.testing.assert_allclose(
        same.predict(_clips(32), verbose=0),
        model.predict(_clips(32), verbose=0),
        rtol=1e-6,
        atol=1e-6,
    )
    assert model.input_shape == (None, 4, 32, 32, 3)  # the original is unchanged


def test_sizes_below_the_backbone_stride_are_refused():
    model = build_model("mobilenet_v2", "tsm", 5, 4, image_size=32)
    with pytest.raises(ValueError, match="at least 32, got 16"):
        with_image_size(model, 16)
