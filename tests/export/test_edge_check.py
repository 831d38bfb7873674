"""Edge rules on exported files: builtin ops, rank ≤ 4, XNNPACK and GPU delegate."""

import numpy as np
import pytest
import tensorflow as tf

from keras_action import build_model
from keras_action.export import assert_edge_compatible, check_edge, to_tflite
from tests.models.common import trained_like

SEGMENTS, SIZE = 4, 32


def convert(function, spec, select_tf_ops=False):
    concrete = tf.function(function, input_signature=[spec]).get_concrete_function()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], tf.Module())
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if select_tf_ops:
        converter.target_spec.supported_ops.append(tf.lite.OpsSet.SELECT_TF_OPS)
    return converter.convert()


def export(backbone, module, quantize="none"):
    model = build_model(backbone, module, 5, SEGMENTS, SIZE)
    clips = np.random.default_rng(0).uniform(0, 255, (4, SEGMENTS, SIZE, SIZE, 3))
    return to_tflite(model, quantize=quantize, representative_clips=clips)


@pytest.mark.parametrize("module", ["tsn", "tsm", "action", "gsm", "stsm", "smnet"])
def test_mobilenet_v2_exports_are_edge_compatible(module):
    report = check_edge(export("mobilenet_v2", module))
    assert report.problems == []
    assert "CONV_2D" in report.ops


@pytest.mark.parametrize("quantize", ["float16", "dynamic", "int8"])
def test_quantized_action_is_edge_compatible(quantize):
    assert check_edge(export("mobilenet_v2", "action", quantize)).problems == []


@pytest.mark.slow
@pytest.mark.parametrize("module", ["tsn", "tsm", "action"])
def test_resnet50_exports_are_edge_compatible(module):
    assert check_edge(export("resnet50_torch", module)).problems == []


@pytest.mark.slow
def test_resnet50_action_int8_is_edge_compatible_at_224():
    # At 224² every ADD of ActionBlock keeps operands on comparable int8
    # scales. Tiny inputs are not representative here: with 1x1 or 2x2 maps in
    # conv5 and random weights, the STE gates saturate during calibration.
    model = build_model("resnet50_torch", "action", 5, SEGMENTS, 224)
    clips = np.random.default_rng(0).uniform(0, 255, (2, SEGMENTS, 224, 224, 3))
    content = to_tflite(model, quantize="int8", representative_clips=clips)
    assert check_edge(content).problems == []


def test_reports_conv3d_and_rank5_tensors(tmp_path):
    kernel = np.ones((3, 3, 3, 3, 4), np.float32)
    content = convert(
        lambda x: tf.nn.conv3d(x, kernel, [1] * 5, "SAME"),
        tf.TensorSpec((1, SEGMENTS, 8, 8, 3)),
    )
    path = tmp_path / "conv3d.tflite"
    path.write_bytes(content)
    report = check_edge(path)
    assert "CONV_3D" in report.ops
    text = " ".join(report.problems)
    assert "['CONV_3D']" in text
    assert "rank > 4" in text and "[1, 4, 8, 8, 3]" in text
    with pytest.raises(ValueError, match=r"conv3d\.tflite: .*CONV_3D"):
        assert_edge_compatible(path)


def test_reports_flex_ops():
    content = convert(lambda x: tf.linalg.inv(x), tf.TensorSpec((2, 2)), True)
    assert check_edge(content).problems == [
        "Flex (SELECT_TF_OPS) ops: ['FlexMatrixInverse']"
    ]


def test_reports_ops_outside_xnnpack():
    content = convert(tf.math.lgamma, tf.TensorSpec((2, 3)))
    (problem,) = check_edge(content).problems
    assert problem.startswith("ops not delegated to XNNPACK:")
    assert "'SELECT_V2'" in problem


@pytest.mark.parametrize("quantize", ["none", "int8"])
def test_bn_inception_action_is_edge_compatible(quantize):
    """BGR input and PyTorch's average pooling written with ops that XNNPACK
    runs in float32 and int8 (no REVERSE_V2, no int8 AVERAGE_POOL_2D)."""
    model = build_model("bninception", "action", 5, SEGMENTS, 64)
    if quantize == "int8":
        trained_like(model)
    clips = np.random.default_rng(0).uniform(0, 255, (4, SEGMENTS, 64, 64, 3))
    content = to_tflite(model, quantize=quantize, representative_clips=clips)
    report = check_edge(content)
    assert report.problems == []
    assert "AVERAGE_POOL_2D" not in report.ops and "REVERSE_V2" not in report.ops
