import keras
import numpy as np
import pytest

from keras_action.layers import GateShift
from tests.layers import common, reference_relatives


def _numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


def _randomised(layer, frames, seed=1):
    """Builds `layer` with random gate weights and BatchNorm statistics."""
    layer.build(frames.shape)
    rng = np.random.default_rng(seed)
    channels = frames.shape[-1]
    bn = layer.batch_norm
    bn.gamma.assign(rng.uniform(0.5, 1.5, channels))
    bn.beta.assign(rng.normal(size=channels))
    bn.moving_mean.assign(rng.normal(size=channels))
    bn.moving_variance.assign(rng.uniform(0.5, 2.0, channels))
    layer.gate_kernel.assign(rng.normal(0, 0.2, layer.gate_kernel.shape))
    layer.gate_bias.assign(rng.normal(size=2))
    return layer


@pytest.mark.parametrize("causal", [False, True])
def test_matches_the_official_computation_or_its_causal_form(causal):
    """Causal: past gate taps, both gated halves from the previous frame."""
    frames = common.random_frames(channels=16)
    layer = _randomised(GateShift(4, causal=causal), frames)
    bn = layer.batch_norm
    expected = reference_relatives.gate_shift(
        frames,
        4,
        [_numpy(w) for w in (bn.gamma, bn.beta, bn.moving_mean, bn.moving_variance)],
        _numpy(layer.gate_kernel),
        _numpy(layer.gate_bias),
        causal=causal,
    )
    output = _numpy(layer(frames, training=False))
    np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-5)


def test_is_a_channel_permutation_of_the_input_at_initialisation():
    frames = common.random_frames(channels=16)
    permutation = reference_relatives.gsm_closed_permutation(16)
    assert permutation != sorted(permutation)
    output = _numpy(GateShift(4)(frames, training=True))
    np.testing.assert_array_equal(output, frames[..., permutation])


def test_open_gates_shift_the_first_half_back_and_the_second_forward():
    frames = common.random_frames(channels=8)
    layer = GateShift(4)
    layer.build(frames.shape)
    layer.gate_bias.assign([30.0, 30.0])  # tanh saturates to exactly 1
    output = _numpy(layer(frames))[
        ..., np.argsort(reference_relatives.gsm_closed_permutation(8))
    ]
    clips, out = frames.reshape(2, 4, 6, 6, 8), output.reshape(2, 4, 6, 6, 8)
    np.testing.assert_array_equal(out[:, :-1, ..., :4], clips[:, 1:, ..., :4])
    np.testing.assert_array_equal(out[:, 1:, ..., 4:], clips[:, :-1, ..., 4:])
    assert np.all(out[:, -1, ..., :4] == 0) and np.all(out[:, 0, ..., 4:] == 0)


@pytest.mark.parametrize("channels", [16, 64, 256])
def test_parameters_and_weight_layout(channels):
    layer = GateShift(8)
    layer.build((None, 7, 7, channels))
    trainable = sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
    assert trainable == 29 * channels + 2
    assert layer.gate_kernel.shape == (3, 3, 3, channels // 2, 2)
    assert layer.gate_bias.shape == (2,)
    assert layer.count_multiply_adds((None, 7, 7, channels)) == 27 * channels * 49


def test_channels_not_divisible_by_4_are_rejected_with_the_shape():
    with pytest.raises(ValueError, match=r"divisible by 4.*\(8, 6, 6, 10\)"):
        GateShift(4)(np.zeros((8, 6, 6, 10), "float32"))


def test_keras_conventions():
    frames = common.random_frames(channels=16)
    common.assert_serialization_round_trip(_randomised(GateShift(4), frames), frames)
    common.assert_edge_friendly(GateShift(4), frames)
    common.assert_gradients_reach_weights(_randomised(GateShift(4), frames), frames)
    assert GateShift(4).compute_output_shape(frames.shape) == frames.shape


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision(policy):
    frames = common.random_frames(channels=16)
    common.assert_mixed_precision(
        lambda: _randomised(GateShift(4), frames), frames, policy
    )
