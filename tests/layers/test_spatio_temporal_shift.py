import keras
import numpy as np
import pytest

from keras_action.layers import SpatioTemporalShift
from keras_action.layers.spatio_temporal_shift import CAUSAL_SHIFTS, DEFAULT_SHIFTS
from tests.layers import common, reference_relatives

CUSTOM = (("width", 2, 4), ("time", -1, 4), ("height", 1, 8))


def _unique_frames(channels=32):
    """Distinct non-zero values, so that every output value names its source."""
    count = 2 * 4 * 6 * 6 * channels
    values = np.random.default_rng(0).permutation(count) + 1
    return values.reshape(8, 6, 6, channels).astype("float32")


@pytest.mark.parametrize("shifts", [DEFAULT_SHIFTS, CUSTOM])
def test_matches_the_definition(shifts):
    frames = common.random_frames(channels=32)
    output = keras.ops.convert_to_numpy(SpatioTemporalShift(4, shifts)(frames))
    expected = reference_relatives.spatio_temporal_shift(frames, 4, shifts)
    np.testing.assert_array_equal(output, expected)


@pytest.mark.parametrize("shifts", [DEFAULT_SHIFTS, CUSTOM])
def test_is_an_exact_permutation_with_zeros_at_the_borders(shifts):
    frames = _unique_frames()
    output = keras.ops.convert_to_numpy(SpatioTemporalShift(4, shifts)(frames))
    moved = output[output != 0]
    assert len(np.unique(moved)) == moved.size  # no value is copied twice
    assert np.isin(moved, frames).all()
    # Zeros fill exactly the border positions vacated by each group.
    sizes = {"time": 4, "height": 6, "width": 6}
    expected_zeros = sum(
        (32 // div) * abs(offset) * output.size // (32 * sizes[axis])
        for axis, offset, div in shifts
    )
    assert np.count_nonzero(output == 0) == expected_zeros
    channels_moved = sum(32 // div for _, _, div in shifts)
    np.testing.assert_array_equal(
        output[..., channels_moved:], frames[..., channels_moved:]
    )


def test_directions():
    frames = _unique_frames(channels=4)
    shifts = (("time", 1, 4), ("height", -1, 4), ("width", 1, 4))
    output = keras.ops.convert_to_numpy(SpatioTemporalShift(4, shifts)(frames))
    np.testing.assert_array_equal(output[0:3, ..., 0], frames[1:4, ..., 0])
    np.testing.assert_array_equal(output[:, 1:, :, 1], frames[:, :-1, :, 1])
    np.testing.assert_array_equal(output[:, :, :-1, 2], frames[:, :, 1:, 2])
    assert np.all(output[3, ..., 0] == 0) and np.all(output[:, 0, :, 1] == 0)


def test_too_few_channels_for_a_group_leaves_them_in_place():
    frames = common.random_frames(channels=16)  # 16 // 32 = 0 for spatial groups
    output = keras.ops.convert_to_numpy(SpatioTemporalShift(4)(frames))
    np.testing.assert_array_equal(output[..., 4:], frames[..., 4:])


def test_no_parameters_and_no_multiply_adds():
    layer = SpatioTemporalShift(4)
    layer.build((8, 6, 6, 32))
    assert layer.count_params() == 0
    assert layer.count_multiply_adds((None, 6, 6, 32)) == 0


def test_bad_shifts_are_rejected_clearly():
    with pytest.raises(ValueError, match=r"\('depth', 1, 8\)"):
        SpatioTemporalShift(4, shifts=[("depth", 1, 8)])
    with pytest.raises(ValueError, match=r"move 40 channels.*\(8, 6, 6, 32\)"):
        SpatioTemporalShift(4, shifts=[("time", 1, 1), ("width", 1, 4)])(
            np.zeros((8, 6, 6, 32), "float32")
        )


def test_keras_conventions():
    frames = common.random_frames(channels=32)
    common.assert_serialization_round_trip(SpatioTemporalShift(4, CUSTOM), frames)
    common.assert_edge_friendly(SpatioTemporalShift(4), frames)
    common.assert_gradients_reach_weights(SpatioTemporalShift(4), frames)
    assert SpatioTemporalShift(4).compute_output_shape(frames.shape) == frames.shape


def test_mixed_precision():
    common.assert_mixed_precision(
        lambda: SpatioTemporalShift(4),
        common.random_frames(channels=32),
        "mixed_float16",
    )


@pytest.mark.parametrize("shifts", [None, CUSTOM])
def test_causal_form_matches_the_definition_of_its_past_shifts(shifts):
    frames = common.random_frames(channels=32)
    layer = SpatioTemporalShift(4, shifts, causal=True)
    assert layer.shifts == (CAUSAL_SHIFTS if shifts is None else CUSTOM)
    expected = reference_relatives.spatio_temporal_shift(frames, 4, layer.shifts)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(frames)), expected)


def test_causal_form_refuses_shifts_that_read_the_future():
    with pytest.raises(ValueError, match=r"shifts \[\('time', 1, 8\)\] read future"):
        SpatioTemporalShift(4, DEFAULT_SHIFTS, causal=True)
