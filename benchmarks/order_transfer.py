"""Whether trained models read the order of frames on fresh clips, and on what.

    python benchmarks/order_transfer.py --model "ACTION seed 1=RUN_A/model.keras" \
        --model "ACTION seed 2=RUN_B/model.keras" --output order_transfer.json

Writes fresh realistic synthetic clips (new subjects, `--seed`) of the `medium`
preset and of variants with one thing taken out (moving distractors, camera
motion, pauses) plus the `easy` preset, evaluates every model on all of
them, and prints the within-pair accuracy (of the clips put in the right
pair, the share put in the right class; `pair_accuracy.py`). A model that
learnt the order keeps it on every variant; one that did not stays near 50 %.
If a variant lifts a model well above its `medium` figure, that thing hid
the order from it. Writes the table as JSON to `--output`.
"""

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.pair_accuracy import pair_accuracy  # noqa: E402
from keras_action.data import write_synthetic_jester  # noqa: E402
from keras_action.data.gesture_scene import DIFFICULTIES  # noqa: E402
from keras_action.training import reports  # noqa: E402
from keras_action.training.evaluation import evaluate  # noqa: E402
from keras_action.utils.console import run_reporting_errors  # noqa: E402

MEDIUM = DIFFICULTIES["medium"]
VARIANTS = {
    "medium": MEDIUM,
    "no moving distractor": dataclasses.replace(MEDIUM, moving_objects=0),
    "no camera motion": dataclasses.replace(MEDIUM, camera_shake=0.0, camera_drift=0.0),
    "no pauses": dataclasses.replace(MEDIUM, pause=0.0),
    "easy": DIFFICULTIES["easy"],
}


def confusion_on(model, root, work):
    """The confusion matrix of `model` over every labelled clip of `root`."""
    total = None
    for split in ("train", "validation"):
        metrics = evaluate(model, root, split=split, output=work / split)
        confusion = np.asarray(metrics["confusion"])
        total = confusion if total is None else total + confusion
    return total, metrics["class_names"]


def measure(models, arguments, folder):
    rows = []
    for variant, difficulty in VARIANTS.items():
        root = folder / variant.replace(" ", "_")
        write_synthetic_jester(
            root,
            clips_per_class=arguments.clips_per_class,
            difficulty=difficulty,
            num_subjects=arguments.subjects,
            seed=arguments.seed,
        )
        row = {"clips": variant}
        for label, model in models.items():
            confusion, names = confusion_on(model, root, root / "eval")
            pair, within = pair_accuracy(confusion, names)
            row[label] = {"pair": float(pair), "within": float(within)}
        rows.append(row)
        print(f"{variant}: done", file=sys.stderr, flush=True)
    return rows


def report(arguments):
    models = dict(item.split("=", 1) for item in arguments.model)
    for label, model in models.items():
        if not Path(model).is_file():
            raise ValueError(f"{model} ({label}): no such model file")
    with tempfile.TemporaryDirectory() as folder:
        rows = measure(models, arguments, Path(folder))
    columns = {"clips": "clips", **{label: label for label in models}}
    printed = [
        {
            "clips": row["clips"],
            **{label: f"{row[label]['within']:.0%}" for label in models},
        }
        for row in rows
    ]
    print("Within-pair accuracy on fresh clips:")
    print(reports.format_table(printed, columns))
    settings = {
        key: getattr(arguments, key) for key in ("seed", "clips_per_class", "subjects")
    }
    reports.write_json(arguments.output, {"settings": settings, "rows": rows})
    print(f"Wrote {arguments.output}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", required=True, help="LABEL=.keras")
    parser.add_argument("--seed", type=int, default=12, help="of the fresh clips")
    parser.add_argument("--clips-per-class", type=int, default=24)
    parser.add_argument("--subjects", type=int, default=12, help="new performers")
    parser.add_argument("--output", required=True, help="the JSON")
    arguments = parser.parse_args(argv)
    return run_reporting_errors(parser.prog, report, arguments)


if __name__ == "__main__":
    raise SystemExit(main())
