import csv
import json
import re
import shutil

import cv2
import keras
import numpy as np
import pytest

from keras_action.training import TrainConfig
from keras_action.training.callbacks import TrainingDiverged
from keras_action.training.cli import evaluate_main, main
from keras_action.training.recipe import recipe_settings
from keras_action.training.trainer import (
    RunExistsError,
    _compiled_model,
    _optimizer,
    train,
)
from tests.training.conftest import tiny_arguments


@pytest.fixture(scope="module")
def finished_run(tiny_jester, tmp_path_factory):
    output = tmp_path_factory.mktemp("run")
    main(tiny_arguments(tiny_jester, output, "--epochs", "3", "--weight-decay", "0"))
    return output


@pytest.mark.parametrize(
    "backbone, alpha",
    [
        ("mobilenet_v2", 1.0),
        ("mobilenet_v2", 0.5),
        ("mobilenet_v3_small", 1.0),
        pytest.param("mobilenet_v3_small_minimalistic", 1.0, marks=pytest.mark.slow),
        pytest.param("mobilenet_v3_large", 1.0, marks=pytest.mark.slow),
        pytest.param("mobilenet_v3_large_minimalistic", 1.0, marks=pytest.mark.slow),
    ],
)
def test_a_short_fit_with_the_scratch_recipe_lowers_the_loss(backbone, alpha):
    config = TrainConfig(
        **{**recipe_settings("scratch", "jester"), "dropout": 0.0, "weight_decay": 0.0},
        backbone=backbone,
        alpha=alpha,
        module="action",
        segments=4,
        image_size=32,
    )
    model = _compiled_model(config, num_classes=2)
    rng = np.random.default_rng(0)
    clips = rng.integers(0, 256, (4, 4, 32, 32, 3)).astype("float32")
    labels = np.array([0, 1, 0, 1])
    history = model.fit(clips, labels, batch_size=4, epochs=8, verbose=0).history
    assert history["loss"][-1] < 0.5 * history["loss"][0]


def test_random_backbones_start_as_torchvision_and_adam_is_an_option():
    config = TrainConfig(
        module="tsn",
        segments=2,
        image_size=32,
        optimizer="adam",
        initializer="torchvision",
    )
    model = _compiled_model(config, num_classes=3)
    (backbone,) = (layer for layer in model.layers if hasattr(layer, "layers"))
    kernel = keras.ops.convert_to_numpy(backbone.get_layer("block_16_depthwise").kernel)
    np.testing.assert_allclose(np.std(kernel), np.sqrt(2 / 9), rtol=0.05)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    keras_start = _compiled_model(
        TrainConfig(module="tsn", segments=2, image_size=32), 3
    )
    (backbone,) = (layer for layer in keras_start.layers if hasattr(layer, "layers"))
    kernel = keras.ops.convert_to_numpy(backbone.get_layer("block_16_depthwise").kernel)
    assert np.std(kernel) < 0.05  # Glorot: sqrt(2 / (9·960 + 9)) ≈ 0.015
    with pytest.raises(ValueError, match="initializer must be"):
        TrainConfig(initializer="he")
    with pytest.raises(ValueError, match="optimizer must be"):
        TrainConfig(optimizer="rmsprop")
    with pytest.raises(ValueError, match="SGD only"):
        TrainConfig(optimizer="adam", fc_lr5=True)
    with pytest.raises(ValueError, match="bias_lr2 .* SGD only"):
        TrainConfig(optimizer="adam", fc_lr5=False, bias_lr2=True)


def test_sgd_follows_the_official_optimisation_policies_by_default():
    # The official get_optim_policies with fc_lr5: classifier weight lr ×5, its
    # bias ×10, other biases ×2, every other weight ×1.
    paths = (
        "classifier/kernel",
        "classifier/bias",
        "conv1_conv/bias",
        "conv1_conv/kernel",
    )
    expected = [
        (TrainConfig(), (5, 10, 2, 1)),
        (TrainConfig(bias_lr2=False), (5, 5, 1, 1)),
        (TrainConfig(fc_lr5=False), (1, 2, 2, 1)),
    ]
    for config, multipliers in expected:
        optimizer = _optimizer(config)
        got = tuple(float(optimizer._scale(np.float32(1), path)) for path in paths)
        assert got == multipliers, config
    adam = TrainConfig(optimizer="adam")
    assert not adam.fc_lr5 and not adam.bias_lr2


def test_the_run_directory_holds_every_output(finished_run, tiny_jester):
    metrics = json.loads((finished_run / "metrics.json").read_text())
    assert 0 <= metrics["val_top1"] <= metrics["val_top5"] <= 1
    assert metrics["class_names"] == ["Moving right", "Moving left"]
    assert metrics["config"]["module"] == "action"
    assert metrics["config"]["segments"] == 4
    assert metrics["epochs_completed"] == 3
    assert [row["epoch"] for row in metrics["history"]] == [1, 2, 3]
    assert np.sum(metrics["confusion"]) == 4  # the validation clips
    with open(finished_run / "history.csv") as file:
        assert len(list(csv.DictReader(file))) == 3
    model = keras.saving.load_model(finished_run / "model.keras")
    assert model.input_shape == (None, 4, 32, 32, 3)
    for picture in ("training_curves.png", "confusion_matrix.png"):
        image = cv2.imread(str(finished_run / picture))
        assert image is not None and image.shape[0] > 100
    assert any((finished_run / "logs").rglob("events.out.tfevents.*"))
    assert not (finished_run / "backup").exists()


def test_a_finished_run_is_not_overwritten(finished_run, tiny_jester, capsys):
    with pytest.raises(RunExistsError, match="--overwrite"):
        train(TrainConfig(data_dir=str(tiny_jester), output=str(finished_run)))
    assert main(tiny_arguments(tiny_jester, finished_run)) == 1
    assert "--overwrite" in capsys.readouterr().err


def test_overwrite_replaces_the_run_files_only(tiny_jester, tmp_path):
    main(tiny_arguments(tiny_jester, tmp_path, "--epochs", "1"))
    (tmp_path / "notes.txt").write_text("mine")
    main(tiny_arguments(tiny_jester, tmp_path, "--epochs", "1", "--overwrite"))
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert [row["epoch"] for row in metrics["history"]] == [1]
    with open(tmp_path / "history.csv") as file:
        assert len(list(csv.DictReader(file))) == 1
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_evaluation_with_clips_and_crops(finished_run, tiny_jester, tmp_path):
    evaluate_main(
        [
            "--model", str(finished_run / "model.keras"),
            "--data-dir", str(tiny_jester), "--clips", "2", "--crops", "3",
            "--output", str(tmp_path),
        ]
    )  # fmt: skip
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["num_samples"] == 4
    assert (metrics["clips"], metrics["crops"]) == (2, 3)
    assert set(metrics["per_class"]) == {"Moving right", "Moving left"}
    assert cv2.imread(str(tmp_path / "confusion_matrix.png")) is not None


def test_a_nan_loss_stops_training_before_a_model_is_saved(tiny_jester, tmp_path):
    arguments = tiny_arguments(
        tiny_jester, tmp_path, "--lr", "1e30", "--clip-gradient", "0"
    )
    with pytest.raises(TrainingDiverged, match="--lr"):
        main(arguments)
    assert not (tmp_path / "model.keras").exists()


def test_evaluation_of_a_tflite_file_matches_the_keras_model(
    finished_run, tiny_jester, tmp_path
):
    from keras_action.export import to_tflite

    model = keras.saving.load_model(finished_run / "model.keras")
    tflite = tmp_path / "model.tflite"
    tflite.write_bytes(to_tflite(model))
    results = {}
    for path in (finished_run / "model.keras", tflite):
        output = tmp_path / path.suffix.strip(".")
        evaluate_main(
            [
                "--model",
                str(path),
                "--data-dir",
                str(tiny_jester),
                "--output",
                str(output),
            ]
        )
        results[path.suffix] = json.loads((output / "metrics.json").read_text())
    assert results[".tflite"]["num_samples"] == results[".keras"]["num_samples"] == 4
    assert results[".tflite"]["confusion"] == results[".keras"]["confusion"]


@pytest.fixture
def own_jester(tiny_jester, tmp_path):
    """A copy of the tiny dataset that a test may damage."""
    root = tmp_path / "data"
    shutil.copytree(tiny_jester, root)
    return root


def _assert_one_line_error(status, capsys, pattern):
    """A known mistake ends the command with status 1 and one line on stderr."""
    error = capsys.readouterr().err.strip()
    assert status == 1 and len(error.splitlines()) == 1, error
    assert re.search(pattern, error), error


def _train_ids(root):
    lines = (root / "jester-v1-train.csv").read_text().splitlines()
    return [line.split(";")[0] for line in lines if line.strip()]


@pytest.mark.parametrize("emptied", [False, True])
def test_a_training_split_smaller_than_a_batch_is_an_error(own_jester, emptied, capsys):
    arguments = tiny_arguments(own_jester, own_jester / "run", "--batch-size", "16")
    if emptied:
        (own_jester / "jester-v1-train.csv").write_text("")
    count = 0 if emptied else 12
    _assert_one_line_error(main(arguments), capsys, f"has {count} sample.*batch of 16")
    assert not (own_jester / "run" / "model.keras").exists()


def test_an_epoch_without_readable_samples_is_an_error(own_jester, capsys):
    for clip in _train_ids(own_jester):
        shutil.rmtree(own_jester / "20bn-jester-v1" / clip)
    status = main(tiny_arguments(own_jester, own_jester / "run", "--max-skipped", "1"))
    _assert_one_line_error(status, capsys, "Epoch 1 ran no training step")
    assert not (own_jester / "run" / "model.keras").exists()
    assert not (own_jester / "run" / "metrics.json").exists()


def test_an_epoch_skipping_more_than_max_skipped_is_an_error(own_jester, capsys):
    for clip in _train_ids(own_jester)[:2]:
        shutil.rmtree(own_jester / "20bn-jester-v1" / clip)
    run = own_jester / "run"
    status = main(tiny_arguments(own_jester, run, "--epochs", "1"))
    _assert_one_line_error(status, capsys, r"skipped 2 of its 12.*16\.7%")
    assert not (run / "model.keras").exists()
    # The flag says how much may be skipped; the skips are reported.
    main(tiny_arguments(own_jester, run, "--epochs", "1", "--max-skipped", "0.2"))
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["skipped_samples"]["train"] == 2
    assert metrics["epochs_completed"] == 1


@pytest.mark.parametrize("setting", ["epochs", "batch_size"])
def test_zero_epochs_or_batch_size_is_an_error(setting):
    with pytest.raises(ValueError, match=f"{setting} must be at least 1; got 0"):
        TrainConfig(**{setting: 0})
