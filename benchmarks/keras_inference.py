"""Keras CPU inference time of TSN, TSM and ACTION, measured side by side.

Each round runs every model once on the same clip, in a shuffled order, so that
the machine's load affects all of them alike; ratios are taken within a round
and their median is reported.

    python benchmarks/keras_inference.py --backbone mobilenet_v2 --segments 8 \
        --image-size 224 --rounds 30
"""

import argparse
import json
import os
import platform
import random
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_action  # noqa: E402

MODULES = ("tsn", "tsm", "action")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="mobilenet_v2")
    parser.add_argument("--modules", default=",".join(MODULES))
    parser.add_argument("--segments", type=int, default=8)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--clips", type=int, default=1, help="clips per batch")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--output", default="benchmarks/results/keras_inference.json", type=Path
    )
    return parser.parse_args()


def measure(models, clip, rounds, warmup, seed=0):
    """Seconds per call of each model, one list entry per round."""
    for model in models.values():
        for _ in range(warmup):
            model.predict_on_batch(clip)
    order = list(models)
    shuffle = random.Random(seed).shuffle
    times = {name: [] for name in models}
    for _ in range(rounds):
        shuffle(order)
        for name in order:
            start = time.perf_counter()
            models[name].predict_on_batch(clip)
            times[name].append(time.perf_counter() - start)
    return times


def summarise(times, stats, baseline="tsm"):
    rows = []
    for name, samples in times.items():
        ratios = [a / b for a, b in zip(samples, times[baseline], strict=True)]
        rows.append(
            {
                "module": name,
                "trainable_params": stats[name]["trainable_params"],
                "gflops": stats[name]["flops"] / 1e9,
                "median_ms": 1e3 * statistics.median(samples),
                "min_ms": 1e3 * min(samples),
                f"median_ratio_to_{baseline}": statistics.median(ratios),
                f"flops_ratio_to_{baseline}": stats[name]["flops"]
                / stats[baseline]["flops"],
            }
        )
    return rows


def print_table(rows, baseline="tsm"):
    header = (
        f"{'module':<8}{'params':>12}{'GFLOPs':>9}{'median ms':>11}"
        f"{'min ms':>9}{'time/' + baseline:>10}{'FLOPs/' + baseline:>11}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['module']:<8}{row['trainable_params']:>12,}{row['gflops']:>9.3f}"
            f"{row['median_ms']:>11.1f}{row['min_ms']:>9.1f}"
            f"{row[f'median_ratio_to_{baseline}']:>10.3f}"
            f"{row[f'flops_ratio_to_{baseline}']:>11.4f}"
        )


def main():
    args = parse_args()
    names = args.modules.split(",")
    models = {
        name: keras_action.build_model(
            args.backbone,
            name,
            num_classes=83,
            num_segments=args.segments,
            image_size=args.image_size,
        )
        for name in names
    }
    stats = {name: keras_action.model_stats(model) for name, model in models.items()}
    rng = np.random.default_rng(0)
    shape = (args.clips, args.segments, args.image_size, args.image_size, 3)
    clip = rng.integers(0, 256, shape).astype("float32")
    times = measure(models, clip, args.rounds, args.warmup)
    rows = summarise(times, stats)
    print(
        f"Keras {keras.__version__} CPU inference, "
        f"{args.backbone}, {args.clips} clip(s) of {args.segments}×"
        f"{args.image_size}², {args.rounds} rounds, {os.cpu_count()} cores"
    )
    print_table(rows)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "benchmark": "keras_inference",
        "config": vars(args) | {"output": str(args.output)},
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor()},
        "rows": rows,
    }
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
