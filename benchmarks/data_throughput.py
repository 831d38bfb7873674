"""Throughput of the training data pipeline versus this machine's decoding floor.

Writes a Jester-layout JPEG dataset (rendered clips at Jester's real frame
size: 100 px high, 176 px wide, 30-40 frames), then alternately measures

* pipeline: `keras_action.data.load_jester(..., training=True)` at 8 segments
  and 224², i.e. sampling, multi-scale crops, resizing and batching;
* floor: the same number of frames (8 per clip) of the same folders read,
  decoded with `tf.io.decode_jpeg` and resized to 224² with `tf.image.resize`
  in a parallel `tf.data` map, with nothing else;

and prints clips per second (medians of the repeats) and their ratio, then
writes them to `benchmarks/results/data_throughput.json`.

Usage: python benchmarks/data_throughput.py [--clips 480] [--repeats 9]
"""

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402

from keras_action import data  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "data_throughput.json"
FRAME_SIZE = (100, 176)  # Jester frames: 100 px high, about 176 px wide
SEGMENTS = 8
IMAGE_SIZE = 224
BATCH_SIZE = 32


def floor_dataset(root):
    """Read + decode + resize of 8 frames per clip, nothing else."""
    samples = data.list_jester(root, "train")
    paths = []
    for folder in samples.sources:
        count = len(os.listdir(folder))
        indices = data.segment_indices(count, SEGMENTS, training=False)[0].numpy()
        paths.append([f"{folder}/{i + 1:05d}.jpg" for i in indices])

    def load(clip_paths):
        frames = [
            tf.io.decode_jpeg(tf.io.read_file(clip_paths[i]), channels=3)
            for i in range(SEGMENTS)
        ]
        return tf.image.resize(tf.stack(frames), [IMAGE_SIZE, IMAGE_SIZE])

    dataset = tf.data.Dataset.from_tensor_slices(paths)
    return dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE)


def pipeline_dataset(root):
    """The training pipeline under test."""
    return data.load_jester(
        root,
        "train",
        num_segments=SEGMENTS,
        image_size=IMAGE_SIZE,
        training=True,
        batch_size=BATCH_SIZE,
    )


def measure(dataset, batched):
    """One full pass; returns (clips per second, CPU milliseconds per clip).

    CPU time of the whole process is the steadier figure when other jobs share
    the machine; wall-clock clips per second is the one that matters.
    """
    start, cpu = time.perf_counter(), time.process_time()
    clips = 0
    for element in dataset:
        clips += int(element[0].shape[0]) if batched else 1
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return clips / wall, 1000 * cpu / clips


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=480, help="clips in the dataset")
    parser.add_argument("--repeats", type=int, default=9, help="measured passes each")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        root = data.write_synthetic_jester(
            tmp,
            clips_per_class=args.clips // 8,
            num_frames=(30, 40),
            image_size=FRAME_SIZE,
            validation_fraction=0,
        )
        print(f"wrote {args.clips} clips in {time.perf_counter() - start:.1f} s")
        floor = floor_dataset(root)
        pipeline = pipeline_dataset(root)
        # Warm-up pass each: tracing, page cache, and the pipeline's frame counts.
        measure(floor, batched=False)
        measure(pipeline, batched=True)
        runs = {"pipeline": [], "floor": []}
        cpu = {"pipeline": [], "floor": []}
        for _ in range(args.repeats):  # interleaved, so both see the same load
            for name, dataset in (("pipeline", pipeline), ("floor", floor)):
                speed, cost = measure(dataset, batched=name == "pipeline")
                runs[name].append(speed)
                cpu[name].append(cost)

    medians = {name: statistics.median(values) for name, values in runs.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpu.items()}
    ratio = medians["pipeline"] / medians["floor"]
    cpu_ratio = cpu_medians["floor"] / cpu_medians["pipeline"]
    header = f"{'':10}{'clips/s median':>16}{'min':>8}{'max':>8}{'CPU ms/clip':>13}"
    print(header)
    for name, values in runs.items():
        print(
            f"{name:10}{medians[name]:16.1f}{min(values):8.1f}{max(values):8.1f}"
            f"{cpu_medians[name]:13.2f}"
        )
    print(f"ratio pipeline/floor (clips/s): {ratio:.2f} (target >= 0.80)")
    print(f"ratio floor/pipeline (CPU per clip): {cpu_ratio:.2f}")
    result = {
        "command": "python benchmarks/data_throughput.py",
        "clips": args.clips,
        "repeats": args.repeats,
        "frame_size_hw": FRAME_SIZE,
        "num_segments": SEGMENTS,
        "image_size": IMAGE_SIZE,
        "batch_size": BATCH_SIZE,
        "cpu_count": os.cpu_count(),
        "load_average_1min": [load_before, os.getloadavg()[0]],
        "platform": platform.platform(),
        "tensorflow": tf.__version__,
        "clips_per_second": runs,
        "median_clips_per_second": medians,
        "cpu_ms_per_clip": cpu,
        "median_cpu_ms_per_clip": cpu_medians,
        "ratio": ratio,
        "cpu_ratio": cpu_ratio,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
