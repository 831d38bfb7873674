import keras

from keras_action.layers import ActionBlock
from keras_action.utils.keras_internals import call_nodes, sublayers


def test_sublayers_of_a_layer_and_of_a_model():
    block = ActionBlock(4, paths=("ce", "me"))
    block.build((8, 6, 6, 32))
    assert [layer.name for layer in sublayers(block)] == ["shift", "channel", "motion"]
    inputs = keras.Input((3,))
    dense = keras.layers.Dense(2, name="dense")
    model = keras.Model(inputs, dense(inputs))
    assert sublayers(model)[1] is dense


def test_call_nodes_link_a_chain_of_layers():
    inputs = keras.Input((3,))
    first, second = keras.layers.Dense(4), keras.layers.Dense(2)
    hidden = first(inputs)
    second(hidden)
    (node,) = call_nodes(second)
    assert node.input_tensors[0] is call_nodes(first)[0].output_tensors[0]
