"""The layers use `keras.ops` only: on the PyTorch backend they compute the same."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_action import layers
from tests.layers.common import random_frames

SEGMENTS = 4
LAYERS = (
    "TemporalShift",
    "SpatioTemporalExcitation",
    "ChannelExcitation",
    "MotionExcitation",
    "ActionBlock",
    "GateShift",
    "SpatioTemporalShift",
    "SMNetBlock",
)

#: Rebuilds each layer from its config and weights, and runs the frames.
ON_ANOTHER_BACKEND = """
import json, sys
import keras, numpy as np
import keras_action

folder = sys.argv[1]
frames = np.load(f"{folder}/frames.npy")
outputs = {}
for name, config in json.load(open(f"{folder}/layers.json")).items():
    layer = keras.saving.deserialize_keras_object(config)
    layer(frames)
    weights = np.load(f"{folder}/{name}.npz")
    layer.set_weights([weights[f"w{i}"] for i in range(len(weights.files))])
    outputs[name] = keras.ops.convert_to_numpy(layer(frames, training=False))
np.savez(f"{folder}/outputs.npz", **outputs, backend=keras.backend.backend())
"""


def random_weight(variable, seed):
    """Non-trivial values: initial gates are often identities or zeros."""
    rng = np.random.default_rng(seed)
    low = 0.5 if "variance" in variable.path else -1.0
    return rng.uniform(low, 1.5, variable.shape).astype("float32")


def test_layers_compute_the_same_on_the_torch_backend(tmp_path):
    pytest.importorskip("torch")
    frames = random_frames(num_segments=SEGMENTS, channels=16)
    np.save(tmp_path / "frames.npy", frames)
    expected, configs = {}, {}
    for name in LAYERS:
        layer = getattr(layers, name)(num_segments=SEGMENTS)
        layer(frames)
        weights = [random_weight(w, seed) for seed, w in enumerate(layer.weights)]
        layer.set_weights(weights)
        expected[name] = keras.ops.convert_to_numpy(layer(frames, training=False))
        assert np.isfinite(expected[name]).all(), name
        configs[name] = keras.saving.serialize_keras_object(layer)
        np.savez(
            tmp_path / f"{name}.npz", **{f"w{i}": w for i, w in enumerate(weights)}
        )
    (tmp_path / "layers.json").write_text(json.dumps(configs))

    result = subprocess.run(
        [sys.executable, "-c", ON_ANOTHER_BACKEND, str(tmp_path)],
        env={**os.environ, "KERAS_BACKEND": "torch"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outputs = np.load(tmp_path / "outputs.npz")
    assert str(outputs["backend"]) == "torch"
    for name in LAYERS:
        np.testing.assert_allclose(
            outputs[name], expected[name], rtol=1e-4, atol=1e-5, err_msg=name
        )
