"""Causal against two-way temporal modules on the plain pairs, dense sampling.

For TSN, TSM, ACTION-Net, GSM, STSM and SMNet on MobileNetV2, a two-way and a
causal model (`build_model(..., causal=True)`) are trained from random weights
on the plain synthetic time-reversed pairs with their budget
(`keras_action.training.cli.PLAIN_BUDGET`: 8×32², 12 epochs), both with dense sampling
(8 consecutive frames `--frame-stride` apart, default 2). Prints a Markdown
table of validation top-1 and writes `benchmarks/results/causal_accuracy.json`
after every run (so an interrupted benchmark keeps what it measured; a rerun
skips the runs already there).

Usage: python benchmarks/causal_accuracy.py [--modules tsn tsm ...]
    [--frame-stride 2] [--output runs/causal_accuracy]
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from keras_action.training import TrainConfig  # noqa: E402
from keras_action.training.cli import PLAIN_BUDGET, train_on_synthetic_pairs  # noqa: E402
from keras_action.utils.atomic import write_text  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "causal_accuracy.json"
MODULES = ("action", "tsn", "tsm", "gsm", "stsm", "smnet")


def run(module, causal, frame_stride, output):
    name = f"{module}_causal" if causal else module
    settings = {"module": module, "causal": causal, "frame_stride": frame_stride}
    start = time.perf_counter()
    metrics = train_on_synthetic_pairs(
        {name: settings},
        output,
        lambda **values: TrainConfig(**values, overwrite=True, verbose=0),
    )[name]
    return {
        "val_top1": 100 * metrics["val_top1"],
        "epochs": metrics["epochs_completed"],
        "seconds": time.perf_counter() - start,
    }


def table(results):
    lines = ["| module | two-way top-1 | causal top-1 |", "|---|---|---|"]
    for module, runs in results.items():
        cells = [
            f"{runs[kind]['val_top1']:.1f} %" if kind in runs else "—"
            for kind in ("two_way", "causal")
        ]
        lines.append(f"| {module} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", nargs="+", default=MODULES)
    parser.add_argument("--frame-stride", type=int, default=2)
    parser.add_argument("--output", default="runs/causal_accuracy")
    arguments = parser.parse_args()
    output = Path(arguments.output)
    record = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if record.get("frame_stride") != arguments.frame_stride:
        record = {}
    record.update(
        command="python " + " ".join(sys.argv),
        budget={**PLAIN_BUDGET, "lr_steps": list(PLAIN_BUDGET["lr_steps"])},
        frame_stride=arguments.frame_stride,
        cpu_count=os.cpu_count(),
    )
    results = record.setdefault("results", {})
    for module in arguments.modules:
        for kind, causal in (("two_way", False), ("causal", True)):
            if kind in results.get(module, {}):
                continue
            measured = run(module, causal, arguments.frame_stride, output)
            results.setdefault(module, {})[kind] = measured
            print(f"{module} {kind}: {measured['val_top1']:.1f} %", flush=True)
            write_text(RESULTS, json.dumps(record, indent=2) + "\n")
    print(table(results))
    print(f"results in {RESULTS}")


if __name__ == "__main__":
    main()
