"""Fuzzing the annotation readers: whatever a file holds, it either parses or
raises an `AnnotationError` naming that file (and a line inside it); no other
exception escapes."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keras_action import data
from keras_action.data import AnnotationError

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
# Pieces that matter to the parsers, mixed with arbitrary text and bytes.
TOKENS = st.sampled_from(
    [
        "\ufeff", "\n", "\r\n", "\r", ",", ";", '"', " ", "\t", "\x00", "0", "1",
        "10", "83", "99999999999", "-1", "²", "٣", "1_0", "path,label", "label",
        "class,start,end", "Swiping Left", "Swiping Right", "[", "]", "{", "}",
        ":", "a.mp4", "x.jpg", ".", "..", "/", "é", "\u2028",
    ]
)  # fmt: skip
TEXT = st.lists(st.one_of(TOKENS, st.text(max_size=8)), max_size=40).map("".join)
CONTENT = st.one_of(TEXT.map(str.encode), st.binary(max_size=200))
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.sampled_from(["A", "B", "Pushing [x]", "0", "1", "1.5", "", "²"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["id", "template", "A", "B"]), inner)
    ),
    max_leaves=12,
)
JSON_TEXT = st.one_of(
    JSON_VALUES.map(lambda value: json.dumps(value, indent=1).encode()), CONTENT
)


def check(load, files, folder=None):
    """Writes `{path: bytes}` and runs `load`; an error must be an
    `AnnotationError` naming one of the files and a line inside it (or, for
    a dataset without any annotation, the annotations' `folder`)."""
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    contents = {str(path): content for path, content in files.items()}
    try:
        load()
    except AnnotationError as error:
        if folder is not None and error.path == str(folder):
            assert error.line is None and "no annotations" in str(error)
            return
        assert error.path in contents, error
        assert str(error).startswith(error.path)
        if error.line is not None:
            assert 1 <= error.line <= contents[error.path].count(b"\n") + 1, error


@SETTINGS
@given(labels=CONTENT, train=CONTENT, test=CONTENT)
def test_jester(tmp_path, labels, train, test):
    files = {
        tmp_path / "jester-v1-labels.csv": labels,
        tmp_path / "jester-v1-train.csv": train,
        tmp_path / "jester-v1-test.csv": test,
    }
    check(lambda: data.list_jester(tmp_path, "train"), files)
    check(lambda: data.list_jester(tmp_path, "test"), files)


@SETTINGS
@given(labels=JSON_TEXT, train=JSON_TEXT, test=JSON_TEXT)
def test_something_something_v2(tmp_path, labels, train, test):
    # Each split has its file: a missing one is another (tested) error.
    files = {
        tmp_path / "labels.json": labels,
        tmp_path / "train.json": train,
        tmp_path / "test.json": test,
    }
    check(lambda: data.list_something_something_v2(tmp_path, "train"), files)
    check(lambda: data.list_something_something_v2(tmp_path, "test"), files)


@SETTINGS
@given(rows=CONTENT)
def test_egogesture(tmp_path, rows):
    group = tmp_path / "labels-final-revised1/subject03/Scene1/Group1.csv"
    load = lambda: data.list_egogesture(tmp_path, subjects=[3])  # noqa: E731
    check(load, {group: rows}, folder=tmp_path / "labels-final-revised1")


@SETTINGS
@given(rows=CONTENT, names=st.none() | st.just(["0", "1", "wave"]))
def test_video_csv(tmp_path, rows, names):
    csv = tmp_path / "list.csv"
    check(lambda: data.list_videos(csv, class_names=names), {csv: rows})
