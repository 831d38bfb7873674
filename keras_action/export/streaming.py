"""The per-frame (streaming) `.tflite` file of a causal model, with its states.

The file has one signature, `serving_default`. Inputs: `frame` `(1, H, W, 3)`
raw RGB pixels, and every state of `keras_action.streaming_model` under its
stable name (e.g. `block_2_expand_temporal_history`, `consensus_window`).
Outputs: `logits` `(1, K)`, the mean of the last T per-frame logits (the clip
model's TSN average), and every new state under **the same name** as its
input: a runtime feeds output `name` back as input `name` on the next frame.
The initial states are zeros. As in MoViNet's stream files, but every tensor,
states included, has rank at most 4.

In an int8 file each state output has exactly the scale and zero point of
its state input (checked at export, `state_mismatches`), so a runtime copies
the int8 values back unchanged: no requantisation, no drift.
"""

import json
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema

from keras_action.models.streaming import FRAME, LOGITS, streaming_model


def streaming_function(model):
    """A `tf.function` running one frame of a causal clip model, states in and out.

    Args:
        model: a float32 causal model from `build_model(..., causal=True)`.

    Returns:
        A `tf.function` with the input signature `(frame, *states)`, each
        `tf.TensorSpec` named as in the file, returning `{"logits", **states}`.

    Raises:
        ValueError: the model is not causal (a layer reads future frames).
    """
    stream = streaming_model(model)
    names = list(stream.state_specs)
    frame_shape = tuple(stream.input[FRAME].shape)
    specs = [tf.TensorSpec(frame_shape, tf.float32, name=FRAME)]
    specs += [
        tf.TensorSpec(spec.shape, tf.float32, name=name)
        for name, spec in stream.state_specs.items()
    ]
    state = [
        (variable, keras.ops.convert_to_numpy(variable))
        for variable in stream.variables
    ]

    @tf.function(input_signature=specs)
    def serve(frame, *states):
        # Weights as constants, as in `clip_function`; `frame_logits` is left
        # out: a runtime needs the smoothed logits and the states only.
        with keras.StatelessScope(state_mapping=state):
            outputs = stream(
                {FRAME: frame, **dict(zip(names, states, strict=True))}, training=False
            )
        return {LOGITS: outputs[LOGITS], **{name: outputs[name] for name in names}}

    return serve


def synthetic_videos(count, image_size, num_frames=24, seed=0):
    """Plain synthetic videos (`keras_action.data.synthetic`), RGB uint8.

    The four motions in turn, every second group of four played backwards
    (the demo's time-reversed pairs).

    Args:
        count: number of videos.
        image_size: frame height and width.
        num_frames: frames per video.
        seed: seeds colours, positions and speeds.

    Returns:
        A list of `(num_frames, image_size, image_size, 3)` arrays.
    """
    from keras_action.data.synthetic import render_clip

    rng = np.random.default_rng(seed)
    motions = ("move_x", "move_y", "grow", "turn")
    videos = []
    for index in range(count):
        bgr = render_clip(motions[index % 4], num_frames, image_size, image_size, rng)
        video = bgr[..., ::-1]
        videos.append(video[::-1] if index % 8 >= 4 else video)
    return videos


def calibration_videos(image_size, frame_stride=1, data_dir=None, split="train"):
    """Videos for int8 streaming calibration, as a streaming model is fed.

    Args:
        image_size: the model's frame size.
        frame_stride: the stride the model was trained with.
        data_dir: a Jester-layout dataset: its split's frame folders, every
            `frame_stride`-th frame, centre-cropped; `None`: 32 synthetic
            videos (`synthetic_videos`).
        split: the split to read.

    Returns:
        An iterable of `(F, image_size, image_size, 3)` RGB uint8 videos,
        read one at a time (calibration stops at its frame budget).
    """
    if data_dir is None:
        return synthetic_videos(32, image_size)
    from keras_action.data import list_jester
    from keras_action.export.live import frames_at_stride

    sources = list_jester(data_dir, split).sources
    return (frames_at_stride(source, frame_stride, image_size) for source in sources)


def trained_frame_stride(model_path):
    """The frame stride a saved model was trained with, from its run's `metrics.json`.

    Returns:
        The run's `--frame-stride`, or 1 when the model has no run directory
        or was trained with TSN sampling.
    """
    metrics = Path(model_path).with_name("metrics.json")
    if not metrics.is_file():
        return 1
    config = json.loads(metrics.read_text()).get("config", {})
    return config.get("frame_stride") or 1


def calibration_samples(float_content, videos, limit):
    """int8 calibration samples: the frames of `videos` and the states seen.

    Each video is streamed from zero states through the float32 streaming
    file (`float_content`), so the states calibrated are those a device
    meets, including the first frames' partly-zero ones.

    Args:
        float_content: the float32 streaming file of the model.
        videos: an iterable of videos `(F, H, W, 3)` of pixels in [0, 255]
            at the model's size, or of `(video, label)` pairs.
        limit: the most frames used, over all videos.

    Returns:
        A callable yielding dicts `{"frame": frame, **states}` (float32,
        batch 1): the converter feeds a dict by the signature's names, a
        list by the order of the file's inputs, which is not the function's.
    """
    from keras_action.runtime import StreamingRunner

    runner = StreamingRunner(float_content)
    frame_shape = runner.frame_shape

    def generate():
        count = 0
        for item in videos:
            video = np.asarray(item[0] if isinstance(item, tuple) else item, np.float32)
            if video.shape[1:] != frame_shape[1:]:
                raise ValueError(
                    f"Calibration videos must have frames of shape {frame_shape[1:]}; "
                    f"got a video of shape {video.shape}."
                )
            runner.reset()
            for frame in video:
                if count == limit:
                    return
                count += 1
                yield {FRAME: frame[np.newaxis], **runner.states}
                runner.step(frame)
        if count == 0:
            raise ValueError("`representative_videos` yielded no frame.")

    return generate


def state_mismatches(model):
    """Why state outputs of a streaming file cannot loop back unchanged, if they cannot.

    Every state of `streaming_model` is written by a window: the state
    input and the current frame are concatenated and the newest entries
    sliced off as the state output (`keras_action.layers.temporal`). int8
    CONCATENATION and STRIDED_SLICE keep one scale and zero point, and the
    int8 CONCATENATION kernels (builtin and XNNPACK) refuse operands on
    another scale, so the converter gives each state input and output the
    same parameters; this checks that it did (a state written another way
    would show here) rather than rewriting them, which the CONCATENATION
    consuming the input would then refuse.

    Args:
        model: a `schema.ModelT` (a parsed `.tflite` file).

    Returns:
        One line per state whose output differs from its input in shape,
        type, scale or zero point; empty when all loop (or for a clip file).
    """
    tensors = model.subgraphs[0].tensors if model.subgraphs else []
    found = []
    for name, (source, target) in state_pairs(model).items():
        problem = _mismatch(tensors[source], tensors[target])
        if problem:
            found.append(f"{name}: {problem}")
    return found


def _mismatch(state_input, state_output):
    if state_input.shape.tolist() != state_output.shape.tolist():
        return (
            f"output shape {state_output.shape.tolist()} != input shape "
            f"{state_input.shape.tolist()}"
        )
    if state_input.type != state_output.type:
        return f"output type {state_output.type} != input type {state_input.type}"
    given, fed = _quantization(state_output), _quantization(state_input)
    if given != fed:
        return (
            f"output quantization (scale, zero point) {given} != input's {fed}: "
            "every frame would requantize the state"
        )
    return ""


def _quantization(tensor):
    parameters = tensor.quantization
    if parameters is None or parameters.scale is None:
        return None
    return (list(parameters.scale), list(parameters.zeroPoint))


def check_state_quantization(content):
    """Raises `ValueError` unless every state of `content` loops unchanged."""
    mismatches = state_mismatches(
        schema.ModelT.InitFromPackedBuf(bytearray(content), 0)
    )
    if mismatches:
        raise ValueError(
            "The int8 streaming file's states would be requantized every frame: "
            + "; ".join(mismatches)
        )
    return content


def state_pairs(model):
    """`{name: (input tensor, output tensor)}` of a streaming file's states.

    Args:
        model: a `schema.ModelT` (a parsed `.tflite` file).

    Returns:
        The names found both among the signature's inputs and its outputs,
        with their tensor indices; empty for a clip file.
    """
    if not model.signatureDefs:
        return {}
    signature = model.signatureDefs[0]
    inputs = {item.name.decode(): item.tensorIndex for item in signature.inputs}
    outputs = {item.name.decode(): item.tensorIndex for item in signature.outputs}
    return {
        name: (inputs[name], outputs[name])
        for name in sorted(inputs.keys() & outputs.keys())
    }


def float_tail_nodes(float_content):
    """Names of the ops of a streaming file's tail, to keep in float32 in int8.

    The tail is the classifier (the `FULLY_CONNECTED` the logits come from)
    and all that follows it: the consensus window's concatenation, mean and
    new window. In int8 the per-frame logits and their mean are each rounded
    to a step of about 1/255 of the logit range, which on small logits turns
    near-ties into exact ties and flips the top class; in float32 this tail
    costs a `(features × classes)` matrix product per frame.

    Args:
        float_content: the float32 streaming file of the model.

    Returns:
        The output tensor names of the tail's ops (each part of a fused
        name too), as `QuantizationDebugOptions(denylisted_nodes=...)`
        takes them; empty when the logits come from no `FULLY_CONNECTED`.
    """
    model = schema.ModelT.InitFromPackedBuf(bytearray(float_content), 0)
    subgraph = model.subgraphs[0]
    producer = {out: op for op in subgraph.operators for out in op.outputs}
    outputs = {
        item.name.decode(): item.tensorIndex for item in model.signatureDefs[0].outputs
    }

    def builtin(op):
        code = model.operatorCodes[op.opcodeIndex]
        return max(code.builtinCode, code.deprecatedBuiltinCode)

    # Back from the logits to the classifier, not past it.
    tail, pending, classifier = [], [outputs[LOGITS]], None
    while pending:
        op = producer.get(pending.pop())
        if op is None or any(op is seen for seen in tail):
            continue
        tail.append(op)
        if builtin(op) == schema.BuiltinOperator.FULLY_CONNECTED:
            classifier = op
            continue
        pending.extend(op.inputs)
    if classifier is None:
        return []
    # Forward: whatever else reads the tail (the consensus window's new state).
    written = {out for op in tail for out in op.outputs}
    for op in subgraph.operators:
        if any(op is seen for seen in tail) or not written & set(op.inputs):
            continue
        tail.append(op)
        written.update(op.outputs)
    names = set()
    for op in tail:
        for index in op.outputs:
            name = subgraph.tensors[index].name.decode()
            names.update({name, *name.split(";")})
    return sorted(names)
