"""MobileNetV3 (small, large, minimalistic) and width multipliers as backbones."""

import keras
import numpy as np
import pytest

from keras_action import build_model, model_stats
from keras_action.layers import HardSwish
from keras_action.models.backbones import BACKBONES, mobilenet_insertion_points
from tests.models.common import temporal_layers


@pytest.mark.parametrize(
    "backbone, blocks, channels",
    [
        ("mobilenet_v3_small", (2, 4, 5, 7, 9, 10), (24, 40, 40, 48, 96, 96)),
        (
            "mobilenet_v3_large",
            (2, 4, 5, 7, 8, 9, 11, 13, 14),
            (24, 40, 40, 80, 80, 80, 112, 160, 160),
        ),
    ],
)
@pytest.mark.parametrize("minimalistic", ["", "_minimalistic"])
def test_modules_sit_in_the_residual_blocks_with_an_expansion(
    backbone, blocks, channels, minimalistic
):
    """The MobileNetV2 rule: before the 1×1 expansion of every block that adds
    its input (MobileNetV3-Large's first block adds but has no expansion)."""
    backbone += minimalistic
    model = build_model(backbone, "action", 5, 4, image_size=32)
    inserted = temporal_layers(model, backbone)
    assert [layer.name for layer in inserted] == [
        f"expanded_conv_{n}_expand_temporal" for n in blocks
    ]
    assert tuple(layer.input.shape[-1] for layer in inserted) == channels


@pytest.mark.parametrize("alpha, channels", [(0.35, (8, 16, 16)), (1.4, (32, 48, 48))])
def test_mobilenet_v2_width_multiplier_keeps_the_ten_blocks(alpha, channels):
    model = build_model("mobilenet_v2", "tsm", 5, 4, image_size=32, alpha=alpha)
    inserted = temporal_layers(model, "mobilenet_v2")
    assert len(inserted) == 10
    assert tuple(layer.input.shape[-1] for layer in inserted[:3]) == channels
    full = model_stats(build_model("mobilenet_v2", "tsm", 5, 4, image_size=32))
    assert (model_stats(model)["trainable_params"] < full["trainable_params"]) == (
        alpha < 1
    )


def test_alpha_is_refused_where_there_is_no_width_multiplier():
    with pytest.raises(ValueError, match="`alpha`.*MobileNet.*'resnet50'"):
        build_model("resnet50", "tsm", 5, 4, image_size=32, alpha=0.5)


@pytest.mark.parametrize("backbone", ["mobilenet_v3_small", "mobilenet_v3_large"])
def test_hard_swish_computes_what_keras_mobilenet_v3_computes(backbone):
    """The backbone with `HardSwish` (which int8 XNNPACK runs) in place of Keras'
    hard-swish `Activation`: same weights, same features."""
    constructor = {
        "mobilenet_v3_small": keras.applications.MobileNetV3Small,
        "mobilenet_v3_large": keras.applications.MobileNetV3Large,
    }[backbone]
    options = dict(input_shape=(64, 64, 3), include_top=False, weights=None)
    original = constructor(include_preprocessing=False, pooling="avg", **options)
    edge = BACKBONES[backbone].constructor(pooling="avg", **options)
    assert sum(isinstance(layer, HardSwish) for layer in edge.layers) > 0
    assert not [
        layer
        for layer in edge.layers
        if isinstance(layer, keras.layers.Activation)
        and layer.get_config()["activation"] == "hard_silu"
    ]
    edge.set_weights(original.get_weights())
    frames = np.random.default_rng(0).uniform(-1, 1, (2, 64, 64, 3)).astype("float32")
    np.testing.assert_allclose(
        edge.predict(frames, verbose=0),
        original.predict(frames, verbose=0),
        rtol=1e-5,
        atol=1e-5,
    )
    assert mobilenet_insertion_points(edge) == mobilenet_insertion_points(original)
