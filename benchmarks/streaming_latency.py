"""Per-frame LiteRT latency of streaming TSN, TSM and ACTION against their clip files.

For each backbone, module and image size, one causal model (random weights:
speed and size only) is exported twice, as the clip file
(`to_tflite`, T frames per call) and as the streaming file
(`to_tflite(..., streaming=True)`, one frame per call with its states), in
float32 and int8. All files are timed in the same interleaved rounds
(`keras_action.export.benchmark.measure`: XNNPACK, medians), so that the
streaming latency per frame compares with the clip latency ÷ T under the
same machine load. Prints a Markdown table and writes
benchmarks/results/streaming_latency.json.

    python benchmarks/streaming_latency.py [--sizes 224,172] [--threads 1,2] \
        [--backbones mobilenet_v2,mobilenet_v2:0.5,mobilenet_v3_small]

A backbone is a `build_model` backbone name, `:ALPHA` for a MobileNet width.
"""

import argparse
import itertools
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from keras_action.export import StreamingRunner, to_tflite  # noqa: E402
from keras_action.export.benchmark import PRECISIONS, measure  # noqa: E402
from keras_action.models import build_model, model_stats  # noqa: E402

OUTPUT = Path(__file__).parent / "results" / "streaming_latency.json"
#: MoViNet-A0-Stream, the published LiteRT reference for streaming video:
#: float32, one Xeon W-2135 core, 172², per frame; file size.
MOVINET_A0_STREAM = {"ms_per_frame": 16.0, "megabytes": 13.0, "image_size": 172}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbones", default="mobilenet_v2")
    parser.add_argument("--modules", default="tsn,tsm,action")
    parser.add_argument("--sizes", default="224,172")
    parser.add_argument("--segments", type=int, default=8)
    parser.add_argument("--classes", type=int, default=27)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--calibration-clips", type=int, default=4)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    threads = tuple(int(t) for t in args.threads.split(","))
    start = time.time()
    variants = []
    for backbone, module, size in itertools.product(
        args.backbones.split(","),
        args.modules.split(","),
        (int(s) for s in args.sizes.split(",")),
    ):
        variants += export(backbone, module, size, args.segments, args.classes, args)
        print(
            f"exported {backbone} {module} at {size}² ({time.time() - start:.0f} s)",
            flush=True,
        )
    measure(variants, threads, args.rounds, args.repeats)
    rows = pair_up(variants, args.segments, threads)
    print(table(rows, threads))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    settings = {**vars(args), "output": str(args.output), "threads": threads}
    args.output.write_text(
        json.dumps(
            {
                "settings": settings,
                "movinet_a0_stream": MOVINET_A0_STREAM,
                "rows": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {args.output} ({time.time() - start:.0f} s in all)")


def export(backbone, module, size, segments, classes, args):
    """The clip and the streaming variant of one causal model, both precisions."""
    name, _, alpha = backbone.partition(":")
    model = build_model(
        name, module, classes, segments, size, causal=True, alpha=float(alpha or 1)
    )
    mads = model_stats(model)["flops"] / segments
    # Random pixels calibrate enough for timing; accuracy is not measured here.
    clips = (
        np.random.default_rng(0)
        .uniform(0, 255, (args.calibration_clips, segments, size, size, 3))
        .astype("float32")
    )
    variants = []
    for kind in ("clip", "stream"):
        options = (
            {"streaming": True, "representative_videos": clips}
            if kind == "stream"
            else {"representative_clips": clips}
        )
        variant = {"backbone": backbone, "module": module, "size": size}
        variant["kind"], variant["mads_per_frame"] = kind, mads
        variant["float32"] = to_tflite(model, **options)
        variant["int8"] = to_tflite(model, quantize="int8", **options)
        variants.append(variant)
    return variants


def pair_up(variants, segments, threads):
    """One row per (module, size): streaming per frame next to clip ÷ T."""
    by_key = {(v["backbone"], v["module"], v["size"], v["kind"]): v for v in variants}
    rows = []
    for (backbone, module, size, kind), stream in by_key.items():
        if kind != "stream":
            continue
        clip = by_key[backbone, module, size, "clip"]
        row = {"backbone": backbone, "module": module, "size": size}
        row.update(segments=segments, mads_per_frame=stream["mads_per_frame"])
        for precision, count in itertools.product(PRECISIONS, threads):
            key = f"{precision}/{count}"
            row[f"stream_ms {key}"] = stream["latency"][key] * 1e3
            row[f"clip_per_frame_ms {key}"] = clip["latency"][key] * 1e3 / segments
            # Process CPU time: steadier than wall time on a shared machine.
            row[f"stream_cpu_ms {key}"] = stream["cpu"][key] * 1e3
            row[f"clip_per_frame_cpu_ms {key}"] = clip["cpu"][key] * 1e3 / segments
        for precision in PRECISIONS:
            row[f"stream_MB {precision}"] = len(stream[precision]) / 1e6
            row[f"clip_MB {precision}"] = len(clip[precision]) / 1e6
            row[f"state_bytes {precision}"] = StreamingRunner(
                stream[precision]
            ).state_bytes()
            row[f"undelegated {precision}"] = stream["undelegated_ops"][precision]
        rows.append(row)
    return rows


def table(rows, threads):
    """Markdown: per-frame ms, the ratios the issue asks about, sizes, state."""
    header = ["backbone", "module", "size", "M MACs/frame"]
    for precision, count in itertools.product(("float32", "int8"), threads):
        header += [f"{precision} {count}T stream ms", "clip÷T ms", "ratio"]
    header += ["fp32 1T CPU stream ms", "clip÷T CPU ms", "ratio CPU"]
    header += ["÷TSM stream fp32 1T", "÷TSM stream fp32 1T CPU"]
    header += ["fp32 MB", "int8 MB", "state KiB fp32/int8"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    tsm = {(r["backbone"], r["size"]): r for r in rows if r["module"] == "tsm"}
    for row in rows:
        cells = [row["backbone"], row["module"], f"{row['size']}²"]
        cells.append(f"{row['mads_per_frame'] / 1e6:.0f}")
        for precision, count in itertools.product(("float32", "int8"), threads):
            key = f"{precision}/{count}"
            stream, clip = row[f"stream_ms {key}"], row[f"clip_per_frame_ms {key}"]
            cells += [f"{stream:.2f}", f"{clip:.2f}", f"{stream / clip:.2f}"]
        stream, clip = (
            row["stream_cpu_ms float32/1"],
            row["clip_per_frame_cpu_ms float32/1"],
        )
        cells += [f"{stream:.2f}", f"{clip:.2f}", f"{stream / clip:.2f}"]
        base = tsm.get((row["backbone"], row["size"]))
        for key in ("stream_ms float32/1", "stream_cpu_ms float32/1"):
            cells.append(f"{row[key] / base[key]:.3f}" if base else "–")
        cells += [f"{row['stream_MB float32']:.2f}", f"{row['stream_MB int8']:.2f}"]
        cells.append(
            f"{row['state_bytes float32'] / 1024:.1f} / "
            f"{row['state_bytes int8'] / 1024:.1f}"
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
