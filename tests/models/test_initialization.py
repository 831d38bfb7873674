import math

import keras
import numpy as np
import tensorflow as tf

from keras_action.models import (
    build_model,
    initialize_like_torchvision,
    zero_init_residual,
)


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


def _gammas(backbone, suffix):
    return {
        layer.name: _numpy(layer.gamma)
        for layer in backbone.layers
        if layer.name.endswith(suffix)
    }


def test_zero_init_residual_zeroes_the_last_norm_of_each_mobilenet_branch():
    model = build_model("mobilenet_v2", "action", num_segments=2, image_size=32)
    # The blocks with a residual add: 2, 4, 5, 7, 8, 9, 11, 12, 14, 15.
    assert zero_init_residual(model) == 10
    gammas = _gammas(_backbone(model), "_project_BN")
    zeroed = sorted(
        int(name.split("_")[1]) for name, g in gammas.items() if not g.any()
    )
    assert zeroed == [2, 4, 5, 7, 8, 9, 11, 12, 14, 15]
    # Blocks without an add (their output is not a residual) keep scale 1.
    assert np.all(gammas["block_3_project_BN"] == 1)


def test_a_zeroed_branch_adds_nothing_and_still_learns():
    model = build_model("mobilenet_v2", "tsm", num_segments=2, image_size=32)
    zero_init_residual(model)
    backbone = _backbone(model)
    probe = keras.Model(
        backbone.input,
        [
            backbone.get_layer("block_1_project_BN").output,
            backbone.get_layer("block_2_add").output,
        ],
    )
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    identity, added = probe(x, training=False)
    np.testing.assert_allclose(_numpy(added), _numpy(identity), atol=1e-6)
    gamma = backbone.get_layer("block_2_project_BN").gamma
    with tf.GradientTape() as tape:
        loss = keras.ops.sum(keras.ops.square(probe(x, training=True)[1]))
    assert np.abs(_numpy(tape.gradient(loss, gamma.value))).max() > 0


def test_zero_init_residual_spares_resnet_shortcut_norms():
    model = build_model("resnet50", "tsn", num_segments=2, image_size=32)
    assert zero_init_residual(model) == 16  # 3 + 4 + 6 + 3 bottlenecks
    backbone = _backbone(model)
    assert not any(g.any() for g in _gammas(backbone, "_3_bn").values())
    assert all(np.all(g == 1) for g in _gammas(backbone, "_0_bn").values())
