import math

import keras
import numpy as np

from keras_action.models import build_model, initialize_like_torchvision


def _numpy(variable):
    return keras.ops.convert_to_numpy(variable)


def _backbone(model):
    (backbone,) = (layer for layer in model.layers if hasattr(layer, "layers"))
    return backbone


def test_backbone_kernels_are_he_normal_over_the_fan_out():
    model = build_model("mobilenet_v2", "tsm", num_segments=2, image_size=32)
    assert initialize_like_torchvision(model, seed=0) == 52
    backbone = _backbone(model)
    # A 3×3 depthwise kernel feeds 9 outputs per channel; Keras' Glorot start
    # gives sqrt(2 / (9·960 + 9)) ≈ 0.015 to this one, 30 times less.
    depthwise = np.std(_numpy(backbone.get_layer("block_16_depthwise").kernel))
    np.testing.assert_allclose(depthwise, math.sqrt(2 / 9), rtol=0.05)
    pointwise = np.std(_numpy(backbone.get_layer("Conv_1").kernel))
    np.testing.assert_allclose(pointwise, math.sqrt(2 / 1280), rtol=0.05)


def test_temporal_layers_classifier_and_biases_keep_their_start():
    model = build_model("mobilenet_v2", "action", num_segments=4, image_size=32)
    before = {v.path: _numpy(v) for v in model.weights}
    initialize_like_torchvision(model, seed=0)
    changed = {
        v.path for v in model.weights if not np.array_equal(before[v.path], _numpy(v))
    }
    assert changed and all(path.endswith("kernel") for path in changed)
    assert not any("temporal" in path or "classifier" in path for path in changed)


def test_the_same_seed_gives_the_same_start():
    kernels = []
    for _ in range(2):
        model = build_model("mobilenet_v2", "tsn", num_segments=2, image_size=32)
        initialize_like_torchvision(model, seed=3)
        kernels.append(_numpy(_backbone(model).get_layer("Conv1").kernel))
    np.testing.assert_array_equal(*kernels)
