"""Like-for-like comparison of the temporal modules on MobileNetV2 and ResNet-50.

For TSN, TSM, ACTION (and its single paths STE, CE, ME), GSM, STSM and SMNet,
each built by `build_model` at 8 segments, 224², with the same classifier,
measures trainable parameters and FLOPs (multiply-adds of one clip, from
`model_stats`) and Keras CPU inference time of one clip `(1, 8, 224, 224, 3)`:
every model of a backbone is warmed up, then timed once per round, the
models taking turns within each round (each round starting one model later)
so that changing load on the machine affects them alike; the table gives
medians and minima. ResNet-50 is `resnet50_torch`, the
torchvision layout of the official checkpoints.

Prints a Markdown table and writes `benchmarks/results/compare_modules.json`.

Usage: python benchmarks/compare_modules.py [--rounds 9] [--backbones NAME ...]
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
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_action.models import build_model, model_stats  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "compare_modules.json"
MODULES = ("tsn", "tsm", "action", "ste", "ce", "me", "gsm", "stsm", "smnet")
BACKBONES = ("mobilenet_v2", "resnet50_torch")
SEGMENTS = 8
IMAGE_SIZE = 224


def seconds_per_clip(predict, clips):
    start = time.perf_counter()
    predict(clips)
    return time.perf_counter() - start


def measure_backbone(backbone, rounds, num_classes):
    """Stats and interleaved CPU timings of every module on one backbone."""
    keras.utils.set_random_seed(0)
    clips = np.random.default_rng(0).uniform(
        0, 255, (1, SEGMENTS, IMAGE_SIZE, IMAGE_SIZE, 3)
    )
    clips = clips.astype("float32")
    rows, predictors = {}, {}
    for module in MODULES:
        model = build_model(
            backbone,
            module,
            num_classes=num_classes,
            num_segments=SEGMENTS,
            image_size=IMAGE_SIZE,
        )
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
        row["cpu_seconds"] = times[module]
        row["cpu_ms_median"] = 1000 * statistics.median(times[module])
        row["cpu_ms_min"] = 1000 * min(times[module])
    return rows


def print_table(results):
    print(
        "| backbone | module | trainable params | Δ params vs TSN | GFLOPs | "
        "Δ FLOPs vs TSN | CPU ms/clip (median) | × TSN | CPU ms/clip (min) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for backbone, rows in results.items():
        base = rows["tsn"]
        for module, row in rows.items():
            params = row["trainable_params"]
            flops = row["flops"]
            print(
                f"| {backbone} | {module} | {params:,} | "
                f"{params - base['trainable_params']:+,} | {flops / 1e9:.3f} | "
                f"{100 * (flops / base['flops'] - 1):+.2f}% | "
                f"{row['cpu_ms_median']:.0f} | "
                f"{row['cpu_ms_median'] / base['cpu_ms_median']:.2f} | "
                f"{row['cpu_ms_min']:.0f} |"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="timed calls per model")
    parser.add_argument("--backbones", nargs="+", default=list(BACKBONES))
    parser.add_argument("--num-classes", type=int, default=83)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    results = {}
    for backbone in args.backbones:
        start = time.perf_counter()
        results[backbone] = measure_backbone(backbone, args.rounds, args.num_classes)
        print(f"{backbone}: {time.perf_counter() - start:.0f} s")
        keras.backend.clear_session()
    print_table(results)
    record = {
        "command": "python benchmarks/compare_modules.py "
        f"--rounds {args.rounds} --backbones {' '.join(args.backbones)} "
        f"--num-classes {args.num_classes}",
        "num_segments": SEGMENTS,
        "image_size": IMAGE_SIZE,
        "num_classes": args.num_classes,
        "rounds": args.rounds,
        "flops": "multiply-adds of one clip of 8 frames (model_stats)",
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "results": results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
