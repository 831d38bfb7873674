"""Inserting temporal layers into the residual branches of a functional model."""

import keras


def insert_temporal_layers(model, factory, before):
    """Rebuilds a functional model with a temporal layer in front of chosen layers.

    Each chosen layer gets `factory(channels)` applied to its input, on that
    edge only: other consumers of the same tensor, such as a residual
    shortcut, still receive it unmodified ("blockres" placement of TSM and
    ACTION-Net). Every original layer is cloned with its weights, so
    pretrained weights are kept and the original model stays as it was.

    Args:
        model: a functional `keras.Model` taking folded frames `(N·T, H, W, C)`.
        factory: a callable `channels -> keras.layers.Layer`, called once per
            insertion point with the channel count of that layer's input.
        before: the layers to insert in front of: a collection of layer names,
            or a predicate `layer -> bool`.

    Returns:
        A new functional `keras.Model` whose layers carry the original names
        and weights. Each inserted layer is renamed `"<target name>_temporal"`.

    Example:

    >>> from keras_action.layers import TemporalShift
    >>> backbone = keras.applications.MobileNetV2(
    ...     input_shape=(64, 64, 3), include_top=False, weights=None)
    >>> model = insert_temporal_layers(
    ...     backbone, lambda channels: TemporalShift(num_segments=4),
    ...     before=["block_2_expand", "block_4_expand"])
    """
    is_target = _target_predicate(model, before)

    def call_function(layer, *args, **kwargs):
        if is_target(layer):
            inputs, *rest = args
            temporal_layer = factory(inputs.shape[-1])
            temporal_layer.name = f"{layer.name}_temporal"
            args = (temporal_layer(inputs), *rest)
        return layer(*args, **kwargs)

    # Fresh inputs with the original names, so the rebuilt model reads the same.
    inputs = keras.tree.map_structure(
        lambda tensor: keras.Input(
            batch_shape=tensor.shape,
            dtype=tensor.dtype,
            name=tensor.name,
        ),
        model.input,
    )
    rebuilt = keras.models.clone_model(
        model, input_tensors=inputs, call_function=call_function
    )
    for layer in model.layers:
        if layer.weights:
            rebuilt.get_layer(layer.name).set_weights(layer.get_weights())
    return rebuilt


def _target_predicate(model, before):
    if callable(before):
        return before
    names = set(before)
    missing = names - {layer.name for layer in model.layers}
    if missing:
        raise ValueError(
            f"Model {model.name!r} has no layers named {sorted(missing)} "
            "to insert temporal layers before."
        )
    return lambda layer: layer.name in names
