"""Scores of a model over a dataset, and the accuracy figures made from them."""

from pathlib import Path

import numpy as np

from keras_action.data.views import EVAL_CROP_FRACTION
from keras_action.utils.numerics import softmax


def predict_scores(predict, dataset):
    """Class probabilities per video, averaged over its views (clips × crops).

    Args:
        predict: `clips (B, T, H, W, 3) -> logits (B, K)`, e.g.
            `model.predict_on_batch`.
        dataset: yields `(clips, labels)`, clips `(B, T, H, W, 3)` or
            `(B, V, T, H, W, 3)` for V views per video.

    Returns:
        `(scores (N, K), labels (N,))` as NumPy arrays.
    """
    scores, labels = [], []
    for clips, batch_labels in dataset:
        clips = np.asarray(clips)
        views = clips.shape[1] if clips.ndim == 6 else 1
        flat = clips.reshape(-1, *clips.shape[-4:])
        probabilities = softmax(np.asarray(predict(flat), dtype="float64"))
        scores.append(probabilities.reshape(len(clips), views, -1).mean(axis=1))
        labels.append(np.asarray(batch_labels))
    if not scores:
        raise ValueError("The evaluation dataset yielded no clips.")
    return np.concatenate(scores), np.concatenate(labels)


def classification_metrics(scores, labels, class_names):
    """Top-1, top-5, per-class accuracy and the confusion matrix.

    Returns:
        A dict: `top1`, `top5` (fractions), `per_class` (class name ->
        accuracy, or `None` for classes with no sample), `confusion` (rows:
        true class, columns: predicted), `num_samples`.
    """
    num_classes = len(class_names)
    if scores.shape[1] != num_classes:
        raise ValueError(
            f"the model scores {scores.shape[1]} classes, the dataset has "
            f"{num_classes}: a model must be evaluated on the classes it learnt"
        )
    outside = (labels < 0) | (labels >= num_classes)
    if outside.any():
        raise ValueError(
            f"{int(outside.sum())} of {len(labels)} clips have no label in "
            f"0..{num_classes - 1} (test splits are unlabelled); accuracy needs labels"
        )
    ranked = np.argsort(-scores, axis=1)
    top1 = ranked[:, 0] == labels
    top5 = (ranked[:, :5] == labels[:, None]).any(axis=1)
    confusion = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(confusion, (labels, ranked[:, 0]), 1)
    totals = confusion.sum(axis=1)
    per_class = {
        name: (float(confusion[i, i] / totals[i]) if totals[i] else None)
        for i, name in enumerate(class_names)
    }
    return {
        "top1": float(top1.mean()),
        "top5": float(top5.mean()),
        "per_class": per_class,
        "confusion": confusion.tolist(),
        "num_samples": int(len(labels)),
    }


def load_predictor(path, image_size=None):
    """`(predict, num_segments, image_size, num_classes)` for a `.keras` or
    `.tflite` model.

    `predict` maps clips `(B, T, H, W, 3)` to logits `(B, K)`. With
    `image_size`, a `.keras` model is rebuilt to take frames of that size
    (`keras_action.models.with_image_size`); a `.tflite` file's size is fixed.
    """
    path = str(path)
    if path.endswith(".tflite"):
        from keras_action.runtime import LiteRTRunner

        runner = LiteRTRunner(path)
        if image_size not in (None, runner.image_size):
            raise ValueError(
                f"{path} takes {runner.image_size}² frames, fixed in the file: "
                f"export the model at {image_size}² to evaluate it there"
            )

        def predict(clips):
            return np.concatenate([runner(clip) for clip in clips])

        return predict, runner.num_segments, runner.image_size, runner.num_classes
    import keras

    model = keras.saving.load_model(path)
    if image_size is not None and image_size != model.input_shape[2]:
        from keras_action.models import with_image_size

        model = with_image_size(model, image_size)
    _, segments, size, _, _ = model.input_shape
    return model.predict_on_batch, segments, size, model.output_shape[-1]


def evaluate(
    model_path,
    data_dir,
    *,
    dataset="jester",
    split="validation",
    num_clips=1,
    num_crops=1,
    batch_size=8,
    output=None,
    frame_stride=None,
    image_size=None,
    crop_fraction=EVAL_CROP_FRACTION,
):
    """Evaluates a `.keras` or `.tflite` model on a dataset split.

    K clips × 1 or 3 crops per video, softmax scores averaged over them. Writes
    `metrics.json` and `confusion_matrix.png` to `output` (default: a folder
    `eval_<split>` beside the model). `frame_stride` samples densely (the
    stride a model trained with `--frame-stride` expects); `None`: TSN.
    `image_size` evaluates a `.keras` model at another frame size than it was
    built for, and `crop_fraction` sets the crops' side relative to the
    shorter side (default 224/256). The official test scripts' views are
    `num_clips=10, num_crops=3, image_size=256, crop_fraction=1`: three 256²
    crops of frames scaled to a shorter side of 256, ten clips.

    Returns:
        The metrics dict (`top1`, `top5`, `per_class`, `confusion`, ...), and
        `output`, the folder of the two files.

    Raises:
        ValueError: the split has unlabelled clips (e.g. "test": there is no
            accuracy to report; `keras-action predict` classifies clips), or
            the model's class count differs from the dataset's. Both are
            checked before any clip is read.
    """
    from keras_action import data
    from keras_action.data.registry import DATASETS
    from keras_action.training import reports

    if not Path(model_path).is_file():
        raise FileNotFoundError(f"{model_path}: no such model file")
    lister, _ = DATASETS[dataset]
    samples = lister(data_dir, split)
    unlabelled = sum(label < 0 for label in samples.labels)
    if unlabelled:
        raise ValueError(
            f"split {split!r} of {data_dir} has {unlabelled} unlabelled clip(s) of "
            f"{len(samples)}: there is no accuracy to report; use "
            "`keras-action predict` to classify them"
        )
    predict, segments, size, num_classes = load_predictor(model_path, image_size)
    if num_classes != len(samples.class_names):
        raise ValueError(
            f"{model_path} scores {num_classes} classes but {dataset} ({data_dir}) "
            f"has {len(samples.class_names)}: evaluate a model on the dataset it "
            "was trained for"
        )
    clips = data.build_dataset(
        samples,
        num_segments=segments,
        image_size=size,
        training=False,
        batch_size=batch_size,
        num_clips=num_clips,
        num_crops=num_crops,
        frame_stride=frame_stride,
        name=split,
        crop_fraction=crop_fraction,
    )
    scores, labels = predict_scores(predict, clips)
    metrics = classification_metrics(scores, labels, samples.class_names)
    metrics.update(
        model=str(model_path),
        split=split,
        clips=num_clips,
        crops=num_crops,
        image_size=size,
        crop_fraction=crop_fraction,
        skipped_samples=int(clips.skipped.count),
        class_names=list(samples.class_names),
    )
    output = Path(output) if output else Path(model_path).parent / f"eval_{split}"
    output.mkdir(parents=True, exist_ok=True)
    reports.write_json(output / "metrics.json", metrics)
    reports.plot_confusion_matrix(
        metrics["confusion"], samples.class_names, output / "confusion_matrix.png"
    )
    return {**metrics, "output": str(output)}
