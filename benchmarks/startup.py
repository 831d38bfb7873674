"""Start-up of the `keras-action` command: `--help` and `predict` with a `.tflite`.

Each command runs as its own process, as a user starts it (`python -m
keras_action.cli`, what the `keras-action` script runs), `--repeats` times in
turn with the others, after one untimed warm-up round; the table gives the
median wall-clock and CPU (user + system) seconds of each. For scale it also
times `python -c pass` and `python -c "import tensorflow"`. `predict` runs an
exported float32 MobileNetV2 TSM (8×224², as deployed) on a 48-frame 720p
H.264 video written here (OpenCV, `mp4v` if no H.264 encoder).

Usage: python benchmarks/startup.py [--repeats 7]
Writes benchmarks/results/startup.json.
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "startup.json"


def write_model_and_video(folder):
    """An exported 8×224² TSM `.tflite` with labels, and a 720p video."""
    import cv2
    import numpy as np

    from keras_action.utils.console import quiet_tensorflow

    quiet_tensorflow()
    from keras_action import build_model
    from keras_action.export import to_tflite

    model = build_model("mobilenet_v2", "tsm", num_classes=27, num_segments=8)
    names = [f"class {index}" for index in range(27)]
    to_tflite(model, folder / "tsm.tflite", class_names=names)
    video = folder / "clip.mp4"
    writer = cv2.VideoWriter(
        str(video), cv2.VideoWriter_fourcc(*"mp4v"), 24, (1280, 720)
    )
    rng = np.random.default_rng(0)
    for _ in range(48):
        writer.write(rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8))
    writer.release()
    return folder / "tsm.tflite", video


def run_once(command):
    """Wall and CPU seconds of one run of `command` (a list)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs each")
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        model, video = write_model_and_video(Path(folder))
        commands = {
            "python -c pass": [python, "-c", "pass"],
            "python -c 'import tensorflow'": [python, "-c", "import tensorflow"],
            "keras-action --help": [python, "-m", "keras_action.cli", "--help"],
            "keras-action predict (tflite, 720p mp4)": [
                python,
                "-m",
                "keras_action.cli",
                "predict",
                "--model",
                str(model),
                str(video),
            ],  # fmt: skip
        }
        times = {name: [] for name in commands}
        for round_ in range(args.repeats + 1):
            for name, command in commands.items():
                measured = run_once(command)
                if round_:  # the first round warms the file cache
                    times[name].append(measured)
    rows = []
    for name, runs in times.items():
        walls, cpus = zip(*runs, strict=True)
        rows.append(
            {
                "command": name,
                "wall_median_s": round(statistics.median(walls), 3),
                "wall_min_s": round(min(walls), 3),
                "wall_max_s": round(max(walls), 3),
                "cpu_median_s": round(statistics.median(cpus), 3),
            }
        )
    print(f"| command | wall median (min–max) | CPU median |  ({args.repeats} runs)")
    print("|---|---|---|")
    for row in rows:
        print(
            f"| {row['command']} | {row['wall_median_s']:.2f} s "
            f"({row['wall_min_s']:.2f}–{row['wall_max_s']:.2f}) | "
            f"{row['cpu_median_s']:.2f} s |"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "repeats": args.repeats,
                "python": platform.python_version(),
                "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
                "results": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
