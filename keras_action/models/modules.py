"""Temporal modules by name, as factories for `insert_temporal_layers`."""

from keras_action import layers

MODULES = ("tsn", "tsm", "action", "ste", "ce", "me", "gsm", "stsm", "smnet")


def temporal_module(module, num_segments, shift_div=8, reduction=16, causal=False):
    """Returns a factory `channels -> layer` for a named module, or `None` for TSN.

    Args:
        module: `"tsn"` (no temporal layer), `"tsm"` (fixed temporal shift),
            `"action"` (`ActionBlock` with all three paths), or a single ACTION
            path after the learnable shift, `"ste"`, `"ce"` or `"me"` (the
            ablation of the ACTION-Net paper, Table 3), or a relative:
            `"gsm"` (`GateShift`), `"stsm"` (`SpatioTemporalShift`, its
            approximate default proportions) or `"smnet"` (`SMNetBlock`). All
            go where the backbone places ACTION-Net (see docs/modules.md). A
            callable is returned as it is, for user-supplied factories.
        num_segments: int, frames per clip.
        shift_div: int, `C // shift_div` channels shifted each way.
        reduction: int, channel reduction of the CE and ME paths, and of
            SMNet's motion excitation.
        causal: bool, the layers' causal forms (past frames only), which
            `keras_action.streaming_model` runs one frame at a time.

    Returns:
        A callable `channels -> keras.layers.Layer`, or `None`.
    """
    if callable(module):
        return module
    if module == "tsn":
        return None
    if module == "tsm":
        return lambda channels: layers.TemporalShift(
            num_segments, shift_div, causal=causal
        )
    if module == "gsm":
        return lambda channels: layers.GateShift(num_segments, causal=causal)
    if module == "stsm":
        return lambda channels: layers.SpatioTemporalShift(num_segments, causal=causal)
    if module == "smnet":
        return lambda channels: layers.SMNetBlock(
            num_segments, reduction, causal=causal
        )
    if module == "action":
        paths = ("ste", "ce", "me")
    elif module in ("ste", "ce", "me"):
        paths = (module,)
    else:
        raise ValueError(f"Unknown module {module!r}; expected one of {MODULES}.")
    return lambda channels: layers.ActionBlock(
        num_segments,
        shift_div=shift_div,
        reduction=reduction,
        paths=paths,
        causal=causal,
    )
