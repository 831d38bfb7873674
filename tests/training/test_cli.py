"""`keras-action train` / `evaluate` as a user meets them: logs, errors, help."""

import csv
import json
import os
import subprocess
import sys

import keras
import pytest

import keras_action
from keras_action.layers.base import TemporalLayer
from keras_action.models.modules import MODULES
from keras_action.training.callbacks import StepProgress
from keras_action.training.cli import evaluate_main, main
from tests.training.conftest import tiny_arguments


def run_command(*arguments, env=None):
    """`python -m keras_action.cli ...` with its output piped, as in a log file."""
    return subprocess.run(
        [sys.executable, "-m", "keras_action.cli", *map(str, arguments)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


def without_tf_log_level():
    env = dict(os.environ)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return env


@pytest.fixture(scope="module")
def piped_run(tiny_jester, tmp_path_factory):
    """A 2-epoch run whose stdout is a pipe, not a terminal."""
    output = tmp_path_factory.mktemp("piped")
    arguments = [a for a in tiny_arguments(tiny_jester, output) if a != "--quiet"]
    result = subprocess.run(
        [sys.executable, "-m", "keras_action.cli", "train", *arguments],
        capture_output=True,
        text=True,
        timeout=600,
        env=without_tf_log_level(),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return output, result


def test_piped_logs_have_one_plain_line_per_epoch(piped_run):
    output, result = piped_run
    assert "\r" not in result.stdout and "\x1b" not in result.stdout
    lines = result.stdout.splitlines()
    epochs = [line for line in lines if line.lower().startswith("epoch")]
    # 12 training clips in batches of 4.
    assert [line.split("  ")[:2] for line in epochs] == [
        ["epoch 1/2", "3 steps"],
        ["epoch 2/2", "3 steps"],
    ]
    assert lines[-1] == f"results in {output}"
    assert "oneDNN" not in result.stderr and "absl" not in result.stderr


def test_history_counts_epochs_from_one(piped_run):
    output, _ = piped_run
    with open(output / "history.csv") as file:
        assert [int(row["epoch"]) for row in csv.DictReader(file)] == [1, 2]


def test_rerunning_a_finished_run_is_one_line_and_status_1(piped_run, tiny_jester):
    output, _ = piped_run
    result = run_command("train", *tiny_arguments(tiny_jester, output))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"keras-action train: error: {output} already holds a finished run "
        "(metrics.json); pass --overwrite to replace it or choose another --output."
    ]


def test_quiet_prints_nothing(tiny_jester, tmp_path, capsys):
    assert main(tiny_arguments(tiny_jester, tmp_path, "--epochs", "1")) == 0
    assert capsys.readouterr().out == ""


def test_evaluate_says_where_it_wrote(piped_run, tiny_jester, tmp_path, capsys):
    output, _ = piped_run
    model, report = output / "model.keras", tmp_path / "report"
    arguments = ["--model", model, "--data-dir", tiny_jester, "--output", report]
    assert evaluate_main(list(map(str, arguments))) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last == f"wrote metrics.json and confusion_matrix.png to {report}"
    assert (report / "metrics.json").is_file()
    assert (report / "confusion_matrix.png").is_file()


def test_imagenet_weights_offline_say_what_to_do(tiny_jester, tmp_path):
    # An empty Keras cache and a proxy that refuses connections: no network used.
    refused = "http://127.0.0.1:9"
    env = {"KERAS_HOME": str(tmp_path / "keras"), "HTTPS_PROXY": refused}
    env["https_proxy"] = refused
    arguments = tiny_arguments(tiny_jester, tmp_path / "run", "--weights", "imagenet")
    result = run_command("train", *arguments, env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    error = result.stderr.splitlines()[-1]
    assert error.startswith("keras-action train: error: cannot download the ImageNet")
    assert "need network access once" in error
    assert str(tmp_path / "keras" / "models") in error
    assert "--weights PATH" in error


def test_train_help_lists_every_module_and_runs_as_a_module():
    # `python -m keras_action.cli train` reaches the training options, and the
    # TensorFlow it imports prints nothing.
    result = run_command("train", "--help", env=without_tf_log_level())
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "usage: keras-action train" in result.stdout
    assert "{" + ",".join(MODULES) + "}" in result.stdout
    help_text = " ".join(result.stdout.split())
    assert "SGD momentum (default: 0.9)" in help_text  # defaults are shown
    assert "the recipe's (paper: 0.01)" in help_text  # --lr: the recipe decides
    assert "(default: None)" not in help_text


def test_step_progress_knows_the_steps_from_the_first_epoch():
    progress = StepProgress(steps=7)
    progress.set_params({"verbose": 1, "epochs": 3, "steps": None})
    assert progress.target == 7
    progress.set_params({"verbose": 1, "epochs": 3, "steps": 5})
    assert progress.target == 5  # a dataset of known length wins


def test_causal_dense_training_gives_a_model_that_streams(tiny_jester, tmp_path):
    extra = ("--epochs", "1", "--causal", "--frame-stride", "2")
    assert main(tiny_arguments(tiny_jester, tmp_path, *extra)) == 0
    config = json.loads((tmp_path / "metrics.json").read_text())["config"]
    assert config["causal"] is True and config["frame_stride"] == 2
    model = keras.saving.load_model(tmp_path / "model.keras")
    frames = next(layer for layer in model.layers if isinstance(layer, keras.Model))
    blocks = [layer for layer in frames.layers if isinstance(layer, TemporalLayer)]
    assert len(blocks) == 10 and all(block.causal for block in blocks)
    stream = keras_action.streaming_model(model)
    assert "consensus_window" in stream.state_specs
    evaluation = ["--model", tmp_path / "model.keras", "--data-dir", tiny_jester]
    evaluation += ["--frame-stride", "2", "--output", tmp_path / "eval"]
    assert evaluate_main([str(argument) for argument in evaluation]) == 0
    assert json.loads((tmp_path / "eval" / "metrics.json").read_text())["top1"] >= 0


@pytest.mark.parametrize(
    "argv, data, expected, causal_stride, output",
    [
        (
            ["--demo"],
            {"difficulty": "easy", "clips_per_class": 100},
            {
                "backbone": "mobilenet_v3_small",
                "segments": 4,
                "image_size": 64,
                "recipe": "scratch",
                "optimizer": "adam",
            },
            None,
            "runs/demo",
        ),
        (
            ["--demo", "plain"],
            {"clips_per_class": 80, "image_size": (72, 96)},
            {"backbone": "mobilenet_v2", "image_size": 32, "optimizer": "sgd"},
            2,
            "runs/demo_plain",
        ),
    ],
)
def test_demo_trains_its_runs_on_its_set(
    monkeypatch, tmp_path, argv, data, expected, causal_stride, output
):
    """`--demo` writes the realistic gestures and trains ACTION-Net and TSN
    with the scratch recipe; `--demo plain` keeps the earlier demo's set,
    budget and causal run, in a folder of its own (each keeps its data)."""
    import keras_action.data
    from keras_action.training import trainer

    written, configs = [], []

    def write(root, **arguments):  # as the real writer, creates the folder
        written.append(arguments)
        root.mkdir(parents=True)

    monkeypatch.setattr(keras_action.data, "write_synthetic_jester", write)

    def train(config):
        configs.append(config)
        return {
            "val_top1": 0.5,
            "val_top5": 1.0,
            "epochs_completed": config.epochs,
            "config": {"output": config.output},
        }

    monkeypatch.setattr(trainer, "train", train)
    monkeypatch.chdir(tmp_path)
    assert main([*argv, "--quiet"]) == 0
    assert len(written) == 1
    assert data.items() <= written[0].items()
    assert ("difficulty" in written[0]) == ("difficulty" in data)
    modules = [(config.module, config.causal) for config in configs]
    assert modules[:2] == [("action", False), ("tsn", False)]
    if causal_stride is None:
        assert len(configs) == 2
    else:
        assert modules[2:] == [("action", True)]
        assert configs[2].frame_stride == causal_stride
    for config in configs:
        assert {key: getattr(config, key) for key in expected} == expected
        assert config.data_dir == f"{output}/data"
    with pytest.raises(SystemExit):
        main(["--demo", "hard"])


def test_kept_synthetic_data_must_match_its_settings(monkeypatch, tmp_path, capsys):
    """The data kept in `OUTPUT/data` is reused only for the settings that
    wrote it: a demo of another set (or seed) into the same `--output` is a
    one-line error, never a run on the other demo's clips."""
    import keras_action.data
    from keras_action.training import trainer

    written = []

    def write(root, **arguments):
        written.append(arguments)
        root.mkdir(parents=True)
        (root / "jester-v1-labels.csv").write_text("a\nb\n")

    monkeypatch.setattr(keras_action.data, "write_synthetic_jester", write)
    monkeypatch.setattr(
        trainer,
        "train",
        lambda config: {
            "val_top1": 0.5,
            "val_top5": 1.0,
            "epochs_completed": 1,
            "config": {"output": config.output},
        },
    )
    output = str(tmp_path / "shared")
    assert main(["--demo", "--output", output, "--quiet"]) == 0
    assert main(["--demo", "--output", output, "--quiet"]) == 0
    assert len(written) == 1
    capsys.readouterr()
    assert main(["--demo", "plain", "--output", output, "--quiet"]) == 1
    assert main(["--demo", "--seed", "1", "--output", output, "--quiet"]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 2 and len(written) == 1
    assert all(f"{output}/data holds a synthetic set" in line for line in errors)
    assert "'seed': 0" in errors[1] and "'seed': 1" in errors[1]
