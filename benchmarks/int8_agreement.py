"""int8 against float32 LiteRT files of one trained model, clip by clip.

Exports the model twice (float32, and full-integer int8 calibrated on the
training split), runs both on every validation clip with `LiteRTRunner`, and
prints how often their top-1 classes agree, both accuracies, and how far the
int8 class probabilities are from float32's (per clip, the largest difference
over the classes; median and maximum over the clips).

    python examples/train_jester.py --demo
    python benchmarks/int8_agreement.py --model runs/demo/action/model.keras \
        --data-dir runs/demo/data
"""

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_action.export import LiteRTRunner, calibration_clips, to_tflite  # noqa: E402
from keras_action.training.evaluation import predict_scores  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a trained .keras model")
    parser.add_argument("--data-dir", required=True, help="Jester-layout dataset")
    parser.add_argument("--calibration-clips", type=int, default=100)
    parser.add_argument(
        "--output", type=Path, default=Path("benchmarks/results/int8_agreement.json")
    )
    args = parser.parse_args()

    model = keras.saving.load_model(args.model)
    _, segments, size, _, _ = model.input_shape
    calibration = calibration_clips(segments, size, args.data_dir, split="train")
    validation = calibration_clips(segments, size, args.data_dir, split="validation")
    # One fixed list of clips: the loader reshuffles on every pass.
    batches = list(validation.batch(16).as_numpy_iterator())
    scores = {}
    for quantize in ("none", "int8"):
        content = to_tflite(
            model,
            quantize=quantize,
            representative_clips=calibration.map(lambda clip, label: clip),
            num_calibration_clips=args.calibration_clips,
        )
        runner = LiteRTRunner(content)

        def predict(clips, runner=runner):
            return np.concatenate([runner(clip) for clip in clips])

        scores[quantize], labels = predict_scores(predict, batches)
    predictions = {quantize: p.argmax(axis=1) for quantize, p in scores.items()}
    # Per clip, the largest change of a class probability.
    error = np.abs(scores["int8"] - scores["none"]).max(axis=1)
    float_top1 = float(np.mean(predictions["none"] == labels))
    int8_top1 = float(np.mean(predictions["int8"] == labels))
    agreement = float(np.mean(predictions["none"] == predictions["int8"]))
    print(
        f"{'clips':>6}  {'float32 top-1':>13}  {'int8 top-1':>10}  {'agreement':>9}  "
        f"{'probability error (median, max)':>31}"
    )
    print(
        f"{len(labels):>6}  {100 * float_top1:>12.1f}%  {100 * int8_top1:>9.1f}%  "
        f"{100 * agreement:>8.1f}%  {100 * np.median(error):>17.2f} pt, "
        f"{100 * error.max():.2f} pt"
    )
    result = {
        "model": args.model,
        "clips": int(len(labels)),
        "float32_top1": float_top1,
        "int8_top1": int8_top1,
        "top1_agreement": agreement,
        "probability_error_median": float(np.median(error)),
        "probability_error_max": float(error.max()),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
