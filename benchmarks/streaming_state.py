"""Streaming state of causal models: tensors, floats and bytes per stream.

For each module, a causal MobileNetV2 model at 8 segments (27 classes) is
turned into its streaming form (`keras_action.streaming_model`) and its state
measured (`keras_action.streaming_stats`): the number of state tensors, their
floats (the TSN window of the last 7 per-frame logits included) and float32
bytes, and the largest rank. Also the state of each kind of tensor, summed over
the model (e.g. the learnable shift's history). Prints a Markdown table and
writes `benchmarks/results/streaming_state.json`.

Usage: python benchmarks/streaming_state.py [--image-size 224]
    [--modules tsn tsm ...]
"""

import argparse
import json
import math
import os
import sys
from collections import Counter
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from keras_action.models import build_model, streaming_model, streaming_stats  # noqa: E402
from keras_action.utils.atomic import write_text  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "streaming_state.json"
MODULES = ("tsn", "tsm", "action", "gsm", "stsm", "smnet")


def measure(module, image_size):
    model = build_model(
        "mobilenet_v2",
        module,
        num_classes=27,
        num_segments=8,
        image_size=image_size,
        causal=True,
    )
    stream = streaming_model(model)
    kinds = Counter()
    for name, spec in stream.state_specs.items():
        # "block_2_expand_temporal_shift_history" -> "shift_history"
        kinds[name.split("_temporal_")[-1]] += math.prod(spec.shape)
    return {**streaming_stats(stream), "floats_by_kind": dict(kinds)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--modules", nargs="+", default=MODULES)
    arguments = parser.parse_args()
    results = {
        module: measure(module, arguments.image_size) for module in arguments.modules
    }
    print("| module | state tensors | floats | float32 MiB | max rank |")
    print("|---|---|---|---|---|")
    for module, stats in results.items():
        mebibytes = stats["state_bytes"] / 2**20
        print(
            f"| {module} | {stats['state_tensors']} | {stats['state_floats']:,} "
            f"| {mebibytes:.3f} | {stats['max_state_rank']} |"
        )
    record = {
        "command": "python " + " ".join(sys.argv),
        "backbone": "mobilenet_v2",
        "image_size": arguments.image_size,
        "num_segments": 8,
        "num_classes": 27,
        "results": results,
    }
    write_text(RESULTS, json.dumps(record, indent=2) + "\n")
    print(f"results in {RESULTS}")


if __name__ == "__main__":
    main()
