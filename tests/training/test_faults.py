"""Fault injection: training runs SIGKILLed at many moments still finish right.

Each moment is `(kind, file, n)` of `tests/training/killed_run.py` (the n-th
time that moment comes, counted from the process start), or `("after", "-",
seconds)`: a SIGKILL sent from outside that many seconds after the start. A
run is started again and again, each start killed at the next moment, until a
start finishes; the rest of the moments go to a new run.
"""

import contextlib
import csv
import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import keras
import pytest

from keras_action.training.cli import main
from tests.training.conftest import tiny_arguments

KILLED_RUN = Path(__file__).with_name("killed_run.py")
EPOCHS = 2
PICTURES = ("training_curves.png", "confusion_matrix.png")
NEVER = ("never", "-", 0)


def _start(data_dir, run, moment):
    kind, name, n = moment
    arguments = tiny_arguments(data_dir, run, "--epochs", str(EPOCHS))
    if kind == "after":
        kind, name, n = NEVER
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH", "")]
    )
    return subprocess.Popen(
        [sys.executable, str(KILLED_RUN), kind, name, str(n), "--", *arguments],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _outcome(process, moment, timeout=900):
    """`"killed"` or `"finished"`; a start that fails otherwise fails the test."""
    if moment[0] == "after":
        try:
            process.wait(timeout=moment[2])
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
    output, _ = process.communicate(timeout=timeout)
    if process.returncode == -signal.SIGKILL:
        return "killed"
    assert process.returncode == 0, f"{moment}: {output[-3000:]}"
    return "finished"


def _check_consistent(run):
    """What a killed run leaves: never a damaged model or an incomplete report."""
    if (run / "model.keras").exists():
        keras.saving.load_model(run / "model.keras")
    if (run / "metrics.json").exists():
        _check_finished(run)


def _check_finished(run):
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epochs_completed"] == EPOCHS
    assert [row["epoch"] for row in metrics["history"]] == list(range(1, EPOCHS + 1))
    with open(run / "history.csv") as file:
        epochs = [int(row["epoch"]) for row in csv.DictReader(file)]
    assert epochs == list(range(1, EPOCHS + 1)), f"history.csv rows: {epochs}"
    model = keras.saving.load_model(run / "model.keras")
    assert model.output_shape == (None, len(metrics["class_names"]))
    for picture in PICTURES:
        assert cv2.imread(str(run / picture)) is not None, picture


def run_with_kills(data_dir, root, moments):
    """Kills runs at `moments` in turn; returns how many kills happened."""
    kills, index = 0, 0
    run = root / f"run{index}"
    for moment in moments:
        if _outcome(_start(data_dir, run, moment), moment) == "finished":
            _check_finished(run)
            assert not (run / "backup").exists()
            assert not list(run.rglob(".partial-*")), "leftovers of killed writes"
            index += 1
            run = root / f"run{index}"
            continue
        kills += 1
        _check_consistent(run)
        if (run / "metrics.json").exists():  # killed just after finishing
            index += 1
            run = root / f"run{index}"
    if run.exists():
        assert _outcome(_start(data_dir, run, NEVER), NEVER) == "finished"
        _check_finished(run)
        assert not list(run.rglob(".partial-*")), "leftovers of killed writes"
    return kills


def test_kills_during_the_backup_and_the_report(tiny_jester, tmp_path):
    """Killed mid-way through writing a backup, then in the final evaluation,
    then just after `metrics.json`: the run resumes each time and ends complete,
    the report is not preceded by training again, and the pictures exist. In
    between, a resume with other settings is refused."""
    run = tmp_path / "run"
    # The second backup torn: epoch 1 backed up, epoch 2 not.
    moment = ("torn", "weights.weights.h5", 2)
    assert _outcome(_start(tiny_jester, run, moment), moment) == "killed"
    _check_consistent(run)
    backups = sorted(path.name for path in (run / "backup").glob("epoch-*"))
    assert backups == ["epoch-0001"]
    _check_other_settings_are_refused(tiny_jester, run)

    moment = ("report", "-", 1)
    assert _outcome(_start(tiny_jester, run, moment), moment) == "killed"
    assert not (run / "metrics.json").exists()
    assert not list(run.rglob(".partial-*")), "the torn backup was not removed"
    trained = {
        name: (run / name).stat().st_mtime_ns for name in ("history.csv", "model.keras")
    }

    moment = ("renamed", "metrics.json", 1)
    assert _outcome(_start(tiny_jester, run, moment), moment) == "killed"
    _check_finished(run)
    assert trained == {name: (run / name).stat().st_mtime_ns for name in trained}, (
        "the run trained again after its last epoch"
    )


def _check_other_settings_are_refused(data_dir, run):
    before = sorted(path.name for path in run.rglob("*"))
    arguments = tiny_arguments(data_dir, run, "--epochs", str(EPOCHS))
    status, error = _refusal([*arguments, "--image-size", "48"])
    assert status == 1 and "--image-size 32 → 48" in error
    status, error = _refusal([*arguments, "--epochs", "3", "--lr", "0.1"])
    assert status == 1 and re.search(r"--epochs 2 → 3.*--lr 0\.01 → 0\.1", error)
    assert sorted(path.name for path in run.rglob("*")) == before


def _refusal(arguments):
    """`main`'s status and stderr: a refused resume is one line, status 1."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        status = main(arguments)
    return status, stderr.getvalue()


#: Moments inside each file write, then seeded moments over the whole run.
FILE_MOMENTS = [
    ("written", "model.keras", 1),
    ("torn", "model.keras", 1),
    ("renamed", "model.keras", 1),
    ("written", "weights.weights.h5", 1),
    ("torn", "weights.weights.h5", 1),
    ("csv_row", "-", 2),
    ("written", "state.json", 1),
    ("renamed", "epoch-0002", 1),
    ("report", "-", 1),
    ("written", "training_curves.png", 1),
    ("written", "confusion_matrix.png", 1),
    ("written", "metrics.json", 1),
]


def seeded_moments(count, seed=0):
    """`count` moments drawn over a run: batches, file writes, outside kills."""
    rng = random.Random(seed)
    draws = [
        lambda: ("batch", "-", rng.randint(1, 3 * EPOCHS)),
        lambda: ("written", "-", rng.randint(1, 8)),
        lambda: ("renamed", "-", rng.randint(1, 8)),
        lambda: ("after", "-", rng.uniform(5, 40)),
    ]
    return [rng.choice(draws)() for _ in range(count)]


@pytest.mark.slow
def test_many_kills_over_short_runs(tiny_jester, tmp_path):
    moments = FILE_MOMENTS + seeded_moments(8)
    start = time.monotonic()
    kills = run_with_kills(tiny_jester, tmp_path, moments)
    print(f"{kills} kills of {len(moments)} moments, {time.monotonic() - start:.0f} s")
    assert kills >= len(FILE_MOMENTS)
