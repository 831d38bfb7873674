"""Temporal layers for 2-D CNNs, on folded `(N·T, H, W, C)` frames."""

from keras_action.layers.action_block import ActionBlock
from keras_action.layers.ceil_mode_max_pooling import CeilModeMaxPooling2D
from keras_action.layers.channel_excitation import ChannelExcitation
from keras_action.layers.fold_segments import FoldSegments
from keras_action.layers.gate_shift import GateShift
from keras_action.layers.hard_swish import HardSwish
from keras_action.layers.motion_excitation import MotionExcitation
from keras_action.layers.padded_average_pooling import PaddedAveragePooling2D
from keras_action.layers.pixel_normalization import PixelNormalization
from keras_action.layers.segment_consensus import SegmentConsensus
from keras_action.layers.smnet_block import SMNetBlock
from keras_action.layers.smnet_motion_excitation import SMNetMotionExcitation
from keras_action.layers.smnet_spatio_temporal_excitation import (
    SMNetSpatioTemporalExcitation,
)
from keras_action.layers.spatio_temporal_excitation import SpatioTemporalExcitation
from keras_action.layers.spatio_temporal_shift import SpatioTemporalShift
from keras_action.layers.temporal_shift import TemporalShift

__all__ = [
    "ActionBlock",
    "CeilModeMaxPooling2D",
    "ChannelExcitation",
    "FoldSegments",
    "GateShift",
    "HardSwish",
    "MotionExcitation",
    "PaddedAveragePooling2D",
    "PixelNormalization",
    "SMNetBlock",
    "SMNetMotionExcitation",
    "SMNetSpatioTemporalExcitation",
    "SegmentConsensus",
    "SpatioTemporalExcitation",
    "SpatioTemporalShift",
    "TemporalShift",
]
