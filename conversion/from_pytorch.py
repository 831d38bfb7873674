"""Converts an official TSN/TSM/ACTION-Net/GSM PyTorch checkpoint to a `.keras` model.

    python conversion/from_pytorch.py --checkpoint ckpt.pth.tar \\
        --backbone mobilenet_v2 --num-classes 27 --segments 8 \\
        --output action_jester.keras [--module action|tsm|gsm|tsn]

Needs PyTorch: `pip install "keras-action[tensorflow,torch]"`. See docs/conversion.md.
"""

import argparse

from keras_action.utils.console import quiet_tensorflow

quiet_tensorflow()  # before Keras imports TensorFlow

from keras_action.checkpoints import BACKBONES, convert_checkpoint  # noqa: E402
from keras_action.models import model_stats  # noqa: E402
from keras_action.utils.atomic import atomic_path  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True, help="official .pth(.tar)")
    parser.add_argument("--backbone", required=True, choices=list(BACKBONES))
    parser.add_argument("--num-classes", required=True, type=int)
    parser.add_argument("--segments", required=True, type=int, help="frames/clip")
    parser.add_argument("--output", required=True, help="the .keras file to write")
    parser.add_argument(
        "--module",
        choices=["action", "tsm", "gsm", "tsn"],
        help="temporal module; inferred from the checkpoint's names by default "
        "(BN-Inception TSN and TSM checkpoints must say which)",
    )
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--shift-div", type=int, default=8)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        model = convert_checkpoint(
            args.checkpoint,
            args.backbone,
            num_classes=args.num_classes,
            num_segments=args.segments,
            module=args.module,
            image_size=args.image_size,
            shift_div=args.shift_div,
        )
    except (ImportError, OSError, ValueError) as error:
        # The message names the file and tensors at fault; a traceback adds nothing.
        raise SystemExit(f"error: {error}") from None
    with atomic_path(args.output) as partial:
        model.save(partial)
    stats = model_stats(model)
    print(
        f"{args.checkpoint} -> {args.output}: {model.name}, "
        f"{stats['trainable_params']:,} trainable parameters, "
        f"{stats['flops'] / 1e9:.2f} GFLOPs per clip"
    )


if __name__ == "__main__":
    main()
