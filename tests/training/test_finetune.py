import keras
import numpy as np
import pytest

from keras_action.models import build_model
from keras_action.training.cli import main
from keras_action.training.finetune import freeze_backbone, load_matching_weights
from tests.training.conftest import tiny_arguments


def _tiny(num_classes, module="action"):
    return build_model(
        "mobilenet_v2", module, num_classes=num_classes, num_segments=4, image_size=32
    )


@pytest.fixture(scope="module")
def two_class_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("source") / "model.keras"
    model = _tiny(2)
    rng = np.random.default_rng(0)
    for weight in model.weights:  # distinguishable from a fresh model
        weight.assign(weight + 0.01 * rng.random(weight.shape))
    model.save(path)
    return path, model


def test_every_weight_but_the_new_classifier_is_loaded(two_class_model):
    path, source = two_class_model
    model = _tiny(4)
    report = load_matching_weights(model, path)
    assert set(report.reinitialized) == {"classifier/kernel", "classifier/bias"}
    assert len(report.loaded) == len(model.weights) - 2 and not report.unused
    for weight, trained in zip(model.weights, source.weights, strict=True):
        if weight.path in report.loaded:
            np.testing.assert_array_equal(weight.numpy(), trained.numpy())
        else:
            assert weight.shape != trained.shape
    lines = report.lines()
    assert "loaded 380 of 382 weights" in lines[0]
    assert any("classifier/kernel" in line and "(1280, 4)" in line for line in lines)


def test_weights_of_another_module_are_named_in_the_report(two_class_model):
    report = load_matching_weights(_tiny(2, "tsm"), two_class_model[0])
    assert report.unused and all("_temporal/" in path for path in report.unused)
    assert not report.reinitialized


def test_a_model_that_matches_nothing_is_an_error(tmp_path):
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="other")])
    other.save(tmp_path / "other.keras")
    with pytest.raises(ValueError, match="no weight of .* matches"):
        load_matching_weights(_tiny(2), tmp_path / "other.keras")
    with pytest.raises(ValueError, match="no such model file"):
        load_matching_weights(_tiny(2), tmp_path / "missing.keras")


def test_freeze_backbone_leaves_the_classifier_trainable():
    model = _tiny(3)
    freeze_backbone(model)
    trainable = {weight.path for weight in model.trainable_weights}
    assert trainable == {"classifier/kernel", "classifier/bias"}


def test_init_from_and_freeze_through_the_command_line(
    two_class_model, tiny_jester, tmp_path, capsys
):
    path, source = two_class_model
    arguments = tiny_arguments(tiny_jester, tmp_path, "--epochs", "1")
    arguments.remove("--quiet")
    main([*arguments, "--init-from", str(path), "--freeze-backbone"])
    out = capsys.readouterr().out
    assert f"--init-from {path}: loaded 382 of 382 weights" in out
    trained = keras.saving.load_model(tmp_path / "model.keras")
    # Loaded, it stays frozen as it trained: the classifier's kernel and bias.
    classifier = trained.get_layer("classifier")
    trainable = [weight.path for weight in trained.trainable_weights]
    assert trainable == [classifier.kernel.path, classifier.bias.path]
    # The backbone, BatchNorm statistics included, is the source's; the
    # classifier (two classes in both) trained on.
    backbone = trained.get_layer("mobilenet_v2_action").weights
    for weight, original in zip(
        backbone, source.get_layer("mobilenet_v2_action").weights, strict=True
    ):
        np.testing.assert_array_equal(weight.numpy(), original.numpy())
    assert not np.array_equal(
        trained.get_layer("classifier").kernel.numpy(),
        source.get_layer("classifier").kernel.numpy(),
    )
