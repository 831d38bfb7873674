import csv
import json
import signal
import time

import keras

from tests.training import processes
from tests.training.conftest import tiny_arguments


def _backed_up_epoch(run):
    backups = sorted((run / "backup").glob("epoch-*"))
    try:
        return json.loads((backups[-1] / "state.json").read_text())["epoch"]
    except (IndexError, OSError, ValueError, KeyError):
        return None


def _epochs_logged(history):
    if not history.exists():
        return []
    with open(history) as file:
        return [int(row["epoch"]) for row in csv.DictReader(file)]


def test_a_run_killed_mid_epoch_resumes_and_completes_its_epochs(tiny_jester, tmp_path):
    # Batches of 2 give 6 steps per epoch, so the kill lands inside epoch 2.
    arguments = tiny_arguments(
        tiny_jester, tmp_path, "--epochs", "3", "--batch-size", "2"
    )
    history = tmp_path / "history.csv"
    process = processes.start(arguments)
    deadline = time.monotonic() + 300
    while _backed_up_epoch(tmp_path) is None and time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()[-3000:]
        time.sleep(0.2)
    assert _epochs_logged(history) == [1]
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert (tmp_path / "backup").exists()
    assert not (tmp_path / "metrics.json").exists()
    keras.saving.load_model(tmp_path / "model.keras")  # intact, whenever the kill came

    processes.finish(processes.start(arguments))
    logged = _epochs_logged(history)
    assert logged.count(1) == 1, f"epoch 1 was trained again: {logged}"
    assert sorted(set(logged)) == [1, 2, 3]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["epochs_completed"] == 3
    assert not (tmp_path / "backup").exists()
