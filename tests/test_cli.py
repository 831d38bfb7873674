"""`keras-action predict` / `benchmark` and `conversion/export_tflite.py`."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from keras_action import build_model
from keras_action.cli import main
from keras_action.data import segment_indices
from keras_action.export import read_clip, to_tflite
from keras_action.export.benchmark import table
from keras_action.export.predict import centre_indices

ROOT = Path(__file__).parents[1]
CLASSES = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]


@pytest.fixture(scope="module")
def keras_model():
    return build_model(
        "mobilenet_v2", "tsm", len(CLASSES), num_segments=4, image_size=32
    )


@pytest.fixture(scope="module")
def tflite_path(keras_model, tmp_path_factory):
    path = tmp_path_factory.mktemp("run") / "tsm.tflite"
    to_tflite(keras_model, path, class_names=CLASSES)
    return path


def predictions(output):
    rows = [line.split(maxsplit=1) for line in output.strip().splitlines()]
    return [(name, float(share.rstrip("%")) / 100) for share, name in rows]


@pytest.mark.parametrize("source", ["bbb_opening_h264.mp4", "frames_bbb"])
def test_predict_prints_top5_and_draws_the_clip(
    tflite_path, tmp_path, capsys, source, videos
):
    image = tmp_path / "prediction.png"
    code = main(
        [
            "predict",
            "--model",
            str(tflite_path),
            str(videos / source),
            "--image",
            str(image),
        ]
    )
    assert code == 0
    top = predictions(capsys.readouterr().out)
    assert len(top) == 5
    assert {name for name, _ in top} <= set(CLASSES)
    shares = [share for _, share in top]
    assert shares == sorted(shares, reverse=True)
    assert 0 < sum(shares) <= 1.0001
    drawing = cv2.imread(str(image))
    assert drawing.shape[1] == 4 * 160  # four 32-px frames, scaled by 5


def test_predict_names_a_video_that_does_not_decode(tflite_path, capsys, videos):
    video = videos / "garbage_stream.mp4"
    assert main(["predict", "--model", str(tflite_path), str(video)]) == 1
    error = capsys.readouterr().err
    assert f"{video}: OpenCV decodes no frame" in error


def test_predict_checks_the_labels_file(tflite_path, tmp_path, capsys, videos):
    labels = tmp_path / "labels.txt"
    labels.write_text("one\ntwo\n")
    args = ["predict", "--model", str(tflite_path), "--labels", str(labels)]
    assert main([*args, str(videos / "frames_bbb")]) == 1
    assert "6 classes but the labels file names 2" in capsys.readouterr().err


def test_read_clip_samples_a_centre_square(videos):
    clip = read_clip(videos / "keyboard_rot90.mov", num_segments=4, image_size=24)
    assert clip.shape == (4, 24, 24, 3)
    assert clip.dtype == np.uint8
    # Three frames, four segments: the middle frame repeats, as in validation.
    np.testing.assert_array_equal(clip[1], clip[2])


@pytest.mark.parametrize("segments", [1, 3, 8])
def test_centre_indices_match_the_data_pipeline(segments):
    for frames in range(1, 40):
        expected = segment_indices(frames, segments, training=False).numpy()[0]
        np.testing.assert_array_equal(centre_indices(frames, segments), expected)


def test_export_script_writes_model_and_labels(keras_model, tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    keras_model.save(run / "model.keras")
    (run / "labels.txt").write_text("\n".join(CLASSES))
    spec = importlib.util.spec_from_file_location(
        "export_tflite", ROOT / "conversion" / "export_tflite.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    output = tmp_path / "out" / "tsm.tflite"
    assert (
        script.main(["--model", str(run / "model.keras"), "--output", str(output)]) == 0
    )
    assert "tsm.tflite" in capsys.readouterr().out
    assert (output.parent / "labels.txt").read_text().split() == CLASSES


def fake_variant(module, flops, fp32, int8):
    return {
        "backbone": "mobilenet_v2",
        "module": module,
        "trainable_params": 1000,
        "flops": flops,
        "float32_bytes": 2**20,
        "int8_bytes": 2**18,
        "latency": {
            "float32/1": fp32,
            "float32/2": fp32 / 2,
            "int8/1": int8,
            "int8/2": int8,
        },
        "cpu": {"float32/1": 2 * fp32, "int8/1": int8},
    }


def test_benchmark_table_ratios_and_efficiency():
    variants = [
        fake_variant("tsm", 1e9, 0.100, 0.05),
        fake_variant("action", 1.1e9, 0.105, 0.06),
    ]
    top1 = {("mobilenet_v2", "tsm"): 90.0, ("mobilenet_v2", "action"): 92.0}
    rows = table(variants, top1=top1).splitlines()
    action = [cell.strip() for cell in rows[3].strip("|").split("|")]
    # ÷TSM 1T, 2T and CPU; int8÷fp32 wall and CPU; η = 10 % more FLOPs / 2 points.
    assert action[-6:] == ["1.050", "1.050", "1.050", "0.571", "0.286", "5.00"]
    assert rows[2].endswith("| 1.000 | 1.000 | 1.000 | 0.500 | 0.250 | – |")


@pytest.mark.slow
def test_benchmark_command_writes_results(tmp_path, capsys):
    output = tmp_path / "latency.json"
    arguments = (
        "--backbones mobilenet_v2 --modules tsm,action --segments 2 --image-size 32"
    )
    arguments += " --threads 1 --rounds 1 --repeats 1 --calibration-clips 1"
    assert main(["benchmark", *arguments.split(), "--output", str(output)]) == 0
    assert "| mobilenet_v2 | action |" in capsys.readouterr().out
    results = json.loads(output.read_text())["results"]
    assert [r["module"] for r in results] == ["tsm", "action"]
    assert all(r["latency"]["int8/1"] > 0 for r in results)


def test_train_and_evaluate_hand_their_options_to_the_training_cli(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: keras-action train" in out and "--lr-steps" in out
    missing = tmp_path / "missing.keras"
    assert main(["evaluate", "--model", str(missing), "--data-dir", str(tmp_path)]) == 1
    assert "missing.keras" in capsys.readouterr().err


#: Runs the command line with TensorFlow and every other Keras backend hidden,
#: as in a runtime-only install (`keras-action[litert]`).
WITHOUT_BACKENDS = """
import importlib.abc, sys

class NoBackend(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {"tensorflow", "jax", "torch", "tf_keras"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NoBackend())
from keras_action.cli import main
code = main(sys.argv[1:])
assert "tensorflow" not in sys.modules, "TensorFlow was imported"
sys.exit(code)
"""


def run_without_backends(*arguments):
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_BACKENDS, *map(str, arguments)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_predict_runs_without_tensorflow(tflite_path, capsys, videos):
    video = videos / "bbb_opening_h264.mp4"
    assert main(["predict", "--model", str(tflite_path), str(video)]) == 0
    expected = capsys.readouterr().out
    result = run_without_backends("predict", "--model", tflite_path, video)
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected


def test_commands_that_need_tensorflow_say_which_extra_installs_it():
    result = run_without_backends("train", "--demo")
    assert result.returncode == 1
    assert 'pip install "keras-action[tensorflow]"' in result.stderr


def test_synthetic_writes_a_realistic_dataset(tmp_path, capsys):
    from keras_action import data

    args = [
        "synthetic",
        str(tmp_path),
        "--difficulty",
        "easy",
        "--clips-per-class",
        "4",
    ]
    assert main([*args, "--classes", "2"]) == 0
    assert f"Wrote 8 clips to {tmp_path}" in capsys.readouterr().out
    assert data.jester_class_names(tmp_path) == ["Moving right", "Moving left"]
    assert main(["synthetic", str(tmp_path), "--difficulty", "extreme"]) == 1
    assert "difficulty must be" in capsys.readouterr().err
