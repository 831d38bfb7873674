"""Errors raised by the data loaders; each names the file (and line) at fault."""


class DataError(ValueError):
    """Base class for input problems found by `keras_action.data`."""


class AnnotationError(DataError):
    """An annotation file has a line that does not parse or names an unknown class.

    Args:
        path: the annotation file.
        line: 1-based line number (`None` when the problem concerns the whole file).
        reason: what is wrong.
    """

    def __init__(self, path, line, reason):
        self.path = str(path)
        self.line = line
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {reason}")


class VideoDecodeError(DataError):
    """A video that OpenCV cannot open or decode, or whose stream is damaged."""

    def __init__(self, path, reason):
        self.path = str(path)
        super().__init__(f"{self.path}: {reason}")
