"""NumPy re-statements of the ACTION-Net paths, written from the published definitions.

Shapes follow the official code (unfold to (N, T, ...), pad time with zeros), with
explicit loops so that they share nothing with the layers under test.
"""

import keras
import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def unfold(x, num_segments):
    return x.reshape(-1, num_segments, *x.shape[1:])


def tsm_shift(x, num_segments, shift_div=8):
    clips = unfold(x, num_segments)
    out = clips.copy()
    fold = x.shape[-1] // shift_div
    out[..., :fold] = 0
    out[..., fold : 2 * fold] = 0
    out[:, :-1, ..., :fold] = clips[:, 1:, ..., :fold]
    out[:, 1:, ..., fold : 2 * fold] = clips[:, :-1, ..., fold : 2 * fold]
    return out.reshape(x.shape)


def causal_tsm_shift(x, num_segments, shift_div=8):
    """TSM online: channels [0, fold) of frame t hold frame t - 1 (zeros at 0)."""
    clips = unfold(x, num_segments)
    out = clips.copy()
    fold = x.shape[-1] // shift_div
    out[:, 0, ..., :fold] = 0
    out[:, 1:, ..., :fold] = clips[:, :-1, ..., :fold]
    return out.reshape(x.shape)


def learnable_shift(x, num_segments, torch_weight):
    """ACTION's shift as the official Conv1d over time: `torch_weight` (C, 1, 3),
    out[t] = w[c, 0, 0]·x[t - 1] + w[c, 0, 1]·x[t] + w[c, 0, 2]·x[t + 1], zero
    beyond both ends."""
    clips = unfold(x, num_segments)
    out = np.zeros_like(clips)
    for t in range(num_segments):
        for tap, source in enumerate((t - 1, t, t + 1)):
            if 0 <= source < num_segments:
                out[:, t] += torch_weight[:, 0, tap] * clips[:, source]
    return out.reshape(x.shape)


def _time_padding(causal):
    """Kernel tap d reads frame t + d - 1, or t + d - 2 when causal."""
    return (2, 0) if causal else (1, 1)


def spatio_temporal_mask(x, num_segments, kernel_dhw, causal=False):
    """kernel_dhw: (3, 3, 3) over (T, H, W)."""
    s = unfold(x.mean(axis=-1), num_segments)
    n, t, h, w = s.shape
    padded = np.pad(s, ((0, 0), _time_padding(causal), (1, 1), (1, 1)))
    out = np.zeros_like(s)
    for d in range(3):
        for i in range(3):
            for j in range(3):
                out += kernel_dhw[d, i, j] * padded[:, d : d + t, i : i + h, j : j + w]
    return sigmoid(out).reshape(n * t, h, w, 1)


def temporal_conv_full(g, kernel, causal=False):
    """g: (N, T, Cin); kernel (3, Cin, Cout); out[t] = sum_k g[t+k-1] @ kernel[k]
    (causal: g[t+k-2])."""
    padded = np.pad(g, ((0, 0), _time_padding(causal), (0, 0)))
    steps = g.shape[1]
    return sum(padded[:, k : k + steps] @ kernel[k] for k in range(3))


def channel_mask(x, num_segments, squeeze, temporal_kernel, expand, causal=False):
    pooled = unfold(x.mean(axis=(1, 2)), num_segments) @ squeeze
    mixed = np.maximum(temporal_conv_full(pooled, temporal_kernel, causal), 0)
    return sigmoid(mixed @ expand).reshape(-1, 1, 1, expand.shape[-1])


def depthwise3x3(u, kernel):
    """u: (F, H, W, R); kernel (3, 3, R)."""
    _, h, w, _ = u.shape
    padded = np.pad(u, ((0, 0), (1, 1), (1, 1), (0, 0)))
    return sum(
        kernel[i, j] * padded[:, i : i + h, j : j + w]
        for i in range(3)
        for j in range(3)
    )


def motion_mask(
    x, num_segments, squeeze, bn, depthwise, expand, eps=1e-5, causal=False
):
    """d[t] = DW(u)[t + 1] - u[t], d[T - 1] = 0; causal: DW(u)[t] - u[t - 1],
    u[-1] = 0."""
    gamma, beta, mean, var = bn
    u = (x @ squeeze - mean) / np.sqrt(var + eps) * gamma + beta
    v = depthwise3x3(u, depthwise)
    u_clips, v_clips = unfold(u, num_segments), unfold(v, num_segments)
    d = np.zeros_like(u_clips)
    if causal:
        d[:] = v_clips
        d[:, 1:] -= u_clips[:, :-1]
    else:
        d[:, :-1] = v_clips[:, 1:] - u_clips[:, :-1]
    pooled = d.mean(axis=(2, 3)).reshape(-1, u.shape[-1])
    return sigmoid(pooled @ expand).reshape(-1, 1, 1, expand.shape[-1])


def motion_mask_of(layer, x, num_segments, causal=False):
    """`motion_mask` with the weights and BatchNorm statistics of `layer`."""

    def numpy(weight):
        return keras.ops.convert_to_numpy(weight)

    bn = layer.batch_norm
    return motion_mask(
        x,
        num_segments,
        numpy(layer.squeeze.kernel)[0, 0],
        [numpy(w) for w in (bn.gamma, bn.beta, bn.moving_mean, bn.moving_variance)],
        numpy(layer.depthwise.kernel)[..., 0],
        numpy(layer.expand.kernel)[0, 0],
        causal=causal,
    )
