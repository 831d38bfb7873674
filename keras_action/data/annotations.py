"""Helpers for reading annotation files with errors that name file and line."""

from pathlib import Path

from keras_action.data.errors import AnnotationError


def read_lines(path):
    """Yields `(line_number, text)` for the non-blank lines of a text file.

    Raises:
        AnnotationError: when the file does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise AnnotationError(path, None, "annotation file not found")
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            text = line.strip()
            if text:
                yield number, text


def read_class_list(path):
    """Class names, one per line, in file order (that order defines the indices)."""
    names = []
    for number, name in read_lines(path):
        if name in names:
            raise AnnotationError(path, number, f"class {name!r} listed twice")
        names.append(name)
    if not names:
        raise AnnotationError(path, None, "no class listed")
    return names


def class_index(lookup, name, path, line):
    """`lookup[name]`, or an `AnnotationError` saying the class is unknown."""
    try:
        return lookup[name]
    except KeyError:
        raise AnnotationError(
            path, line, f"class {name!r} is not in the labels"
        ) from None
