"""Every temporal layer's causal form: past frames only, and a per-frame call
with declared states that reproduces the clip call exactly."""

import keras
import numpy as np
import pytest

from keras_action import layers
from tests.layers import common

SEGMENTS = 4

CAUSAL_LAYERS = {
    "tsm": lambda: layers.TemporalShift(SEGMENTS, causal=True),
    "learnable_shift": lambda: layers.TemporalShift(
        SEGMENTS, learnable=True, causal=True
    ),
    "ste": lambda: layers.SpatioTemporalExcitation(SEGMENTS, causal=True),
    "ce": lambda: layers.ChannelExcitation(SEGMENTS, causal=True),
    "me": lambda: layers.MotionExcitation(SEGMENTS, causal=True),
    "action": lambda: layers.ActionBlock(SEGMENTS, causal=True),
    "action_me": lambda: layers.ActionBlock(SEGMENTS, paths=("me",), causal=True),
    "gsm": lambda: layers.GateShift(SEGMENTS, causal=True),
    "stsm": lambda: layers.SpatioTemporalShift(SEGMENTS, causal=True),
    "stsm_two_frames": lambda: layers.SpatioTemporalShift(
        SEGMENTS, [("time", -2, 8), ("height", 1, 16), ("time", -1, 4)], causal=True
    ),
    "smnet_ste": lambda: layers.SMNetSpatioTemporalExcitation(SEGMENTS, causal=True),
    "smnet_me": lambda: layers.SMNetMotionExcitation(SEGMENTS, causal=True),
    "smnet": lambda: layers.SMNetBlock(SEGMENTS, causal=True),
    "smnet_parallel": lambda: layers.SMNetBlock(
        SEGMENTS, groups=4, combination="parallel", causal=True
    ),
}


def _numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


def _randomised(name, frames):
    """A built causal layer whose weights and statistics are all random, so
    that every temporal path (GSM's zero-initialised gates too) is active."""
    layer = CAUSAL_LAYERS[name]()
    layer.build(frames.shape)
    rng = np.random.default_rng(1)
    for weight in layer.weights:
        if "variance" in weight.path:
            weight.assign(rng.uniform(0.5, 2.0, weight.shape))
        else:
            weight.assign(rng.normal(0, 0.5, weight.shape))
    return layer


def _stream(layer, frames, num_clips):
    """The outputs of per-frame calls from zero states, folded like a clip's."""
    per_frame_shape = (num_clips, *frames.shape[1:])
    states = layer.initial_states(per_frame_shape)
    clips = frames.reshape(num_clips, SEGMENTS, *frames.shape[1:])
    outputs = []
    for t in range(SEGMENTS):
        output, states = layer(clips[:, t], states=states, training=False)
        outputs.append(_numpy(output))
    return np.stack(outputs, axis=1).reshape(frames.shape), states


@pytest.mark.parametrize("name", sorted(CAUSAL_LAYERS))
@pytest.mark.parametrize("changed", [1, 2, 3])
def test_output_at_frame_t_depends_on_frames_up_to_t_only(name, changed):
    frames = common.random_frames(channels=32)
    layer = _randomised(name, frames)
    before = _numpy(layer(frames, training=False)).reshape(2, SEGMENTS, -1)
    edited = frames.reshape(2, SEGMENTS, *frames.shape[1:]).copy()
    edited[:, changed] += common.random_frames(1, 2, seed=5)
    after = _numpy(layer(edited.reshape(frames.shape), training=False))
    after = after.reshape(2, SEGMENTS, -1)
    np.testing.assert_array_equal(after[:, :changed], before[:, :changed])
    assert np.all(np.any(after[:, changed] != before[:, changed], axis=-1))


@pytest.mark.parametrize("name", sorted(CAUSAL_LAYERS))
def test_streaming_frame_by_frame_from_zero_states_gives_the_clip_outputs(name):
    frames = common.random_frames(channels=32)
    layer = _randomised(name, frames)
    expected = _numpy(layer(frames, training=False))
    streamed, states = _stream(layer, frames, num_clips=2)
    np.testing.assert_allclose(streamed, expected, rtol=1e-5, atol=1e-5)
    specs = layer.state_specs((2, *frames.shape[1:]))
    assert set(states) == set(specs)
    for key, spec in specs.items():
        assert len(spec.shape) <= 4, key
        assert tuple(states[key].shape) == spec.shape, key
        assert keras.backend.standardize_dtype(states[key].dtype) == spec.dtype


@pytest.mark.parametrize("name", sorted(CAUSAL_LAYERS))
def test_a_stream_goes_on_past_t_frames(name):
    """After 2T frames, the output equals that of a clip of the last T frames:
    every layer here reaches back at most 3 < T frames, so the states are the
    whole memory that the clip's zeros replace."""
    frames = common.random_frames(1, 2 * SEGMENTS, channels=32)
    layer = _randomised(name, frames)
    states = layer.initial_states((1, *frames.shape[1:]))
    for frame in frames:
        output, states = layer(frame[None], states=states, training=False)
    clip = _numpy(layer(frames[-SEGMENTS:], training=False))
    np.testing.assert_allclose(_numpy(output)[0], clip[-1], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(CAUSAL_LAYERS))
def test_causal_keras_conventions(name):
    frames = common.random_frames(channels=32)
    layer = CAUSAL_LAYERS[name]()
    assert layer.get_config()["causal"] is True
    common.assert_serialization_round_trip(layer, frames)
    common.assert_edge_friendly(CAUSAL_LAYERS[name](), frames)


def test_two_way_layers_serialise_causal_false_and_refuse_per_frame_calls():
    layer = layers.ActionBlock(SEGMENTS)
    assert layer.get_config()["causal"] is False
    frame = np.zeros((1, 6, 6, 32), "float32")
    layer(np.zeros((SEGMENTS, 6, 6, 32), "float32"))
    with pytest.raises(ValueError, match="action_block.* two-way .*causal=True"):
        layer(frame, states={})
    with pytest.raises(ValueError, match="two-way"):
        layer.state_specs(frame.shape)


def test_consensus_streams_the_mean_of_the_last_t_outputs():
    consensus = layers.SegmentConsensus(SEGMENTS)
    logits = np.random.default_rng(0).normal(size=(2 * SEGMENTS, 5)).astype("float32")
    states = {"window": np.zeros((1, SEGMENTS - 1, 5), "float32")}
    assert consensus.state_specs((1, 5))["window"].shape == (1, SEGMENTS - 1, 5)
    for t, frame_logits in enumerate(logits):
        mean, states = consensus(frame_logits[None], states=states)
        window = logits[max(0, t - SEGMENTS + 1) : t + 1]
        np.testing.assert_allclose(_numpy(mean)[0], window.sum(0) / SEGMENTS, atol=1e-6)
    np.testing.assert_allclose(
        _numpy(mean), _numpy(consensus(logits))[1:], rtol=1e-6, atol=1e-6
    )


@pytest.mark.parametrize("name", ["action", "gsm", "smnet"])
def test_a_new_layer_streams_without_a_clip_call_first(name):
    layer = CAUSAL_LAYERS[name]()
    states = layer.initial_states((1, 6, 6, 32))
    output, states = layer(np.ones((1, 6, 6, 32), "float32"), states=states)
    assert output.shape == (1, 6, 6, 32)
    assert set(states) == set(layer.state_specs((1, 6, 6, 32)))
