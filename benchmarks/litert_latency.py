"""LiteRT latency of TSN, TSM and ACTION on MobileNetV2 and ResNet-50 (8×224²).

Usage: python benchmarks/litert_latency.py [keras-action benchmark options]
Prints a Markdown table and writes benchmarks/results/litert_latency.json.
"""

import sys
from pathlib import Path

from keras_action.cli import main

OUTPUT = Path(__file__).parent / "results" / "litert_latency.json"

if __name__ == "__main__":
    arguments = sys.argv[1:]
    if "--output" not in arguments:
        arguments += ["--output", str(OUTPUT)]
    sys.exit(main(["benchmark", *arguments]))
