"""Evaluate a trained model (.keras or .tflite) on a dataset split.

    python examples/evaluate.py --model RUN/model.keras --data-dir DATA \
        --split validation --clips 2 --crops 3
"""

import sys

from keras_action.utils.console import quiet_tensorflow

quiet_tensorflow()  # before anything imports TensorFlow

from keras_action.training.cli import evaluate_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(evaluate_main())
