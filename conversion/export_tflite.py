"""Exports a trained keras-action model to a LiteRT `.tflite` file.

python conversion/export_tflite.py --model RUN/model.keras --output action.tflite \
    --quantize none|float16|dynamic|int8 [--data-dir DATA --calibration-clips 200]

The file takes one clip `(T, H, W, 3)` of pixels in [0, 255] (uint8 for int8)
and returns logits `(1, num_classes)`; `labels.txt` is written beside it. The
edge checks (builtin ops, rank ≤ 4, XNNPACK, GPU delegate) are run and printed.
"""

import argparse
import sys
from pathlib import Path

import keras

import keras_action  # noqa: F401  (registers the custom layers for loading)
from keras_action.export import (
    QUANTIZATIONS,
    calibration_clips,
    check_edge,
    read_labels,
    to_tflite,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="the .keras model")
    parser.add_argument("--output", required=True, help="the .tflite file to write")
    parser.add_argument("--quantize", choices=QUANTIZATIONS, default="none")
    parser.add_argument(
        "--data-dir",
        help="Jester-layout dataset for int8 calibration (default: synthetic clips)",
    )
    parser.add_argument("--calibration-clips", type=int, default=200)
    parser.add_argument(
        "--labels",
        help="class names, one per line (default: labels.txt beside the model, "
        "or the dataset's classes)",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    model = keras.saving.load_model(args.model)
    _, steps, size = model.input_shape[:3]
    clips = None
    if args.quantize == "int8":
        clips = calibration_clips(steps, size, args.data_dir)
    content = to_tflite(
        model,
        args.output,
        quantize=args.quantize,
        representative_clips=clips,
        class_names=_class_names(args, clips),
        num_calibration_clips=args.calibration_clips,
    )
    print(f"wrote {args.output} ({len(content) / 2**20:.2f} MiB, {args.quantize})")
    problems = check_edge(content).problems
    for problem in problems:
        print(f"edge check: {problem}", file=sys.stderr)
    return 1 if problems else 0


def _class_names(args, clips):
    labels = (
        Path(args.labels) if args.labels else Path(args.model).with_name("labels.txt")
    )
    if labels.is_file():
        return read_labels(labels)
    if args.labels:
        raise FileNotFoundError(f"{labels}: no such labels file")
    if args.data_dir is not None and clips is not None:
        return list(clips.class_names)
    print(f"no {labels}: labels.txt not written", file=sys.stderr)
    return None


if __name__ == "__main__":
    sys.exit(main())
