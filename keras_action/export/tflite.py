"""Conversion of keras-action models to LiteRT `.tflite` files for phones and headsets.

The file takes ONE clip `(T, H, W, 3)`, its frames on the batch axis, so that
no tensor in it has rank 5 (GPU delegates reject 5-D tensors), and returns
logits `(1, num_classes)`. Its signature `serving_default` names them `clip`
and `logits`. Only builtin ops are allowed (no Flex ops, which LiteRT on
Android cannot run). With `streaming=True` a causal model becomes a file of
one frame per call with its states instead (`keras_action.export.streaming`).
"""

import contextlib
import warnings
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema
from tensorflow.lite.python import util as lite_util
from tensorflow.lite.tools import flatbuffer_utils

from keras_action.export import streaming as streaming_export
from keras_action.layers.fold_segments import FoldSegments
from keras_action.utils import atomic
from keras_action.utils.keras_internals import call_nodes

QUANTIZATIONS = ("none", "float16", "dynamic", "int8")
#: Accepted for "none", the float32 file.
_FLOAT32 = "float32"
#: Name of the signature's input and output.
INPUT_NAME, OUTPUT_NAME = "clip", "logits"


def clip_function(model):
    """A `tf.function` running `model` on one clip `(T, H, W, 3)` → logits `(1, K)`.

    The model's own layers are applied in order, except `FoldSegments`: the
    clip's frames already lie on the batch axis, which keeps every tensor at
    rank ≤ 4. Weights are read as constants (a `keras.StatelessScope`), so the
    converted file embeds them instead of resource variables.

    Args:
        model: a model from `build_model`, or any single-chain functional model
            `(batch, T, H, W, 3)` → `(batch, K)` containing a `FoldSegments`.

    Returns:
        A `tf.function` with input signature `clip: (T, H, W, 3) float32`.
    """
    model = in_float32(model)
    layers = _clip_layers(model)
    _, steps, height, width, channels = model.input_shape
    spec = tf.TensorSpec((steps, height, width, channels), tf.float32, name=INPUT_NAME)
    state = [
        (variable, keras.ops.convert_to_numpy(variable)) for variable in model.variables
    ]

    @tf.function(input_signature=[spec])
    def serve(clip):
        outputs = clip
        with keras.StatelessScope(state_mapping=state):
            for layer in layers:
                outputs = layer(outputs, training=False)
        return {OUTPUT_NAME: tf.cast(outputs, tf.float32)}

    return serve


def in_float32(model):
    """`model`, or a float32 copy of it when it computes in another precision.

    A model trained under a mixed-precision policy keeps float16 (or bfloat16)
    computation in its layers' configs; LiteRT's builtin ops do not take all of
    those, and quantization is chosen at conversion anyway. The copy has the
    same architecture and the same (float32) weights, every layer computing in
    float32.
    """
    layers = model._flatten_layers(include_self=False)
    if all(layer.dtype_policy.compute_dtype == "float32" for layer in layers):
        return model
    serialized = keras.saving.serialize_keras_object(model)
    serialized.pop("compile_config", None)
    previous = keras.config.dtype_policy()
    # Sublayers made in a layer's constructor take the global policy.
    keras.config.set_dtype_policy("float32")
    try:
        copy = keras.saving.deserialize_keras_object(_float32_policies(serialized))
    finally:
        keras.config.set_dtype_policy(previous)
    copy.set_weights(model.get_weights())
    return copy


def _float32_policies(config):
    """`config` with every dtype policy replaced by float32."""
    if isinstance(config, list):
        return [_float32_policies(item) for item in config]
    if not isinstance(config, dict):
        return config
    if config.get("class_name") == "DTypePolicy":
        return {**config, "config": {**config["config"], "name": "float32"}}
    return {key: _float32_policies(value) for key, value in config.items()}


def _clip_layers(model):
    input_shape = model.input_shape
    if not isinstance(input_shape, tuple) or len(input_shape) != 5:
        raise ValueError(
            f"Model {model.name!r}: expected one input (batch, T, H, W, 3), "
            f"got input shape {input_shape}."
        )
    if None in input_shape[1:]:
        raise ValueError(
            f"Model {model.name!r}: T, H, W and channels must be static for "
            f"export, got input shape {input_shape}."
        )
    layers = [
        layer
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    ]
    # A nested model's `.input`/`.output` are its own; the call nodes link layers.
    for previous, layer in zip(layers, layers[1:], strict=False):
        before, after = call_nodes(previous, model), call_nodes(layer, model)
        inputs, outputs = after[0].input_tensors, before[0].output_tensors
        if len(after) != 1 or len(inputs) != 1 or inputs[0] is not outputs[0]:
            raise ValueError(
                f"Model {model.name!r}: export needs a single chain of layers; "
                f"layer {layer.name!r} does not take {previous.name!r}'s output."
            )
    if not any(isinstance(layer, FoldSegments) for layer in layers):
        raise ValueError(
            f"Model {model.name!r} has no FoldSegments layer: build it with "
            "keras_action.build_model."
        )
    return [layer for layer in layers if not isinstance(layer, FoldSegments)]


def to_tflite(
    model,
    path=None,
    quantize="none",
    representative_clips=None,
    class_names=None,
    num_calibration_clips=100,
    streaming=False,
    representative_videos=None,
    num_calibration_frames=400,
    float_tail=False,
):
    """Converts a clip classifier to a `.tflite` flatbuffer of builtin ops only.

    With `streaming=True`, the file is the per-frame model of a causal
    classifier instead (`keras_action.export.streaming`): inputs `frame`
    `(1, H, W, 3)` and the states, outputs `logits` and the new states under
    the same names; run it with `StreamingRunner`.

    Quantization modes:

    - `"none"` (or `"float32"`): float32 weights and activations.
    - `"float16"`: float16 weights, float32 computation (half the size).
    - `"dynamic"`: int8 weights, activations quantized on the fly.
    - `"int8"`: full-integer post-training quantization calibrated on
      `representative_clips` (streaming: `representative_videos`); the input
      is **int8**, pixels minus 128 when calibration pixels span [0, 255]
      (scale 1, zero point -128; both are stored in the file), the output
      int8 logits with their scale and zero point. `LiteRTRunner` and
      `StreamingRunner` convert both ways. (A uint8 input would add a
      QUANTIZE op that XNNPACK does not take.) Streaming states are int8,
      each output on its input's scale and zero point.

    Args:
        model: a model from `build_model` (input `(batch, T, H, W, 3)`);
            with `streaming=True`, from `build_model(..., causal=True)`.
        path: where to write the file (optional); with `class_names`, a
            `labels.txt` is written beside it.
        quantize: one of `QUANTIZATIONS`.
        representative_clips: required for a clip file in `"int8"`: an
            iterable of clips `(T, H, W, 3)` or batches `(B, T, H, W, 3)` of
            pixels in [0, 255], or of `(clips, labels)` pairs (e.g. a dataset
            from `keras_action.data`); see `calibration_clips`.
        class_names: list of class names, written one per line to `labels.txt`.
        num_calibration_clips: the most clips used for calibration.
        streaming: export the per-frame model with its states.
        representative_videos: required for a streaming file in `"int8"`: an
            iterable of videos `(F, H, W, 3)` (frames at the model's size and
            frame stride, pixels in [0, 255]), or of `(video, label)` pairs.
            Each is streamed through the float32 streaming file, and its
            frames calibrate with the states actually seen.
        num_calibration_frames: the most frames used for streaming calibration.
        float_tail: in a streaming `"int8"` file, keep the classifier and
            the consensus window in float32 (`streaming.float_tail_nodes`):
            the `logits` output and the `consensus_window` state are then
            float32, the frame, the backbone and its states int8. Closer to
            float32 (docs/benchmarks.md), every op still on XNNPACK.

    Returns:
        The `.tflite` flatbuffer as `bytes`.

    Raises:
        ValueError: an unknown mode, missing calibration data, or (streaming)
            a model whose temporal layers read future frames.

    Example:

    >>> from keras_action import build_model
    >>> model = build_model("mobilenet_v2", "action", num_classes=3,
    ...                     num_segments=4, image_size=64)
    >>> content = to_tflite(model, "action.tflite",
    ...                     class_names=["clap", "wave", "other"])
    >>> causal = build_model("mobilenet_v2", "action", num_classes=3,
    ...                      num_segments=4, image_size=64, causal=True)
    >>> videos = np.random.uniform(0, 255, (2, 12, 64, 64, 3))
    >>> stream = to_tflite(causal, "action_stream.tflite", streaming=True,
    ...                    quantize="int8", representative_videos=videos)
    """
    quantize = "none" if quantize == _FLOAT32 else quantize
    calibration, limit = (
        (representative_videos, num_calibration_frames)
        if streaming
        else (representative_clips, num_calibration_clips)
    )
    _check_quantization(quantize, calibration, limit, streaming)
    model = in_float32(model)
    function = (
        streaming_export.streaming_function(model)
        if streaming
        else clip_function(model)
    )
    samples, float_nodes = None, ()
    if quantize == "int8" and streaming:
        # The states to calibrate are those the float32 file streams through.
        float_content = _convert(function, "none")
        samples = streaming_export.calibration_samples(
            float_content, calibration, limit
        )
        if float_tail:
            float_nodes = streaming_export.float_tail_nodes(float_content)
    elif quantize == "int8":
        samples = _calibration_samples(function, calibration, limit)
    content = _convert(function, quantize, samples, float_nodes)
    if streaming and quantize == "int8":
        content = streaming_export.check_state_quantization(content)
    if path is not None:
        write_tflite(content, path, class_names)
    return content


def _calibration_samples(function, calibration, limit):
    """A callable yielding the int8 converter's samples (lists of inputs)."""
    clips = _clips(calibration, tuple(function.input_signature[0].shape), limit)
    return lambda: ([clip] for clip in clips())


def _check_quantization(quantize, calibration, limit, streaming):
    if quantize not in QUANTIZATIONS:
        raise ValueError(
            f"`quantize` must be one of {QUANTIZATIONS}; got {quantize!r}."
        )
    if quantize != "int8":
        return
    name = "representative_videos" if streaming else "representative_clips"
    if calibration is None:
        raise ValueError(f'quantize="int8" needs `{name}` for calibration.')
    if limit < 1:
        unit = "frame" if streaming else "clip"
        raise ValueError(
            f'quantize="int8" needs at least 1 calibration {unit}; got '
            f"num_calibration_{unit}s={limit}."
        )


@contextlib.contextmanager
def _without_calibrator_warning():
    """TensorFlow's int8 calibrator runs on its own `tf.lite.Interpreter`, whose
    deprecation warning nobody calling the converter can act on."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message=r"\s*Warning: tf\.lite\.Interpreter is deprecated",
            category=UserWarning,
        )
        yield


@_without_calibrator_warning()
def _convert(function, quantize, samples=None, float_nodes=()):
    """Converts a `tf.function` with builtin ops only, quantized as asked.

    Args:
        function: a `tf.function` with an input signature.
        quantize: one of `QUANTIZATIONS`.
        samples: for `"int8"`, a callable yielding lists of input values.
        float_nodes: for `"int8"`, output tensor names of ops kept in float32.
    """
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [function.get_concrete_function()], tf.Module()
    )
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantize != "none":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        converter.target_spec.supported_types = [tf.float16]
    elif quantize == "int8":
        converter.representative_dataset = samples
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if float_nodes:
            return _int8_except(converter, float_nodes, samples)
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    content = converter.convert()
    if quantize == "dynamic":
        content = _float_depthwise_weights(content)
    return content


def _int8_except(converter, float_nodes, samples):
    """Full-integer int8 conversion, except the ops writing `float_nodes`.

    TensorFlow's `QuantizationDebugger` calibrates and quantizes with those
    ops left in float32 (DEQUANTIZE before them, QUANTIZE after where an int8
    op reads them). Its file has float32 inputs and outputs; as the
    converter does for `inference_input_type=tf.int8`, the QUANTIZE of each
    input and the DEQUANTIZE of each output are then removed, so the frame
    and the int8 states are int8 at the interface, while an input or output
    that only float ops touch stays float32.
    """
    debugger = tf.lite.experimental.QuantizationDebugger(
        converter=converter,
        debug_dataset=samples,
        debug_options=tf.lite.experimental.QuantizationDebugOptions(
            denylisted_nodes=list(float_nodes)
        ),
    )
    content = debugger.get_nondebug_quantized_model()
    return bytes(lite_util.modify_model_io_type(content, tf.int8, tf.int8))


def _float_depthwise_weights(content):
    """Dequantizes the int8 weights of hybrid (float-input) DEPTHWISE_CONV_2D ops.

    XNNPACK has dynamically quantized kernels for CONV_2D and FULLY_CONNECTED,
    not for DEPTHWISE_CONV_2D, which would fall back to LiteRT's slower builtin
    kernel; depthwise weights are a small part of a model (about 3% of
    MobileNetV2's), so they stay float and every op runs on XNNPACK.
    """
    model = flatbuffer_utils.read_model_from_bytearray(bytearray(content))
    depthwise = schema.BuiltinOperator.DEPTHWISE_CONV_2D
    dequantized = set()  # buffers, which tensors may share
    for subgraph in model.subgraphs:
        for op in subgraph.operators:
            code = model.operatorCodes[op.opcodeIndex]
            if max(code.builtinCode, code.deprecatedBuiltinCode) != depthwise:
                continue
            inputs, weights = (subgraph.tensors[i] for i in op.inputs[:2])
            if not (
                inputs.type == schema.TensorType.FLOAT32
                and weights.type == schema.TensorType.INT8
            ):
                continue
            if weights.buffer not in dequantized:
                _dequantize(weights, model.buffers[weights.buffer])
                dequantized.add(weights.buffer)
            weights.type = schema.TensorType.FLOAT32
            weights.quantization = None
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def _dequantize(tensor, buffer):
    """Replaces the int8 content of `buffer` by float32 values, per channel."""
    quantization = tensor.quantization
    values = np.frombuffer(bytes(buffer.data), np.int8).reshape(tensor.shape)
    broadcast = [1] * values.ndim
    broadcast[quantization.quantizedDimension] = -1
    scale = np.reshape(quantization.scale, broadcast)
    zero_point = np.reshape(quantization.zeroPoint, broadcast)
    floats = ((values.astype(np.float32) - zero_point) * scale).astype("<f4")
    buffer.data = np.frombuffer(floats.tobytes(), np.uint8)


def write_tflite(content, path, class_names=None):
    """Writes `content` to `path`, and `labels.txt` beside it when names are given.

    Both are written atomically: a killed export leaves the previous files.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(path, content)
    if class_names is not None:
        atomic.write_text(
            path.parent / "labels.txt", "".join(f"{name}\n" for name in class_names)
        )


def _clips(source, clip_shape, limit):
    """A callable yielding up to `limit` float32 clips of `clip_shape` from `source`."""

    def generate():
        count = 0
        for item in source:
            batch = np.asarray(item[0] if isinstance(item, tuple) else item, np.float32)
            if batch.shape == clip_shape:
                batch = batch[np.newaxis]
            if batch.shape[1:] != clip_shape:
                raise ValueError(
                    f"Calibration clips must have shape {clip_shape} (or batches of "
                    f"them); got {batch.shape}."
                )
            for clip in batch:
                if count == limit:
                    return
                count += 1
                yield clip
        if count == 0:
            raise ValueError("`representative_clips` yielded no clip.")

    return generate


def calibration_clips(num_segments, image_size, data_dir=None, split="train", seed=0):
    """Real clips for int8 calibration, sampled as validation does.

    Args:
        num_segments: frames per clip (T).
        image_size: frame height and width.
        data_dir: a Jester-layout dataset (see `keras_action.data.load_jester`);
            `None` uses a small synthetic one
            (`keras_action.data.load_synthetic_jester`).
        split: the split to draw clips from.
        seed: shuffling seed, so that calibration sees every class early.

    Returns:
        A `tf.data.Dataset` of unbatched `(clip, label)` pairs.
    """
    from keras_action import data

    options = {
        "num_segments": num_segments,
        "image_size": image_size,
        "training": False,
        "batch_size": None,
        "shuffle": True,
        "seed": seed,
        "dtype": "float32",
    }
    if data_dir is None:
        return data.load_synthetic_jester(split, clips_per_class=16, **options)
    return data.load_jester(data_dir, split, **options)
