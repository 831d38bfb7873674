"""The same model at another input size, for evaluation at a larger view."""

from keras_action.models.builder import MIN_IMAGE_SIZE


def with_image_size(model, image_size):
    """A copy of `model` that takes frames of `image_size`², with its weights.

    The backbones are convolutional up to a global average pool, so one set of
    weights serves every input size: the official test scripts evaluate
    networks trained on 224² crops on 256² ones. Every input layer of the
    model, and of the models nested in it (the per-frame backbone), gets the
    new height and width.

    Args:
        model: a model from `build_model` (or a `.keras` file of one).
        image_size: int, the new frame height and width.

    Returns:
        A new `keras.Model`; `model` itself is unchanged.

    Example:

    >>> from keras_action import build_model
    >>> model = build_model("mobilenet_v2", "tsm", num_classes=5,
    ...                     num_segments=4, image_size=32)
    >>> with_image_size(model, 64).input_shape
    (None, 4, 64, 64, 3)
    """
    if int(image_size) < MIN_IMAGE_SIZE:
        raise ValueError(
            f"image_size must be at least {MIN_IMAGE_SIZE}, got {image_size}"
        )
    config = model.get_config()
    _resize_inputs(config, int(image_size))
    resized = model.__class__.from_config(config)
    resized.set_weights(model.get_weights())
    return resized


def _resize_inputs(node, size):
    if isinstance(node, dict):
        if node.get("class_name") == "InputLayer":
            shape = node["config"]["batch_shape"]
            node["config"]["batch_shape"] = [*shape[:-3], size, size, shape[-1]]
        for value in node.values():
            _resize_inputs(value, size)
    elif isinstance(node, list):
        for value in node:
            _resize_inputs(value, size)
