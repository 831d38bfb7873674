"""`LiteRTRunner`: input checks, quantized I/O, delegation, timing."""

import numpy as np
import pytest
import tensorflow as tf

from keras_action.export import LiteRTRunner, read_labels
from keras_action.runtime.litert import dequantize, quantize


@pytest.fixture(scope="module")
def content():
    """A tiny clip model: logits = mean over frames of a 1x1 convolution's GAP."""
    kernel = np.linspace(-1, 1, 3 * 2, dtype=np.float32).reshape(1, 1, 3, 2)

    @tf.function(input_signature=[tf.TensorSpec((2, 4, 4, 3), name="clip")])
    def serve(clip):
        frames = tf.reduce_mean(tf.nn.conv2d(clip, kernel, 1, "SAME"), axis=[1, 2])
        return {"logits": tf.reduce_mean(frames, axis=0, keepdims=True)}

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [serve.get_concrete_function()], tf.Module()
    )
    return converter.convert()


def expected_logits(clip):
    kernel = np.linspace(-1, 1, 6).reshape(3, 2)
    return (clip.reshape(-1, 3).mean(axis=0) @ kernel)[np.newaxis]


def test_runs_a_clip_from_bytes_and_from_a_file(content, tmp_path):
    clip = np.random.default_rng(0).integers(0, 256, (2, 4, 4, 3), dtype=np.uint8)
    path = tmp_path / "tiny.tflite"
    path.write_bytes(content)
    for runner in (LiteRTRunner(content), LiteRTRunner(path, num_threads=2)):
        assert runner.input_shape == (2, 4, 4, 3)
        assert (runner.num_segments, runner.image_size) == (2, 4)
        np.testing.assert_allclose(runner(clip), expected_logits(clip), rtol=1e-5)


def test_rejects_a_clip_of_the_wrong_shape(content):
    with pytest.raises(ValueError, match=r"\(2, 4, 4, 3\).*\(1, 2, 4, 4, 3\)"):
        LiteRTRunner(content)(np.zeros((1, 2, 4, 4, 3)))


def test_rejects_a_file_that_is_not_a_model(tmp_path):
    path = tmp_path / "notes.tflite"
    path.write_text("not a flatbuffer")
    with pytest.raises(ValueError, match="notes.tflite: LiteRT cannot load"):
        LiteRTRunner(path)


def test_xnnpack_takes_the_whole_model(content):
    assert LiteRTRunner(content).undelegated_ops() == []
    undelegated = LiteRTRunner(content, xnnpack=False).undelegated_ops()
    assert {"CONV_2D", "MEAN"} <= set(undelegated)


def test_latencies(content):
    wall, cpu = LiteRTRunner(content).latencies(repeats=4, warmup=1)
    assert wall.shape == cpu.shape == (4,)
    assert np.all(wall > 0) and np.all(cpu >= 0)


def test_quantize_round_trip():
    details = {"dtype": np.int8, "quantization": (0.5, -3)}
    values = np.array([-100.0, -1.5, 0.0, 20.25, 100.0])
    quantized = quantize(values, details)
    assert quantized.dtype == np.int8
    np.testing.assert_array_equal(quantized, [-128, -6, -3, 38, 127])
    np.testing.assert_allclose(
        dequantize(quantized, details), [-62.5, -1.5, 0, 20.5, 65]
    )


def test_read_labels(tmp_path):
    path = tmp_path / "labels.txt"
    path.write_text("Swiping Left\n\nSwiping Right\n")
    assert read_labels(path) == ["Swiping Left", "Swiping Right"]
    path.write_text("\n")
    with pytest.raises(ValueError, match="labels.txt: no class names"):
        read_labels(path)
