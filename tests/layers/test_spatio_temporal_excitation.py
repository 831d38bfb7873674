import keras
import numpy as np
import pytest

from keras_action.layers import SpatioTemporalExcitation
from tests.layers import common, reference


def test_matches_the_3d_convolution_of_the_channel_mean():
    frames = common.random_frames(channels=8)
    layer = SpatioTemporalExcitation(4)
    output = keras.ops.convert_to_numpy(layer(frames))
    kernel = keras.ops.convert_to_numpy(layer.kernel)
    assert kernel.shape == (3, 3, 3, 1, 1)
    mask = reference.spatio_temporal_mask(frames, 4, kernel[..., 0, 0])
    np.testing.assert_allclose(output, frames + frames * mask, rtol=1e-5, atol=1e-5)


def test_temporal_taps_reach_only_neighbouring_frames():
    """A kernel with only the t+1 tap makes frame t depend on frame t+1 alone."""
    layer = SpatioTemporalExcitation(4)
    frames = np.zeros((4, 5, 5, 2), "float32")
    frames[2] = 1.0
    layer(frames)
    kernel = np.zeros((3, 3, 3, 1, 1), "float32")
    kernel[2, 1, 1] = 10.0
    layer.set_weights([kernel])
    mask = keras.ops.convert_to_numpy(layer.gate(frames))[..., 0]
    np.testing.assert_allclose(mask[1], reference.sigmoid(10.0))
    np.testing.assert_allclose(mask[[0, 2, 3]], 0.5)


def test_parameters():
    layer = SpatioTemporalExcitation(4)
    layer.build((8, 6, 6, 16))
    assert layer.count_params() == 27
    assert layer.count_multiply_adds((None, 6, 6, 16)) == 27 * 36


def test_keras_conventions():
    frames = common.random_frames(channels=8)
    common.assert_serialization_round_trip(SpatioTemporalExcitation(4), frames)
    common.assert_edge_friendly(SpatioTemporalExcitation(4), frames)
    common.assert_gradients_reach_weights(SpatioTemporalExcitation(4), frames)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision(policy):
    common.assert_mixed_precision(
        lambda: SpatioTemporalExcitation(4), common.random_frames(channels=8), policy
    )


def test_causal_form_is_the_same_kernel_over_the_past_taps():
    frames = common.random_frames(channels=8)
    layer = SpatioTemporalExcitation(4, causal=True)
    output = keras.ops.convert_to_numpy(layer(frames))
    kernel = keras.ops.convert_to_numpy(layer.kernel)
    assert kernel.shape == (3, 3, 3, 1, 1)
    mask = reference.spatio_temporal_mask(frames, 4, kernel[..., 0, 0], causal=True)
    np.testing.assert_allclose(output, frames + frames * mask, rtol=1e-5, atol=1e-5)
