"""Like-for-like comparison of the temporal modules on each backbone.

For TSN, TSM, ACTION (and its single paths STE, CE, ME), GSM, STSM and SMNet,
each built by `build_model` at 8 segments with the same classifier:

- trainable parameters and FLOPs (multiply-adds of one clip at 224², from
  `model_stats`);
- Keras CPU time of one clip `(1, 8, 224, 224, 3)` through a `tf.function`:
  every model of a backbone is warmed up, then timed once per round, the
  models taking turns (each round starting one model later) so that changing
  load on the machine affects them alike; medians;
- LiteRT float32 latency of the exported `.tflite` (one clip, XNNPACK,
  1 thread), interleaved the same way (`keras_action.export.benchmark`);
- MobileNetV2 only, where CPU training is affordable: validation top-1 on the
  synthetic time-reversed pairs, every module trained with the same budget
  (the plain set's, the demo's until it moved to the realistic gestures:
  8×32², 12 epochs, `keras_action.training.cli.PLAIN_BUDGET`).

ResNet-50 is `resnet50_torch`, the torchvision layout of the official
checkpoints; `bninception` (not in the default run) places each module as its
official code does. Prints a Markdown table, writes `compare_modules.json` and a plot
of accuracy against FLOPs (`compare_modules.png`, in the style of ACTION-Net's
Figure 4) to `benchmarks/results/`.

Usage: python benchmarks/compare_modules.py [--rounds 9] [--litert-rounds 5]
    [--backbones NAME ...] [--no-accuracy] [--replot] [--json NAME]
"""

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import matplotlib  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_action.export import benchmark  # noqa: E402
from keras_action.models import build_model, model_stats  # noqa: E402
from keras_action.training import TrainConfig  # noqa: E402
from keras_action.training.cli import PLAIN_BUDGET, train_on_synthetic_pairs  # noqa: E402
from keras_action.utils import atomic  # noqa: E402

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

RESULTS = Path(__file__).parent / "results"
MODULES = ("tsn", "tsm", "action", "ste", "ce", "me", "gsm", "stsm", "smnet")
BACKBONES = ("mobilenet_v2", "resnet50_torch")
SEGMENTS = 8
IMAGE_SIZE = 224


def seconds_per_clip(predict, clips):
    start = time.perf_counter()
    predict(clips)
    return time.perf_counter() - start


def measure_keras(backbone, rounds, num_classes):
    """Stats and interleaved Keras CPU timings of every module on one backbone."""
    keras.utils.set_random_seed(0)
    clips = np.random.default_rng(0).uniform(
        0, 255, (1, SEGMENTS, IMAGE_SIZE, IMAGE_SIZE, 3)
    )
    clips = clips.astype("float32")
    rows, predictors = {}, {}
    for module in MODULES:
        model = build_model(backbone, module, num_classes, SEGMENTS, IMAGE_SIZE)
        rows[module] = model_stats(model)
        predictors[module] = tf.function(
            lambda x, model=model: model(x, training=False)
        )
        for _ in range(2):  # trace, then one run with warm caches
            predictors[module](clips)
    times = {module: [] for module in MODULES}
    for round_index in range(rounds):
        start = round_index % len(MODULES)
        for module in MODULES[start:] + MODULES[:start]:
            times[module].append(seconds_per_clip(predictors[module], clips))
    for module, row in rows.items():
        row["keras_cpu_seconds"] = times[module]
        row["keras_cpu_ms"] = 1000 * statistics.median(times[module])
    return rows


def measure_litert(backbone, rounds, num_classes, rows):
    """Adds the median 1-thread LiteRT float32 latency to each module's row."""
    variants = benchmark.build_variants(
        [backbone], MODULES, SEGMENTS, IMAGE_SIZE, num_classes, precisions=["float32"]
    )
    benchmark.measure(
        variants, threads=(1,), rounds=rounds, repeats=1, precisions=["float32"]
    )
    for variant in variants:
        row = rows[variant["module"]]
        row["litert_fp32_ms"] = 1000 * variant["latency"]["float32/1"]
        row["litert_undelegated_ops"] = variant["undelegated_ops"]["float32"]


def measure_accuracy(output, rows):
    """Trains every module on the plain pairs with their budget (MobileNetV2)."""
    results = train_on_synthetic_pairs(
        MODULES,
        output,
        lambda **settings: TrainConfig(**settings, overwrite=True, verbose=0),
    )
    for module, metrics in results.items():
        best = max(metrics["history"], key=lambda epoch: epoch["val_top1"])
        rows[module]["val_top1"] = 100 * metrics["val_top1"]
        rows[module]["best_epoch"] = best["epoch"]


def table(results):
    header = (
        "| backbone | module | trainable params | Δ params vs TSN | GFLOPs | "
        "Δ FLOPs vs TSN | Keras CPU ms | × TSN | LiteRT fp32 ms | × TSN | "
        "synthetic val top-1 |"
    )
    lines = [header, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for backbone, rows in results.items():
        base = rows["tsn"]
        for module, row in rows.items():
            params, flops = row["trainable_params"], row["flops"]
            top1 = row.get("val_top1")
            cells = [
                backbone,
                module,
                f"{params:,}",
                f"{params - base['trainable_params']:+,}",
                f"{flops / 1e9:.3f}",
                f"{100 * (flops / base['flops'] - 1):+.2f}%",
                *_time_and_ratio(row, base, "keras_cpu_ms"),
                *_time_and_ratio(row, base, "litert_fp32_ms"),
                "–" if top1 is None else f"{top1:.1f}%",
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _time_and_ratio(row, base, key):
    if key not in row:
        return ["–", "–"]
    return [f"{row[key]:.0f}", f"{row[key] / base[key]:.2f}"]


#: How the plot names the modules.
LABELS = {"smnet": "SMNet"}


def plot(rows, path, backbone):
    """Accuracy against FLOPs, bubble area growing with the added parameters."""
    figure, axes = plt.subplots(figsize=(9, 5))
    base_params = rows["tsn"]["trainable_params"]
    points = {}  # modules at the same point share one label
    for module, row in rows.items():
        point = (round(row["flops"] / 1e9, 3), round(row["val_top1"], 1))
        points.setdefault(point, []).append(LABELS.get(module, module.upper()))
        added = row["trainable_params"] - base_params
        axes.scatter(*point, s=60 + added / 40, alpha=0.6, edgecolors="k")
    for index, (point, names) in enumerate(sorted(points.items())):
        # Alternate above and below, so that neighbours' labels do not collide.
        offset = (0, 11) if index % 2 == 0 else (0, -18)
        axes.annotate(
            ", ".join(names),
            point,
            textcoords="offset points",
            xytext=offset,
            ha="center",
            fontsize=9,
        )
    axes.margins(x=0.08)
    axes.set_ylim(top=107)
    axes.set_xlabel("GFLOPs per clip (8 × 224², multiply-adds)")
    axes.set_ylabel("validation top-1 (%), synthetic pairs")
    axes.set_title(
        f"{backbone}: accuracy vs FLOPs (area grows with added parameters)\n"
        f"trained {PLAIN_BUDGET['epochs']} epochs at {PLAIN_BUDGET['segments']}×"
        f"{PLAIN_BUDGET['image_size']}², same budget for all",
        fontsize=10,
    )
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def measure(args):
    results = {}
    for backbone in args.backbones:
        start = time.perf_counter()
        results[backbone] = measure_keras(backbone, args.rounds, args.num_classes)
        keras.backend.clear_session()
        measure_litert(
            backbone, args.litert_rounds, args.num_classes, results[backbone]
        )
        keras.backend.clear_session()
        print(f"{backbone}: timed in {time.perf_counter() - start:.0f} s", flush=True)
    if args.accuracy and PLAIN_BUDGET["backbone"] in results:
        measure_accuracy(args.runs, results[PLAIN_BUDGET["backbone"]])
    return results


def report(results, output_dir):
    """Prints the table and draws the plot when accuracies were measured."""
    print(table(results))
    rows = results.get(PLAIN_BUDGET["backbone"], {})
    if rows and all("val_top1" in row for row in rows.values()):
        picture = output_dir / "compare_modules.png"
        plot(rows, picture, PLAIN_BUDGET["backbone"])
        print(f"wrote {picture}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="Keras timed calls")
    parser.add_argument("--litert-rounds", type=int, default=5)
    parser.add_argument("--backbones", nargs="+", default=list(BACKBONES))
    parser.add_argument("--num-classes", type=int, default=83)
    parser.add_argument(
        "--accuracy",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="train every module on synthetic pairs (MobileNetV2, ~25 min)",
    )
    parser.add_argument("--runs", type=Path, default=Path("runs/compare_modules"))
    parser.add_argument("--output-dir", type=Path, default=RESULTS)
    parser.add_argument(
        "--replot",
        action="store_true",
        help="measure nothing: table and plot from the saved compare_modules.json",
    )
    parser.add_argument(
        "--json",
        default="compare_modules.json",
        help="file name of the results in --output-dir (another one keeps a "
        "run of other backbones beside the default)",
    )
    args = parser.parse_args()
    path = args.output_dir / args.json
    if args.replot:
        report(json.loads(path.read_text())["results"], args.output_dir)
        return
    results = measure(args)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    report(results, args.output_dir)
    record = {
        "command": "python benchmarks/compare_modules.py "
        f"--rounds {args.rounds} --litert-rounds {args.litert_rounds} "
        f"--backbones {' '.join(args.backbones)} --num-classes {args.num_classes}"
        + ("" if args.accuracy else " --no-accuracy")
        + ("" if args.json == "compare_modules.json" else f" --json {args.json}"),
        "num_segments": SEGMENTS,
        "image_size": IMAGE_SIZE,
        "num_classes": args.num_classes,
        "flops": "multiply-adds of one clip of 8 frames (model_stats)",
        "litert": "float32, XNNPACK, 1 thread, median over interleaved rounds",
        "accuracy_budget": {**PLAIN_BUDGET, "lr_steps": list(PLAIN_BUDGET["lr_steps"])},
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "results": results,
    }
    atomic.write_text(path, json.dumps(record, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
