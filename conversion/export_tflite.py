"""Exports a trained keras-action model to a LiteRT `.tflite` file.

python conversion/export_tflite.py --model RUN/model.keras --output action.tflite \
    --quantize none|float16|dynamic|int8 [--data-dir DATA --calibration-clips 200]
python conversion/export_tflite.py --model RUN/model.keras --output stream.tflite \
    --streaming [--quantize int8 --data-dir DATA --calibration-frames 2000]

The file takes one clip `(T, H, W, 3)` of pixels in [0, 255] (int8 for int8)
and returns logits `(1, num_classes)`; with `--streaming` (a causal model) it
takes one frame and the states and returns the logits and the new states
(`keras_action.export.streaming`). `labels.txt` is written beside it, from
`--labels` or the run directory's classes. The edge checks (builtin ops,
rank ≤ 4, XNNPACK, GPU delegate, and for streaming files the int8 state
pairs) are run and their verdict printed.
"""

import argparse
import json
import sys
from pathlib import Path

from keras_action.utils.console import (
    positive_int,
    quiet_tensorflow,
    run_reporting_errors,
    silenced_stderr,
)

quiet_tensorflow()  # before Keras imports TensorFlow

import keras  # noqa: E402

from keras_action.export import (  # noqa: E402
    QUANTIZATIONS,
    calibration_clips,
    check_edge,
    read_labels,
    to_tflite,
)
from keras_action.export.streaming import (  # noqa: E402
    calibration_videos,
    trained_frame_stride,
)

PROG = "export_tflite.py"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--model", required=True, help="the .keras model")
    parser.add_argument("--output", required=True, help="the .tflite file to write")
    parser.add_argument(
        "--quantize", choices=QUANTIZATIONS, default="none", help="weights, activations"
    )
    parser.add_argument(
        "--data-dir",
        help="Jester-layout dataset for int8 calibration (default: synthetic clips)",
    )
    parser.add_argument(
        "--calibration-clips", type=positive_int, default=200, help="for int8"
    )
    parser.add_argument(
        "--streaming",
        action="store_true",
        help="export the per-frame file of a causal model, with its states",
    )
    parser.add_argument(
        "--frame-stride",
        type=positive_int,
        help="streaming int8: calibration frames this far apart (default: the "
        "run's --frame-stride from metrics.json, else 1)",
    )
    parser.add_argument(
        "--calibration-frames",
        type=positive_int,
        default=2000,
        help="streaming int8: frames streamed for calibration",
    )
    parser.add_argument(
        "--labels",
        help="class names, one per line (default: labels.txt beside the model, "
        "else the class names in the run's metrics.json, else --data-dir's)",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    return run_reporting_errors(PROG, _export, args)


def _export(args):
    model = keras.saving.load_model(args.model)
    _, steps, size = model.input_shape[:3]
    clips = videos = None
    if args.quantize == "int8" and args.streaming:
        stride = args.frame_stride or trained_frame_stride(args.model)
        videos = calibration_videos(size, stride, args.data_dir)
    elif args.quantize == "int8":
        clips = calibration_clips(steps, size, args.data_dir)
    class_names = _class_names(args, clips, model.output_shape[-1])
    # The converter prints its own diagnostics; failures raise with the reason.
    with silenced_stderr():
        content = to_tflite(
            model,
            args.output,
            quantize=args.quantize,
            representative_clips=clips,
            class_names=class_names,
            num_calibration_clips=args.calibration_clips,
            streaming=args.streaming,
            representative_videos=videos,
            num_calibration_frames=args.calibration_frames,
        )
        report = check_edge(content)
    labels = " and labels.txt" if class_names else ""
    kind = ", streaming" if args.streaming else ""
    print(
        f"wrote {args.output}{labels} ({len(content) / 2**20:.2f} MiB, "
        f"{args.quantize}{kind})"
    )
    print(report.verdict())
    return 1 if report.problems else 0


def _class_names(args, clips, num_classes):
    """The labels that travel with the model, checked against its classes."""
    run = Path(args.model).parent
    if args.labels:
        names, source = read_labels(args.labels), args.labels
    elif (run / "labels.txt").is_file():
        names, source = read_labels(run / "labels.txt"), run / "labels.txt"
    elif (run / "metrics.json").is_file():
        source = run / "metrics.json"
        names = json.loads(source.read_text()).get("class_names")
    elif args.data_dir is not None and clips is not None:
        names, source = list(clips.class_names), args.data_dir
    else:
        names = None
    if names is None:
        print(
            f"{PROG}: no labels.txt or metrics.json beside {args.model}: "
            "labels.txt not written (pass --labels FILE)",
            file=sys.stderr,
        )
        return None
    if len(names) != num_classes:
        raise ValueError(
            f"{source} names {len(names)} classes but the model has {num_classes}."
        )
    return names


if __name__ == "__main__":
    sys.exit(main())
