"""`keras-action predict` / `benchmark` and `conversion/export_tflite.py`."""

import gc
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from keras_action import build_model
from keras_action.cli import main
from keras_action.data import extract_frames, segment_indices
from keras_action.data.decode import FrameCountCache
from keras_action.data.errors import VideoDecodeError
from keras_action.export import calibration_clips, read_clip, to_tflite
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
    *rows, last = capsys.readouterr().out.splitlines()
    assert last == f"wrote {image}"
    top = predictions("\n".join(rows))
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


@pytest.fixture(scope="module")
def export_script():
    spec = importlib.util.spec_from_file_location(
        "export_tflite", ROOT / "conversion" / "export_tflite.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


@pytest.fixture(scope="module")
def saved_run(keras_model, tmp_path_factory):
    """A run directory as training leaves it: the classes are in metrics.json."""
    run = tmp_path_factory.mktemp("trained")
    keras_model.save(run / "model.keras")
    (run / "metrics.json").write_text(json.dumps({"class_names": CLASSES}))
    return run


def test_export_script_writes_model_and_labels(
    export_script, keras_model, tmp_path, capsys
):
    run = tmp_path / "run"
    run.mkdir()
    keras_model.save(run / "model.keras")
    (run / "labels.txt").write_text("\n".join(CLASSES))
    output = tmp_path / "out" / "tsm.tflite"
    arguments = ["--model", str(run / "model.keras"), "--output", str(output)]
    assert export_script.main(arguments) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"wrote {output} and labels.txt (")
    # The edge check's verdict, in one line.
    assert out[1].startswith("edge check passed: ")
    assert "every op on XNNPACK" in out[1]
    assert (output.parent / "labels.txt").read_text().split() == CLASSES


def test_export_script_writes_a_streaming_file(export_script, tmp_path, capsys):
    model = build_model("mobilenet_v2", "tsm", len(CLASSES), 4, 32, causal=True)
    run = tmp_path / "run"
    run.mkdir()
    model.save(run / "model.keras")
    (run / "labels.txt").write_text("\n".join(CLASSES))
    output = tmp_path / "stream.tflite"
    arguments = ["--model", str(run / "model.keras"), "--output", str(output)]
    arguments += ["--streaming", "--quantize", "int8", "--calibration-frames", "40"]
    assert export_script.main(arguments) == 0
    first, verdict = capsys.readouterr().out.splitlines()
    assert first.startswith(f"wrote {output} and labels.txt (")
    assert first.endswith("MiB, int8, streaming)")
    assert verdict.startswith("edge check passed: ")
    assert verdict.endswith("11 states looping with their input's quantization")


@pytest.mark.parametrize("quantize", ["none", "int8"])
def test_labels_travel_from_the_run_to_predict(
    export_script, saved_run, tmp_path, capsys, videos, quantize
):
    output = tmp_path / f"{quantize}.tflite"
    arguments = ["--model", str(saved_run / "model.keras"), "--output", str(output)]
    arguments += ["--quantize", quantize, "--calibration-clips", "2"]
    assert export_script.main(arguments) == 0
    assert (tmp_path / "labels.txt").read_text().split() == CLASSES
    capsys.readouterr()
    assert main(["predict", "--model", str(output), str(videos / "frames_bbb")]) == 0
    assert {name for name, _ in predictions(capsys.readouterr().out)} <= set(CLASSES)


def test_export_checks_the_labels_count(export_script, saved_run, tmp_path, capsys):
    labels = tmp_path / "labels.txt"
    labels.write_text("one\ntwo\n")
    arguments = ["--model", str(saved_run / "model.keras"), "--labels", str(labels)]
    assert export_script.main([*arguments, "--output", str(tmp_path / "m.tflite")]) == 1
    error = capsys.readouterr().err.splitlines()
    assert error == [
        f"export_tflite.py: error: {labels} names 2 classes but the model has 6."
    ]
    assert not (tmp_path / "m.tflite").exists()


def test_int8_export_needs_a_calibration_clip(export_script, saved_run, capsys):
    arguments = ["--model", str(saved_run / "model.keras"), "--output", "x.tflite"]
    with pytest.raises(SystemExit) as exit_info:
        export_script.main(
            [*arguments, "--quantize", "int8", "--calibration-clips", "0"]
        )
    assert exit_info.value.code == 2
    assert "--calibration-clips: must be 1 or more" in capsys.readouterr().err
    with pytest.raises(ValueError, match="at least 1 calibration clip"):
        to_tflite(build_model("mobilenet_v2", "tsn", 2, 2, 32), quantize="int8",
                  representative_clips=[], num_calibration_clips=0)  # fmt: skip


def test_synthetic_calibration_data_is_removed(monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dataset = calibration_clips(num_segments=2, image_size=32)
    assert next(iter(dataset))[0].shape == (2, 32, 32, 3)
    assert any(tmp_path.iterdir())
    del dataset
    gc.collect()
    assert not any(tmp_path.iterdir())


def test_predict_without_labels_prints_class_indices(tmp_path, keras_model, videos):
    model = tmp_path / "bare.tflite"
    to_tflite(keras_model, model)
    result = run_without_backends("predict", "--model", model, videos / "frames_bbb")
    assert result.returncode == 0, result.stderr
    assert {name for name, _ in predictions(result.stdout)} <= set("012345")
    assert result.stderr.splitlines() == [
        f"keras-action predict: no {tmp_path / 'labels.txt'}; printing class "
        "indices (pass --labels FILE for names)."
    ]


@pytest.mark.parametrize(
    "option, message",
    [
        (["--top", "0"], "argument --top: must be 1 or more, got 0"),
        (["--top", "-1"], "argument --top: must be 1 or more, got -1"),
        (["--threads", "0"], "argument --threads: must be 1 or more, got 0"),
    ],
)
def test_predict_rejects_bad_counts(tflite_path, videos, capsys, option, message):
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "predict",
                "--model",
                str(tflite_path),
                str(videos / "frames_bbb"),
                *option,
            ]
        )
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_predict_checks_the_image_format_first(tflite_path, videos, capsys, tmp_path):
    image = tmp_path / "prediction.xyz"
    arguments = ["predict", "--model", str(tflite_path), str(videos / "frames_bbb")]
    assert main([*arguments, "--image", str(image)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""  # no result before the error
    assert captured.err.splitlines() == [
        f"keras-action predict: error: {image}: OpenCV cannot write this image "
        "format; use .png or .jpg."
    ]


def test_one_policy_for_damaged_videos(tflite_path, videos, tmp_path, capsys):
    """`corrupted.mp4` (28 of 50 frames) is refused by predict, the pipelines and
    extract_frames alike, each naming the file once."""
    video = videos / "corrupted.mp4"
    reason = f"{video}: damaged stream: 28 of the 50 frames announced decode"
    assert main(["predict", "--model", str(tflite_path), str(video)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"keras-action predict: error: {reason}"
    ]
    with pytest.raises(VideoDecodeError, match="damaged stream"):
        FrameCountCache()(video)
    assert extract_frames.main([str(video), "-o", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert error.splitlines() == [f"failed: {reason}"]


def test_install_hints_are_quoted():
    """One form everywhere: `pip install "keras-action[extra]"`."""
    unquoted = re.compile(r"pip install keras-action\[")
    files = [*ROOT.glob("*.md"), *ROOT.glob("docs/*.md"), *ROOT.rglob("*.py")]
    offenders = [
        str(path.relative_to(ROOT))
        for path in files
        if ".venv" not in path.parts and unquoted.search(path.read_text())
    ]
    assert offenders == []


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


#: Imports the command line, runs it, and prints the heavy modules it imported.
IMPORTED = """
import json, sys
from keras_action.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = {"keras", "tensorflow", "torch", "jax", "matplotlib"}
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & heavy)))
"""


def heavy_imports(*arguments):
    result = subprocess.run(
        [sys.executable, "-c", IMPORTED, *map(str, arguments)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1]), result.stdout


def test_help_is_written_for_users_and_imports_no_backend():
    imported, help_text = heavy_imports("--help")
    assert imported == []
    assert "usage: keras-action [-h] COMMAND" in help_text
    for name in ("predict", "benchmark", "train", "evaluate"):
        assert f"    {name}" in help_text
    assert 'pip install "keras-action[litert]"' in help_text
    assert "register" not in help_text  # no word on how commands are coded


def test_predict_with_a_tflite_imports_no_backend(tflite_path, videos):
    imported, output = heavy_imports(
        "predict", "--model", tflite_path, videos / "bbb_opening_h264.mp4"
    )
    assert imported == []
    assert len(predictions("\n".join(output.splitlines()[:-1]))) == 5


def test_benchmark_help_shows_the_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["benchmark", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "(default: mobilenet_v2,resnet50_torch)" in out
    assert "(default: 8)" in out


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
