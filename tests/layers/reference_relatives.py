"""NumPy re-statements of GSM, STSM and SMNet, written from their definitions.

Clips are unfolded to (N, T, H, W, C), rank 5 and beyond are allowed, and
convolutions are explicit sums over kernel taps, so that nothing is shared with
the layers under test.
"""

import numpy as np

from tests.layers.reference import sigmoid, unfold


def batch_norm(x, gamma, beta, mean, var, eps=1e-5):
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def shift_axis(x, axis, offset):
    """`out[i] = x[i + offset]` along `axis`, zeros past the ends."""
    out = np.zeros_like(x)
    size = x.shape[axis]
    for i in range(size):
        if 0 <= i + offset < size:
            source = np.take(x, i + offset, axis=axis)
            out[(slice(None),) * (axis % x.ndim) + (i,)] = source
    return out


def conv3d_same(clips, kernel, causal=False):
    """clips (N, T, H, W, Cin), kernel (3, 3, 3, Cin, Cout): zero-padded 3-D conv;
    causal: tap d reads frame t + d - 2 instead of t + d - 1."""
    _, t, h, w, _ = clips.shape
    time = (2, 0) if causal else (1, 1)
    padded = np.pad(clips, ((0, 0), time, (1, 1), (1, 1), (0, 0)))
    return sum(
        padded[:, d : d + t, i : i + h, j : j + w] @ kernel[d, i, j]
        for d in range(3)
        for i in range(3)
        for j in range(3)
    )


def gsm_interleave(half):
    """Official channel interleave: view C/2 as (2, C/4), swap, flatten."""
    quarters = half.reshape(*half.shape[:-1], 2, half.shape[-1] // 2)
    return np.swapaxes(quarters, -1, -2).reshape(half.shape)


def gsm_closed_permutation(channels):
    """Output channel i holds input channel perm[i] when the gates are closed."""
    quarter = channels // 4
    return [
        half * 2 * quarter + j * quarter + k
        for half in range(2)
        for k in range(quarter)
        for j in range(2)
    ]


def gate_shift(x, num_segments, bn, kernel, bias, causal=False):
    """GSM on folded frames; kernel (3, 3, 3, C/2, 2) grouped by channel half.

    Causal: past gate taps, and both gated halves from frame t - 1."""
    clips = unfold(x, num_segments)
    activated = np.maximum(batch_norm(clips, *bn), 0)
    halves = np.split(clips, 2, axis=-1)
    outputs = []
    offsets = (-1, -1) if causal else (1, -1)
    for group, (half, offset) in enumerate(zip(halves, offsets, strict=True)):
        activated_half = np.split(activated, 2, axis=-1)[group]
        gate = np.tanh(
            conv3d_same(activated_half, kernel[..., group : group + 1], causal)
            + bias[group]
        )
        gated = gate * half
        outputs.append(gsm_interleave(shift_axis(gated, 1, offset) + half - gated))
    return np.concatenate(outputs, axis=-1).reshape(x.shape)


def spatio_temporal_shift(x, num_segments, shifts):
    """STSM: consecutive channel groups shifted along T (1), H (2) or W (3)."""
    clips = unfold(x, num_segments)
    out = clips.copy()
    start = 0
    for axis, offset, div in shifts:
        stop = start + x.shape[-1] // div
        axis_index = {"time": 1, "height": 2, "width": 3}[axis]
        out[..., start:stop] = shift_axis(clips[..., start:stop], axis_index, offset)
        start = stop
    return out.reshape(x.shape)


def grouped_temporal_conv(x, num_segments, kernel, causal=False):
    """Conv over T of folded frames; kernel (K, C/G, C), zero-padded, G groups;
    tap k reads frame t + k - K // 2, or t + k - (K - 1) when causal."""
    clips = unfold(x, num_segments)
    size, per_group, channels = kernel.shape
    out = np.zeros_like(clips)
    for c in range(channels):
        first = (c // per_group) * per_group
        for k in range(size):
            present = size - 1 if causal else size // 2
            shifted = shift_axis(clips[..., first : first + per_group], 1, k - present)
            out[..., c] += shifted @ kernel[k, :, c]
    return out.reshape(x.shape)


def conv2d_same(x, kernel):
    """x (F, H, W, Cin), kernel (k, k, Cin, Cout), odd k."""
    size = kernel.shape[0]
    _, h, w, _ = x.shape
    pad = size // 2
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    return sum(
        padded[:, i : i + h, j : j + w] @ kernel[i, j]
        for i in range(size)
        for j in range(size)
    )


def smnet_spatio_temporal(
    x, num_segments, temporal_kernel, attention_kernel, causal=False
):
    fused = grouped_temporal_conv(x, num_segments, temporal_kernel, causal)
    pooled = np.stack([fused.mean(axis=-1), fused.max(axis=-1)], axis=-1)
    return fused + fused * sigmoid(conv2d_same(pooled, attention_kernel))


def tea_motion_mask(
    x, num_segments, squeeze, bn, depthwise, expand, expand_bn, causal=False
):
    """TEA's ME: BN(1x1), DW3x3 next-frame difference, GAP, 1x1, BN, sigmoid - 0.5.

    Causal: DW3x3(b)[t] - b[t - 1], b[-1] = 0."""
    reduced = batch_norm(x @ squeeze, *bn)
    following = conv2d_same(reduced, np.eye(reduced.shape[-1]) * depthwise[..., None])
    current, following = unfold(reduced, num_segments), unfold(following, num_segments)
    difference = np.zeros_like(current)
    if causal:
        difference[:] = following
        difference[:, 1:] -= current[:, :-1]
    else:
        difference[:, :-1] = following[:, 1:] - current[:, :-1]
    pooled = difference.mean(axis=(2, 3)).reshape(-1, 1, 1, reduced.shape[-1])
    return sigmoid(batch_norm(pooled @ expand, *expand_bn)) - 0.5
