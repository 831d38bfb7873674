import keras
from keras import ops

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)
#: The BGR mean of the official BN-Inception models (TSN, TSM, GSM, ACTION-Net).
BN_INCEPTION_BGR_MEAN = (104.0, 117.0, 128.0)
MODES = ("tf", "caffe", "torch", "bninception")
BGR_MEANS = {"caffe": CAFFE_BGR_MEAN, "bninception": BN_INCEPTION_BGR_MEAN}


@keras.saving.register_keras_serializable(package="keras_action")
class PixelNormalization(keras.layers.Layer):
    """Normalises raw RGB pixels in [0, 255] inside the model.

    Putting the backbone's preprocessing in the graph lets the same file run on
    a device with no extra code. The modes are those of
    `keras.applications.*.preprocess_input`:

    - `"tf"`: scale to [-1, 1] (MobileNetV2).
    - `"caffe"`: RGB to BGR, then subtract the ImageNet BGR mean (Keras' ResNet).
    - `"torch"`: pixels / 255, then ImageNet mean and std (the official
      PyTorch code of TSN, TSM and ACTION-Net).
    - `"bninception"`: RGB to BGR, then subtract (104, 117, 128), with no
      scaling (the official code's BN-Inception input).

    Args:
        mode: one of `"tf"`, `"caffe"`, `"torch"`, `"bninception"`.
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: pixels in [0, 255], channels last, RGB, any integer or float
            dtype.

    Example:

    >>> pixels = keras.ops.full((1, 2, 2, 3), 255.0)
    >>> keras.ops.convert_to_numpy(PixelNormalization("tf")(pixels)[0, 0, 0])
    array([1., 1., 1.], dtype=float32)
    """

    def __init__(self, mode="tf", **kwargs):
        super().__init__(**kwargs)
        if mode not in MODES:
            raise ValueError(f"`mode` must be one of {MODES}; got {mode!r}.")
        self.mode = mode

    def call(self, inputs):
        pixels = ops.cast(inputs, self.compute_dtype)
        if self.mode == "tf":
            return pixels / 127.5 - 1.0
        if self.mode in BGR_MEANS:
            # Split and concatenated, not `ops.flip`: LiteRT's XNNPACK delegate
            # does not run REVERSE_V2.
            bgr = ops.concatenate(ops.split(pixels, 3, axis=-1)[::-1], axis=-1)
            return bgr - ops.convert_to_tensor(BGR_MEANS[self.mode], self.compute_dtype)
        mean = ops.convert_to_tensor(IMAGENET_MEAN, self.compute_dtype)
        std = ops.convert_to_tensor(IMAGENET_STD, self.compute_dtype)
        return (pixels / 255.0 - mean) / std

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["mode"] = self.mode
        return config
