import json

from tests.training import processes
from tests.training.conftest import tiny_arguments


def _metrics(run):
    return json.loads((run / "metrics.json").read_text())


def test_mirrored_over_two_logical_cpus(tiny_jester, tmp_path):
    arguments = tiny_arguments(
        tiny_jester, tmp_path, "--strategy", "mirrored", "--cpu-replicas", "2"
    )
    processes.finish(processes.start(arguments))
    metrics = _metrics(tmp_path)
    assert metrics["replicas"] == 2
    assert metrics["epochs_completed"] == 2
    assert (tmp_path / "model.keras").exists()


def test_two_workers_on_localhost(tiny_jester, tmp_path):
    ports = processes.free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    arguments = tiny_arguments(tiny_jester, tmp_path, "--strategy", "multiworker")
    workers = [
        processes.start(
            arguments, {"cluster": cluster, "task": {"type": "worker", "index": i}}
        )
        for i in range(2)
    ]
    for worker in workers:
        processes.finish(worker)
    metrics = _metrics(tmp_path)
    assert metrics["replicas"] == 2
    assert metrics["epochs_completed"] == 2
    assert (tmp_path / "model.keras").exists()
    assert metrics["val_top1"] is not None
