import keras
from keras import ops

from keras_action.layers import edge, temporal
from keras_action.layers.base import TemporalLayer

AXES = ("time", "height", "width")

# An approximation: the STSM paper does not publish its proportions. Time keeps
# TSM's split (1/8 of the channels each way); a further 1/32 moves one pixel in
# each spatial direction, so that 5/8 of the channels pass through unchanged.
DEFAULT_SHIFTS = (
    ("time", 1, 8),
    ("time", -1, 8),
    ("height", 1, 32),
    ("height", -1, 32),
    ("width", 1, 32),
    ("width", -1, 32),
)


@keras.saving.register_keras_serializable(package="keras_action")
class SpatioTemporalShift(TemporalLayer):
    """Spatio-temporal shift (STSM): channel groups moved along T, H and W.

    Consecutive channel groups, starting at channel 0, are each shifted along
    one axis by a whole number of steps, zeros entering at the borders; the
    remaining channels pass through. `("time", 1, 8)` makes `C // 8` channels of
    frame `t` hold frame `t + 1`; `("height", -1, 32)` makes `C // 32` channels
    of row `h` hold row `h - 1` of the same frame. The layer has no parameters
    and no multiply-adds.

    The STSM paper states only that the module shifts features along time and
    space for free; its channel fractions, directions, step and placement are
    not public. Every one of them is an argument, and the default
    (`DEFAULT_SHIFTS`: TSM's 1/8 each way in time, 1/32 in each of the four
    spatial directions) is this project's approximation, not the paper's.

    Args:
        num_segments: int, frames per clip (T).
        shifts: sequence of `(axis, offset, div)`: `axis` is `"time"`,
            `"height"` or `"width"`, `offset` a non-zero int (output position
            `i` reads input position `i + offset`), and the group has
            `C // div` channels. Defaults to `DEFAULT_SHIFTS`.
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: folded frames `(N·T, H, W, C)`.

    Returns:
        A tensor of the input's shape holding input values or zeros, each input
        value at most once.

    Example:

    >>> frames = keras.random.uniform((2 * 8, 14, 14, 64))
    >>> SpatioTemporalShift(num_segments=8)(frames).shape
    (16, 14, 14, 64)

    Reference:
        - [Yang et al., "STSM: Spatio-Temporal Shift Module for Efficient
          Action Recognition", Mathematics 2022](https://arxiv.org/abs/2112.02523)
        - [Lin et al., "TSM: Temporal Shift Module for Efficient Video
          Understanding", ICCV 2019](https://arxiv.org/abs/1811.08383)
    """

    def __init__(self, num_segments, shifts=DEFAULT_SHIFTS, **kwargs):
        super().__init__(num_segments, **kwargs)
        self.shifts = tuple(_check_shift(shift) for shift in shifts)

    def build(self, input_shape):
        super().build(input_shape)
        channels = input_shape[-1]
        moved = sum(channels // div for _, _, div in self.shifts)
        if moved > channels:
            raise ValueError(
                f"{self.name}: the shifts {self.shifts} move {moved} channels, "
                f"more than the {channels} of input shape {tuple(input_shape)}."
            )

    def call(self, inputs):
        channels = inputs.shape[-1]
        groups, start = [], 0
        for axis, offset, div in self.shifts:
            stop = start + channels // div
            if stop > start:  # too few channels for this group: nothing moves
                groups.append(self._shift(inputs[..., start:stop], axis, offset))
            start = stop
        groups.append(inputs[..., start:])
        return edge.concatenate_channels(groups)

    def _shift(self, group, axis, offset):
        if axis == "time":
            frames = temporal.unfold_segments(group, self.num_segments)
            return temporal.fold_segments(temporal.shift_frames(frames, offset), group)
        return _shift_spatially(group, AXES.index(axis), offset)

    def count_multiply_adds(self, input_shape):
        """No multiply-adds: shifting only moves values."""
        return 0

    def get_config(self):
        config = super().get_config()
        config["shifts"] = [list(shift) for shift in self.shifts]
        return config


def _check_shift(shift):
    axis, offset, div = shift
    if axis not in AXES or int(offset) == 0 or int(div) < 1:
        raise ValueError(
            f"Each shift must be (axis, offset, div) with axis in {AXES}, a "
            f"non-zero offset and div >= 1; got {tuple(shift)}."
        )
    return (axis, int(offset), int(div))


def _shift_spatially(x, axis, offset):
    """`out[..., i, ...] = x[..., i + offset, ...]` along `axis` (1 = H, 2 = W)."""
    steps = abs(offset)
    kept = slice(steps, None) if offset > 0 else slice(None, -steps)
    padding = [(0, 0)] * 4
    padding[axis] = (0, steps) if offset > 0 else (steps, 0)
    index = (slice(None),) * axis + (kept,)
    return ops.pad(x[index], padding)
