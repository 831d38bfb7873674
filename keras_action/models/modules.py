"""Temporal modules by name, as factories for `insert_temporal_layers`."""

from keras_action import layers

MODULES = ("tsn", "tsm", "action", "ste", "ce", "me")


def temporal_module(module, num_segments, shift_div=8, reduction=16):
    """Returns a factory `channels -> layer` for a named module, or `None` for TSN.

    Args:
        module: `"tsn"` (no temporal layer), `"tsm"` (fixed temporal shift),
            `"action"` (`ActionBlock` with all three paths), or a single ACTION
            path after the learnable shift, `"ste"`, `"ce"` or `"me"` (the
            ablation of the ACTION-Net paper, Table 3). A callable is returned
            as it is, for user-supplied factories.
        num_segments: int, frames per clip.
        shift_div: int, `C // shift_div` channels shifted each way.
        reduction: int, channel reduction of the CE and ME paths.

    Returns:
        A callable `channels -> keras.layers.Layer`, or `None`.
    """
    if callable(module):
        return module
    if module == "tsn":
        return None
    if module == "tsm":
        return lambda channels: layers.TemporalShift(num_segments, shift_div)
    if module == "action":
        paths = ("ste", "ce", "me")
    elif module in ("ste", "ce", "me"):
        paths = (module,)
    else:
        raise ValueError(f"Unknown module {module!r}; expected one of {MODULES}.")
    return lambda channels: layers.ActionBlock(
        num_segments, shift_div=shift_div, reduction=reduction, paths=paths
    )
