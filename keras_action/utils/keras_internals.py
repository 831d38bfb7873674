"""The only place keras-action reads Keras' private attributes.

Keras 3 has no public way to list a layer's sublayers or the nodes that call a
layer in a functional model. Each use is kept here, checked on Keras 3.15.1,
so that a Keras release that renames them breaks one file.
"""

import keras
from keras.src.ops.function import make_node_key


def sublayers(layer):
    """The layers directly inside `layer`: a model's layers, or a layer's own."""
    return list(layer.layers if isinstance(layer, keras.Model) else layer._layers)


def call_nodes(layer, model=None):
    """The nodes at which functional models call `layer`, in call order.

    Args:
        layer: a layer.
        model: keep only the nodes of this functional model. A layer can be
            called by other graphs too: `streaming_model` calls the clip
            model's layers (same weights) in a graph of its own.
    """
    nodes = list(layer._inbound_nodes)
    if model is None:
        return nodes
    return [
        node
        for index, node in enumerate(nodes)
        if make_node_key(layer, index) in model._nodes
    ]


def run_through_graph(model, inputs, call_function):
    """The outputs of a functional `model` on `inputs`, each layer called as
    `call_function(layer, *args, **kwargs)`.

    `keras.models.clone_model` does the same but needs every input of the new
    graph to be an input of `model`; a streaming model adds state inputs at
    the layers that need them.
    """
    return model._run_through_graph(
        inputs, operation_fn=lambda layer: layer, call_fn=call_function
    )
