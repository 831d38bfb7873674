"""`keras-action[litert]` installs a runtime without TensorFlow (slow: uses PyPI)."""

import subprocess
import sys
from pathlib import Path

import pytest

from keras_action import build_model
from keras_action.export import to_tflite

ROOT = Path(__file__).parents[1]
CLASSES = ["left", "right", "up"]


def run(*command, **options):
    return subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        timeout=900,
        **options,
    )


@pytest.mark.slow
def test_litert_extra_installs_a_runtime_without_tensorflow(tmp_path, videos):
    model = tmp_path / "model.tflite"
    keras_model = build_model("mobilenet_v2", "action", len(CLASSES), 4, 32)
    to_tflite(keras_model, model, class_names=CLASSES)
    environment = tmp_path / "venv"
    assert run(sys.executable, "-m", "venv", environment).returncode == 0
    python = environment / "bin" / "python"
    install = run(python, "-m", "pip", "install", "--quiet", f"{ROOT}[litert]")
    assert install.returncode == 0, install.stderr[-3000:]

    assert run(python, "-c", "import tensorflow").returncode != 0
    predict = run(
        environment / "bin" / "keras-action",
        "predict",
        "--model",
        model,
        videos / "bbb_opening_h264.mp4",
    )
    assert predict.returncode == 0, predict.stderr[-3000:]
    assert len(predict.stdout.strip().splitlines()) == len(CLASSES)
    train = run(environment / "bin" / "keras-action", "train", "--demo")
    assert train.returncode == 1
    assert 'pip install "keras-action[tensorflow]"' in train.stderr
