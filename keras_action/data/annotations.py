"""Reading annotation files, with every problem an `AnnotationError` naming
the file and line.

All loaders read their annotation files through these helpers, so that one
policy holds for all of them (see docs/data.md, "Annotation files"): UTF-8
text with or without a byte-order mark (Excel's "CSV UTF-8" writes one);
lines counted at `\\n`; integers written in ASCII digits only; an id listed
twice is an error naming both lines.
"""

import csv
import json
import re
from pathlib import Path

from keras_action.data.errors import AnnotationError

_INTEGER = re.compile(r"[0-9]+")
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_JSON = json.JSONDecoder()


def read_text(path):
    """The text of an annotation file, without a leading byte-order mark.

    Raises:
        AnnotationError: the file is missing, unreadable or not UTF-8 (naming
            the line of the first byte that is not).
    """
    path = Path(path)
    if not path.is_file():
        raise AnnotationError(path, None, "annotation file not found")
    try:
        content = path.read_bytes()
    except OSError as error:
        raise AnnotationError(path, None, f"cannot read: {error}") from None
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content.count(b"\n", 0, error.start) + 1
        byte = content[error.start]
        raise AnnotationError(
            path, line, f"not UTF-8 text (byte 0x{byte:02x}); save it as UTF-8"
        ) from None


def read_lines(path):
    """`(line_number, text)` for the non-blank lines of a text file, stripped."""
    lines = read_text(path).split("\n")
    return [(n, line.strip()) for n, line in enumerate(lines, 1) if line.strip()]


def read_rows(path, delimiter=",", header=None):
    """`(line_number, fields)` for the non-blank rows of a delimited file.

    Fields follow CSV quoting (`"a,b"` is one field) and are stripped; a row
    never spans lines.

    Args:
        path: the file.
        delimiter: the field separator.
        header: column names; a first row equal to them (ignoring case) is
            skipped.
    """
    rows = []
    for line, text in read_lines(path):
        try:
            fields = next(csv.reader([text], delimiter=delimiter))
        except csv.Error as error:
            raise AnnotationError(path, line, f"does not parse: {error}") from None
        fields = [field.strip() for field in fields]
        if not rows and header and [f.lower() for f in fields] == list(header):
            continue
        rows.append((line, fields))
    return rows


def parse_index(text):
    """`int(text)` for a string of ASCII digits, else `None`.

    Python's `int` also takes `"1_000"`, `" 7"` and non-ASCII digits such as
    `"٣"`; annotation files do not mean those as numbers.
    """
    return int(text) if isinstance(text, str) and _INTEGER.fullmatch(text) else None


def check_unique(path, entries):
    """Raises on an id listed twice.

    Args:
        path: the annotation file.
        entries: `(line, id, label)` triples.

    Raises:
        AnnotationError: at the second occurrence, naming the first's line and,
            when they differ, both labels.
    """
    seen = {}
    for line, key, label in entries:
        if key not in seen:
            seen[key] = (line, label)
            continue
        first_line, first_label = seen[key]
        if first_label != label:
            reason = (
                f"{key!r} is listed again with another label "
                f"({first_label!r} on line {first_line}, {label!r} here)"
            )
        else:
            reason = f"{key!r} is listed twice (also on line {first_line})"
        raise AnnotationError(path, line, reason)


def read_class_list(path):
    """Class names, one per line, in file order (that order defines the indices)."""
    names, lines = [], {}
    for number, name in read_lines(path):
        if name in lines:
            raise AnnotationError(
                path, number, f"class {name!r} listed twice (also line {lines[name]})"
            )
        lines[name] = number
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


def read_json_entries(path, kind):
    """The members of a JSON file's top-level list or object, with their lines.

    JSON parsers keep no line numbers, so the top level is walked here and
    each member decoded on its own. Unlike `json.load`, an object's repeated
    keys are all returned (`json.load` keeps the last one silently).

    Args:
        path: the file.
        kind: `list` or `dict`, the expected top-level container.

    Returns:
        `(line, value)` pairs for a list; `(line, key, value)` for an object,
        `line` being where the member starts.

    Raises:
        AnnotationError: invalid JSON, nesting too deep, or another top level.
    """
    reader = _JsonReader(path)
    return reader.members(kind)


class _JsonReader:
    """Walks one JSON text, turning every failure into an `AnnotationError`."""

    def __init__(self, path):
        self.path = path
        self.text = read_text(path)
        self._line, self._at = 1, 0

    def line(self, position):
        """1-based line of `position`; positions mostly grow, so count onwards."""
        if position < self._at:
            self._line, self._at = 1, 0
        self._line += self.text.count("\n", self._at, position)
        self._at = position
        return self._line

    def error(self, position, reason):
        return AnnotationError(self.path, self.line(position), reason)

    def skip(self, position):
        return _JSON_SPACE.match(self.text, position).end()

    def expect(self, position, token):
        """Position after `token` (and whitespace), or an error."""
        if not self.text.startswith(token, position):
            raise self.error(position, f"invalid JSON: expected {token!r}")
        return self.skip(position + 1)

    def value(self, position):
        """`(value, end)` of the JSON value at `position`."""
        try:
            return _JSON.raw_decode(self.text, position)
        except json.JSONDecodeError as error:
            raise AnnotationError(
                self.path, error.lineno, f"invalid JSON: {error.msg}"
            ) from None
        except RecursionError:
            raise self.error(position, "JSON nested too deeply") from None
        except ValueError as error:  # e.g. an integer of thousands of digits
            raise self.error(position, f"invalid JSON: {error}") from None

    def members(self, kind):
        opener, closer = ("[", "]") if kind is list else ("{", "}")
        position = self.skip(0)
        if not self.text.startswith(opener, position):
            self.value(position)  # reports invalid JSON where it is
            container = "list" if kind is list else "object"
            raise self.error(position, f"expected a JSON {container}")
        position = self.skip(position + 1)
        members = []
        while not self.text.startswith(closer, position):
            if members:
                position = self.expect(position, ",")
            start = position
            if kind is dict:
                key, position = self.value(position)
                if not isinstance(key, str):
                    raise self.error(start, "invalid JSON: keys must be strings")
                position = self.expect(self.skip(position), ":")
            value, position = self.value(position)
            line = self.line(start)
            members.append((line, key, value) if kind is dict else (line, value))
            position = self.skip(position)
        position = self.skip(position + 1)
        if position != len(self.text):
            raise self.error(position, "invalid JSON: extra data after the end")
        return members
