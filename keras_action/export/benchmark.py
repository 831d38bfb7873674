"""Side-by-side LiteRT latency of TSN, TSM and ACTION (`keras-action benchmark`).

For each backbone and module the benchmark reports trainable parameters,
multiply-adds (`model_stats`), `.tflite` sizes, and the median latency of
repeated XNNPACK invocations after warm-up, float32 and int8, for each thread
count. Models are interleaved within each round, so that ratios compare runs
made under the same machine load.
"""

import itertools
import json
import time
from pathlib import Path

import numpy as np

from keras_action.runtime import LiteRTModel

PRECISIONS = ("float32", "int8")


def build_variants(
    backbones,
    modules,
    num_segments,
    image_size,
    num_classes,
    calibration=None,
    precisions=PRECISIONS,
):
    """Converts every (backbone, module) pair to `.tflite` bytes, per precision.

    `calibration` (a list of clips) is needed for `"int8"` only.
    """
    from keras_action.export.tflite import to_tflite
    from keras_action.models import build_model, model_stats

    variants = []
    for backbone, module in itertools.product(backbones, modules):
        model = build_model(backbone, module, num_classes, num_segments, image_size)
        variant = {"backbone": backbone, "module": module, **model_stats(model)}
        for precision in precisions:
            variant[precision] = (
                to_tflite(
                    model,
                    quantize="int8",
                    representative_clips=calibration,
                    num_calibration_clips=len(calibration),
                )
                if precision == "int8"
                else to_tflite(model)
            )
        variants.append(variant)
    return variants


def measure(
    variants,
    threads=(1, 2),
    rounds=5,
    repeats=3,
    warmup=1,
    repeats_for=None,
    precisions=PRECISIONS,
):
    """Median seconds per clip, per variant, precision and thread count.

    Each round runs every variant in turn (`repeats` invocations after `warmup`),
    so that drifts in machine load hit all of them alike.

    Args:
        variants: from `build_variants`.
        threads: thread counts.
        rounds: interleaved rounds.
        repeats: timed invocations per variant and round.
        warmup: untimed invocations before them.
        repeats_for: optional `{backbone: repeats}` overrides (slow backbones).
        precisions: the `.tflite` files of each variant to time.

    Returns:
        The variants, each with `"latency"` and `"cpu"` (median wall-clock and
        process CPU seconds, keyed `"float32/1"`, …), `"latency_quartiles"`,
        and `"undelegated_ops"` (ops XNNPACK left out, per precision).
    """
    runners = {}
    for index, variant in enumerate(variants):
        for precision, count in itertools.product(precisions, threads):
            # Any file: a clip classifier or a streaming one (states and all).
            runners[index, f"{precision}/{count}"] = LiteRTModel(
                variant[precision], num_threads=count
            )
        variant["undelegated_ops"] = {
            precision: runners[index, f"{precision}/{threads[0]}"].undelegated_ops()
            for precision in precisions
        }
    times = {key: ([], []) for key in runners}
    for _ in range(rounds):
        for (index, key), runner in runners.items():
            count = (repeats_for or {}).get(variants[index]["backbone"], repeats)
            wall, cpu = runner.latencies(count, warmup)
            times[index, key][0].extend(wall)
            times[index, key][1].extend(cpu)
    for (index, key), (wall, cpu) in times.items():
        variant = variants[index]
        variant.setdefault("latency", {})[key] = float(np.median(wall))
        variant.setdefault("cpu", {})[key] = float(np.median(cpu))
        quartiles = np.percentile(wall, [25, 75]).tolist()
        variant.setdefault("latency_quartiles", {})[key] = quartiles
    return variants


def table(variants, threads=(1, 2), top1=None):
    """A Markdown table of the measured variants, with ratios to TSM.

    Args:
        variants: from `measure`.
        threads: the thread counts measured.
        top1: optional `{(backbone, module): top-1 %}`; where TSM's and a
            module's are both given, the efficiency η = ΔFLOPs% / ΔTop-1
            (points) over TSM is shown.
    """
    top1 = top1 or {}
    header = ["backbone", "module", "params", "GMACs", "fp32 MB", "int8 MB"]
    header += [f"{p} {t}T ms" for p in ("fp32", "int8") for t in threads]
    header += ["fp32 1T CPU ms", "int8 1T CPU ms"]
    header += [f"÷TSM fp32 {t}T" for t in threads] + ["÷TSM fp32 1T CPU"]
    header += ["int8÷fp32 1T", "int8÷fp32 1T CPU", "η"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    baseline = {v["backbone"]: v for v in variants if v["module"] == "tsm"}
    for variant in variants:
        latency = variant["latency"]
        tsm = baseline.get(variant["backbone"], variant)
        cells = [
            variant["backbone"],
            variant["module"],
            f"{variant['trainable_params']:,}",
            f"{variant['flops'] / 1e9:.3f}",
            f"{variant['float32_bytes'] / 2**20:.2f}",
            f"{variant['int8_bytes'] / 2**20:.2f}",
        ]
        cells += [
            f"{latency[f'{p}/{t}'] * 1e3:.1f}"
            for p in ("float32", "int8")
            for t in threads
        ]
        cpu = variant["cpu"]
        cells += [f"{cpu[f'{p}/1'] * 1e3:.1f}" for p in ("float32", "int8")]
        cells += [
            f"{latency[f'float32/{t}'] / tsm['latency'][f'float32/{t}']:.3f}"
            for t in threads
        ]
        cells.append(f"{cpu['float32/1'] / tsm['cpu']['float32/1']:.3f}")
        cells.append(f"{latency['int8/1'] / latency['float32/1']:.3f}")
        cells.append(f"{cpu['int8/1'] / cpu['float32/1']:.3f}")
        cells.append(_efficiency(variant, tsm, top1))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _efficiency(variant, tsm, top1):
    gain = top1.get((variant["backbone"], variant["module"]))
    base = top1.get((tsm["backbone"], "tsm"))
    if variant is tsm or gain is None or base is None or gain == base:
        return "–"
    flops_percent = 100 * (variant["flops"] / tsm["flops"] - 1)
    return f"{flops_percent / (gain - base):.2f}"


def run_benchmark(
    backbones=("mobilenet_v2", "resnet50_torch"),
    modules=("tsn", "tsm", "action"),
    num_segments=8,
    image_size=224,
    num_classes=27,
    threads=(1, 2),
    rounds=5,
    repeats=3,
    repeats_for=None,
    calibration_clips=8,
):
    """Builds, converts and times every variant.

    Calibration uses synthetic clips (`keras_action.export.calibration_clips`),
    enough to quantize: the models have random weights, so only speed and
    size are measured here, not accuracy.

    Returns:
        The list of variants (dicts of stats, sizes and `"latency"`).
    """
    from keras_action.export.tflite import calibration_clips as clips

    start = time.time()
    dataset = clips(num_segments, image_size).take(calibration_clips)
    calibration = [clip.numpy() for clip, _ in dataset]
    variants = build_variants(
        backbones, modules, num_segments, image_size, num_classes, calibration
    )
    print(
        f"converted {len(variants)} models in {time.time() - start:.0f} s", flush=True
    )
    measure(variants, threads, rounds, repeats, repeats_for=repeats_for)
    for variant in variants:
        for precision in ("float32", "int8"):
            variant[f"{precision}_bytes"] = len(variant.pop(precision))
    return variants


def save_results(variants, path, **settings):
    """Writes the variants and the settings that produced them as JSON."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"settings": settings, "results": variants}, indent=2))
