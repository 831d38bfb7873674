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


def test_auto_recipe_is_scratch_without_pretrained_weights():
    from keras_action.training.recipe import choose_recipe

    assert choose_recipe("auto", pretrained=False) == ("scratch", None)
    assert choose_recipe("auto", pretrained=True) == ("paper", None)
    recipe, warning = choose_recipe("paper", pretrained=False)
    assert recipe == "paper" and "assumes ImageNet-pretrained weights" in warning
    assert choose_recipe("official", pretrained=True) == ("official", None)


def test_recipe_settings_per_dataset():
    from keras_action.training.recipe import recipe_settings

    paper = recipe_settings("paper", "jester")
    assert paper["lr_steps"] == (10, 20, 25) and paper["epochs"] == 30
    assert paper["weight_decay"] == 5e-4 and paper["dropout"] == 0.5
    official = recipe_settings("official", "egogesture")
    assert official["epochs"] == 20 and official["clip_gradient"] == 20.0
    # As docs/training.md states the scratch recipe, not the constant itself.
    assert recipe_settings("scratch", "jester") == {
        "bn_momentum": 0.9,
        "initializer": "torchvision",
        "zero_init_residual": True,
        "optimizer": "adam",
        "lr": 0.001,
        "lr_steps": (16, 19),
        "epochs": 20,
        "weight_decay": 5e-5,
        "dropout": 0.2,
        "crop_area": "centre",
        "batch_size": 8,
    }
    official = recipe_settings("official", "jester")
    assert (official["lr_steps"], official["epochs"]) == ((5, 10, 15), 25)
    with pytest.raises(ValueError, match="Unknown recipe"):
        recipe_settings("fast", "jester")


def test_the_command_line_fills_what_is_not_given_from_the_recipe(capsys):
    import argparse

    from keras_action.training.cli import add_train_arguments, config_from_arguments

    parser = add_train_arguments(argparse.ArgumentParser())

    def config(*argv):
        return config_from_arguments(parser.parse_args(["--data-dir", "D", *argv]))

    scratch = config("--lr", "0.5")
    assert scratch.recipe == "scratch" and scratch.lr == 0.5
    assert (scratch.weight_decay, scratch.epochs) == (5e-5, 20)
    assert scratch.crop_area == "centre" and scratch.batch_size == 8
    assert config("--batch-size", "32").batch_size == 32
    assert scratch.zero_init_residual is True
    assert config("--no-zero-init-residual").zero_init_residual is False
    assert config("--crop-area", "frame").crop_area == "frame"
    assert config("--crop-scales", "1,0.875").crop_scales == (1.0, 0.875)
    assert (
        scratch.optimizer == "adam" and config("--optimizer", "sgd").optimizer == "sgd"
    )
    assert capsys.readouterr().err == ""
    paper = config("--recipe", "paper", "--dropout", "0.1")
    assert (paper.recipe, paper.dropout, paper.weight_decay) == ("paper", 0.1, 5e-4)
    assert paper.optimizer == "sgd" and paper.crop_area == "frame"
    assert paper.batch_size == 64 and paper.zero_init_residual is False
    assert "assumes ImageNet-pretrained weights" in capsys.readouterr().err
    finetune = config("--init-from", "model.keras", "--no-fc-lr5")
    assert finetune.recipe == "paper" and finetune.fc_lr5 is False
    assert capsys.readouterr().err == ""
