"""Temporal operations on folded video tensors, shared by every layer.

All mixing across frames in keras_action goes through these functions. They see
time as axis 1 of an unfolded `(N, T, S, C)` tensor (S = H·W, so nothing exceeds
rank 4, which edge runtimes require) and pad with zeros at both ends of a clip,
as the official PyTorch code does. A causal (streaming) variant of a module only
has to change how time is padded here, not the modules themselves.
"""

from keras import ops


def unfold_segments(x, num_segments):
    """`(N·T, H, W, C)` -> `(N, T, H·W, C)`."""
    _, height, width, channels = ops.shape(x)
    return ops.reshape(x, (-1, num_segments, height * width, channels))


def fold_segments(x, like):
    """`(N, T, S, C')` -> `(N·T, H, W, C')` with the spatial size of `like`."""
    _, height, width, _ = ops.shape(like)
    return ops.reshape(x, (-1, height, width, ops.shape(x)[-1]))


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


def temporal_conv(x, kernel):
    """Convolution over T of `(N, T, S, Cin)`, Conv1D kernel `(K, Cin, Cout)`."""
    return ops.conv(x, ops.expand_dims(kernel, 1), padding="same")


def temporal_depthwise_conv(x, kernel):
    """Per-channel convolution over T with a DepthwiseConv1D kernel `(K, C, 1)`."""
    return ops.depthwise_conv(x, ops.expand_dims(kernel, 1), padding="same")


def sum_taps(per_tap, num_segments, groups=1):
    """Completes a 3-D convolution computed as 2-D convolutions per temporal tap.

    `per_tap` `(N·T, H, W, 3·groups)` holds, for each group g and tap d, the 2-D
    convolution of frame t with the kernel slice for time offset d - 1 in
    channel `3·g + d`. Adding tap d of frame `t + d - 1` into group g of frame t
    gives the 3-D convolution, `(N, T, H·W, groups)`, with no rank-5 tensor and
    no CONV_3D op.
    """
    selector = [
        [[float(channel == 3 * group + tap) for group in range(groups)]
         for channel in range(3 * groups)]
        for tap in range(3)
    ]  # fmt: skip
    frames = unfold_segments(per_tap, num_segments)
    return temporal_conv(frames, ops.convert_to_tensor(selector, dtype=per_tap.dtype))


def next_frame_difference(current, following):
    """`d[t] = following[t + 1] - current[t]`, and `d[T - 1] = 0`."""
    difference = following[:, 1:] - current[:, :-1]
    padding = [(0, 0)] * len(difference.shape)
    padding[1] = (0, 1)
    return ops.pad(difference, padding)
