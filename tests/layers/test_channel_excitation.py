import keras
import numpy as np
import pytest

from keras_action.layers import ChannelExcitation
from tests.layers import common, reference


def test_matches_the_published_definition():
    frames = common.random_frames(channels=32)
    layer = ChannelExcitation(4)
    output = keras.ops.convert_to_numpy(layer(frames))
    squeeze, temporal_kernel, expand = (
        keras.ops.convert_to_numpy(w)
        for w in (layer.squeeze.kernel, layer.temporal_kernel, layer.expand.kernel)
    )
    assert squeeze.shape == (1, 1, 32, 2) and temporal_kernel.shape == (3, 2, 2)
    mask = reference.channel_mask(
        frames, 4, squeeze[0, 0], temporal_kernel, expand[0, 0]
    )
    np.testing.assert_allclose(output, frames + frames * mask, rtol=1e-5, atol=1e-5)


def test_parameters_follow_the_formula():
    layer = ChannelExcitation(4, reduction=16)
    layer.build((8, 6, 6, 64))
    channels, reduced = 64, 4
    assert layer.count_params() == 2 * channels * reduced + 3 * reduced**2


def test_batch_not_a_multiple_of_num_segments_is_rejected():
    with pytest.raises(ValueError, match=r"6 frames.*num_segments=4"):
        ChannelExcitation(4)(np.zeros((6, 6, 6, 32), "float32"))


def test_keras_conventions():
    frames = common.random_frames(channels=32)
    common.assert_serialization_round_trip(ChannelExcitation(4, reduction=8), frames)
    common.assert_edge_friendly(ChannelExcitation(4), frames)
    common.assert_gradients_reach_weights(ChannelExcitation(4), frames)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision(policy):
    common.assert_mixed_precision(
        lambda: ChannelExcitation(4), common.random_frames(channels=32), policy
    )


def test_causal_form_reads_the_two_previous_frames_and_the_present():
    frames = common.random_frames(channels=32)
    layer = ChannelExcitation(4, causal=True)
    output = keras.ops.convert_to_numpy(layer(frames))
    squeeze, temporal_kernel, expand = (
        keras.ops.convert_to_numpy(w)
        for w in (layer.squeeze.kernel, layer.temporal_kernel, layer.expand.kernel)
    )
    assert temporal_kernel.shape == (3, 2, 2)
    mask = reference.channel_mask(
        frames, 4, squeeze[0, 0], temporal_kernel, expand[0, 0], causal=True
    )
    np.testing.assert_allclose(output, frames + frames * mask, rtol=1e-5, atol=1e-5)
