"""`StreamingRunner`: states fed back, reset, int8 both ways, errors, timing."""

import numpy as np
import pytest
import tensorflow as tf

from keras_action.export import LiteRTRunner, StreamingRunner

KERNEL = np.linspace(-1, 1, 3 * 2, dtype=np.float32).reshape(1, 1, 3, 2)


def tiny_stream(int8=False):
    """A two-frame stream: logits are the mean of this frame's and the last
    frame's (a 1x1 convolution's GAP); the state `window` keeps this frame's."""

    @tf.function(
        input_signature=[
            tf.TensorSpec((1, 4, 4, 3), name="frame"),
            tf.TensorSpec((1, 1, 2), name="window"),
        ]
    )
    def serve(frame, window):
        current = tf.reduce_mean(tf.nn.conv2d(frame / 255, KERNEL, 1, "SAME"), [1, 2])
        both = tf.concat([window, current[:, tf.newaxis]], axis=1)
        return {"logits": tf.reduce_mean(both, axis=1), "window": both[:, 1:]}

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [serve.get_concrete_function()], tf.Module()
    )
    if int8:
        rng = np.random.default_rng(0)

        def samples():
            for _ in range(20):
                frame = rng.uniform(0, 255, (1, 4, 4, 3)).astype("float32")
                window = rng.uniform(-1, 1, (1, 1, 2)).astype("float32")
                yield {"frame": frame, "window": window}

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = samples
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = converter.inference_output_type = tf.int8
    return converter.convert()


def frame_logits(frame):
    return (frame.reshape(-1, 3).mean(axis=0) / 255) @ KERNEL.reshape(3, 2)


@pytest.fixture(scope="module")
def content():
    return tiny_stream()


def test_feeds_each_state_back_and_resets(content):
    rng = np.random.default_rng(1)
    frames = rng.integers(0, 256, (3, 4, 4, 3), dtype=np.uint8)
    runner = StreamingRunner(content)
    assert runner.state_names == ["window"] and runner.frame_shape == (1, 4, 4, 3)
    assert (runner.image_size, runner.num_classes) == (4, 2)
    probabilities = runner.step(frames[0])
    np.testing.assert_allclose(runner.logits, frame_logits(frames[0]) / 2, rtol=1e-5)
    np.testing.assert_allclose(probabilities.sum(), 1, rtol=1e-6)
    runner.step(frames[1][np.newaxis])  # (1, H, W, 3) works too
    expected = (frame_logits(frames[0]) + frame_logits(frames[1])) / 2
    np.testing.assert_allclose(runner.logits, expected, rtol=1e-5)
    assert runner.latency > 0
    runner.reset()
    np.testing.assert_array_equal(runner.states["window"], np.zeros((1, 1, 2)))
    runner.step(frames[2])
    np.testing.assert_allclose(runner.logits, frame_logits(frames[2]) / 2, rtol=1e-5)


def test_int8_quantizes_frames_and_keeps_states_int8(content):
    quantized = tiny_stream(int8=True)
    runners = StreamingRunner(content), StreamingRunner(quantized)
    assert runners[1].state_bytes() == 2 and runners[0].state_bytes() == 8
    # Zero states start at the zero point, i.e. real zeros.
    np.testing.assert_allclose(runners[1].states["window"], 0, atol=1e-6)
    frames = np.random.default_rng(2).integers(0, 256, (20, 4, 4, 3))
    for frame in frames:
        for runner in runners:
            runner.step(frame)
        assert runners[1]._states["window"].dtype == np.int8
        np.testing.assert_allclose(runners[1].logits, runners[0].logits, atol=0.02)


def test_times_and_checks_delegation(content):
    runner = StreamingRunner(content, num_threads=1)
    wall, cpu = runner.latencies(repeats=3, warmup=1)
    assert wall.shape == cpu.shape == (3,) and (wall > 0).all()
    assert runner.undelegated_ops() == []


def test_refuses_frames_of_another_shape_and_clip_files(content):
    with pytest.raises(ValueError, match=r"expected a frame of shape \(4, 4, 3\)"):
        StreamingRunner(content).step(np.zeros((8, 8, 3)))
    with pytest.raises(ValueError, match="use StreamingRunner"):
        LiteRTRunner(content)
    clip = tf.function(
        lambda clip: {"logits": tf.reduce_mean(clip, axis=[1, 2])},
        input_signature=[tf.TensorSpec((2, 4, 4, 3), name="clip")],
    )
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [clip.get_concrete_function()], tf.Module()
    )
    with pytest.raises(ValueError, match="not a streaming file"):
        StreamingRunner(converter.convert())
