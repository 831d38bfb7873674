import keras
import numpy as np
import pytest

from keras_action.layers import TemporalShift
from tests.layers import common, reference


@pytest.mark.parametrize("shift_div", [4, 8])
def test_moves_exactly_the_tsm_channels_with_zeros_at_the_ends(shift_div):
    frames = common.random_frames(channels=16)
    output = keras.ops.convert_to_numpy(TemporalShift(4, shift_div)(frames))
    np.testing.assert_array_equal(output, reference.tsm_shift(frames, 4, shift_div))
    fold = 16 // shift_div
    clips = output.reshape(2, 4, 6, 6, 16)
    assert np.all(clips[:, -1, ..., :fold] == 0)
    assert np.all(clips[:, 0, ..., fold : 2 * fold] == 0)


def test_learnable_shift_equals_the_fixed_shift_at_initialisation():
    frames = common.random_frames(channels=24)
    fixed = TemporalShift(4)(frames)
    learnable = TemporalShift(4, learnable=True)(frames)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(learnable),
        keras.ops.convert_to_numpy(fixed),
        atol=1e-6,
    )


def test_a_trained_kernel_computes_the_official_conv1d():
    """A random kernel, read through the official `(C, 1, 3)` layout: reversed
    taps, or taps read from the wrong frame, would not match."""
    frames = common.random_frames(channels=24)
    layer = TemporalShift(4, learnable=True)
    layer.build(frames.shape)
    kernel = np.random.default_rng(1).normal(size=(3, 24, 1)).astype("float32")
    layer.kernel.assign(kernel)
    # The documented layout: the Keras kernel is the official (C, 1, 3) transposed.
    torch_weight = kernel.transpose(1, 2, 0)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer(frames)),
        reference.learnable_shift(frames, 4, torch_weight),
        rtol=1e-5,
        atol=1e-5,
    )


def test_parameters_and_multiply_adds():
    fixed, learnable = TemporalShift(4), TemporalShift(4, learnable=True)
    fixed.build((8, 6, 6, 24))
    learnable.build((8, 6, 6, 24))
    assert fixed.count_params() == 0
    assert learnable.count_params() == 3 * 24
    assert learnable.kernel.shape == (3, 24, 1)
    assert fixed.count_multiply_adds((None, 6, 6, 24)) == 0
    assert learnable.count_multiply_adds((None, 6, 6, 24)) == 3 * 36 * 24


def test_batch_not_a_multiple_of_num_segments_names_both_numbers():
    with pytest.raises(ValueError, match=r"10 frames.*num_segments=4"):
        TemporalShift(4)(np.zeros((10, 6, 6, 16), "float32"))


def test_rank_5_input_is_rejected_with_its_shape():
    with pytest.raises(ValueError, match=r"\(2, 4, 6, 6, 16\)"):
        TemporalShift(4)(np.zeros((2, 4, 6, 6, 16), "float32"))


@pytest.mark.parametrize("learnable", [False, True])
def test_keras_conventions(learnable):
    frames = common.random_frames(channels=16)
    common.assert_serialization_round_trip(TemporalShift(4, 4, learnable), frames)
    common.assert_edge_friendly(TemporalShift(4, 4, learnable), frames)
    assert TemporalShift(4).compute_output_shape(frames.shape) == frames.shape


def test_learnable_kernel_receives_gradients():
    common.assert_gradients_reach_weights(
        TemporalShift(4, learnable=True), common.random_frames(channels=16)
    )


@pytest.mark.parametrize("shift_div", [4, 8])
def test_causal_shift_is_tsm_online(shift_div):
    frames = common.random_frames(channels=16)
    output = keras.ops.convert_to_numpy(
        TemporalShift(4, shift_div, causal=True)(frames)
    )
    expected = reference.causal_tsm_shift(frames, 4, shift_div)
    np.testing.assert_array_equal(output, expected)


def test_causal_learnable_shift_starts_as_tsm_online_with_two_taps():
    frames = common.random_frames(channels=24)
    layer = TemporalShift(4, learnable=True, causal=True)
    output = keras.ops.convert_to_numpy(layer(frames))
    assert layer.kernel.shape == (2, 24, 1)
    assert layer.count_multiply_adds((None, 6, 6, 24)) == 2 * 36 * 24
    expected = reference.causal_tsm_shift(frames, 4)
    np.testing.assert_allclose(output, expected, atol=1e-6)


def test_causal_learnable_taps_read_the_previous_and_the_present_frame():
    frames = common.random_frames(channels=8)
    layer = TemporalShift(4, learnable=True, causal=True)
    layer.build(frames.shape)
    kernel = np.random.default_rng(3).normal(size=(2, 8, 1)).astype("float32")
    layer.kernel.assign(kernel)
    clips = reference.unfold(frames, 4)
    previous = np.concatenate([np.zeros_like(clips[:, :1]), clips[:, :-1]], axis=1)
    expected = previous * kernel[0, :, 0] + clips * kernel[1, :, 0]
    output = keras.ops.convert_to_numpy(layer(frames))
    np.testing.assert_allclose(output, expected.reshape(frames.shape), atol=1e-5)
