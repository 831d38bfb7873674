import keras
import numpy as np
import pytest

from keras_action.layers import ActionBlock
from tests.layers import common, reference


def _numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


def test_sums_the_three_paths_after_the_learnable_shift():
    frames = common.random_frames(channels=32)
    block = ActionBlock(4)
    output = _numpy(block(frames, training=False))
    shifted = reference.tsm_shift(frames, 4)
    ste = reference.spatio_temporal_mask(
        shifted, 4, _numpy(block.excitations[2].kernel)[..., 0, 0]
    )
    channel = block.excitations[0]
    ce = reference.channel_mask(
        shifted,
        4,
        _numpy(channel.squeeze.kernel)[0, 0],
        _numpy(channel.temporal_kernel),
        _numpy(channel.expand.kernel)[0, 0],
    )
    me = reference.motion_mask_of(block.excitations[1], shifted, 4)
    expected = sum(shifted + shifted * mask for mask in (ste, ce, me))
    np.testing.assert_allclose(output, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "channels, expected", [(24, 209), (64, 1335), (256, 18123), (2048, 1105307)]
)
def test_trainable_parameters_follow_the_published_formula(channels, expected):
    block = ActionBlock(8)
    block.build((None, 7, 7, channels))
    trainable = sum(int(np.prod(w.shape)) for w in block.trainable_weights)
    reduced = channels // 16
    formula = 3 * channels + 27 + 4 * channels * reduced + 3 * reduced**2 + 11 * reduced
    assert trainable == formula == expected


def test_multiply_adds_per_frame_counted_by_hand():
    """C = 64, r = 4, 7×7: shift 49·3·64 = 9,408; STE 49·27 = 1,323; CE on the
    pooled vector 2·64·4 + 3·4² = 560; ME 49·(64·4 + 9·4) + 4·64 = 14,564."""
    block = ActionBlock(8)
    block.build((None, 7, 7, 64))
    assert block.count_multiply_adds((None, 7, 7, 64)) == 9_408 + 1_323 + 560 + 14_564


@pytest.mark.parametrize("path", ["ste", "ce", "me"])
def test_a_single_path_is_shift_then_that_path(path):
    frames = common.random_frames(channels=32)
    block = ActionBlock(4, paths=(path,))
    output = _numpy(block(frames, training=False))
    (excitation,) = block.excitations
    np.testing.assert_allclose(
        output, _numpy(excitation(block.shift(frames), training=False)), rtol=1e-5
    )


def test_invalid_paths_are_rejected():
    with pytest.raises(ValueError, match="paths"):
        ActionBlock(4, paths=("ste", "motion"))
    with pytest.raises(ValueError, match="paths"):
        ActionBlock(4, paths=())


def test_keras_conventions():
    frames = common.random_frames(channels=32)
    common.assert_serialization_round_trip(ActionBlock(4, paths=("me", "ste")), frames)
    common.assert_edge_friendly(ActionBlock(4), frames)
    common.assert_gradients_reach_weights(ActionBlock(4), frames)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision(policy):
    common.assert_mixed_precision(
        lambda: ActionBlock(4), common.random_frames(channels=32), policy
    )


def test_jit_compiled_model_matches_eager():
    frames = common.random_frames(channels=32)
    inputs = keras.Input(frames.shape[1:])
    model = keras.Model(inputs, ActionBlock(4)(inputs))
    expected = model.predict(frames, batch_size=8, verbose=0)
    model.compile(jit_compile=True)
    compiled = model.predict(frames, batch_size=8, verbose=0)
    np.testing.assert_allclose(compiled, expected, rtol=1e-5, atol=1e-5)
