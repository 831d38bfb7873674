"""The layers use `keras.ops` only: on the PyTorch and JAX backends they compute
the same as on TensorFlow, gradients reach their weights, and a whole model
loads, predicts and trains there."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_action import build_model, layers
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
BACKENDS = ["torch", "jax"]

#: Rebuilds each layer from its config and weights, runs the frames, and (on
#: JAX) takes the gradient of the summed outputs with respect to the weights.
LAYERS_ON_ANOTHER_BACKEND = """
import json, sys
import keras, numpy as np
import keras_action

folder = sys.argv[1]
frames = np.load(f"{folder}/frames.npy")
outputs, gradients = {}, {}
for name, config in json.load(open(f"{folder}/layers.json")).items():
    layer = keras.saving.deserialize_keras_object(config)
    layer(frames)
    weights = np.load(f"{folder}/{name}.npz")
    layer.set_weights([weights[f"w{i}"] for i in range(len(weights.files))])
    outputs[name] = keras.ops.convert_to_numpy(layer(frames, training=False))
    if keras.backend.backend() == "jax" and layer.trainable_variables:
        import jax

        trainable = [v.value for v in layer.trainable_variables]
        fixed = [v.value for v in layer.non_trainable_variables]

        def total(trainable):
            out, _ = layer.stateless_call(trainable, fixed, frames, training=False)
            return out.sum()

        grads = [np.asarray(g) for g in jax.grad(total)(trainable)]
        gradients[name] = float(min(np.abs(g).max() for g in grads))
        assert all(np.isfinite(g).all() for g in grads), name
np.savez(f"{folder}/outputs.npz", **outputs, backend=keras.backend.backend())
json.dump(gradients, open(f"{folder}/gradients.json", "w"))
"""

#: Loads the TensorFlow-saved model, predicts, and trains two epochs from NumPy.
MODEL_ON_ANOTHER_BACKEND = """
import sys
import keras, numpy as np
import keras_action

folder = sys.argv[1]
model = keras.saving.load_model(f"{folder}/model.keras", compile=False)
clips = np.load(f"{folder}/clips.npy")
logits = keras.ops.convert_to_numpy(model(clips, training=False))
before = [w.copy() for w in model.get_weights()]
model.compile(keras.optimizers.SGD(0.01), keras.losses.SparseCategoricalCrossentropy(
    from_logits=True))
history = model.fit(clips, np.array([0, 1]), batch_size=2, epochs=2, verbose=0)
changed = sum(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
np.savez(f"{folder}/outputs.npz", logits=logits, loss=history.history["loss"],
         changed=changed, backend=keras.backend.backend())
"""


def random_weight(variable, seed):
    """Non-trivial values: initial gates are often identities or zeros."""
    rng = np.random.default_rng(seed)
    low = 0.5 if "variance" in variable.path else -1.0
    return rng.uniform(low, 1.5, variable.shape).astype("float32")


def run_on(backend, script, folder):
    """Runs `script` in a fresh interpreter on `backend`; returns its outputs."""
    pytest.importorskip(backend)
    result = subprocess.run(
        [sys.executable, "-c", script, str(folder)],
        env={**os.environ, "KERAS_BACKEND": backend},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outputs = np.load(folder / "outputs.npz")
    assert str(outputs["backend"]) == backend
    return outputs


@pytest.mark.parametrize("backend", BACKENDS)
def test_layers_compute_the_same_on_another_backend(backend, tmp_path):
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

    outputs = run_on(backend, LAYERS_ON_ANOTHER_BACKEND, tmp_path)
    for name in LAYERS:
        np.testing.assert_allclose(
            outputs[name], expected[name], rtol=1e-4, atol=1e-5, err_msg=name
        )
    if backend == "jax":
        gradients = json.loads((tmp_path / "gradients.json").read_text())
        # Every layer with trainable weights (not TSM's or STSM's fixed shifts),
        # and every weight of it, gets a gradient.
        fixed = {"TemporalShift", "SpatioTemporalShift"}
        assert sorted(gradients) == sorted(set(LAYERS) - fixed)
        assert all(smallest > 0 for smallest in gradients.values()), gradients


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_model_saved_on_tensorflow_predicts_and_trains_on_another_backend(
    backend, tmp_path
):
    model = build_model("mobilenet_v2", "action", 2, SEGMENTS, image_size=32)
    clips = np.random.default_rng(0).uniform(0, 255, (2, SEGMENTS, 32, 32, 3))
    clips = clips.astype("float32")
    np.save(tmp_path / "clips.npy", clips)
    model.save(tmp_path / "model.keras")
    expected = model.predict(clips, verbose=0)

    outputs = run_on(backend, MODEL_ON_ANOTHER_BACKEND, tmp_path)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(outputs["logits"], expected, atol=1e-4 * scale)
    assert np.isfinite(outputs["loss"]).all()
    # Gradients reached the weights: most of them moved in two epochs.
    assert outputs["changed"] > len(model.trainable_weights) // 2
