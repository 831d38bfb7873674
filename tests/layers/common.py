"""Checks that every temporal layer must pass."""

import keras
import numpy as np
import tensorflow as tf

# Ops that LiteRT cannot run on int8, XNNPACK or GPU delegates.
FORBIDDEN_OPS = {"Conv3D", "Conv3DBackpropInputV2", "Conv3DBackpropFilterV2"}


def random_frames(num_clips=2, num_segments=4, size=6, channels=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(num_clips * num_segments, size, size, channels)).astype(
        "float32"
    )


def assert_serialization_round_trip(layer, frames):
    """from_config(get_config()) and serialize/deserialize give the same layer."""
    expected = keras.ops.convert_to_numpy(layer(frames))
    config = layer.get_config()
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(layer)
    )
    assert type(restored) is type(layer)
    assert restored.get_config() == config
    restored(frames)
    restored.set_weights(layer.get_weights())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(restored(frames)), expected)


def assert_edge_friendly(layer, frames):
    """No 3-D convolution, and no activation of rank > 4, in the traced graph.

    Weights may keep the papers' shapes (the STE kernel is 3x3x3): reshaping a
    weight is folded into a constant on conversion. Activations, the tensors
    that depend on the input, are what edge runtimes execute.
    """
    function = tf.function(lambda x: layer(x, training=False))
    graph = function.get_concrete_function(tf.TensorSpec(frames.shape)).graph
    activations = set()
    for op in graph.get_operations():  # topological order
        assert op.type not in FORBIDDEN_OPS, op.type
        depends_on_input = (
            op.type == "Placeholder" and op.outputs[0].dtype == tf.float32
        )
        if depends_on_input or any(t.ref() in activations for t in op.inputs):
            for tensor in op.outputs:
                activations.add(tensor.ref())
                rank = tensor.shape.rank
                assert rank is not None and rank <= 4, f"{op.name}: rank {rank}"
    assert len(activations) > 1


def assert_gradients_reach_weights(layer, frames):
    frames = tf.convert_to_tensor(frames)
    with tf.GradientTape() as tape:
        tape.watch(frames)
        loss = tf.reduce_sum(layer(frames, training=True) ** 2)
    gradients = tape.gradient(loss, [frames, *layer.trainable_variables])
    for gradient in gradients:
        assert gradient is not None
        assert np.any(gradient.numpy() != 0)


def assert_mixed_precision(layer_factory, frames, policy):
    """The layer runs under a mixed policy and stays close to float32."""
    reference = layer_factory()
    expected = keras.ops.convert_to_numpy(reference(frames))
    keras.config.set_dtype_policy(policy)
    try:
        layer = layer_factory()
        layer(frames)
        layer.set_weights(reference.get_weights())
        output = layer(frames)
    finally:
        keras.config.set_dtype_policy("float32")
    assert keras.backend.standardize_dtype(output.dtype) == policy.split("_")[1]
    output = keras.ops.convert_to_numpy(keras.ops.cast(output, "float32"))
    np.testing.assert_allclose(output, expected, rtol=0.05, atol=0.05)
