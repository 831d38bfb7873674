"""Accuracy of training runs on the synthetic time-reversed pairs, pair by pair.

    python benchmarks/pair_accuracy.py --run "ACTION seed 1=RUN_A" \
        --run "TSN seed 1=RUN_B" --output docs/realistic_training.json

Reads each run's `metrics.json` (the best model's confusion matrix on the
validation split) and prints validation top-1 of the best and the last epoch,
the share of clips whose prediction is in the right pair, and the
**within-pair** accuracy: of those, the share that is the right class. A
model blind to frame order gets the pair from the hand shape and stays near
50 % within it. Writes the table as JSON to `--output`.
"""

import argparse
import json
from pathlib import Path

import numpy as np

from keras_action.data.synthetic import CLASS_NAMES
from keras_action.training import reports
from keras_action.utils.console import run_reporting_errors

COLUMNS = {
    "label": "run",
    "epochs": "epochs",
    "best": "val top-1 (best)",
    "last": "val top-1 (last)",
    "pair": "right pair",
    "within": "within pair",
}


def pair_accuracy(confusion, class_names):
    """`(pair, within)`: shares of clips predicted in their pair, and of those
    predicted in their pair, exactly right.

    The pairs are those of `keras_action.data.synthetic.CLASS_NAMES`
    (consecutive names: a gesture and its reverse).
    """
    confusion = np.asarray(confusion)
    pair_of = {name: CLASS_NAMES.index(name) // 2 for name in class_names}
    pairs = np.array([pair_of[name] for name in class_names])
    same_pair = pairs[:, None] == pairs[None, :]
    in_pair = confusion[same_pair].sum()
    return in_pair / confusion.sum(), np.trace(confusion) / max(in_pair, 1)


def summarise(label, run):
    path = Path(run) / "metrics.json"
    if not path.is_file():
        raise ValueError(f"{path} does not exist: {run} is not a finished run")
    metrics = json.loads(path.read_text())
    pair, within = pair_accuracy(metrics["confusion"], metrics["class_names"])
    return {
        "label": label,
        "run": str(run),
        "epochs": metrics["epochs_completed"],
        "best": metrics["val_top1"],
        "last": metrics["history"][-1]["val_top1"],
        "pair": float(pair),
        "within": float(within),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="append", required=True, help="LABEL=RUN_DIR")
    parser.add_argument("--output", required=True, help="the JSON")
    arguments = parser.parse_args(argv)
    return run_reporting_errors(parser.prog, report, arguments)


def report(arguments):
    rows = [summarise(*item.split("=", 1)) for item in arguments.run]
    percent = {key: "{:.1%}" for key in ("best", "last", "pair", "within")}
    printed = [
        {key: percent.get(key, "{}").format(value) for key, value in row.items()}
        for row in rows
    ]
    print(reports.format_table(printed, COLUMNS))
    reports.write_json(arguments.output, {"runs": rows})
    print(f"Wrote {arguments.output}")


if __name__ == "__main__":
    raise SystemExit(main())
