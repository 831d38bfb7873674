"""Causal models and their streaming form: whole MobileNetV2 networks, and
BN-Inception's in-place placements."""

import keras
import numpy as np
import pytest

from keras_action.models import build_model, streaming_model, streaming_stats

SEGMENTS, SIZE, CLASSES = 4, 32, 5
MODULES = ["action", "tsm", "gsm", "stsm", "smnet"]
CASES = [("mobilenet_v2", module) for module in MODULES] + [
    ("bninception", module) for module in ("action", "tsm", "gsm")
]


def _numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


def _clips(batch=1, seed=0):
    rng = np.random.default_rng(seed)
    shape = (batch, SEGMENTS, SIZE, SIZE, 3)
    return rng.integers(0, 256, shape).astype("float32")


def _causal_model(module, backbone="mobilenet_v2"):
    model = build_model(
        backbone,
        module,
        num_classes=CLASSES,
        num_segments=SEGMENTS,
        image_size=SIZE,
        causal=True,
    )
    # Unit-scale classifier weights instead of N(0, 0.001), so that the logits
    # carry the features' differences.
    classifier = model.get_layer("classifier")
    kernel, bias = classifier.get_weights()
    rng = np.random.default_rng(2)
    classifier.set_weights([rng.normal(size=kernel.shape).astype("float32"), bias])
    return model


def _per_frame_logits(model, clips):
    probe = keras.Model(model.input, model.get_layer("classifier").output)
    return _numpy(probe(clips, training=False)).reshape(len(clips), SEGMENTS, -1)


def _assert_close(actual, expected):
    """Within 5e-5 of the largest magnitude: a randomly initialised MobileNetV2
    shrinks activations by orders of magnitude, so an absolute 1e-5 would
    hold for any output. BN-Inception with randomised statistics amplifies
    rounding instead: TensorFlow's oneDNN kernels, which fuse the per-frame
    STE convolution with its sigmoid, put its streamed logits 1.6e-5 of the
    largest from a float64 run of the clip model (the float32 clip: 3e-6;
    without oneDNN both are within 7e-6)."""
    scale = np.abs(expected).max()
    assert scale > 0
    np.testing.assert_allclose(actual / scale, expected / scale, atol=5e-5, rtol=0)


@pytest.fixture(scope="module", params=CASES, ids="-".join)
def causal_model(request):
    backbone, module = request.param
    return _causal_model(module, backbone)


@pytest.mark.parametrize("changed", [1, 3])
def test_whole_model_is_causal(causal_model, changed):
    """Editing frame t changes no per-frame logits before t, and t's."""
    clips = _clips()
    features = keras.Model(causal_model.input, causal_model.get_layer("dropout").input)
    edited = clips.copy()
    edited[:, changed] = _clips(seed=7)[:, changed]
    for probe in (
        features,
        keras.Model(causal_model.input, causal_model.layers[-2].output),
    ):
        before = _numpy(probe(clips, training=False)).reshape(SEGMENTS, -1)
        after = _numpy(probe(edited, training=False)).reshape(SEGMENTS, -1)
        np.testing.assert_array_equal(after[:changed], before[:changed])
        assert np.any(after[changed] != before[changed])


def test_streaming_t_frames_gives_the_clip_logits(causal_model):
    clips = _clips()
    expected_frames = _per_frame_logits(causal_model, clips)[0]
    expected = _numpy(causal_model(clips, training=False))[0]
    stream = streaming_model(causal_model)
    states = stream.initial_states()
    frame_logits = []
    for t in range(SEGMENTS):
        inputs = {"frame": clips[:, t], **states}
        inputs = {name: keras.ops.convert_to_tensor(x) for name, x in inputs.items()}
        outputs = stream(inputs, training=False)
        states = {name: outputs[name] for name in stream.state_specs}
        frame_logits.append(_numpy(outputs["frame_logits"])[0])
    _assert_close(np.stack(frame_logits), expected_frames)
    _assert_close(_numpy(outputs["logits"])[0], expected)
    logits, _ = stream.step(clips[:, 0], stream.initial_states())
    _assert_close(_numpy(logits)[0], expected_frames[0] / SEGMENTS)


def test_streaming_model_names_its_states_and_shares_the_weights(causal_model):
    stream = streaming_model(causal_model)
    names = set(stream.state_specs)
    assert "consensus_window" in names
    assert set(stream.input) == {"frame", *names}
    assert set(stream.output) == {"logits", "frame_logits", *names}
    assert all(len(spec.shape) <= 4 for spec in stream.state_specs.values())
    clip_weights = {id(weight) for weight in causal_model.weights}
    assert {id(weight) for weight in stream.weights} == clip_weights


def test_two_way_models_are_refused_with_the_layers_named():
    model = build_model(
        "mobilenet_v2", "tsm", num_classes=CLASSES, num_segments=SEGMENTS,
        image_size=SIZE,
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"causal=True.*block_2_expand_temporal"):
        streaming_model(model)


def _state_floats(module, shift_div=8):
    model = build_model(
        "mobilenet_v2", module, num_classes=27, num_segments=8, image_size=224,
        causal=True, shift_div=shift_div,
    )  # fmt: skip
    return streaming_stats(model)


def test_tsm_state_is_the_published_online_buffers():
    """TSM online at 224²: (56,56,3), (28,28,4)×2, (14,14,8)×3, (14,14,12)×2,
    (7,7,20)×2, plus the window of 7 previous logits of 27 classes."""
    buffers = 56 * 56 * 3 + 2 * 28 * 28 * 4 + 3 * 14 * 14 * 8
    buffers += 2 * 14 * 14 * 12 + 2 * 7 * 7 * 20
    stats = _state_floats("tsm")
    assert stats["state_floats"] == buffers + 7 * 27 == 27_237
    assert stats["state_tensors"] == 11 and stats["max_state_rank"] == 4


def test_action_mobilenet_v2_state_fits_in_one_mebibyte():
    stats = _state_floats("action")
    assert stats["state_bytes"] == 4 * stats["state_floats"] <= 2**20
    assert stats["max_state_rank"] <= 4
