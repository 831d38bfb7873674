import keras
import numpy as np
import pytest

from keras_action.layers import MotionExcitation
from tests.layers import common, reference


def _randomise_batch_norm_statistics(layer, seed=1):
    rng = np.random.default_rng(seed)
    bn = layer.batch_norm
    reduced = bn.gamma.shape[0]
    bn.moving_mean.assign(rng.normal(size=reduced))
    bn.moving_variance.assign(rng.uniform(0.5, 2.0, size=reduced))
    bn.gamma.assign(rng.uniform(0.5, 1.5, size=reduced))
    bn.beta.assign(rng.normal(size=reduced))


def test_matches_the_published_definition():
    frames = common.random_frames(channels=32)
    layer = MotionExcitation(4)
    layer.build(frames.shape)
    _randomise_batch_norm_statistics(layer)
    output = keras.ops.convert_to_numpy(layer(frames, training=False))
    mask = reference.motion_mask_of(layer, frames, 4)
    np.testing.assert_allclose(output, frames + frames * mask, rtol=1e-5, atol=1e-5)


def test_the_last_frame_has_no_motion():
    layer = MotionExcitation(4)
    frames = common.random_frames(channels=32)
    layer.build(frames.shape)
    gate = keras.ops.convert_to_numpy(layer.gate(frames))
    np.testing.assert_allclose(gate[3::4], 0.5)


def test_parameters_follow_the_formula():
    layer = MotionExcitation(4)
    layer.build((8, 6, 6, 64))
    channels, reduced = 64, 4
    trainable = sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
    assert trainable == 2 * channels * reduced + 2 * reduced + 9 * reduced
    assert layer.count_params() == trainable + 2 * reduced


def test_keras_conventions():
    frames = common.random_frames(channels=32)
    common.assert_serialization_round_trip(MotionExcitation(4, reduction=8), frames)
    common.assert_edge_friendly(MotionExcitation(4), frames)
    common.assert_gradients_reach_weights(MotionExcitation(4), frames)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision(policy):
    common.assert_mixed_precision(
        lambda: MotionExcitation(4), common.random_frames(channels=32), policy
    )


def test_causal_form_subtracts_the_previous_frame():
    frames = common.random_frames(channels=32)
    layer = MotionExcitation(4, causal=True)
    layer.build(frames.shape)
    _randomise_batch_norm_statistics(layer)
    output = keras.ops.convert_to_numpy(layer(frames, training=False))
    mask = reference.motion_mask_of(layer, frames, 4, causal=True)
    np.testing.assert_allclose(output, frames + frames * mask, rtol=1e-5, atol=1e-5)
