"""The per-frame `.tflite` file: Keras parity, clip parity, int8 drift, edge rules."""

import warnings

import keras
import numpy as np
import pytest
from tensorflow.lite.python import schema_py_generated as schema
from tensorflow.lite.tools import flatbuffer_utils

from keras_action import build_model, streaming_model
from keras_action.export import StreamingRunner, check_edge, streaming, to_tflite
from keras_action.export.streaming import state_pairs
from keras_action.runtime import LiteRTRunner
from tests.models.common import trained_like

SEGMENTS, SIZE, CLASSES = 4, 32, 6


def synthetic_videos(count, frames=24, seed=0):
    return streaming.synthetic_videos(count, SIZE, frames, seed)


def causal_model(module, backbone="mobilenet_v2", **options):
    model = build_model(
        backbone, module, CLASSES, SEGMENTS, SIZE, causal=True, **options
    )
    return trained_like(model)


@pytest.fixture(scope="module")
def action():
    return causal_model("action")


@pytest.fixture(scope="module")
def action_float(action):
    return to_tflite(action, streaming=True)


def int8_stream(model, **options):
    """The int8 streaming file of `model`, calibrated on 8 synthetic videos."""
    return to_tflite(
        model,
        streaming=True,
        quantize="int8",
        representative_videos=synthetic_videos(8, seed=1),
        **options,
    )


@pytest.fixture(scope="module")
def action_int8(action):
    return int8_stream(action)


@pytest.fixture(scope="module")
def action_float_tail(action):
    return int8_stream(action, float_tail=True)


def test_int8_export_keeps_tensorflows_own_deprecation_warning_quiet():
    """TensorFlow's calibrator runs the deprecated `tf.lite.Interpreter`, which
    warns on every int8 streaming export; a user cannot act on that."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        int8_stream(causal_model("tsm"))
    assert not [w for w in caught if "tf.lite.Interpreter" in str(w.message)]


def assert_close(actual, expected, tolerance=1e-4):
    """Within `tolerance` of the largest |logit|, as the other stream tests."""
    scale = np.abs(expected).max()
    assert scale > 0
    np.testing.assert_allclose(actual / scale, expected / scale, atol=tolerance, rtol=0)


def test_file_signature_pairs_every_state(action, action_float):
    stream = streaming_model(action)
    graph = schema.ModelT.InitFromPackedBuf(bytearray(action_float), 0)
    assert len(graph.signatureDefs) == 1
    signature = graph.signatureDefs[0]
    inputs = {item.name.decode() for item in signature.inputs}
    outputs = {item.name.decode() for item in signature.outputs}
    assert inputs == {"frame", *stream.state_specs}
    assert outputs == {"logits", *stream.state_specs}
    assert set(state_pairs(graph)) == set(stream.state_specs)


def test_float32_file_streams_the_keras_model_over_a_whole_video(action, action_float):
    video = np.concatenate(synthetic_videos(2, seed=3)).astype("float32")
    stream = streaming_model(action)
    states = stream.initial_states()
    runner = StreamingRunner(action_float)
    for frame in video:
        expected, states = stream.step(frame[np.newaxis], states)
        probabilities = runner.step(frame)
        assert_close(runner.logits, keras.ops.convert_to_numpy(expected)[0])
        np.testing.assert_allclose(probabilities.sum(), 1, rtol=1e-6)
    assert runner.latency > 0


def test_float32_is_the_default_mode(action, action_float):
    assert to_tflite(action, streaming=True, quantize="float32") == action_float


def test_t_frames_from_zero_give_the_causal_clip_file_logits(action, action_float):
    clip = synthetic_videos(1, seed=4)[0][:SEGMENTS].astype("float32")
    expected = LiteRTRunner(to_tflite(action))(clip)[0]
    runner = StreamingRunner(action_float)
    for _ in range(2):  # the second pass checks that reset() restarts from zero
        for frame in clip:
            runner.step(frame)
        assert_close(runner.logits, expected)
        runner.reset()


def test_int8_error_does_not_grow_over_1000_frames(action_float, action_int8):
    """One continuous stream of synthetic videos, the int8 states looping
    1,000 times: the error over the last 100 frames is at most 1.5 times
    that over frames T…T+100.

    Top-1 agreement is measured on a trained model instead
    (`benchmarks/streaming_int8_agreement.py`): with random weights, int8
    moves logits by a sizeable share of the gaps between classes, in the
    clip file as much as in the streaming one.
    """
    frames = np.concatenate(synthetic_videos(48, frames=21, seed=5))[:1000]
    runners = StreamingRunner(action_float), StreamingRunner(action_int8)
    logits = np.empty((2, len(frames), CLASSES))
    for t, frame in enumerate(frames):
        for which, runner in enumerate(runners):
            runner.step(frame)
            logits[which, t] = runner.logits
    error = np.abs(logits[0] - logits[1]).mean(axis=-1)
    early, late = error[SEGMENTS : SEGMENTS + 100].mean(), error[-100:].mean()
    assert late <= 1.5 * early


def test_int8_file_quantizes_frame_and_ties_every_state(action_int8):
    runner = StreamingRunner(action_int8)
    assert runner.state_bytes() == sum(
        value.size for value in runner._states.values()
    )  # one byte per int8 state value
    report = check_edge(action_int8)
    assert report.state_mismatches == []
    assert "consensus_window" in report.states
    assert report.problems == []


def test_float_tail_keeps_classifier_and_window_in_float32(action_float_tail):
    model = schema.ModelT.InitFromPackedBuf(bytearray(action_float_tail), 0)
    subgraph = model.subgraphs[0]
    int8, float32 = schema.TensorType.INT8, schema.TensorType.FLOAT32
    classifiers = [
        op
        for op in subgraph.operators
        if model.operatorCodes[op.opcodeIndex].builtinCode
        == schema.BuiltinOperator.FULLY_CONNECTED
    ]
    assert len(classifiers) == 1
    (output,) = classifiers[0].outputs
    assert subgraph.tensors[output].type == float32
    signature = model.signatureDefs[0]
    types = {
        (item.name.decode(), which): subgraph.tensors[item.tensorIndex].type
        for which, items in (("in", signature.inputs), ("out", signature.outputs))
        for item in items
    }
    # The tail's alone: the frame and the backbone's states stay int8.
    floats = {key for key, kind in types.items() if kind == float32}
    assert floats == {
        ("logits", "out"),
        ("consensus_window", "in"),
        ("consensus_window", "out"),
    }
    assert all(kind in (int8, float32) for kind in types.values())
    report = check_edge(action_float_tail)
    assert report.problems == [] and report.gpu_messages == []


def test_runner_streams_a_float_tail_file(action_float_tail):
    """The runner feeds the float32 window back as it is and reads float logits.

    The window holds the last T - 1 per-frame logits and `logits` is the
    mean of those and the current frame's: T × logits = the new window's
    sum + the oldest entry of the window fed in.
    """
    runner = StreamingRunner(action_float_tail)
    for frame in synthetic_videos(2, frames=6, seed=3)[1]:
        fed = runner._states["consensus_window"]
        runner.step(frame)
        window = runner._states["consensus_window"]
        assert window.dtype == np.float32 and runner.logits.dtype == np.float32
        np.testing.assert_allclose(
            SEGMENTS * runner.logits, window[0].sum(0) + fed[0, 0], rtol=1e-5, atol=1e-5
        )
    assert runner._states["block_2_expand_temporal_shift_history"].dtype == np.int8
    runner.reset()
    assert not runner._states["consensus_window"].any()


def test_check_edge_reports_a_state_pair_that_would_requantize(action_int8):
    model = flatbuffer_utils.read_model_from_bytearray(bytearray(action_int8))
    source, _ = state_pairs(model)["consensus_window"]
    model.subgraphs[0].tensors[source].quantization.scale[0] *= 2
    content = bytes(flatbuffer_utils.convert_object_to_bytearray(model))
    problems = check_edge(content).problems
    assert any(
        problem.startswith("state consensus_window: output quantization")
        for problem in problems
    )
    assert "state consensus_window" in check_edge(content).verdict()
    # int8 CONCATENATION (XNNPACK's and the builtin one) takes operands on
    # its own scale only: why the export checks the pairs, not rewrites them.
    assert any("the delegate fails to prepare" in problem for problem in problems)


def test_clip_files_have_no_states():
    model = build_model("mobilenet_v2", "tsm", CLASSES, SEGMENTS, SIZE)
    report = check_edge(to_tflite(model))
    assert report.states == [] and report.state_mismatches == []


def test_two_way_models_are_refused():
    model = build_model("mobilenet_v2", "tsm", CLASSES, SEGMENTS, SIZE)
    with pytest.raises(ValueError, match="needs a causal model"):
        to_tflite(model, streaming=True)


def test_int8_needs_calibration_videos(action):
    with pytest.raises(ValueError, match="representative_videos"):
        to_tflite(action, streaming=True, quantize="int8")
    with pytest.raises(ValueError, match="must have frames of shape"):
        to_tflite(
            action,
            streaming=True,
            quantize="int8",
            representative_videos=[np.zeros((3, 16, 16, 3))],
        )


def test_runners_point_to_each_other(action_float):
    with pytest.raises(ValueError, match="use StreamingRunner"):
        LiteRTRunner(action_float)
    with pytest.raises(ValueError, match="expected a frame of shape"):
        StreamingRunner(action_float).step(np.zeros((SEGMENTS, SIZE, SIZE, 3)))


@pytest.mark.parametrize(
    "module, quantize",
    [
        ("action", "float16"),
        ("action", "dynamic"),
        pytest.param("tsm", "none", marks=pytest.mark.slow),
        pytest.param("gsm", "none", marks=pytest.mark.slow),
        pytest.param("stsm", "none", marks=pytest.mark.slow),
        pytest.param("smnet", "none", marks=pytest.mark.slow),
        pytest.param("tsm", "int8", marks=pytest.mark.slow),
        pytest.param("gsm", "int8", marks=pytest.mark.slow),
        pytest.param("stsm", "int8", marks=pytest.mark.slow),
        pytest.param("smnet", "int8", marks=pytest.mark.slow),
    ],
)
def test_streaming_files_are_edge_compatible(module, quantize):
    model = causal_model(module)
    content = to_tflite(
        model,
        streaming=True,
        quantize=quantize,
        representative_videos=synthetic_videos(4, seed=1),
    )
    report = check_edge(content)
    assert report.problems == []
    assert report.gpu_messages == []
    assert len(report.states) == len(streaming_model(model).state_specs)


def test_action_float32_and_int8_are_edge_compatible(action_float, action_int8):
    for content in (action_float, action_int8):
        report = check_edge(content)
        assert report.problems == [] and report.gpu_messages == []


@pytest.mark.parametrize(
    "backbone, options",
    [
        ("mobilenet_v3_small", {}),
        pytest.param("mobilenet_v3_large", {}, marks=pytest.mark.slow),
        pytest.param("mobilenet_v3_small_minimalistic", {}, marks=pytest.mark.slow),
        pytest.param("mobilenet_v3_large_minimalistic", {}, marks=pytest.mark.slow),
        pytest.param("mobilenet_v2", {"alpha": 0.5}, marks=pytest.mark.slow),
    ],
)
def test_headset_backbones_export_edge_compatible_clip_and_stream_files(
    backbone, options
):
    """float32 and int8, clip and streaming files: every op on XNNPACK
    (MobileNetV3's hard-swish included), every tensor of rank <= 4."""
    model = causal_model("action", backbone, **options)
    videos = synthetic_videos(4, seed=1)
    clips = [video[:SEGMENTS].astype("float32") for video in videos]
    for quantize in ("none", "int8"):
        files = [
            to_tflite(model, quantize=quantize, representative_clips=clips),
            to_tflite(
                model, streaming=True, quantize=quantize, representative_videos=videos
            ),
        ]
        for content in files:
            report = check_edge(content)
            assert report.problems == [] and report.gpu_messages == [], quantize
