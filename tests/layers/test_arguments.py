"""Arguments of the temporal layers are checked where they are given, with
errors naming them, instead of dividing by zero or silently doing nothing."""

import numpy as np
import pytest

from keras_action import layers

FRAMES = np.zeros((8, 4, 4, 16), "float32")


@pytest.mark.parametrize(
    "make, argument",
    [
        (lambda v: layers.TemporalShift(4, shift_div=v), "shift_div"),
        (lambda v: layers.ActionBlock(4, shift_div=v), "shift_div"),
        (lambda v: layers.ActionBlock(4, reduction=v), "reduction"),
        (lambda v: layers.ChannelExcitation(4, reduction=v), "reduction"),
        (lambda v: layers.MotionExcitation(4, reduction=v), "reduction"),
        (lambda v: layers.SMNetBlock(4, reduction=v), "reduction"),
        (lambda v: layers.TemporalShift(v), "num_segments"),
        (lambda v: layers.SegmentConsensus(v), "num_segments"),
    ],
)
@pytest.mark.parametrize("value", [0, -2, 1.5, True])
def test_counts_and_ratios_must_be_whole_positive_numbers(make, argument, value):
    with pytest.raises(ValueError, match=f"`{argument}` must be a whole number"):
        make(value)


@pytest.mark.parametrize("learnable", [False, True])
def test_shift_div_larger_than_the_channels_is_an_error(learnable):
    with pytest.raises(ValueError, match="shift_div=32 shifts no channel .* 16"):
        layers.TemporalShift(4, shift_div=32, learnable=learnable)(FRAMES)
    assert layers.TemporalShift(4, shift_div=16)(FRAMES).shape == FRAMES.shape


@pytest.mark.parametrize("cls", [layers.ChannelExcitation, layers.MotionExcitation])
def test_fewer_channels_than_the_reduction_keep_one_channel_in_the_path(cls):
    """Narrow MobileNets (width 0.35) have 8-channel blocks: C // 16 would be 0."""
    layer = cls(4)
    frames = np.random.default_rng(0).normal(size=(8, 4, 4, 8)).astype("float32")
    assert layer(frames).shape == frames.shape
    assert layer.squeeze.kernel.shape == (1, 1, 8, 1)
    assert layer.expand.kernel.shape == (1, 1, 1, 8)
