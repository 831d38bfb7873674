"""`train`: one training run, from a `TrainConfig` to a run directory."""

import dataclasses
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import keras
import tensorflow as tf

from keras_action import data
from keras_action.data.registry import DATASETS
from keras_action.models import build_model
from keras_action.models.initialization import (
    initialize_like_torchvision,
    zero_init_residual,
)
from keras_action.training import reports
from keras_action.training.backup import (
    BackupEachEpoch,
    BackupError,
    SettingsChanged,
    TrainingBackup,
    check_settings,
)
from keras_action.training.callbacks import (
    CheckSkippedSamples,
    EpochCSVLogger,
    EpochSummary,
    SaveBestModel,
    StepProgress,
    StopOnNaN,
    check_batches,
)
from keras_action.training.distribute import Worker, make_strategy
from keras_action.training.evaluation import classification_metrics, predict_scores
from keras_action.training.finetune import freeze_backbone, load_matching_weights
from keras_action.training.optimizer import LayerwiseSGD
from keras_action.training.recipe import (
    add_weight_decay,
    freeze_batch_norm_except_first,
    set_batch_norm_momentum,
    step_decay,
)
from keras_action.utils import atomic
from keras_action.utils.console import is_terminal

#: The whole dataset, as one worker sees it.
SINGLE_WORKER = Worker()


class RunExistsError(FileExistsError):
    """The output directory already holds a finished run."""


def train(config):
    """Trains a model as `config` says and writes the run directory.

    The directory receives `model.keras` (best validation top-1),
    `metrics.json`, `history.csv`, `logs/` (TensorBoard), `training_curves.png`
    and `confusion_matrix.png`. A run that was killed resumes from its last
    completed epoch when started again with the same configuration (see
    `keras_action.training.backup`); `metrics.json` is written last and marks
    the run finished.

    Returns:
        The content of `metrics.json` as a dict.

    Raises:
        RunExistsError: the run is finished and `config.overwrite` is off.
        SettingsChanged: the run is unfinished and was started with other
            settings (and `config.overwrite` is off).
        TrainingDataError: the training split makes no batch, or an epoch
            skipped more than `config.max_skipped` of its samples.
    """
    run = Path(config.output)
    worker = Worker.from_environment()
    if (run / "metrics.json").exists():
        if not config.overwrite:
            raise RunExistsError(
                f"{run} already holds a finished run (metrics.json); pass "
                "--overwrite to replace it or choose another --output."
            )
        if worker.is_chief:
            _clear_run(run)
    run.mkdir(parents=True, exist_ok=True)
    strategy = make_strategy(config.strategy, config.cpu_replicas)
    if config.mixed_precision != "none":
        keras.config.set_dtype_policy(f"mixed_{config.mixed_precision}")
    keras.utils.set_random_seed(config.seed)

    train_set = _dataset(config, "train", worker)
    check_batches(train_set.num_samples, config.batch_size // worker.count)
    validation_set = _dataset(config, "validation", worker)
    log = print if worker.is_chief and config.verbose else _silent
    settings = _settings(config, train_set.class_names)
    backup = _backup(run, worker)
    snapshot = _resume_point(config, run, backup, settings, worker)
    epochs_done = snapshot.epoch if snapshot else 0
    if worker.is_chief:
        _discard_unbacked_work(run, epochs_done)
    with strategy.scope():
        model = _compiled_model(config, len(train_set.class_names), log)
    if worker.is_chief and config.verbose:
        state = f"Resuming after epoch {epochs_done}" if snapshot else "Starting"
        print(f"{state}: {model.name} in {run}")
    if epochs_done < config.epochs:
        callbacks = _callbacks(config, run, worker, train_set)
        callbacks.append(BackupEachEpoch(backup, settings, snapshot))
        with warnings.catch_warnings():
            # Datasets that skip bad samples have no known length, which Keras
            # reports at every epoch's end as "ran out of data"; it is expected.
            warnings.filterwarnings("ignore", message="Your input ran out of data")
            model.fit(
                train_set,
                validation_data=validation_set,
                epochs=config.epochs,
                callbacks=callbacks,
                # Keras prints only the bar of `StepProgress`, on terminals.
                verbose=int(_shows_progress(config, worker)),
                shuffle=False,  # the pipeline shuffles
            )
    metrics = None
    if worker.is_chief:
        metrics = _report(config, run, strategy.num_replicas_in_sync, train_set.skipped)
    # Only now that the run is finished is its backup no longer needed.
    backup.remove()
    return metrics


def _config_dict(config):
    return {**dataclasses.asdict(config), "lr_steps": list(config.lr_steps)}


def _settings(config, class_names):
    """What the run trains, as its backups record it."""
    return {**_config_dict(config), "class_names": list(class_names)}


def _backup(run, worker):
    """The chief backs up into the run; other workers into a temporary folder."""
    if worker.is_chief:
        return TrainingBackup(run / "backup")
    return TrainingBackup(
        Path(tempfile.gettempdir()) / f"keras_action_{os.getpid()}_backup"
    )


def _resume_point(config, run, backup, settings, worker):
    """The backup to resume from, or `None` to start from the first epoch.

    A backup that cannot be read or was made with other settings is an error,
    unless `--overwrite` asks to start the run over.
    """
    try:
        snapshot = backup.latest()
        if snapshot is not None:
            check_settings(snapshot, settings, run)
        return snapshot
    except (BackupError, SettingsChanged):
        if not config.overwrite:
            raise
    if worker.is_chief:
        _clear_run(run)
    return None


def _discard_unbacked_work(run, epochs_done):
    """Removes what a killed run wrote after its last backup.

    Its rows of `history.csv` for later epochs (which will be trained again)
    and the temporary files and backups of interrupted writes.
    """
    reports.truncate_history(run / "history.csv", epochs_done)
    for folder in (run, run / "backup"):
        for partial in folder.glob(f"{atomic.PARTIAL_PREFIX}*"):
            if partial.is_dir():
                shutil.rmtree(partial, ignore_errors=True)
            else:
                partial.unlink(missing_ok=True)


#: What a run writes; `--overwrite` removes these and nothing else.
RUN_FILES = (
    "metrics.json",  # first: a run stops being "finished" before anything goes
    "model.keras",
    "history.csv",
    "training_curves.png",
    "confusion_matrix.png",
)
RUN_FOLDERS = ("logs", "backup")


def _clear_run(run):
    for name in RUN_FILES:
        (run / name).unlink(missing_ok=True)
    for name in RUN_FOLDERS:
        shutil.rmtree(run / name, ignore_errors=True)


def _dataset(config, split, worker=SINGLE_WORKER):
    """One split, this worker's share of it, batched for this worker."""
    lister, flip_default = DATASETS[config.dataset]
    if config.batch_size % worker.count:
        raise ValueError(
            f"--batch-size {config.batch_size} is not divisible by the "
            f"{worker.count} workers."
        )
    training = split == "train"
    flip = flip_default if config.flip is None else config.flip
    samples = _shard(lister(config.data_dir, split), worker)
    dataset = data.build_dataset(
        samples,
        num_segments=config.segments,
        image_size=config.image_size,
        training=training,
        batch_size=config.batch_size // worker.count,
        flip=flip and training,
        seed=config.seed,
        # Keras averages a first batch across workers, and collective ops
        # cannot reduce uint8.
        dtype="float32" if worker.count > 1 else "uint8",
        frame_stride=config.frame_stride,
        crop_area=config.crop_area,
        crop_scales=config.crop_scales,
        name=split,
    )
    # Each worker already reads only its own files.
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.OFF
    )
    sharded = dataset.with_options(options)
    sharded.class_names, sharded.skipped = dataset.class_names, dataset.skipped
    # Training drops the last partial batch; skipped samples can make it fewer.
    sharded.steps = len(samples) // (config.batch_size // worker.count)
    sharded.num_samples = len(samples)
    return sharded


def _shard(samples, worker):
    """Each worker reads its own share of the files, so no file is read twice."""
    if worker.count == 1:
        return samples
    fields = {
        field.name: getattr(samples, field.name)[worker.index :: worker.count]
        for field in dataclasses.fields(samples)
        if field.name in ("sources", "labels", "first_frames", "num_frames")
        and getattr(samples, field.name) is not None
    }
    return dataclasses.replace(samples, **fields)


def _compiled_model(config, num_classes, log=None):
    weights = None if config.weights in (None, "none") else config.weights
    model = build_model(
        config.backbone,
        config.module,
        num_classes=num_classes,
        num_segments=config.segments,
        image_size=config.image_size,
        weights=weights,
        dropout=config.dropout,
        normalization=config.normalization,
        causal=config.causal,
        alpha=config.alpha,
    )
    # With --init-from every matching kernel is overwritten: no start to set.
    random_start = weights is None and not config.init_from
    if random_start and config.initializer == "torchvision":
        initialize_like_torchvision(model, seed=config.seed)
    if random_start and config.zero_init_residual:
        zero_init_residual(model)
    set_batch_norm_momentum(model, config.bn_momentum)
    if config.init_from:
        for line in load_matching_weights(model, config.init_from).lines():
            (log or _silent)(line)
    if config.freeze_backbone:
        freeze_backbone(model)
    if config.partial_bn:
        freeze_batch_norm_except_first(model)
    add_weight_decay(model, config.weight_decay)
    model.compile(
        optimizer=_optimizer(config),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[
            keras.metrics.SparseCategoricalAccuracy(name="top1"),
            keras.metrics.SparseTopKCategoricalAccuracy(k=5, name="top5"),
        ],
        jit_compile=config.jit_compile,
    )
    return model


def _optimizer(config):
    if config.optimizer == "adam":
        return keras.optimizers.Adam(
            config.lr, global_clipnorm=config.clip_gradient or None
        )
    classifier = {}
    if config.fc_lr5:
        bias = 10.0 if config.bias_lr2 else 5.0
        classifier = {"classifier/kernel": 5.0, "classifier/bias": bias}
    return LayerwiseSGD(
        config.lr,
        momentum=config.momentum,
        global_clipnorm=config.clip_gradient or None,
        lr_multipliers=classifier,
        bias_multiplier=2.0 if config.bias_lr2 else 1.0,
    )


def _shows_progress(config, worker):
    return bool(config.verbose) and worker.is_chief and is_terminal()


def _callbacks(config, run, worker, train_set):
    """Checks first, then files and pictures from the chief only.

    The caller appends the backup, so that it comes after the epoch's CSV row
    and checkpoint: a run killed between them repeats that epoch on resume
    (its row, written again, replaces the first) rather than losing its row.
    """
    callbacks = [
        StopOnNaN(),
        CheckSkippedSamples(
            train_set.num_samples, train_set.skipped, config.max_skipped
        ),
        keras.callbacks.LearningRateScheduler(step_decay(config.lr, config.lr_steps)),
    ]
    if _shows_progress(config, worker):
        callbacks.append(
            StepProgress(train_set.steps)
        )  # erased before the epoch's line
    if worker.is_chief:
        callbacks += [
            SaveBestModel(run / "model.keras", "val_top1", best=_best_so_far(run)),
            EpochCSVLogger(str(run / "history.csv"), append=True),
            keras.callbacks.TensorBoard(str(run / "logs")),
            EpochSummary(config.epochs, print_fn=print if config.verbose else _silent),
        ]
    return callbacks


def _best_so_far(run):
    """A resumed run only replaces `model.keras` with a better model."""
    history = run / "history.csv"
    if not (run / "model.keras").exists() or not history.exists():
        return None
    return reports.best_value(reports.read_history(history))


def _silent(*args):
    pass


def _report(config, run, replicas, train_skipped):
    """Evaluates the best model on the whole validation split and writes the files."""
    validation_set = _dataset(config, "validation")
    class_names = validation_set.class_names
    history = reports.read_history(run / "history.csv")
    best = keras.saving.load_model(run / "model.keras")
    scores, labels = predict_scores(best.predict_on_batch, validation_set)
    evaluation = classification_metrics(scores, labels, class_names)
    metrics = {
        "val_top1": evaluation["top1"],
        "val_top5": evaluation["top5"],
        "epochs_completed": len(history),
        "replicas": int(replicas),
        "skipped_samples": {
            "train": int(train_skipped.count),
            "validation": int(validation_set.skipped.count),
        },
        "history": history,
        "config": _config_dict(config),
        "class_names": list(class_names),
        "per_class": evaluation["per_class"],
        "confusion": evaluation["confusion"],
    }
    reports.plot_training_curves(history, run / "training_curves.png")
    reports.plot_confusion_matrix(
        evaluation["confusion"], class_names, run / "confusion_matrix.png"
    )
    reports.write_json(run / "metrics.json", metrics)  # last: the run is finished
    return metrics
