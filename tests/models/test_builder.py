import keras
import numpy as np
import pytest

import keras_action
from keras_action.models import build_model, temporal_module


def _clips(batch=2, segments=4, size=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (batch, segments, size, size, 3)).astype("float32")


def _tiny(backbone="mobilenet_v2", module="action", **kwargs):
    return build_model(
        backbone, module, num_classes=5, num_segments=4, image_size=32, **kwargs
    )


@pytest.mark.parametrize("backbone", ["mobilenet_v2", "resnet50", "resnet50_torch"])
@pytest.mark.parametrize("module", ["tsn", "tsm", "action"])
def test_clips_in_logits_out(backbone, module):
    model = _tiny(backbone, module)
    assert model.input_shape == (None, 4, 32, 32, 3)
    logits = model.predict(_clips(), verbose=0)
    assert logits.shape == (2, 5) and logits.dtype == np.float32
    assert np.all(np.isfinite(logits))


def test_logits_are_the_average_over_segments():
    model = _tiny(module="tsn")
    clips = _clips()
    frame_model = keras.Model(model.input, model.get_layer("classifier").output)
    per_frame = frame_model.predict(clips, verbose=0).reshape(2, 4, 5)
    np.testing.assert_allclose(
        model.predict(clips, verbose=0), per_frame.mean(axis=1), rtol=1e-5, atol=1e-6
    )


def test_order_of_frames_matters_for_action_but_not_for_tsn():
    clips = _clips()
    reversed_clips = clips[:, ::-1]
    for module, order_matters in (("tsn", False), ("action", True)):
        model = _tiny(module=module)
        forward = model.predict(clips, verbose=0)
        backward = model.predict(reversed_clips, verbose=0)
        assert order_matters != np.allclose(forward, backward, rtol=1e-4, atol=0)


def test_uint8_clips_give_the_same_logits():
    model = _tiny()
    clips = _clips()
    np.testing.assert_array_equal(
        model.predict(clips.astype("uint8"), verbose=0), model.predict(clips, verbose=0)
    )


def test_keras_file_round_trip_in_safe_mode(tmp_path):
    model = _tiny()
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path, safe_mode=True)
    clips = _clips()
    np.testing.assert_array_equal(
        restored.predict(clips, verbose=0), model.predict(clips, verbose=0)
    )


def test_backbone_weights_file_is_loaded(tmp_path):
    source = keras.applications.MobileNetV2(
        input_shape=(32, 32, 3), include_top=False, weights=None, pooling="avg"
    )
    path = tmp_path / "backbone.weights.h5"
    source.save_weights(path)
    model = _tiny(weights=str(path))
    backbone = model.get_layer("mobilenet_v2_action")
    for layer in (layer for layer in source.layers if layer.weights):
        for expected, actual in zip(
            layer.get_weights(),
            backbone.get_layer(layer.name).get_weights(),
            strict=True,
        ):
            np.testing.assert_array_equal(expected, actual)


def test_normalization_modes():
    clips = np.full((1, 4, 32, 32, 3), 255.0, "float32")
    normalized = {}
    for mode in (None, "imagenet", "caffe"):
        model = _tiny(normalization=mode)
        layer = model.get_layer("normalization")
        normalized[mode] = keras.ops.convert_to_numpy(layer(clips))[0, 0, 0, 0]
    np.testing.assert_allclose(normalized[None], [1.0, 1.0, 1.0])
    np.testing.assert_allclose(
        normalized["imagenet"],
        (1 - np.array([0.485, 0.456, 0.406])) / [0.229, 0.224, 0.225],
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        normalized["caffe"], 255 - np.array([103.939, 116.779, 123.68])
    )
    with pytest.raises(ValueError, match="normalization"):
        _tiny(normalization="zscore")


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_model_returns_float32_logits(policy):
    keras.config.set_dtype_policy(policy)
    model = _tiny()
    logits = model.predict(_clips(), verbose=0)
    assert logits.dtype == np.float32 and np.all(np.isfinite(logits))


def test_user_factory_and_unknown_names():
    model = _tiny(
        module=lambda channels: keras_action.layers.TemporalShift(4, shift_div=4)
    )
    assert model.get_layer("mobilenet_v2_custom").get_layer("block_2_expand_temporal")
    with pytest.raises(ValueError, match="Unknown module"):
        temporal_module("tam", 4)
    with pytest.raises(ValueError, match="Unknown backbone"):
        _tiny(backbone="vgg16")
    with pytest.raises(ValueError, match="ResNet backbones only"):
        _tiny(stages=(2,))


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(num_segments=0), "`num_segments` must be a whole number"),
        (dict(num_classes=0), "`num_classes` must be a whole number"),
        (
            dict(image_size=1, backbone="resnet50_torch"),
            "`image_size` must be at least 32",
        ),
        (
            dict(image_size=31, backbone="mobilenet_v2_torch"),
            "`image_size` must be at least 32",
        ),
        (dict(dropout=1.0), "`dropout` must be in"),
        (dict(module="tsm", shift_div=0), "`shift_div` must be a whole number"),
        (dict(module="tsm", shift_div=1000), "shift_div=1000 shifts no channel"),
        (dict(module="action", reduction=0), "`reduction` must be a whole number"),
    ],
)
def test_bad_arguments_are_named(options, message):
    options = {"module": "tsn", "num_segments": 2, "image_size": 32, **options}
    with pytest.raises(ValueError, match=message):
        build_model(**options)
