"""GSM, STSM and SMNet in whole networks, placed where ACTION-Net goes."""

import keras
import numpy as np
import pytest

from keras_action import layers
from keras_action.models import build_model, model_stats
from tests.models.common import temporal_layers, trained_like

RELATIVES = {
    "gsm": layers.GateShift,
    "stsm": layers.SpatioTemporalShift,
    "smnet": layers.SMNetBlock,
}
# Block input channels at the insertion points (docs/temporal-modules.md).
MOBILENET_V2_CHANNELS = (24, 32, 32, 64, 64, 64, 96, 96, 160, 160)
RESNET50_CHANNELS = (64,) + (256,) * 3 + (512,) * 4 + (1024,) * 6 + (2048,) * 2


def _tiny(module, backbone="mobilenet_v2"):
    return build_model(backbone, module, num_classes=5, num_segments=4, image_size=32)


def _clips(seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (2, 4, 32, 32, 3)).astype("float32")


@pytest.fixture(scope="module")
def mobilenet_v2_tsn_params():
    return model_stats(_tiny("tsn"))["trainable_params"]


@pytest.mark.parametrize("module", sorted(RELATIVES))
def test_relatives_sit_in_the_ten_mobilenet_v2_blocks(module):
    model = _tiny(module)
    inserted = temporal_layers(model, "mobilenet_v2")
    assert [layer.name for layer in inserted] == [
        f"block_{n}_expand_temporal" for n in (2, 4, 5, 7, 8, 9, 11, 12, 14, 15)
    ]
    assert all(type(layer) is RELATIVES[module] for layer in inserted)
    logits = model.predict(_clips(), verbose=0)
    assert logits.shape == (2, 5) and np.all(np.isfinite(logits))


@pytest.mark.parametrize("module", ["tsn", *sorted(RELATIVES)])
def test_frame_order_changes_the_logits_of_temporal_modules_only(module):
    """Reversed clips, with a trained model's scales (fresh GSM gates are closed
    and SMNet's excitation all but vanishes): a temporal module moves the
    logits by a sizeable part of their range (0.5-1.0 measured), TSN's only by
    rounding (1e-7)."""
    model = trained_like(_tiny(module))
    clips = _clips()
    logits = model.predict(clips, verbose=0)
    change = np.abs(logits - model.predict(clips[:, ::-1], verbose=0)).max()
    relative = change / np.abs(logits).max()
    assert relative < 1e-5 if module == "tsn" else relative > 0.05


def test_gsm_in_the_sixteen_resnet50_bottlenecks_adds_29c_plus_2_each():
    gsm, tsn = _tiny("gsm", "resnet50_torch"), _tiny("tsn", "resnet50_torch")
    inserted = temporal_layers(gsm, "resnet50_torch")
    assert [layer.input.shape[-1] for layer in inserted] == list(RESNET50_CHANNELS)
    added = model_stats(gsm)["trainable_params"] - model_stats(tsn)["trainable_params"]
    assert added == sum(29 * c + 2 for c in RESNET50_CHANNELS) == 380_512


@pytest.mark.parametrize(
    "module, added",
    [
        ("gsm", sum(29 * c + 2 for c in MOBILENET_V2_CHANNELS)),
        ("stsm", 0),
        (
            "smnet",
            sum(
                3 * c + 98 + 2 * c * (c // 16) + 11 * (c // 16) + 2 * c
                for c in MOBILENET_V2_CHANNELS
            ),
        ),
    ],
)
def test_mobilenet_v2_parameters_added(module, added, mobilenet_v2_tsn_params):
    difference = (
        model_stats(_tiny(module))["trainable_params"] - mobilenet_v2_tsn_params
    )
    assert difference == added


def test_keras_file_round_trip_in_safe_mode(tmp_path):
    frames = keras.Input(batch_shape=(8, 8, 8, 32))
    x = frames
    for layer_class in RELATIVES.values():
        x = layer_class(4)(x)
    model = keras.Model(frames, x)
    path = tmp_path / "relatives.keras"
    model.save(path)
    restored = keras.saving.load_model(path, safe_mode=True)
    inputs = np.random.default_rng(0).normal(size=(8, 8, 8, 32)).astype("float32")
    np.testing.assert_array_equal(
        restored.predict(inputs, verbose=0), model.predict(inputs, verbose=0)
    )
