"""Extract the frames of video files into Jester-layout JPEG folders.

Usage::

    python -m keras_action.data.extract_frames VIDEO_OR_FOLDER... -o OUTPUT
        [--short-side 256] [--quality 90] [--workers 2] [--overwrite]

Each video `<name>.<ext>` becomes `OUTPUT/<name>/00001.jpg, 00002.jpg, …`,
which `load_jester`-style pipelines decode in the `tf.data` graph, much faster
than decoding videos. Folders are searched (not recursively) for videos.
Videos that cannot be decoded, or whose stream is damaged (see
`keras_action.data.decode`: the policy of the pipelines and of
`keras-action predict`), are reported and leave no folder behind; the exit
status is 1 if any failed.
"""

import argparse
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2

from keras_action.data import decode
from keras_action.data.errors import DataError
from keras_action.data.samples import VIDEO_EXTENSIONS
from keras_action.utils.console import quiet_tensorflow


def extract_video(video, folder, short_side=None, quality=90):
    """Writes every frame of `video` as `folder/00001.jpg…`.

    Args:
        video: a video file.
        folder: output frame folder (created; removed again on failure).
        short_side: resize frames so the shorter side has this many pixels.
        quality: JPEG quality.

    Returns:
        The number of frames written.

    Raises:
        VideoDecodeError: undecodable or damaged video.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    count = 0
    try:
        for count, frame in enumerate(decode.iter_frames(video), start=1):
            if short_side:
                height, width = frame.shape[:2]
                scale = short_side / min(height, width)
                size = (max(round(width * scale), 1), max(round(height * scale), 1))
                frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
            if not cv2.imwrite(str(folder / f"{count:05d}.jpg"), frame, params):
                raise DataError(f"{folder}: cannot write frame {count}")
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return count


def find_videos(inputs):
    """Video files among `inputs` (files, or folders searched one level deep),
    each once even when named twice."""
    videos = {}
    for item in map(Path, inputs):
        if item.is_dir():
            found = sorted(
                p for p in item.iterdir() if p.suffix.lower() in VIDEO_EXTENSIONS
            )
        else:
            found = [item]
        for video in found:
            videos.setdefault(video.resolve(), video)
    return list(videos.values())


def output_names(videos):
    """The output folder name of each video, checked for collisions.

    Raises:
        DataError: two videos would share a folder (`a/x.mp4` and `b/x.mov`),
            listing them. Names differing only in case collide too, since the
            output may be on a case-insensitive file system.
    """
    owners = {}
    for video in videos:
        owners.setdefault(video.stem.casefold(), []).append(video)
    clashes = [group for group in owners.values() if len(group) > 1]
    if clashes:
        listed = "; ".join(" and ".join(map(str, group)) for group in clashes)
        raise DataError(
            f"videos would share an output folder: {listed}; rename them or "
            "extract them into different folders"
        )
    return [video.stem for video in videos]


def extract_all(
    videos, output, short_side=None, quality=90, workers=2, overwrite=False
):
    """Extracts many videos in parallel threads, with a progress bar.

    Returns:
        `(frames written per extracted video name, {video: error message})`;
        each message names its video.

    Raises:
        DataError: two videos would share an output folder (checked before
            any work starts).
    """
    output_names(videos)
    import keras  # its backend, TensorFlow, takes seconds to import

    output = Path(output)
    progress = keras.utils.Progbar(len(videos), unit_name="video")
    done, failed = {}, {}

    def work(video):
        folder = output / video.stem
        if folder.is_dir() and any(folder.iterdir()) and not overwrite:
            return video, None, f"{video}: {folder} exists (use --overwrite)"
        if overwrite and folder.exists():
            shutil.rmtree(folder)
        try:
            return video, extract_video(video, folder, short_side, quality), None
        except (OSError, DataError) as error:
            # Data errors and OSErrors with a file name already name the file.
            message = str(error)
            return (
                video,
                None,
                message if str(video) in message else f"{video}: {message}",
            )

    with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
        for video, count, error in pool.map(work, videos):
            if error is None:
                done[video.stem] = count
            else:
                failed[str(video)] = error
            progress.add(1)
    return done, failed


def main(argv=None):
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m keras_action.data.extract_frames",
        description="Extract video frames into Jester-layout JPEG folders.",
    )
    parser.add_argument("inputs", nargs="+", help="video files or folders of videos")
    parser.add_argument("-o", "--output", required=True, help="output folder")
    parser.add_argument(
        "--short-side", type=int, default=None, help="resize shorter side"
    )
    parser.add_argument(
        "--quality", type=int, default=90, help="JPEG quality (default 90)"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="parallel videos (default 2)"
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace existing folders"
    )
    args = parser.parse_args(argv)
    quiet_tensorflow()
    videos = find_videos(args.inputs)
    if not videos:
        parser.error("no video files found")
    try:
        output_names(videos)
    except DataError as error:
        parser.error(str(error))
    done, failed = extract_all(
        videos, args.output, args.short_side, args.quality, args.workers, args.overwrite
    )
    frames = sum(done.values())
    print(f"extracted {len(done)} video(s), {frames} frames, into {args.output}")
    for error in failed.values():
        print(f"failed: {error}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
