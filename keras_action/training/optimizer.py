import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_action")
class LayerwiseSGD(keras.optimizers.SGD):
    """SGD with momentum, per-layer learning-rate multipliers and raw-gradient clipping.

    As in the official TSN/TSM/ACTION-Net training:

    - the raw gradients are clipped to `global_clipnorm` before anything else
      (`clip_grad_norm_` before the step);
    - variables whose path starts with a key of `lr_multipliers` have their
      gradients scaled by its value, which for SGD with momentum is exactly a
      learning-rate multiplier (the official `fc_lr5`:
      `{"classifier/kernel": 5.0, "classifier/bias": 10.0}`);
    - the other biases have theirs scaled by `bias_multiplier` (the official
      policies' 2).

    Weight decay is not done here but by `keras_action.training.add_weight_decay`,
    as an L2 loss like PyTorch's coupled decay. Under a multi-replica strategy
    the clipping sees each replica's gradients, as Keras' own clipping does.

    Args:
        learning_rate: float, base learning rate.
        momentum: float. Defaults to 0.9.
        global_clipnorm: float or `None`. Defaults to 20, as TSM.
        lr_multipliers: dict of variable path prefix to multiplier; the
            first matching prefix wins.
        bias_multiplier: float, for the variables named `bias` that no prefix
            matches. Defaults to 1.
        **kwargs: other `keras.optimizers.SGD` arguments.

    Example:

    >>> optimizer = LayerwiseSGD(0.01, lr_multipliers={"classifier": 5.0})
    """

    def __init__(
        self,
        learning_rate=0.01,
        momentum=0.9,
        global_clipnorm=20.0,
        lr_multipliers=None,
        bias_multiplier=1.0,
        name="layerwise_sgd",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate, momentum=momentum, name=name, **kwargs
        )
        self.raw_clipnorm = global_clipnorm
        self.lr_multipliers = dict(lr_multipliers or {})
        self.bias_multiplier = float(bias_multiplier)

    def apply(self, grads, trainable_variables=None):
        variables = trainable_variables or self._trainable_variables
        grads = list(grads)
        if self.raw_clipnorm is not None:
            grads = _clip_by_global_norm(grads, self.raw_clipnorm)
        grads = [
            self._scale(grad, variable.path)
            for grad, variable in zip(grads, variables, strict=True)
        ]
        return super().apply(grads, trainable_variables)

    def _scale(self, grad, path):
        if grad is None:
            return grad
        for prefix, multiplier in self.lr_multipliers.items():
            if path.startswith(prefix):
                return grad * multiplier
        if path.endswith("/bias") and self.bias_multiplier != 1.0:
            return grad * self.bias_multiplier
        return grad

    def get_config(self):
        config = super().get_config()
        config.update(
            global_clipnorm=self.raw_clipnorm,
            lr_multipliers=self.lr_multipliers,
            bias_multiplier=self.bias_multiplier,
        )
        return config


def _clip_by_global_norm(grads, clip_norm):
    present = [g for g in grads if g is not None]
    norm = ops.sqrt(sum(ops.sum(ops.square(ops.cast(g, "float32"))) for g in present))
    scale = ops.minimum(1.0, clip_norm / ops.maximum(norm, 1e-12))
    return [None if g is None else g * ops.cast(scale, g.dtype) for g in grads]
