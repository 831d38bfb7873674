"""keras-action: video action recognition for Keras 3, on phones and headsets.

Run `keras-action COMMAND --help` for a command's options. `predict` and `stream`
need only the LiteRT runtime (`pip install "keras-action[litert]"`); `train`,
`evaluate` and `benchmark` need TensorFlow (`pip install "keras-action[tensorflow]"`).
"""

import argparse
import contextlib
import sys

from keras_action.utils.console import (
    DefaultsHelpFormatter,
    positive_int,
    quiet_tensorflow,
    run_reporting_errors,
    silenced_stderr,
)

# Each command is one decorated function (`command(name, help)`) that adds its
# arguments; heavy imports happen inside the commands, so that `--help` is
# instant and `predict` on a `.tflite` needs no TensorFlow.
_COMMANDS = {}


def command(name, help, **parser_options):
    """Registers `configure(parser)`, which adds arguments and sets `run`."""

    def register(configure):
        _COMMANDS[name] = (help, configure, parser_options)
        return configure

    return register


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-action",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(
        dest="command", required=True, title="commands", metavar="COMMAND"
    )
    for name, (help, configure, options) in _COMMANDS.items():
        configure(subparsers.add_parser(name, help=help, description=help, **options))
    return parser


def main(argv=None):
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and not getattr(args, "passes_rest", False):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.rest = rest
    return run_reporting_errors(f"keras-action {args.command}", args.run, args)


@command("predict", "Classify a video or a folder of frames with a .tflite model.")
def _predict_arguments(parser):
    parser.add_argument("source", help="video file, or folder of frame images")
    parser.add_argument("--model", required=True, help="the .tflite file")
    parser.add_argument(
        "--labels",
        help="class names, one per line (default: labels.txt beside the model; "
        "without one, classes are printed as indices)",
    )
    parser.add_argument(
        "--top", type=positive_int, default=5, help="classes to print (default 5)"
    )
    parser.add_argument(
        "--threads",
        type=positive_int,
        default=None,
        help="CPU threads (default: LiteRT's choice)",
    )
    parser.add_argument(
        "--image", help="write the sampled frames and prediction here (.png, .jpg)"
    )
    parser.set_defaults(run=_predict)


def _predict(args):
    from keras_action.export.predict import (
        check_image_path,
        classify,
        draw_prediction,
    )
    from keras_action.runtime import LiteRTRunner

    if args.image:
        check_image_path(args.image)
    # LiteRT announces its XNNPACK delegate and FFmpeg each broken packet on
    # stderr; a damaged video is reported by the decode policy instead.
    with silenced_stderr():
        runner = LiteRTRunner(args.model, num_threads=args.threads)
    class_names = _class_names(args.labels, args.model, runner.num_classes)
    with silenced_stderr():
        clip, top = classify(runner, args.source, class_names, args.top)
    for name, probability in top:
        print(f"{probability:7.2%}  {name}")
    if args.image:
        draw_prediction(clip, top, args.image)
        print(f"wrote {args.image}")


def _class_names(labels, model, num_classes, command="predict"):
    """The labels file's names; class indices, with a notice, when there is none."""
    from pathlib import Path

    from keras_action.runtime import read_labels

    if labels:
        return read_labels(labels)
    default = Path(model).with_name("labels.txt")
    if default.is_file():
        return read_labels(default)
    print(
        f"keras-action {command}: no {default}; printing class indices "
        "(pass --labels FILE for names).",
        file=sys.stderr,
    )
    return [str(index) for index in range(num_classes)]


@command(
    "stream",
    "Classify a video (or camera) frame by frame with a streaming .tflite model.",
)
def _stream_arguments(parser):
    parser.add_argument(
        "source",
        help="video file, or a camera index (0, 1…) where OpenCV can open one",
    )
    parser.add_argument(
        "--model", required=True, help="a streaming .tflite (to_tflite(streaming=True))"
    )
    parser.add_argument(
        "--frame-stride",
        type=positive_int,
        default=1,
        help="feed every N-th frame: the stride the model was trained with (default 1)",
    )
    parser.add_argument(
        "--output", help="write the video annotated with the predictions (.mp4, .avi)"
    )
    parser.add_argument(
        "--labels",
        help="class names, one per line (default: labels.txt beside the model)",
    )
    parser.add_argument(
        "--threads",
        type=positive_int,
        default=None,
        help="CPU threads (default: LiteRT's choice)",
    )
    parser.set_defaults(run=_stream)


def _stream(args):
    import numpy as np

    from keras_action.export import live
    from keras_action.runtime import StreamingRunner
    from keras_action.utils.console import LiveLine

    # LiteRT and FFmpeg (opening and decoding a video) talk on stderr; a
    # damaged video is reported by the decode policy instead.
    with silenced_stderr():
        runner = StreamingRunner(args.model, num_threads=args.threads)
        fps = live.frame_rate(args.source) if args.output else None
    class_names = _class_names(args.labels, args.model, runner.num_classes, "stream")
    video = args.output and live.AnnotatedVideo(args.output, fps)
    line, latencies = LiveLine(), []
    with contextlib.ExitStack() as stack:
        if video:
            stack.enter_context(video)
        stack.enter_context(silenced_stderr())
        frames = live.read_frames(args.source)
        for step in live.stream(runner, frames, args.frame_stride, str(args.source)):
            best = int(np.argmax(step.probabilities))
            name, probability = class_names[best], step.probabilities[best]
            if step.fed:
                latencies.append(step.latency)
                line.update(
                    f"frame {step.index:5d}  {probability:6.1%}  {name:<24.24}  "
                    f"{step.latency * 1000:6.1f} ms",
                    key=best,
                )
            if video:
                video.write(live.annotate(step.frame, name, probability, step.latency))
    line.close()
    where = f"wrote {args.output}" if video else "predictions printed above"
    print(
        f"streamed {step.index + 1} frames ({len(latencies)} fed, every "
        f"{args.frame_stride}), median {np.median(latencies) * 1000:.1f} ms per "
        f"frame; {where}"
    )


@command(
    "benchmark",
    "LiteRT size and latency of TSN, TSM and ACTION, side by side.",
    formatter_class=DefaultsHelpFormatter,
)
def _benchmark_arguments(parser):
    parser.add_argument(
        "--backbones", default="mobilenet_v2,resnet50_torch", help="comma-separated"
    )
    parser.add_argument("--modules", default="tsn,tsm,action", help="comma-separated")
    parser.add_argument("--segments", type=int, default=8, help="frames per clip")
    parser.add_argument("--image-size", type=int, default=224, help="pixels")
    parser.add_argument("--classes", type=int, default=27, help="classifier outputs")
    parser.add_argument("--threads", default="1,2", help="thread counts")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--repeats", type=int, default=3, help="runs per round")
    parser.add_argument(
        "--repeats-for",
        default="",
        help="per-backbone repeats, e.g. resnet50_torch=1 (default: --repeats "
        "for all)%(default).0s",
    )
    parser.add_argument(
        "--calibration-clips",
        type=positive_int,
        default=8,
        help="synthetic clips calibrating the int8 files",
    )
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
    quiet_tensorflow()
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
    quiet_tensorflow()
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
    add(
        "--clips-per-class",
        type=positive_int,
        default=140,
        help="train + validation clips",
    )
    add(
        "--subjects",
        type=positive_int,
        help="performers, each in their own room (realistic set); "
        "default: one per two clips of a class",
    )
    add("--classes", type=int, default=8, help="an even number, at most 8")
    add("--backgrounds", help="folder of videos or images for real backgrounds")
    add("--seed", type=int, default=0, help="the same seed writes the same clips")
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
        num_subjects=args.subjects,
    )
    print(f"Wrote {args.clips_per_class * args.classes} clips to {root}")


if __name__ == "__main__":
    sys.exit(main())
