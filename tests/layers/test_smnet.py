import keras
import numpy as np
import pytest

from keras_action.layers import (
    MotionExcitation,
    SMNetBlock,
    SMNetMotionExcitation,
    SMNetSpatioTemporalExcitation,
)
from tests.layers import common, reference_relatives


def _numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


def _randomise(layer, frames, seed=1):
    """Builds `layer`, then gives every weight and BN statistic a random value."""
    layer.build(frames.shape)
    rng = np.random.default_rng(seed)
    for weight in layer.weights:
        if "variance" in weight.path or "gamma" in weight.path:
            weight.assign(rng.uniform(0.5, 2.0, weight.shape))
        else:
            weight.assign(rng.normal(0, 0.3, weight.shape))
    return layer


def _bn(layer):
    return [
        _numpy(w)
        for w in (layer.gamma, layer.beta, layer.moving_mean, layer.moving_variance)
    ]


@pytest.mark.parametrize("groups", [None, 4])
def test_spatio_temporal_matches_the_definition(groups):
    frames = common.random_frames(channels=16)
    layer = _randomise(SMNetSpatioTemporalExcitation(4, groups=groups), frames)
    expected = reference_relatives.smnet_spatio_temporal(
        frames, 4, _numpy(layer.temporal_kernel), _numpy(layer.attention.kernel)
    )
    np.testing.assert_allclose(_numpy(layer(frames)), expected, rtol=1e-4, atol=1e-4)


def test_spatio_temporal_fusion_starts_as_the_identity():
    frames = common.random_frames(channels=16)
    layer = SMNetSpatioTemporalExcitation(4, groups=2)
    layer.build(frames.shape)
    np.testing.assert_array_equal(_numpy(layer.fuse_time(frames)), frames)
    gated = _numpy(layer(frames)) / frames
    assert np.all((gated > 1) & (gated < 2))


@pytest.mark.parametrize(
    "groups, per_group_channels, expected", [(None, 1, 3 * 64 + 98), (8, 8, 1634)]
)
def test_spatio_temporal_parameters(groups, per_group_channels, expected):
    layer = SMNetSpatioTemporalExcitation(4, groups=groups)
    layer.build((None, 7, 7, 64))
    assert layer.temporal_kernel.shape == (3, per_group_channels, 64)
    assert layer.count_params() == 3 * 64 * per_group_channels + 2 * 49 == expected
    assert layer.count_multiply_adds((None, 7, 7, 64)) == 49 * expected


@pytest.mark.parametrize("causal", [False, True])
def test_motion_matches_tea_or_its_causal_form(causal):
    """Causal: the difference with the previous frame, DW(b)[t] - b[t - 1]."""
    frames = common.random_frames(channels=32)
    layer = _randomise(SMNetMotionExcitation(4, causal=causal), frames)
    mask = reference_relatives.tea_motion_mask(
        frames,
        4,
        _numpy(layer.squeeze.kernel)[0, 0],
        _bn(layer.batch_norm),
        _numpy(layer.depthwise.kernel)[..., 0],
        _numpy(layer.expand.kernel)[0, 0],
        _bn(layer.expand_norm),
        causal=causal,
    )
    output = _numpy(layer(frames, training=False))
    np.testing.assert_allclose(output, frames + frames * mask, rtol=1e-4, atol=1e-4)


def test_motion_without_tea_options_is_actions_motion_excitation():
    frames = common.random_frames(channels=32)
    action = _randomise(MotionExcitation(4), frames)
    smnet = SMNetMotionExcitation(4, expand_batch_norm=False, centered=False)
    smnet.build(frames.shape)
    smnet.set_weights(action.get_weights())
    np.testing.assert_allclose(
        _numpy(smnet(frames)), _numpy(action(frames)), rtol=1e-6, atol=1e-6
    )


def test_motion_parameters():
    layer = SMNetMotionExcitation(4)
    layer.build((None, 7, 7, 64))
    trainable = sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
    assert trainable == 2 * 64 * 4 + 11 * 4 + 2 * 64


@pytest.mark.parametrize("combination", ["sequential", "parallel"])
def test_block_combines_its_parts(combination):
    frames = common.random_frames(channels=32)
    block = _randomise(SMNetBlock(4, groups=8, combination=combination), frames)
    spatio_temporal = _numpy(block.spatio_temporal(frames))
    if combination == "sequential":
        expected = _numpy(block.motion(spatio_temporal, training=False))
    else:
        expected = spatio_temporal + _numpy(block.motion(frames, training=False))
    output = _numpy(block(frames, training=False))
    np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-5)
    # By hand, per 6×6 frame of 32 channels: STE 36 px × (3·32²/8 grouped
    # temporal taps + 2·7² attention) = 17,352; ME (r = 2) 36 × (32·2 squeeze
    # + 9·2 depthwise) + 2·32 pooled expand = 3,016.
    assert block.count_multiply_adds(frames.shape) == 17_352 + 3_016


def test_bad_arguments_are_rejected_clearly():
    with pytest.raises(ValueError, match=r"groups=5.*\(8, 6, 6, 32\)"):
        SMNetSpatioTemporalExcitation(4, groups=5)(np.zeros((8, 6, 6, 32), "float32"))
    with pytest.raises(ValueError, match="temporal_kernel_size"):
        SMNetSpatioTemporalExcitation(4, temporal_kernel_size=2)
    with pytest.raises(ValueError, match="combination"):
        SMNetBlock(4, combination="interleaved")


@pytest.mark.parametrize(
    "factory",
    [
        lambda: SMNetSpatioTemporalExcitation(4, groups=4, attention_kernel_size=5),
        lambda: SMNetMotionExcitation(4, reduction=8, centered=False),
        lambda: SMNetBlock(4, reduction=8, combination="parallel"),
    ],
)
def test_keras_conventions(factory):
    frames = common.random_frames(channels=32)
    common.assert_serialization_round_trip(_randomise(factory(), frames), frames)
    common.assert_edge_friendly(factory(), frames)
    common.assert_gradients_reach_weights(_randomise(factory(), frames), frames)
    assert factory().compute_output_shape(frames.shape) == frames.shape


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision(policy):
    common.assert_mixed_precision(
        lambda: SMNetBlock(4), common.random_frames(channels=32), policy
    )


@pytest.mark.parametrize("groups", [None, 4])
def test_causal_spatio_temporal_matches_the_definition_and_starts_as_identity(groups):
    frames = common.random_frames(channels=16)
    initial = SMNetSpatioTemporalExcitation(4, groups=groups, causal=True)
    initial.build(frames.shape)
    np.testing.assert_array_equal(_numpy(initial.fuse_time(frames)), frames)
    layer = _randomise(SMNetSpatioTemporalExcitation(4, groups, causal=True), frames)
    expected = reference_relatives.smnet_spatio_temporal(
        frames,
        4,
        _numpy(layer.temporal_kernel),
        _numpy(layer.attention.kernel),
        causal=True,
    )
    np.testing.assert_allclose(_numpy(layer(frames)), expected, rtol=1e-4, atol=1e-4)
