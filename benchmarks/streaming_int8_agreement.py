"""int8 against float32 streaming files of one trained causal model, frame by frame.

Exports the model's streaming file twice (float32, and int8 calibrated on
training videos streamed whole at the frame stride), then streams every
validation video, one after the other without reset (a headset's camera
does not reset between gestures), through both with `StreamingRunner`, and
reports: top-1 agreement on the frames after the first T, the mean absolute
logit error over frames T…T+100 and over the last 100 (whether the looping
int8 states drift), and the top-1 accuracy of both at each video's last frame.

With `--bounds` it also streams two files that quantize only one side, to
show where int8 loses agreement: int8 weights with float32 activations
(`quantize="dynamic"`), and int8 weights with int16 activations (TFLite's
16x8 mode: a measurement only, not an edge file, since XNNPACK takes no
int16 activations and leaves its convolutions to LiteRT's reference kernels).

    python examples/train_jester.py --demo          # trains runs/demo/action_causal
    python benchmarks/streaming_int8_agreement.py \
        --model runs/demo/action_causal/model.keras --data-dir runs/demo/data
"""

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_action.data import list_jester  # noqa: E402
from keras_action.export import StreamingRunner, to_tflite  # noqa: E402
from keras_action.export.live import frames_at_stride  # noqa: E402
from keras_action.export.streaming import (  # noqa: E402
    calibration_samples,
    calibration_videos,
    streaming_function,
    trained_frame_stride,
)
from keras_action.export.tflite import in_float32  # noqa: E402

#: A float32 top-1 margin (logits) under which a disagreement is a near-tie.
MARGIN = 0.1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a trained causal .keras")
    parser.add_argument("--data-dir", required=True, help="Jester-layout dataset")
    parser.add_argument(
        "--frame-stride", type=int, help="default: the run's (metrics.json), else 1"
    )
    parser.add_argument("--calibration-frames", type=int, default=2000)
    parser.add_argument(
        "--reset", action="store_true", help="reset the states before each video"
    )
    parser.add_argument(
        "--float-tail",
        action="store_true",
        help="keep the classifier and consensus in float32 (float_tail=True)",
    )
    parser.add_argument(
        "--bounds",
        action="store_true",
        help="also int8 weights with float32, and with int16, activations",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("benchmarks/results/streaming_int8_agreement.json"),
    )
    args = parser.parse_args()

    model = keras.saving.load_model(args.model)
    _, segments, size, _, _ = model.input_shape
    stride = args.frame_stride or trained_frame_stride(args.model)
    validation = list_jester(args.data_dir, "validation")
    calibration = calibration_videos(size, stride, args.data_dir, "train")
    files = {
        "float32": to_tflite(model, streaming=True),
        "int8": to_tflite(
            model,
            streaming=True,
            quantize="int8",
            representative_videos=calibration,
            num_calibration_frames=args.calibration_frames,
            float_tail=args.float_tail,
        ),
    }
    if args.bounds:
        files["int8_weights_float32_activations"] = to_tflite(
            model, streaming=True, quantize="dynamic"
        )
        files["int8_weights_int16_activations"] = int16_activations(
            model,
            files["float32"],
            calibration_videos(size, stride, args.data_dir, "train"),
            args.calibration_frames,
        )
    runners = {name: StreamingRunner(content) for name, content in files.items()}
    logits = {name: [] for name in files}
    last_frames = []
    for source in validation.sources:
        for runner in runners.values() if args.reset else ():
            runner.reset()
        for frame in frames_at_stride(source, stride, size):
            for name, runner in runners.items():
                runner.step(frame)
                logits[name].append(runner.logits)
        last_frames.append(len(logits["float32"]) - 1)
    reference, quantized = (np.array(logits[name]) for name in ("float32", "int8"))
    results = summary(reference, quantized, segments, last_frames, validation.labels)
    results["bounds"] = {
        name: agreement(reference, np.array(values), segments)
        for name, values in logits.items()
        if name not in ("float32", "int8")
    }
    results.update(
        model=str(args.model),
        frame_stride=stride,
        calibration_frames=args.calibration_frames,
        reset_per_video=args.reset,
        float_tail=args.float_tail,
        file_bytes={name: len(content) for name, content in files.items()},
        state_bytes={name: r.state_bytes() for name, r in runners.items()},
    )
    for key, value in results.items():
        print(f"{key}: {value}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.output}")


def int16_activations(model, float_content, calibration, limit):
    """The streaming file with int8 weights and int16 activations (16x8)."""
    function = streaming_function(in_float32(model))
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [function.get_concrete_function()], tf.Module()
    )
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = calibration_samples(
        float_content, calibration, limit
    )
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
    ]
    return converter.convert()


def agreement(reference, other, segments):
    """Top-1 agreement after the first T frames, and the mean absolute logit error."""
    return {
        "top1_agreement_after_T": float(np.mean(agrees(reference, other, segments))),
        "mean_abs_logit_error": float(np.abs(reference - other).mean()),
    }


def agrees(reference, other, segments):
    """Whether the top classes agree, frame by frame after the first T."""
    return reference[segments:].argmax(-1) == other[segments:].argmax(-1)


def summary(reference, quantized, segments, last_frames, labels):
    after = slice(segments, None)
    agree = agrees(reference, quantized, segments)
    ranked = np.sort(reference[after], axis=-1)
    # Where float32's top two classes are within the int8 error of each
    # other, either answer is as good: the disagreements are near-ties.
    margin = ranked[:, -1] - ranked[:, -2]
    clear = margin > MARGIN
    error = np.abs(reference - quantized).mean(axis=-1)
    early = error[segments : segments + 100].mean()
    late = error[-100:].mean()
    return {
        "frames": len(reference),
        **agreement(reference, quantized, segments),
        f"frames_with_top2_margin_under_{MARGIN}": float(np.mean(~clear)),
        f"top1_agreement_where_margin_over_{MARGIN}": float(np.mean(agree[clear])),
        "mean_abs_logit_error_T_to_T+100": float(early),
        "mean_abs_logit_error_last_100": float(late),
        "late_over_early": float(late / early),
        "logit_scale_median_abs": float(np.median(np.abs(reference))),
        "last_frame_top1": {
            name: float(np.mean(values[last_frames].argmax(-1) == np.array(labels)))
            for name, values in (("float32", reference), ("int8", quantized))
        },
    }


if __name__ == "__main__":
    main()
