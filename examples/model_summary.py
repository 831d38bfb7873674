"""Builds an ACTION-Net, prints its summary and cost next to TSN and TSM, runs a clip.

No dataset and no download: the backbone starts from random weights and the clip
is a rendered square moving left to right.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import keras_action  # noqa: E402


def moving_square_clip(num_segments, image_size):
    """A white square crossing a grey frame from left to right, pixels in [0, 255]."""
    clip = np.full((1, num_segments, image_size, image_size, 3), 96, "float32")
    side = image_size // 4
    top = (image_size - side) // 2
    for t in range(num_segments):
        left = t * (image_size - side) // max(num_segments - 1, 1)
        clip[0, t, top : top + side, left : left + side] = 255
    return clip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="mobilenet_v2")
    parser.add_argument("--segments", type=int, default=8)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--num-classes", type=int, default=27)
    args = parser.parse_args()

    def build(module):
        return keras_action.build_model(
            args.backbone,
            module,
            num_classes=args.num_classes,
            num_segments=args.segments,
            image_size=args.image_size,
        )

    model = build("action")
    model.summary()
    backbone = model.get_layer(f"{args.backbone}_action")
    inserted = [
        layer.name for layer in backbone.layers if layer.name.endswith("_temporal")
    ]
    print(f"\n{len(inserted)} ACTION blocks, in front of: {', '.join(inserted)}\n")

    print(f"{'module':<8}{'trainable params':>18}{'GFLOPs per clip':>17}")
    for module, stats in (
        ("tsn", keras_action.model_stats(build("tsn"))),
        ("tsm", keras_action.model_stats(build("tsm"))),
        ("action", keras_action.model_stats(model)),
    ):
        print(
            f"{module:<8}{stats['trainable_params']:>18,}{stats['flops'] / 1e9:>17.3f}"
        )

    logits = model.predict(
        moving_square_clip(args.segments, args.image_size), verbose=0
    )
    probabilities = np.exp(logits[0] - logits[0].max())
    probabilities /= probabilities.sum()
    top5 = np.argsort(probabilities)[::-1][:5]
    print("\nUntrained model on a moving square, top-5 classes:")
    for index in top5:
        print(f"  class {index:>3}: {probabilities[index]:.4f}")


if __name__ == "__main__":
    main()
