"""Training and evaluation with `model.fit` and `tf.distribute`, the official recipe."""

from keras_action.utils.lazy import lazy_attributes

# Loading a trained model needs only `optimizer` and `recipe` registered, not
# the trainer: names load on first use.
__getattr__, __dir__ = lazy_attributes(
    __name__,
    {
        "SCHEDULES": "recipe",
        "LayerwiseSGD": "optimizer",
        "TrainConfig": "config",
        "add_weight_decay": "recipe",
        "classification_metrics": "evaluation",
        "freeze_batch_norm_except_first": "recipe",
        "predict_scores": "evaluation",
        "set_batch_norm_momentum": "recipe",
        "step_decay": "recipe",
        "train": "trainer",
    },
)
__all__ = __dir__()
