"""Helpers for tests of whole models."""

import keras
import numpy as np

from keras_action.export import streaming


def temporal_layers(model, backbone):
    """The temporal layers inserted in the frame model of `build_model`'s model."""
    frame_model = model.get_layer(f"{backbone}_{model.name.split('_')[0]}")
    return [layer for layer in frame_model.layers if layer.name.endswith("_temporal")]


def trained_like(model, seed=0):
    """Gives a randomly initialised model the scales of a trained one.

    Fresh weights make degenerate int8 files: zero-initialised gates (GSM)
    and activations that shrink layer after layer leave some ADD, SUB and
    MUL with scale ratios XNNPACK refuses (a BatchNorm whose offset is
    all but zero adds a constant on a scale 10⁷ times finer than its
    output's), and logits too close to rank classes. BatchNorm statistics
    measured on synthetic clips (one pass in training mode with momentum 0),
    random BatchNorm offsets and zero-initialised kernels, and a unit-scale
    classifier give every layer a trained model's ranges.
    """
    rng = np.random.default_rng(seed)
    for weight in model.trainable_weights:
        value = keras.ops.convert_to_numpy(weight)
        if "kernel" in weight.path and not value.any():
            weight.assign(rng.normal(0, 0.3, value.shape).astype("float32"))
    kernel = model.get_layer("classifier").kernel
    kernel.assign(rng.normal(size=kernel.shape).astype("float32"))
    norms = [
        layer
        for layer in model._flatten_layers()
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    _, segments, size, _, _ = model.input_shape
    videos = streaming.synthetic_videos(8, size, seed=seed)
    clips = np.stack([video[:segments] for video in videos])
    for layer in norms:
        layer.momentum = 0.0
        if layer.center:
            beta = layer.beta
            beta.assign(rng.normal(0, 0.1, beta.shape).astype("float32"))
    model(clips.astype("float32"), training=True)
    for layer in norms:
        layer.momentum = 0.99
    return model
