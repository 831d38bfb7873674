"""Annotation files as users really write them: BOMs, headers, encodings,
duplicates, odd numbers and deep JSON. Every problem is an `AnnotationError`
naming the file and line."""

import json

import pytest

from keras_action import data
from keras_action.data import AnnotationError, annotations
from tests.data.conftest import make_jester
from tests.data.test_data_egogesture import make_egogesture

BOM = "\ufeff"


def write(path, text, encoding="utf-8"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def test_excel_csv_with_bom_header_and_integer_labels(tmp_path):
    # Excel's "CSV UTF-8": BOM, header, labels 0, 1, 2, 10 sorted as numbers.
    csv = write(
        tmp_path / "list.csv",
        BOM + "path,label\r\na.mp4,0\r\nb.mp4,1\r\nc.mp4,2\r\nd.mp4,10\r\n",
    )
    samples = data.list_videos(csv)
    assert samples.class_names == [str(i) for i in range(11)]
    assert samples.labels == [0, 1, 2, 10]
    assert samples.sources[0].endswith("a.mp4")


def test_bom_in_every_reader(tmp_path):
    (tmp_path / "jester").mkdir()
    root = make_jester(
        tmp_path / "jester", {1: ("Moving right", None)}, ("Moving right",)
    )
    for name in ("jester-v1-labels.csv", "jester-v1-train.csv"):
        path = root / name
        write(path, BOM + path.read_text())
    samples = data.list_jester(root, "train")
    assert samples.sources[0].endswith("20bn-jester-v1/1")  # not "\ufeff1"
    assert samples.class_names == ["Moving right"]

    ssv2 = tmp_path / "ssv2"
    write(ssv2 / "labels.json", BOM + json.dumps({"Pushing [x]": "0"}))
    write(ssv2 / "train.json", BOM + json.dumps([{"id": "5", "template": "Pushing x"}]))
    assert data.list_something_something_v2(ssv2, "train").labels == [0]

    ego = make_egogesture(tmp_path / "ego", subjects=(3,), rows="1,1,3\n")
    group = next((ego / "labels-final-revised1").rglob("Group1.csv"))
    write(group, BOM + "class,start,end\n2,1,3\n")
    assert data.list_egogesture(ego, "train").labels == [1]


@pytest.mark.parametrize(
    "rows, line",
    [
        ("a.mp4,0\nb.mp4,wave\n", 2),  # an integer file with a name
        ("a.mp4,wave\nb.mp4,3\n", 2),  # a name file with an integer
        ("file,class\na.mp4,0\n", 2),  # an unrecognised header
    ],
)
def test_mixed_labels_are_an_error_naming_the_line(tmp_path, rows, line):
    csv = write(tmp_path / "list.csv", rows)
    with pytest.raises(AnnotationError, match=f"list.csv:{line}: .*mixes") as error:
        data.list_videos(csv)
    assert error.value.line == line


@pytest.mark.parametrize("label", ["²", "٣", "1_0", "-1"])
def test_only_ascii_digits_are_integer_labels(tmp_path, label):
    csv = write(tmp_path / "list.csv", f"a.mp4,0\nb.mp4,{label}\n")
    with pytest.raises(AnnotationError, match="list.csv:2: .*mixes"):
        data.list_videos(csv)
    # Alone, such a label is a class name like any other.
    write(csv, f"b.mp4,{label}\n")
    assert data.list_videos(csv).class_names == [label]


def test_huge_integer_label_is_an_error(tmp_path):
    csv = write(tmp_path / "list.csv", "a.mp4,0\nb.mp4,99999999999\n")
    with pytest.raises(AnnotationError, match="list.csv:2: class index 99999999999"):
        data.list_videos(csv)


def test_csv_paths_of_the_wrong_kind_name_the_line(tmp_path):
    (tmp_path / "folder").mkdir()
    csv = write(tmp_path / "list.csv", "a.mp4,x\nframe.jpg,x\n")
    with pytest.raises(AnnotationError, match="list.csv:2: .*a single image"):
        data.list_videos(csv)
    write(csv, "a.mp4,x\nfolder,x\n")
    with pytest.raises(AnnotationError, match="list.csv:2: .*mixes video files"):
        data.list_videos(csv)
    write(csv, "path,label\n\n")
    with pytest.raises(AnnotationError, match="list.csv: lists no clips"):
        data.list_videos(csv)


def test_non_utf8_files_name_the_line(tmp_path):
    csv = write(tmp_path / "list.csv", "a.mp4,wave\nb.mp4,déjà vu\n", "latin-1")
    with pytest.raises(
        AnnotationError, match=r"list.csv:2: not UTF-8 text \(byte 0xe9"
    ):
        data.list_videos(csv)
    (tmp_path / "jester").mkdir()
    root = make_jester(tmp_path / "jester", {})
    write(root / "jester-v1-labels.csv", "Swiping\nCaf\xe9\n", "latin-1")
    with pytest.raises(AnnotationError, match="jester-v1-labels.csv:2: not UTF-8"):
        data.list_jester(root, "train")


@pytest.mark.parametrize(
    "maker, split_file, content, line",
    [
        ("jester", "jester-v1-train.csv", "1;Swiping Left\n1;Swiping Right\n", 2),
        ("csv", "list.csv", "a.mp4,x\nb.mp4,y\na.mp4,y\n", 3),
        ("ego", "Group1.csv", "1,1,3\n2,1,3\n", 2),
    ],
)
def test_duplicate_ids_with_conflicting_labels(
    tmp_path, maker, split_file, content, line
):
    if maker == "jester":
        root = make_jester(tmp_path, {})
        path = write(root / split_file, content)
        load = lambda: data.list_jester(root, "train")  # noqa: E731
    elif maker == "csv":
        path = write(tmp_path / split_file, content)
        load = lambda: data.list_videos(path)  # noqa: E731
    else:
        root = make_egogesture(tmp_path, subjects=(3,), rows=content)
        path = next(root.rglob(split_file))
        load = lambda: data.list_egogesture(root, "train")  # noqa: E731
    with pytest.raises(
        AnnotationError, match="listed again with another label"
    ) as error:
        load()
    assert error.value.path == str(path) and error.value.line == line


def test_exact_duplicates_are_an_error_too(tmp_path):
    root = make_jester(tmp_path, {})
    write(root / "jester-v1-train.csv", "1;Swiping Left\n\n1;Swiping Left\n")
    with pytest.raises(
        AnnotationError,
        match=r"jester-v1-train.csv:3: '1' is listed twice \(also on line 1\)",
    ):
        data.list_jester(root, "train")


def ssv2(tmp_path, labels, train):
    write(
        tmp_path / "labels.json",
        labels if isinstance(labels, str) else json.dumps(labels),
    )
    write(
        tmp_path / "train.json",
        train if isinstance(train, str) else json.dumps(train, indent=1),
    )
    return tmp_path


@pytest.mark.parametrize("index", [1.5, True, "1.5", "true", -1, None, [1]])
def test_ssv2_indices_must_be_whole_numbers(tmp_path, index):
    labels = '{\n"A": "0",\n"B": ' + json.dumps(index) + "\n}"
    root = ssv2(tmp_path, labels, [])
    with pytest.raises(
        AnnotationError, match="labels.json:3: index .* is not a whole number"
    ):
        data.something_something_v2_class_names(root)


def test_ssv2_integer_indices_and_ids_are_accepted(tmp_path):
    root = ssv2(tmp_path, {"A": 1, "B": 0}, [{"id": 7, "template": "A"}])
    samples = data.list_something_something_v2(root, "train")
    assert samples.class_names == ["B", "A"] and samples.labels == [1]
    assert samples.sources[0].endswith("/7.webm")


@pytest.mark.parametrize(
    "entry, reason",
    [
        ({"id": "1", "template": 5}, "template 5 is not a string"),
        ({"id": "1", "template": ["A"]}, r"template \['A'\] is not a string"),
        ({"id": ["1"], "template": "A"}, "id .* is not a clip name"),
        ({"id": "", "template": "A"}, "id '' is not a clip name"),
        ("1", "entry 1 lacks 'id' and 'template'"),
    ],
)
def test_ssv2_entries_of_the_wrong_type_name_the_line(tmp_path, entry, reason):
    root = ssv2(tmp_path, {"A": "0"}, [{"id": "0", "template": "A"}, entry])
    line = 6  # json.dumps(indent=1): the second entry starts on line 6
    with pytest.raises(AnnotationError, match=f"train.json:{line}: {reason}"):
        data.list_something_something_v2(root, "train")


def test_ssv2_duplicate_templates_and_ids(tmp_path):
    root = ssv2(tmp_path, '{\n"A [x]": "0",\n"A x": "1"\n}', [])
    with pytest.raises(AnnotationError, match="labels.json:3: 'A x' is listed again"):
        data.something_something_v2_class_names(root)
    train = [{"id": "1", "template": "A"}, {"id": "1", "template": "B"}]
    root = ssv2(tmp_path, {"A": "0", "B": "1"}, train)
    with pytest.raises(AnnotationError, match="train.json:6: '1' is listed again"):
        data.list_something_something_v2(root, "train")


def test_deep_json_nesting_is_an_annotation_error(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    root = ssv2(tmp_path, {"A": "0"}, "[\n" + deep + "\n]")
    with pytest.raises(AnnotationError, match="train.json:2: JSON nested too deeply"):
        data.list_something_something_v2(root, "train")
    write(tmp_path / "labels.json", deep)
    with pytest.raises(AnnotationError, match="labels.json:1: "):
        data.something_something_v2_class_names(root)


def test_egogesture_frame_numbers_fit_the_pipeline(tmp_path):
    root = make_egogesture(tmp_path, subjects=(3,), rows="1,1,99999999999\n")
    with pytest.raises(AnnotationError, match="Group1.csv:1: bad frame range"):
        data.list_egogesture(root, "train")
    for row in ("1,1,1e3\n", "1,1,²\n", "1,1_0,20\n"):
        root = make_egogesture(tmp_path / row[4:6], subjects=(3,), rows=row)
        with pytest.raises(
            AnnotationError, match="Group1.csv:1: expected 'class,start,end'"
        ):
            data.list_egogesture(root, "train")


def test_json_members_keep_their_lines(tmp_path):
    path = write(tmp_path / "a.json", ' {"a": 1,\n\n "b": [1,\n2], "a": 3}\n')
    assert annotations.read_json_entries(path, dict) == [
        (1, "a", 1),
        (3, "b", [1, 2]),
        (4, "a", 3),
    ]
    write(path, "[1,\n 2 ,\n\n{}]")
    assert annotations.read_json_entries(path, list) == [(1, 1), (2, 2), (4, {})]
    for text, line in [
        ("[1,]", 1),
        ("[1\n2]", 2),
        ("[1] x", 1),
        ('\n{"a"}', 2),
        ("{}", 1),
    ]:
        write(path, text)
        with pytest.raises(AnnotationError, match=f"a.json:{line}: ") as error:
            annotations.read_json_entries(path, list)
        assert error.value.line == line
