"""Inserting temporal layers into the residual branches of a functional model."""

import keras


def insert_temporal_layers(model, factory, before=(), after=()):
    """Rebuilds a functional model with temporal layers in front of or behind
    chosen layers.

    Each layer chosen by `before` gets `factory(channels)` applied to its
    input, on that edge only: other consumers of the same tensor, such as a
    residual shortcut, still receive it unmodified ("blockres" placement of
    TSM and ACTION-Net). Each layer chosen by `after` gets it applied to its
    output, which every consumer then receives ("in place", as in the
    BN-Inception placements, where a module feeds all branches of the next
    Inception block). Every original layer is cloned with its weights, so
    pretrained weights are kept and the original model stays as it was.

    Args:
        model: a functional `keras.Model` taking folded frames `(N·T, H, W, C)`.
        factory: a callable `channels -> keras.layers.Layer`, called once per
            insertion point with the channel count of that layer's input.
        before: the layers to insert in front of: a collection of layer names,
            or a predicate `layer -> bool`.
        after: the layers to insert behind, in the same forms. A layer
            cannot be chosen by both.

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
    is_before = _target_predicate(model, before, "before")
    is_after = _target_predicate(model, after, "after")

    def temporal(layer, tensor):
        if is_before(layer) and is_after(layer):
            raise ValueError(
                f"Layer {layer.name!r} is chosen both before and after; a layer "
                "gets one temporal layer."
            )
        temporal_layer = factory(tensor.shape[-1])
        temporal_layer.name = f"{layer.name}_temporal"
        return temporal_layer(tensor)

    def call_function(layer, *args, **kwargs):
        if is_before(layer):
            inputs, *rest = args
            args = (temporal(layer, inputs), *rest)
        outputs = layer(*args, **kwargs)
        return temporal(layer, outputs) if is_after(layer) else outputs

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


def _target_predicate(model, targets, where):
    if callable(targets):
        return targets
    names = set(targets)
    missing = names - {layer.name for layer in model.layers}
    if missing:
        raise ValueError(
            f"Model {model.name!r} has no layers named {sorted(missing)} "
            f"to insert temporal layers {where}."
        )
    return lambda layer: layer.name in names
