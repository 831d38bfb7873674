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
its state input (`tie_state_quantization`), so a runtime copies the int8
values back unchanged: no requantisation, no drift.
"""

import keras
import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema
from tensorflow.lite.tools import flatbuffer_utils

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


def tie_state_quantization(content):
    """Gives each int8 state input the scale and zero point of its state output.

    The converter calibrates the state input (frame t - 1's state) and the
    state output (frame t's) separately, which gives them slightly different
    ranges; a runtime copying the int8 output back as the next input would
    then misread it by the ratio of the scales, every frame. The output's
    parameters are what the producing op computes with, so the input takes
    them: the consuming int8 kernels read their input's scale and zero point
    from the tensor, so they dequantize the copied values exactly.

    Args:
        content: an int8 streaming `.tflite` file.

    Returns:
        The file with every state pair on the same scale and zero point.
    """
    model = flatbuffer_utils.read_model_from_bytearray(bytearray(content))
    subgraph = model.subgraphs[0]
    for input_index, output_index in state_pairs(model).values():
        source = subgraph.tensors[output_index].quantization
        target = subgraph.tensors[input_index]
        if source is None or target.quantization is None:
            continue
        tied = schema.QuantizationParametersT()
        tied.scale = list(source.scale)
        tied.zeroPoint = list(source.zeroPoint)
        tied.quantizedDimension = source.quantizedDimension
        target.quantization = tied
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


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
