import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_action.models import build_model
from keras_action.training import (
    SCHEDULES,
    add_weight_decay,
    freeze_batch_norm_except_first,
    set_batch_norm_momentum,
    step_decay,
)


def _tiny_model():
    return build_model(
        "mobilenet_v2", "action", num_classes=3, num_segments=4, image_size=32
    )


def test_step_decay_follows_the_paper_schedule():
    schedule = step_decay(0.01, SCHEDULES["jester"].lr_steps)
    lrs = [schedule(epoch) for epoch in (0, 9, 10, 19, 20, 25, 29)]
    np.testing.assert_allclose(lrs, [1e-2, 1e-2, 1e-3, 1e-3, 1e-4, 1e-5, 1e-5])
    assert SCHEDULES["something_something_v2"].epochs == 50
    assert SCHEDULES["egogesture"].lr_steps == (5, 10, 15)


def test_weight_decay_gradient_is_pytorch_coupled_and_spares_rank_1_weights():
    model = _tiny_model()
    decaying = add_weight_decay(model, 5e-4)
    kernels = [v for v in model.trainable_variables if len(v.shape) > 1]
    assert decaying == len(kernels) > 0
    assert all(
        v.regularizer is None for v in model.trainable_variables if len(v.shape) == 1
    )
    variable = model.get_layer("classifier").kernel
    with tf.GradientTape() as tape:
        loss = variable.regularizer(variable)
    np.testing.assert_allclose(
        tape.gradient(loss, variable.value), 5e-4 * variable.numpy(), rtol=1e-5
    )


def test_partial_batch_norm_freezes_all_but_the_first_including_the_motion_path():
    model = _tiny_model()
    frozen = freeze_batch_norm_except_first(model)
    backbone = model.get_layer("mobilenet_v2_action")
    assert backbone.get_layer("bn_Conv1").trainable
    assert not backbone.get_layer("block_16_project_BN").trainable
    motion_bn = backbone.get_layer("block_2_expand_temporal").excitations[1].batch_norm
    assert not motion_bn.trainable
    batch_norms = [
        layer
        for layer in model._flatten_layers()
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert frozen == len(batch_norms) - 1 == 52 - 1 + 10


@pytest.mark.parametrize("momentum", [0.9, 0.5])
def test_batch_norm_momentum_is_set_everywhere(momentum):
    model = _tiny_model()
    changed = set_batch_norm_momentum(model, momentum)
    batch_norms = [
        layer
        for layer in model._flatten_layers()
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert changed == len(batch_norms)
    assert {layer.momentum for layer in batch_norms} == {momentum}
