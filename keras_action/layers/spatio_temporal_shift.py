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

# The causal default: TSM online's 1/8 of the channels from the previous frame
# (nothing from the next one), the same four spatial groups.
CAUSAL_SHIFTS = (("time", -1, 8), *DEFAULT_SHIFTS[2:])


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

    Causal form (`causal=True`, a design choice): every time shift must read
    the past (a negative offset); the default becomes `CAUSAL_SHIFTS`, TSM
    online's 1/8 of the channels from the previous frame and the same spatial
    groups. The state of a group shifted by `-k` frames is its last `k`
    frames, `(N, k, H·W, C // div)`, named `"time_<i>"` for the i-th group.

    Args:
        num_segments: int, frames per clip (T).
        shifts: sequence of `(axis, offset, div)`: `axis` is `"time"`,
            `"height"` or `"width"`, `offset` a non-zero int (output position
            `i` reads input position `i + offset`), and the group has
            `C // div` channels. Defaults to `DEFAULT_SHIFTS`, or
            `CAUSAL_SHIFTS` when causal.
        causal: bool, read past frames only (see above). Defaults to `False`.
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: folded frames `(N·T, H, W, C)`, or with `states` one frame per
            stream `(N, H, W, C)`.
        states: the state of a per-frame call (causal layers, see
            `state_specs`); the call then returns `(outputs, new_states)`.

    Returns:
        A tensor of the input's shape holding input values or zeros, each input
        value at most once.

    Example:

    >>> frames = keras.random.uniform((2 * 8, 14, 14, 64))
    >>> tuple(SpatioTemporalShift(num_segments=8)(frames).shape)
    (16, 14, 14, 64)

    Reference:
        - [Yang et al., "STSM: Spatio-Temporal Shift Module for Efficient
          Action Recognition", Mathematics 2022](https://arxiv.org/abs/2112.02523)
        - [Lin et al., "TSM: Temporal Shift Module for Efficient Video
          Understanding", ICCV 2019](https://arxiv.org/abs/1811.08383)
    """

    def __init__(self, num_segments, shifts=None, causal=False, **kwargs):
        super().__init__(num_segments, causal=causal, **kwargs)
        if shifts is None:
            shifts = CAUSAL_SHIFTS if self.causal else DEFAULT_SHIFTS
        self.shifts = tuple(_check_shift(shift) for shift in shifts)
        future = [s for s in self.shifts if s[0] == "time" and s[1] > 0]
        if self.causal and future:
            raise ValueError(
                f"A causal SpatioTemporalShift reads past frames only; the time "
                f"shifts {future} read future ones (offset > 0)."
            )

    def build(self, input_shape):
        super().build(input_shape)
        channels = input_shape[-1]
        moved = sum(channels // div for _, _, div in self.shifts)
        if moved > channels:
            raise ValueError(
                f"{self.name}: the shifts {self.shifts} move {moved} channels, "
                f"more than the {channels} of input shape {tuple(input_shape)}."
            )

    def call(self, inputs, states=None):
        steps = temporal.frames_per_call(self.num_segments, states)
        groups, new_states = [], {}
        for index, (axis, offset, (start, stop)) in enumerate(
            self._groups(inputs.shape[-1])
        ):
            group = inputs[..., start:stop]
            if axis != "time":
                groups.append(_shift_spatially(group, AXES.index(axis), offset))
                continue
            frames = temporal.unfold_segments(group, steps)
            if self.causal:
                name = f"time_{index}"
                window, new_states[name] = temporal.causal_window(
                    frames, -offset, None if states is None else states[name]
                )
                frames = temporal.delayed(window, steps)
            else:
                frames = temporal.shift_frames(frames, offset)
            groups.append(temporal.fold_segments(frames, group))
        moved = sum(inputs.shape[-1] // div for _, _, div in self.shifts)
        groups.append(inputs[..., moved:])
        outputs = edge.concatenate_channels(groups)
        return outputs if states is None else (outputs, new_states)

    def _groups(self, channels):
        """`(axis, offset, (start, stop))` of the shifts that move channels.

        Consecutive groups from channel 0; a group too small for its `div`
        moves nothing and is left out.
        """
        start = 0
        for axis, offset, div in self.shifts:
            stop = start + channels // div
            if stop > start:
                yield axis, offset, (start, stop)
            start = stop

    def state_specs(self, input_shape):
        """The last `k` frames of each group shifted by `-k` in time."""
        super().state_specs(input_shape)
        return {
            f"time_{index}": self._history_spec(input_shape, -offset, stop - start)
            for index, (axis, offset, (start, stop)) in enumerate(
                self._groups(input_shape[-1])
            )
            if axis == "time"
        }

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
