"""Conversion to `.tflite`: numerics, quantization modes, signature and errors."""

import keras
import numpy as np
import pytest

from keras_action import build_model, layers
from keras_action.data import load_jester, write_synthetic_jester
from keras_action.export import LiteRTRunner, calibration_clips, to_tflite
from keras_action.export.tflite import in_float32

SEGMENTS, SIZE, CLASSES = 4, 32, 4


def random_clips(count, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, (count, SEGMENTS, SIZE, SIZE, 3)).astype("float32")


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(1)
    model = build_model("mobilenet_v2", "action", CLASSES, SEGMENTS, SIZE)
    # The official classifier init (std 0.001) gives logits near 1e-14; larger
    # weights make relative comparisons meaningful.
    classifier = model.get_layer("classifier")
    kernel, bias = classifier.get_weights()
    rng = np.random.default_rng(0)
    classifier.set_weights(
        [rng.normal(0, 1.0, kernel.shape), rng.normal(0, 1.0, bias.shape)]
    )
    return model


@pytest.fixture(scope="module")
def contents(model):
    calibration = random_clips(8, seed=1)
    return {
        mode: to_tflite(model, quantize=mode, representative_clips=calibration)
        for mode in ("none", "float16", "dynamic", "int8")
    }


def test_float32_logits_match_keras(model, contents):
    runner = LiteRTRunner(contents["none"])
    for clip in random_clips(3):
        expected = keras.ops.convert_to_numpy(model(clip[None]))
        actual = runner(clip)
        assert actual.shape == (1, CLASSES)
        scale = np.abs(expected).max()
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * scale)


def test_signature_has_readable_names(contents):
    runner = LiteRTRunner(contents["none"])
    signature = runner.interpreter.get_signature_list()
    assert signature == {"serving_default": {"inputs": ["clip"], "outputs": ["logits"]}}
    assert runner.input_shape == (SEGMENTS, SIZE, SIZE, 3)


@pytest.mark.parametrize(
    ("mode", "tolerance", "input_dtype"),
    [
        ("float16", 0.02, np.float32),
        ("dynamic", 0.25, np.float32),
        ("int8", 0.5, np.int8),
    ],
)
def test_quantized_models_stay_close_to_float(
    model, contents, mode, tolerance, input_dtype
):
    runner = LiteRTRunner(contents[mode])
    assert runner.input_dtype == input_dtype
    assert len(contents[mode]) < 0.6 * len(contents["none"])
    for clip in random_clips(2, seed=3):
        expected = keras.ops.convert_to_numpy(model(clip[None]))
        actual = runner(clip)
        assert actual.dtype == np.float32
        error = np.abs(actual - expected).max() / np.abs(expected).max()
        assert error < tolerance, f"{mode}: relative error {error:.3f}"


def test_int8_input_is_pixels_minus_128(contents):
    details = LiteRTRunner(contents["int8"]).interpreter.get_input_details()[0]
    scale, zero_point = details["quantization"]
    # Calibration pixels span [0, 255]: the int8 input is the pixel minus 128.
    assert details["dtype"] == np.int8
    assert scale == pytest.approx(1.0, rel=0.01)
    assert zero_point == -128


def test_writes_file_and_labels(model, tmp_path):
    path = tmp_path / "out" / "action.tflite"
    content = to_tflite(model, path, class_names=["a", "b", "c", "d"])
    assert path.read_bytes() == content
    assert (tmp_path / "out" / "labels.txt").read_text() == "a\nb\nc\nd\n"


def test_calibration_from_synthetic_data(model):
    clips = calibration_clips(SEGMENTS, SIZE).take(3)
    content = to_tflite(model, quantize="int8", representative_clips=clips)
    assert LiteRTRunner(content).input_dtype == np.int8


def test_rejects_bad_arguments(model):
    with pytest.raises(ValueError, match="quantize"):
        to_tflite(model, quantize="int4")
    with pytest.raises(ValueError, match="representative_clips"):
        to_tflite(model, quantize="int8")
    with pytest.raises(ValueError, match=r"\(4, 32, 32, 3\).*\(2, 16, 16, 3\)"):
        to_tflite(
            model, quantize="int8", representative_clips=[np.zeros((2, 16, 16, 3))]
        )


def test_rejects_models_without_clip_input():
    frames = keras.Input((SIZE, SIZE, 3))
    frame_model = keras.Model(frames, keras.layers.GlobalAveragePooling2D()(frames))
    with pytest.raises(ValueError, match=r"expected one input \(batch, T, H, W, 3\)"):
        to_tflite(frame_model)
    clips = keras.Input((SEGMENTS, SIZE, SIZE, 3))
    pooled = keras.layers.GlobalAveragePooling3D()(clips)
    with pytest.raises(ValueError, match="no FoldSegments"):
        to_tflite(keras.Model(clips, pooled, name="clip_pooling"))


def test_rejects_branching_models():
    clips = keras.Input((SEGMENTS, SIZE, SIZE, 3))
    frames = layers.FoldSegments()(clips)
    pooled = keras.layers.GlobalAveragePooling2D()(frames)
    summed = keras.layers.Add(name="residual")([pooled, keras.layers.Dense(3)(pooled)])
    with pytest.raises(ValueError, match="'residual' does not take"):
        to_tflite(keras.Model(clips, summed))


def fit_shift_model(root):
    """A small TSM-style network fit to tell motions apart from their reversals."""
    train = load_jester(
        root, "train", num_segments=SEGMENTS, image_size=SIZE, batch_size=10, seed=0
    )
    clips = keras.Input((SEGMENTS, SIZE, SIZE, 3))
    x = layers.PixelNormalization("tf")(clips)
    x = layers.FoldSegments()(x)
    for filters in (16, 32, 32):
        x = keras.layers.Conv2D(filters, 3, strides=2, activation="relu")(x)
        x = layers.TemporalShift(SEGMENTS, shift_div=4)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(len(train.class_names))(x)
    model = keras.Model(clips, layers.SegmentConsensus(SEGMENTS)(x))
    model.compile(
        keras.optimizers.Adam(3e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(train, epochs=25, verbose=0)
    return model


@pytest.mark.slow
def test_int8_agrees_with_float_on_validation_clips(tmp_path):
    root = write_synthetic_jester(
        tmp_path,
        clips_per_class=50,
        num_classes=4,
        image_size=(40, 48),
        validation_fraction=0.5,
    )
    model = fit_shift_model(root)
    content = to_tflite(
        model,
        quantize="int8",
        representative_clips=calibration_clips(SEGMENTS, SIZE, root),
    )
    validation = load_jester(
        root, "validation", num_segments=SEGMENTS, image_size=SIZE, batch_size=None
    )
    float_runner, int8_runner = LiteRTRunner(to_tflite(model)), LiteRTRunner(content)
    labels, float_top, int8_top = [], [], []
    for clip, label in validation.as_numpy_iterator():
        labels.append(label)
        float_top.append(np.argmax(float_runner(clip)))
        int8_top.append(np.argmax(int8_runner(clip)))
    labels, float_top, int8_top = map(np.array, (labels, float_top, int8_top))
    float_accuracy = np.mean(float_top == labels)
    assert len(labels) == 100
    assert float_accuracy >= 0.6, "the model did not learn: nothing to compare"
    assert np.mean(int8_top == float_top) >= 0.95
    assert abs(np.mean(int8_top == labels) - float_accuracy) <= 0.01


def test_a_mixed_precision_model_exports_in_float32(tmp_path):
    keras.config.set_dtype_policy("mixed_float16")
    keras.utils.set_random_seed(1)
    mixed = build_model("mobilenet_v2", "action", CLASSES, SEGMENTS, SIZE)
    classifier = mixed.get_layer("classifier")
    rng = np.random.default_rng(0)
    classifier.set_weights([rng.normal(0, 1.0, w.shape) for w in classifier.weights])
    mixed.save(tmp_path / "mixed.keras")
    keras.config.set_dtype_policy("float32")
    # As the export command sees it: loaded in a fresh float32 process.
    loaded = keras.saving.load_model(tmp_path / "mixed.keras")
    assert loaded.get_layer("classifier").compute_dtype == "float16"

    runner = LiteRTRunner(to_tflite(loaded))
    float32 = in_float32(loaded)
    assert {layer.compute_dtype for layer in float32._flatten_layers()} == {"float32"}
    for clip in random_clips(2):
        expected = keras.ops.convert_to_numpy(float32(clip[None]))
        half = keras.ops.convert_to_numpy(loaded(clip[None])).astype("float32")
        actual = runner(clip)
        scale = np.abs(expected).max()
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * scale)
        np.testing.assert_allclose(actual, half, rtol=0.05, atol=0.05 * scale)
