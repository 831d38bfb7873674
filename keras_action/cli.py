"""The `keras-action` command line: `keras-action <command> [options]`.

Commands register themselves with `command(name, help)`, so that new ones
(e.g. `train`, `evaluate`) are one decorated function each. Heavy imports
happen inside the commands: `predict` on a `.tflite` needs no TensorFlow.
"""

import argparse
import sys

from keras_action.utils.lazy import missing_dependency_hint

_COMMANDS = {}


def command(name, help, **parser_options):
    """Registers `configure(parser)`, which adds arguments and sets `run`."""

    def register(configure):
        _COMMANDS[name] = (help, configure, parser_options)
        return configure

    return register


def build_parser():
    parser = argparse.ArgumentParser(prog="keras-action", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name, (help, configure, options) in _COMMANDS.items():
        configure(subparsers.add_parser(name, help=help, description=help, **options))
    return parser


def main(argv=None):
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and not getattr(args, "passes_rest", False):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.rest = rest
    try:
        return args.run(args) or 0
    except ModuleNotFoundError as error:
        hint = missing_dependency_hint(error)
        if hint is None:
            raise
        print(f"keras-action {args.command}: error: {hint}", file=sys.stderr)
        return 1
    except (ValueError, OSError) as error:
        print(f"keras-action {args.command}: error: {error}", file=sys.stderr)
        return 1


@command("predict", "Classify a video or a folder of frames with a .tflite model.")
def _predict_arguments(parser):
    parser.add_argument("source", help="video file, or folder of frame images")
    parser.add_argument("--model", required=True, help="the .tflite file")
    parser.add_argument(
        "--labels", help="class names, one per line (default: labels.txt beside it)"
    )
    parser.add_argument("--top", type=int, default=5, help="classes to print")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads")
    parser.add_argument("--image", help="write the sampled frames and prediction here")
    parser.set_defaults(run=_predict)


def _predict(args):
    from pathlib import Path

    from keras_action.export.predict import classify, draw_prediction
    from keras_action.export.runner import LiteRTRunner, read_labels

    labels = args.labels or Path(args.model).with_name("labels.txt")
    runner = LiteRTRunner(args.model, num_threads=args.threads)
    clip, top = classify(runner, args.source, read_labels(labels), args.top)
    for name, probability in top:
        print(f"{probability:7.2%}  {name}")
    if args.image:
        draw_prediction(clip, top, args.image)


@command("benchmark", "LiteRT size and latency of TSN, TSM and ACTION, side by side.")
def _benchmark_arguments(parser):
    parser.add_argument("--backbones", default="mobilenet_v2,resnet50_torch")
    parser.add_argument("--modules", default="tsn,tsm,action")
    parser.add_argument("--segments", type=int, default=8)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--classes", type=int, default=27)
    parser.add_argument("--threads", default="1,2", help="thread counts")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--repeats", type=int, default=3, help="runs per round")
    parser.add_argument(
        "--repeats-for",
        default="",
        help="per-backbone repeats, e.g. resnet50_torch=1",
    )
    parser.add_argument("--calibration-clips", type=int, default=8)
    parser.add_argument(
        "--top1",
        action="append",
        default=[],
        metavar="BACKBONE:MODULE=ACC",
        help="known top-1 (%%) for the efficiency η = ΔFLOPs%% / ΔTop-1 over TSM",
    )
    parser.add_argument("--output", help="write the results as JSON here")
    parser.set_defaults(run=_benchmark)


def _benchmark(args):
    from keras_action.export.benchmark import run_benchmark, save_results, table

    threads = tuple(int(t) for t in args.threads.split(","))
    settings = {
        "backbones": args.backbones.split(","),
        "modules": args.modules.split(","),
        "num_segments": args.segments,
        "image_size": args.image_size,
        "num_classes": args.classes,
        "threads": threads,
        "rounds": args.rounds,
        "repeats": args.repeats,
        "repeats_for": _pairs(
            args.repeats_for.split(",") if args.repeats_for else [], int
        ),
        "calibration_clips": args.calibration_clips,
    }
    variants = run_benchmark(**settings)
    top1 = {
        tuple(key.split(":")): value for key, value in _pairs(args.top1, float).items()
    }
    print(table(variants, threads, top1))
    if args.output:
        save_results(variants, args.output, **settings)


def _pairs(items, convert):
    pairs = {}
    for item in items:
        key, separator, value = item.partition("=")
        if not separator:
            raise ValueError(f"expected KEY=VALUE, got {item!r}")
        pairs[key] = convert(value)
    return pairs


if __name__ == "__main__":
    sys.exit(main())


def _delegate(function_name):
    """Hands the rest of the command line to `keras_action.training.cli`.

    Its parser is built only when the command runs, so `predict` keeps working
    without TensorFlow.
    """

    def configure(parser):
        parser.set_defaults(
            run=lambda args: _run_training_cli(function_name, args), passes_rest=True
        )

    return configure


def _run_training_cli(function_name, args):
    from keras_action.training import cli

    return getattr(cli, function_name)(args.rest, prog=f"keras-action {args.command}")


command(
    "train", "Train a model (the options of examples/train_jester.py).", add_help=False
)(_delegate("main"))
command(
    "evaluate", "Evaluate a .keras or .tflite model on a dataset split.", add_help=False
)(_delegate("evaluate_main"))


@command("synthetic", "Write a synthetic Jester-layout dataset of time-reversed pairs.")
def _synthetic_arguments(parser):
    add = parser.add_argument
    add("output", help="dataset folder (created)")
    add("--difficulty", default="medium", help="easy, medium, hard, or plain")
    add("--clips-per-class", type=int, default=134, help="train + validation clips")
    add("--classes", type=int, default=8, help="an even number, at most 8")
    add("--backgrounds", help="folder of videos or images for real backgrounds")
    add("--seed", type=int, default=0)
    parser.set_defaults(run=_synthetic)


def _synthetic(args):
    from keras_action.data import write_synthetic_jester

    root = write_synthetic_jester(
        args.output,
        clips_per_class=args.clips_per_class,
        num_classes=args.classes,
        seed=args.seed,
        difficulty=None if args.difficulty == "plain" else args.difficulty,
        backgrounds=args.backgrounds,
    )
    print(f"Wrote {args.clips_per_class * args.classes} clips to {root}")
