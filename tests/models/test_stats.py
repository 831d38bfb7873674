"""The published parameter and FLOPs figures, at the papers' 83 classes, 8 x 224²."""

import pytest

from keras_action.models import build_model, model_stats


def _stats(backbone, module):
    model = build_model(
        backbone, module, num_classes=83, num_segments=8, image_size=224
    )
    return model_stats(model)


@pytest.fixture(scope="module")
def mobilenet_v2():
    return {
        module: _stats("mobilenet_v2", module) for module in ("tsn", "tsm", "action")
    }


def test_mobilenet_v2_parameters_match_the_official_code(mobilenet_v2):
    assert mobilenet_v2["action"]["trainable_params"] == 2_355_455
    assert mobilenet_v2["tsm"]["trainable_params"] == 2_330_195
    assert mobilenet_v2["tsn"]["trainable_params"] == 2_330_195


def test_mobilenet_v2_flops(mobilenet_v2):
    per_frame = mobilenet_v2["tsm"]["flops"] / 8
    assert 295e6 < per_frame < 305e6  # MobileNetV2 is ~300 M multiply-adds at 224²
    assert mobilenet_v2["tsm"]["flops"] == mobilenet_v2["tsn"]["flops"]
    overhead = mobilenet_v2["action"]["flops"] / mobilenet_v2["tsm"]["flops"] - 1
    assert 0 < overhead <= 0.010


@pytest.mark.parametrize("backbone", ["resnet50", "resnet50_torch"])
def test_resnet50_action_adds_the_official_parameter_count(backbone):
    difference = (
        _stats(backbone, "action")["trainable_params"]
        - _stats(backbone, "tsm")["trainable_params"]
    )
    assert difference == 4_217_820


def test_resnet50_flops_overhead_in_the_official_layout():
    tsm, action = _stats("resnet50_torch", "tsm"), _stats("resnet50_torch", "action")
    assert 4.05e9 < tsm["flops"] / 8 < 4.12e9  # torchvision: 4.09 G per frame
    assert 0 < action["flops"] / tsm["flops"] - 1 <= 0.055


def test_frame_models_are_counted_per_frame():
    model = build_model("mobilenet_v2", "tsm", num_classes=83, num_segments=8)
    backbone = model.get_layer("mobilenet_v2_tsm")
    per_clip = model_stats(model)["flops"]
    assert model_stats(backbone)["flops"] * 8 + 8 * 1280 * 83 == per_clip
