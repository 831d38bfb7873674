"""Command line of `examples/train_jester.py` and `keras-action train`."""

import argparse
import dataclasses
import functools
import json
import sys
from pathlib import Path

from keras_action.data.views import CROP_AREAS, EVAL_CROP_FRACTION
from keras_action.models.backbones import BACKBONES
from keras_action.models.modules import MODULES
from keras_action.training import reports
from keras_action.training.config import TrainConfig
from keras_action.training.distribute import STRATEGIES
from keras_action.training.recipe import (
    RECIPES,
    SCHEDULES,
    choose_recipe,
    recipe_settings,
)
from keras_action.utils.console import (
    DefaultsHelpFormatter,
    positive_int,
    run_reporting_errors,
)

#: The plain synthetic pairs' budget, which the module comparisons
#: (`benchmarks/compare_modules.py`, `benchmarks/causal_accuracy.py`) and the
#: demo before the realistic set were measured with: Keras' start, SGD 0.02.
PLAIN_BUDGET = {
    "backbone": "mobilenet_v2",
    "initializer": "keras",
    "zero_init_residual": False,
    "crop_area": "frame",
    "optimizer": "sgd",
    "segments": 8,
    "image_size": 32,
    "epochs": 12,
    "batch_size": 16,
    "lr": 0.02,
    "lr_steps": (8, 11),
    "fc_lr5": False,
    "bias_lr2": False,
    "weight_decay": 0.0,
    "dropout": 0.2,
}
PLAIN_DATA = {"clips_per_class": 80, "num_classes": 8, "image_size": (72, 96)}
RECIPE_HELP = (
    "settings for --initializer, --zero-init-residual, --optimizer, --lr, "
    "--lr-steps, --epochs, --weight-decay, --dropout, --crop-area, "
    "--batch-size and --bn-momentum not given; auto: scratch with --weights "
    "none, else paper"
)
#: `--demo`: the realistic gestures (`difficulty="easy"`: textured rooms,
#: clutter, noise), trained from random weights with the `scratch` recipe,
#: as a user's own small set would be; the network and clip size keep its
#: two runs within 10 minutes on 2 CPU cores (a third, causal run would not).
DEMO = {"backbone": "mobilenet_v3_small", "segments": 4, "image_size": 64}
DEMO_OUTPUT = "runs/demo"
DEMO_DATA = {"clips_per_class": 100, "num_classes": 8, "difficulty": "easy"}
#: The runs of every demo, `{run name: settings over its budget}`.
PAIR_RUNS = {"action": {"module": "action"}, "tsn": {"module": "tsn"}}
#: `--demo realistic | plain`: `(budget, data, runs, default output)`.
#: `plain` is the demo before the realistic set, which earlier measurements
#: in docs/benchmarks.md name; its third run, a causal ACTION-Net, samples
#: densely, every other frame, as a streaming model is fed. Each has its own
#: folder, because the synthetic data is kept there between calls.
DEMOS = {
    "realistic": (DEMO, DEMO_DATA, PAIR_RUNS, DEMO_OUTPUT),
    "plain": (
        PLAIN_BUDGET,
        PLAIN_DATA,
        {
            **PAIR_RUNS,
            "action_causal": {"module": "action", "causal": True, "frame_stride": 2},
        },
        "runs/demo_plain",
    ),
}


def _fractions(text):
    return tuple(float(value) for value in text.split(",") if value)


def _steps(text):
    return tuple(int(step) for step in text.split(",") if step)


def add_train_arguments(parser):
    defaults = TrainConfig()
    add = parser.add_argument
    add("--data-dir", help="dataset folder (Jester layout for --dataset jester)")
    add("--dataset", default="jester", choices=sorted(SCHEDULES), help="layout")
    add("--backbone", default=defaults.backbone, choices=BACKBONES, help="2-D CNN")
    add(
        "--alpha",
        type=float,
        default=defaults.alpha,
        help="width multiplier of the MobileNet backbones (e.g. 0.35-1.4)",
    )
    add(
        "--module",
        default=defaults.module,
        choices=MODULES,
        help="temporal module in the backbone (tsn: none)",
    )
    add(
        "--causal",
        action="store_true",
        help="causal temporal modules (past frames only), for streaming_model",
    )
    add("--segments", type=int, default=defaults.segments, help="frames per clip")
    add(
        "--frame-stride",
        type=int,
        help="dense sampling: T frames this many apart (feed a streaming model "
        "frames at this stride); default: TSN segments over the whole video",
    )
    add("--image-size", type=int, default=defaults.image_size, help="pixels")
    add(
        "--crop-area",
        choices=CROP_AREAS,
        help="where training crops lie: the whole frame (TSN) or its centred "
        "square, where evaluation crops are; default: the recipe's (scratch: centre)",
    )
    add(
        "--crop-scales",
        type=_fractions,
        help="training crop sizes, fractions of the shorter side, e.g. 1,0.875; "
        "default: the recipe's (TSN's 1,0.875,0.75,0.66)",
    )
    add("--recipe", default="auto", choices=("auto", *RECIPES), help=RECIPE_HELP)
    add("--epochs", type=int, help="default: the recipe's (paper, Jester: 30)")
    add(
        "--batch-size",
        type=int,
        help="global batch; default: the recipe's (paper: 64, scratch: 8)",
    )
    add(
        "--optimizer",
        choices=("sgd", "adam"),
        help="default: the recipe's (paper: sgd, scratch: adam)",
    )
    add(
        "--initializer",
        choices=("keras", "torchvision"),
        help="start of a random backbone; default: the recipe's (scratch: torchvision)",
    )
    add(
        "--lr",
        type=float,
        help="base learning rate; default: the recipe's (paper: 0.01)",
    )
    add("--lr-steps", type=_steps, help="epochs dividing the lr by 10, e.g. 10,20,25")
    add("--momentum", type=float, default=defaults.momentum, help="SGD momentum")
    add("--weight-decay", type=float, help="L2; default: the recipe's (paper: 5e-4)")
    add(
        "--clip-gradient",
        type=float,
        default=defaults.clip_gradient,
        help="global gradient norm (0: no clipping)",
    )
    add("--dropout", type=float, help="before classifier; default: the recipe's (0.5)")
    add("--bn-momentum", type=float, help="Keras style; default: 0.9")
    add("--partial-bn", action="store_true", help="freeze all BatchNorm but the first")
    add(
        "--fc-lr5",
        action=argparse.BooleanOptionalAction,
        help="classifier lr ×5 (its bias ×10 with --bias-lr2); default: with SGD",
    )
    add(
        "--bias-lr2",
        action=argparse.BooleanOptionalAction,
        help="biases lr ×2 (the official policies); default: with SGD",
    )
    add("--flip", action=argparse.BooleanOptionalAction, help="random flips")
    add(
        "--weights",
        default="none",
        help="backbone weights: none, imagenet (downloaded once into "
        "~/.keras/models), or a weights file",
    )
    add(
        "--zero-init-residual",
        action=argparse.BooleanOptionalAction,
        help="random residual branches start at zero (each block the identity); "
        "default: the recipe's (scratch: on)",
    )
    add("--init-from", help="start from the matching weights of this .keras model")
    add("--freeze-backbone", action="store_true", help="train the classifier only")
    add("--normalization", help="pixel normalisation; default: the backbone's own")
    add("--strategy", default="auto", choices=STRATEGIES, help="tf.distribute")
    add("--cpu-replicas", type=int, default=0, help="mirror over N logical CPUs")
    add(
        "--mixed-precision",
        default="none",
        choices=("none", "float16", "bfloat16"),
        help="compute dtype",
    )
    add("--jit-compile", action="store_true", help="compile with XLA")
    add("--output", default=defaults.output, help="run directory")
    add("--seed", type=int, default=defaults.seed, help="data and weights")
    add(
        "--max-skipped",
        type=float,
        default=defaults.max_skipped,
        help="largest fraction of unreadable training samples an epoch may skip",
    )
    add("--overwrite", action="store_true", help="replace a finished run")
    add("--quiet", action="store_true", help="print nothing but errors")
    add(
        "--demo",
        nargs="?",
        const="realistic",
        choices=tuple(DEMOS),
        help="synthetic data: ACTION-Net vs TSN on the realistic gestures "
        "(the default), or on the plain shapes with a causal ACTION-Net too",
    )
    return parser


def config_from_arguments(arguments, **overrides):
    """A `TrainConfig`: the explicit arguments and `overrides` over the recipe's."""
    values = {
        field.name: getattr(arguments, field.name)
        for field in dataclasses.fields(TrainConfig)
        if getattr(arguments, field.name, None) is not None
    }
    values["verbose"] = 0 if arguments.quiet else 1
    values.update(overrides)
    pretrained = values.get("weights", "none") != "none" or bool(
        values.get("init_from")
    )
    recipe, warning = choose_recipe(arguments.recipe, pretrained)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    settings = recipe_settings(recipe, values.get("dataset", TrainConfig.dataset))
    return TrainConfig(**{**settings, **values, "recipe": recipe})


def train_on_synthetic_pairs(
    modules,
    output,
    make_config=TrainConfig,
    seed=0,
    budget=PLAIN_BUDGET,
    data=PLAIN_DATA,
):
    """Trains each module with one budget on synthetic time-reversed pairs.

    The data is written once under `output/data` (kept between calls); each
    run goes to `output/<run name>`.

    Args:
        modules: module names for `build_model` (each a run of that name), or
            `{run name: settings}`, settings over `budget` such as
            `{"module": "action", "causal": True, "frame_stride": 2}`.
        output: folder of the data and the runs.
        make_config: called with the settings as keywords; returns the
            `TrainConfig` (lets callers add or override settings).
        seed: seed of the synthetic data.
        budget: the settings shared by every run. Defaults to the plain
            set's, `PLAIN_BUDGET`.
        data: `write_synthetic_jester` arguments. Defaults to the plain set.

    Returns:
        `{run name: metrics}`, the content of each run's `metrics.json`.
    """
    from keras_action.training.trainer import train

    output = Path(output)
    data_dir = output / "data"
    _keep_synthetic_data(data_dir, {"seed": seed, **data})
    if not isinstance(modules, dict):
        modules = {module: {"module": module} for module in modules}
    results = {}
    for name, overrides in modules.items():
        settings = {**budget, **overrides, "data_dir": str(data_dir)}
        config = make_config(**settings, output=str(output / name))
        shape = f"{config.segments}x{config.image_size}²"
        if config.verbose:
            print(f"\n=== {name}: {config.backbone}, {shape} ===", flush=True)
        results[name] = train(config)
    return results


#: Beside the kept synthetic data: the arguments that wrote it.
SYNTHETIC_RECORD = "synthetic.json"


def _keep_synthetic_data(data_dir, arguments):
    """Writes the synthetic set into `data_dir` once, with a record of its
    arguments; a kept set written with other arguments (another demo, seed
    or size in the same folder) is an error, never silently trained on."""
    from keras_action.data import write_synthetic_jester

    record = data_dir / SYNTHETIC_RECORD
    wanted = json.loads(json.dumps(arguments))
    if (data_dir / "jester-v1-labels.csv").exists():
        kept = json.loads(record.read_text()) if record.exists() else None
        if kept != wanted:
            raise ValueError(
                f"{data_dir} holds a synthetic set written with "
                f"{kept or 'unknown settings'}, not {wanted}: remove it or choose "
                "another --output"
            )
        return
    write_synthetic_jester(data_dir, **arguments)
    reports.write_json(record, wanted)


def run_demo(arguments):
    """Trains ACTION-Net and TSN on synthetic time-reversed pairs (`--demo
    realistic`, the default; `plain` adds a causal ACTION-Net) and prints
    their accuracies."""
    budget, data, runs, default_output = DEMOS[arguments.demo]
    output = (
        default_output if arguments.output == TrainConfig.output else arguments.output
    )
    results = train_on_synthetic_pairs(
        runs,
        output,
        functools.partial(config_from_arguments, arguments),
        seed=arguments.seed,
        budget=budget,
        data=data,
    )
    rows = [_summary_row(module, metrics) for module, metrics in results.items()]
    if not arguments.quiet:
        print(f"\nSynthetic time-reversed pairs, {arguments.demo} set (validation):")
        print(reports.format_table(rows, _SUMMARY_COLUMNS))
    return rows


_SUMMARY_COLUMNS = {
    "module": "module",
    "top1": "val top-1",
    "top5": "val top-5",
    "epochs": "epochs",
    "output": "run",
}


def _summary_row(name, metrics):
    return {
        "module": name,
        "top1": f"{100 * metrics['val_top1']:.1f}%",
        "top5": f"{100 * metrics['val_top5']:.1f}%",
        "epochs": metrics["epochs_completed"],
        "output": metrics["config"]["output"],
    }


def main(argv=None, prog=None):
    """`keras-action train`; returns the exit status (errors: one line, 1)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Train a keras-action video model. The run directory "
        "(--output) receives model.keras, metrics.json, history.csv, curves and "
        "a confusion matrix; a killed run resumes when started again.",
        formatter_class=DefaultsHelpFormatter,
    )
    arguments = add_train_arguments(parser).parse_args(argv)
    if not (arguments.demo or arguments.data_dir):
        parser.error("--data-dir is required (or --demo for synthetic data)")
    return run_reporting_errors(parser.prog, _train, arguments)


def _train(arguments):
    if arguments.demo:
        run_demo(arguments)
        return 0
    from keras_action.training.trainer import train

    metrics = train(config_from_arguments(arguments))
    if metrics is not None and not arguments.quiet:
        print(
            reports.format_table(
                [_summary_row(arguments.module, metrics)], _SUMMARY_COLUMNS
            )
        )
        print(f"results in {metrics['config']['output']}")
    return 0


def add_evaluate_arguments(parser):
    add = parser.add_argument
    add("--model", required=True, help="a .keras or .tflite model")
    add("--data-dir", required=True)
    add("--dataset", default="jester", choices=sorted(SCHEDULES))
    add("--split", default="validation")
    add("--clips", type=int, default=1, help="clips per video (K)")
    add("--crops", type=int, default=1, choices=(1, 3), help="crops per clip")
    add(
        "--image-size",
        type=positive_int,
        help="evaluate a .keras model at this frame size (default: its own); "
        "the official test scripts: --clips 10 --crops 3 --image-size 256 "
        "--crop-fraction 1",
    )
    add(
        "--crop-fraction",
        type=float,
        default=EVAL_CROP_FRACTION,
        help="crop side / shorter side: 224/256 (TSN's centre crop), 1 (all of it)",
    )
    add(
        "--frame-stride",
        type=int,
        help="dense sampling at this stride (as the model was trained); "
        "default: TSN segments",
    )
    add("--batch-size", type=int, default=8)
    add(
        "--output",
        help="folder for metrics.json and confusion_matrix.png "
        "(default: eval_SPLIT beside the model)",
    )
    return parser


def evaluate_main(argv=None, prog=None):
    """`keras-action evaluate`; returns the exit status (errors: one line, 1)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Evaluate a .keras or .tflite model on a dataset split.",
        formatter_class=DefaultsHelpFormatter,
    )
    arguments = add_evaluate_arguments(parser).parse_args(argv)
    return run_reporting_errors(parser.prog, _evaluate, arguments)


def _evaluate(arguments):
    from keras_action.training.evaluation import evaluate

    metrics = evaluate(
        arguments.model,
        arguments.data_dir,
        dataset=arguments.dataset,
        split=arguments.split,
        num_clips=arguments.clips,
        num_crops=arguments.crops,
        batch_size=arguments.batch_size,
        output=arguments.output,
        frame_stride=arguments.frame_stride,
        image_size=arguments.image_size,
        crop_fraction=arguments.crop_fraction,
    )
    rows = [
        {"name": name, "accuracy": "-" if acc is None else f"{100 * acc:.1f}%"}
        for name, acc in metrics["per_class"].items()
    ]
    print(reports.format_table(rows, {"name": "class", "accuracy": "accuracy"}))
    print(
        f"\n{arguments.split}: top-1 {100 * metrics['top1']:.2f}%  "
        f"top-5 {100 * metrics['top5']:.2f}%  ({metrics['num_samples']} videos, "
        f"{arguments.clips} clip(s) x {arguments.crops} crop(s))"
    )
    print(f"wrote metrics.json and confusion_matrix.png to {metrics['output']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
