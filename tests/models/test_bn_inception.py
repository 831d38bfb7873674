"""BN-Inception: the layout of the official port and where each module goes."""

import keras
import numpy as np
import pytest

from keras_action.models import build_model, model_stats, with_image_size
from keras_action.models.bn_inception import BNInception
from tests.models.common import temporal_layers

SEGMENTS = 4

#: Counted from the official layout (TSM's `archs/bn_inception.py`): 69
#: convolutions with biases, 10,250,208 parameters, and 69 BatchNorms,
#: 20,032 scales and offsets.
BACKBONE_PARAMETERS = 10_270_240
#: Inputs of blocks 3a…5b, where ACTION-Net acts in place (shared facts file).
ACTION_CHANNELS = [192, 256, 320, 576, 576, 576, 608, 608, 1056, 1024]
#: GSM's `fPlane`: the first conv of each block's first branch (GSM's yaml).
GSM_CHANNELS = [64, 64, 128, 224, 192, 160, 96, 128, 352, 352]


def _model(module, size=32):
    return build_model("bninception", module, 5, SEGMENTS, size)


def test_backbone_parameters_and_features():
    backbone = BNInception(input_shape=(64, 64, 3))
    assert backbone.output_shape == (None, 1024)
    trainable = sum(np.prod(w.shape) for w in backbone.trainable_weights)
    assert trainable == BACKBONE_PARAMETERS


def test_official_names_and_ceil_mode_pooling():
    backbone = BNInception(input_shape=(224, 224, 3))
    assert backbone.get_layer("inception_3a_1x1").kernel.shape == (1, 1, 192, 64)
    assert backbone.get_layer("inception_3a_1x1_bn").epsilon == 1e-5
    # Ceil mode: 112 -> 56 -> 28 (floor mode would give 55 and 27).
    assert backbone.get_layer("pool1_3x3_s2").output.shape[1:3] == (56, 56)
    assert backbone.get_layer("pool2_3x3_s2").output.shape[1:3] == (28, 28)
    assert backbone.get_layer("inception_4e_output").output.shape[1:] == (7, 7, 1056)


def test_frames_that_do_not_halve_evenly_are_refused_clearly():
    with pytest.raises(ValueError, match=r"inception_3c: .*multiples of 32"):
        BNInception(input_shape=(172, 172, 3))


def test_only_a_backbone_without_imagenet_weights():
    with pytest.raises(ValueError, match="include_top=False"):
        BNInception(include_top=True)
    with pytest.raises(ValueError, match="No ImageNet weights"):
        BNInception(weights="imagenet")


@pytest.mark.parametrize(
    "module, channels",
    [
        ("action", ACTION_CHANNELS),
        ("smnet", ACTION_CHANNELS),
        ("tsm", [64, *ACTION_CHANNELS]),
        ("gsm", GSM_CHANNELS),
        ("tsn", []),
    ],
)
def test_each_module_goes_where_its_official_code_puts_it(module, channels):
    model = _model(module)
    assert [
        layer.input.shape[-1] for layer in temporal_layers(model, "bninception")
    ] == channels


def test_action_excites_a_block_input_for_all_its_branches():
    frame_model = _model("action").get_layer("bninception_action")
    action = frame_model.get_layer("inception_3a_output_temporal")
    consumers = ["1x1", "3x3_reduce", "double_3x3_reduce", "pool"]
    for consumer in consumers:
        layer = frame_model.get_layer(f"inception_3b_{consumer}")
        assert layer.input is action.output, consumer


def test_gsm_sits_between_a_conv_and_its_batch_norm():
    frame_model = _model("gsm").get_layer("bninception_gsm")
    gsm = frame_model.get_layer("inception_3c_3x3_reduce_temporal")
    assert gsm.input is frame_model.get_layer("inception_3c_3x3_reduce").output
    assert frame_model.get_layer("inception_3c_3x3_reduce_bn").input is gsm.output


def test_parameters_that_each_module_adds():
    """Per module, ACTION: 3C + 27 + 4Cr + 3r² + 11r (r = C // 16), GSM:
    29C + 2 (shared facts file)."""
    tsn, action, gsm = (
        model_stats(_model(module))["trainable_params"]
        for module in ("tsn", "action", "gsm")
    )
    assert action - tsn == sum(
        3 * c + 27 + 4 * c * (c // 16) + 3 * (c // 16) ** 2 + 11 * (c // 16)
        for c in ACTION_CHANNELS
    )
    assert gsm - tsn == sum(29 * c + 2 for c in GSM_CHANNELS)


def test_stages_apply_to_resnets_only():
    with pytest.raises(ValueError, match="BN-Inception"):
        build_model("bninception", "action", 5, SEGMENTS, 32, stages=(3,))


def test_a_clip_model_trains_a_step():
    model = _model("action")
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    clips = np.random.default_rng(0).uniform(0, 255, (2, SEGMENTS, 32, 32, 3))
    history = model.fit(clips, np.array([0, 3]), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_a_resized_model_keeps_the_pytorch_pooling_windows():
    """Built at 33² (pool1 meets an odd side: "valid"), resized to 64² (even
    sides: "same"): the pooling follows the new size, so the resized model
    equals one built at 64² with the same weights."""
    small = _model("tsm", size=33)
    resized = with_image_size(small, 64)
    built = _model("tsm", size=64)
    built.set_weights(small.get_weights())
    clips = np.random.default_rng(0).uniform(0, 255, (1, SEGMENTS, 64, 64, 3))
    np.testing.assert_allclose(
        resized.predict(clips, verbose=0), built.predict(clips, verbose=0), atol=1e-6
    )
