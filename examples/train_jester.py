"""Train ACTION-Net (or TSM, TSN, ...) on Jester; `--demo` needs no dataset.

    python examples/train_jester.py --data-dir DATA --backbone mobilenet_v2 \
        --module action --segments 8 --image-size 224 --epochs 30 \
        --batch-size 64 --lr 0.01 --weights imagenet --output RUN
    python examples/train_jester.py --demo
"""

import sys

from keras_action.utils.console import quiet_tensorflow

quiet_tensorflow()  # before anything imports TensorFlow

from keras_action.training.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
