import keras
import numpy as np
import pytest

from keras_action.layers import TemporalShift
from keras_action.models import insert_temporal_layers
from keras_action.models.backbones import (
    mobilenet_insertion_points,
    resnet_insertion_points,
)
from keras_action.models.resnet_torch import ResNet50Torch


@pytest.fixture(scope="module")
def mobilenet():
    keras.utils.set_random_seed(1)
    return keras.applications.MobileNetV2(
        input_shape=(32, 32, 3), include_top=False, weights=None, pooling="avg"
    )


def _frames(count=4, size=32, seed=0):
    return (
        np.random.default_rng(seed)
        .uniform(-1, 1, (count, size, size, 3))
        .astype("float32")
    )


def test_mobilenet_v2_gets_the_ten_official_blocks(mobilenet):
    points = mobilenet_insertion_points(mobilenet)
    assert points == [f"block_{n}_expand" for n in (2, 4, 5, 7, 8, 9, 11, 12, 14, 15)]


def test_resnet_stages_select_their_bottlenecks():
    model = ResNet50Torch((32, 32, 3))
    assert len(resnet_insertion_points(model)) == 16
    assert resnet_insertion_points(model, stages=(5,)) == [
        f"conv5_block{b}_1_conv" for b in (1, 2, 3)
    ]
    with pytest.raises(ValueError, match="stages"):
        resnet_insertion_points(model, stages=(1,))


@pytest.mark.parametrize(
    "constructor, per_stage",
    [
        (keras.applications.ResNet101, (2, 2, 12, 2)),
        (keras.applications.ResNet152, (2, 4, 18, 2)),
    ],
)
def test_deep_resnets_get_a_module_in_every_second_block(constructor, per_stage):
    # The official placement (TSM's `n_round = 2`): with 23 or more blocks in
    # res4, blocks 0, 2, 4, … of every stage (Keras' 1-based block1, block3, …).
    model = constructor(include_top=False, weights=None, input_shape=(32, 32, 3))
    points = resnet_insertion_points(model)
    counts = tuple(sum(p.startswith(f"conv{s}_") for p in points) for s in (2, 3, 4, 5))
    assert counts == per_stage
    assert resnet_insertion_points(model, stages=(2,)) == [
        "conv2_block1_1_conv",
        "conv2_block3_1_conv",
    ]


def test_identity_insertion_reproduces_the_backbone(mobilenet):
    points = mobilenet_insertion_points(mobilenet)
    rebuilt = insert_temporal_layers(
        mobilenet, lambda channels: keras.layers.Identity(), points
    )
    assert len(rebuilt.layers) == len(mobilenet.layers) + len(points)
    frames = _frames()
    np.testing.assert_array_equal(
        rebuilt.predict(frames, verbose=0), mobilenet.predict(frames, verbose=0)
    )


def test_the_shortcut_receives_the_unshifted_tensor(mobilenet):
    rebuilt = insert_temporal_layers(
        mobilenet, lambda channels: TemporalShift(4), ["block_2_expand"]
    )
    shift = rebuilt.get_layer("block_2_expand_temporal")
    assert rebuilt.get_layer("block_2_expand").input is shift.output
    add_inputs = rebuilt.get_layer("block_2_add").input
    assert shift.input in add_inputs
    assert shift.output not in add_inputs


def test_pretrained_weights_survive(mobilenet):
    rebuilt = insert_temporal_layers(
        mobilenet,
        lambda channels: TemporalShift(4),
        mobilenet_insertion_points(mobilenet),
    )
    for layer in (layer for layer in mobilenet.layers if layer.weights):
        for original, copied in zip(
            layer.get_weights(),
            rebuilt.get_layer(layer.name).get_weights(),
            strict=True,
        ):
            np.testing.assert_array_equal(original, copied)


def test_points_by_predicate_and_the_factory_sees_channels(mobilenet):
    seen = []

    def factory(channels):
        seen.append(channels)
        return keras.layers.Identity()

    insert_temporal_layers(
        mobilenet,
        factory,
        lambda layer: layer.name in ("block_2_expand", "block_14_expand"),
    )
    assert seen == [24, 160]


def test_unknown_layer_names_are_reported(mobilenet):
    with pytest.raises(ValueError, match="block_99_expand"):
        insert_temporal_layers(
            mobilenet, lambda c: keras.layers.Identity(), ["block_99_expand"]
        )


def test_after_feeds_every_consumer_of_the_output(mobilenet):
    """In place: `block_1_project_BN` feeds both `block_2_expand` and the
    shortcut of `block_2_add`; both receive the temporal layer's output."""
    rebuilt = insert_temporal_layers(
        mobilenet, lambda channels: TemporalShift(4), after=["block_1_project_BN"]
    )
    shift = rebuilt.get_layer("block_1_project_BN_temporal")
    assert shift.input is rebuilt.get_layer("block_1_project_BN").output
    assert rebuilt.get_layer("block_2_expand").input is shift.output
    assert shift.output in rebuilt.get_layer("block_2_add").input
    frames = _frames()
    shifted, original = (
        keras.Model(model.input, model.get_layer("block_2_add").output)(frames)
        for model in (rebuilt, mobilenet)
    )
    assert not np.allclose(shifted, original)


def test_a_layer_chosen_before_and_after_is_refused(mobilenet):
    with pytest.raises(ValueError, match="block_2_expand.*both before and after"):
        insert_temporal_layers(
            mobilenet,
            lambda channels: keras.layers.Identity(),
            before=["block_2_expand"],
            after=["block_2_expand"],
        )


def test_unknown_names_after_are_reported(mobilenet):
    with pytest.raises(ValueError, match=r"no layers named \['nope'\].*after"):
        insert_temporal_layers(
            mobilenet, lambda channels: keras.layers.Identity(), after=["nope"]
        )
