"""Temporal operations on folded video tensors, shared by every layer.

All mixing across frames in keras_action goes through these functions. They see
time as axis 1 of an unfolded `(N, T, S, C)` tensor (S = H·W, so nothing exceeds
rank 4, which edge runtimes require). Two-way layers pad with zeros at both ends
of a clip, as the official PyTorch code does.

Causal layers (`causal=True`) read only past and present frames, through one
primitive, `causal_window`: the frames of a call preceded by the `k` frames
before them. On a clip those are zeros (the clip starts there); on a per-frame
call they are the layer's state, and the last `k` frames of the window become
the next state. Everything after the window (a "valid" convolution over time,
a slice for a shift) is the same code for both, with the same weights and the
same tap order: kernel tap `i` of a kernel of size `K` reads frame
`t - (K - 1) + i`, so the last tap is the present frame.
"""

import dataclasses

from keras import ops


def unfold_segments(x, num_segments):
    """`(N·T, H, W, C)` -> `(N, T, H·W, C)`."""
    _, height, width, channels = ops.shape(x)
    return ops.reshape(x, (-1, num_segments, height * width, channels))


def fold_segments(x, like):
    """`(N, T, S, C')` -> `(N·T, H, W, C')` with the spatial size of `like`."""
    _, height, width, _ = ops.shape(like)
    return ops.reshape(x, (-1, height, width, ops.shape(x)[-1]))


def frames_per_call(num_segments, states):
    """T of a clip call, or 1 for a per-frame call (`states` given)."""
    return num_segments if states is None else 1


@dataclasses.dataclass(frozen=True)
class StateSpec:
    """Shape and dtype of one state tensor of a per-frame (streaming) call."""

    shape: tuple
    dtype: str


def history_spec(input_shape, length, channels, dtype, spatial=True):
    """The spec of `length` past frames of a per-frame input `(N, H, W, C)`.

    The state is unfolded as `causal_window` uses it, `(N, length, H·W, C')`
    (or `(N, length, 1, C')` for pooled features, `spatial=False`): rank 4.
    """
    batch, height, width, _ = input_shape
    positions = height * width if spatial else 1
    return StateSpec((batch, length, positions, channels), dtype)


def causal_window(frames, length, history=None):
    """The frames `(N, T, S, C)` preceded by the `length` frames before them.

    Args:
        frames: unfolded frames of this call.
        length: int, how many past frames the caller reads (at least 1).
        history: `(N, length, S, C)`, the past frames of a per-frame call
            (the state); `None` on a clip, whose past is zeros.

    Returns:
        `(window, new_history)`: the window `(N, length + T, S, C)`, in which
        frame `t` of the call is at index `t + length`, and its last `length`
        frames, the state for the next call.
    """
    if length == 0:
        return frames, None
    if history is None:
        padding = [(0, 0)] * len(frames.shape)
        padding[1] = (length, 0)
        window = ops.pad(frames, padding)
    else:
        window = ops.concatenate([ops.cast(history, frames.dtype), frames], axis=1)
    return window, window[:, -length:]


def delayed(window, num_frames):
    """`out[:, t] = frame t - k` from a `causal_window` of `k` past frames."""
    return window[:, :num_frames]


def conv_over_time(frames, kernel, causal=False, history=None, depthwise=False):
    """Convolution over T of `(N, T, S, Cin)`: `(output, new_history)`.

    The kernel is a Conv1D kernel `(K, Cin, Cout)` (`Cin` may be a divisor of
    the input's channels: a grouped convolution), or with `depthwise=True` a
    DepthwiseConv1D kernel `(K, C, 1)`. Two-way (`causal=False`): centred taps,
    zeros past both ends, no history (`new_history` is `None`). Causal: tap `i`
    reads frame `t - (K - 1) + i`, the past frames coming from `history`
    (`(N, K - 1, S, Cin)`, a per-frame call) or zeros (a clip).
    """
    convolve = ops.depthwise_conv if depthwise else ops.conv
    kernel = ops.expand_dims(kernel, 1)
    if not causal:
        return convolve(frames, kernel, padding="same"), None
    window, new_history = causal_window(frames, kernel.shape[0] - 1, history)
    return convolve(window, kernel, padding="valid"), new_history


def shift_frames(x, offset):
    """`out[:, t] = x[:, t + offset]`, zero where `t + offset` leaves the clip."""
    if offset == 0:
        return x
    steps = abs(offset)
    padding = [(0, 0)] * len(x.shape)
    if offset > 0:
        padding[1] = (0, steps)
        return ops.pad(x[:, steps:], padding)
    padding[1] = (steps, 0)
    return ops.pad(x[:, :-steps], padding)


def sum_taps(per_tap, groups=1, padding="same"):
    """Completes a 3-D convolution computed as 2-D convolutions per temporal tap.

    `per_tap` `(N, T, H·W, 3·groups)` (unfolded) holds, for each group g and
    tap d, the 2-D convolution of frame t with the kernel slice of tap d in
    channel `3·g + d`. Adding tap d of frame `t + d - 1` (`padding="same"`, the
    two-way form) into group g of frame t gives the 3-D convolution,
    `(N, T, H·W, groups)`, with no rank-5 tensor and no CONV_3D op. With
    `padding="valid"`, `per_tap` is a `causal_window` of 2 past frames and tap
    d of frame `t + d - 2` is added: the causal form.
    """
    selector = [
        [[float(channel == 3 * group + tap) for group in range(groups)]
         for channel in range(3 * groups)]
        for tap in range(3)
    ]  # fmt: skip
    kernel = ops.convert_to_tensor(selector, dtype=per_tap.dtype)
    return ops.conv(per_tap, ops.expand_dims(kernel, 1), padding=padding)


def next_frame_difference(current, following):
    """`d[t] = following[t + 1] - current[t]`, and `d[T - 1] = 0`."""
    difference = following[:, 1:] - current[:, :-1]
    padding = [(0, 0)] * len(difference.shape)
    padding[1] = (0, 1)
    return ops.pad(difference, padding)


def previous_frame_difference(filtered, current, history=None):
    """`d[t] = filtered[t] - current[t - 1]` (`current[-1]` from `history`).

    The causal motion of `MotionExcitation`: returns `(d, new_history)`, the
    history being the last frame of `current`.
    """
    window, new_history = causal_window(current, 1, history)
    return filtered - delayed(window, current.shape[1]), new_history
