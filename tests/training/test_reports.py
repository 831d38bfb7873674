import pytest

from keras_action.training import reports


def _drawn_figure(monkeypatch, confusion, class_names, tmp_path):
    figures = []
    monkeypatch.setattr(
        reports, "_save_figure", lambda figure, path: figures.append(figure)
    )
    reports.plot_confusion_matrix(confusion, class_names, tmp_path / "cm.png")
    (figure,) = figures
    return figure


def test_the_confusion_matrix_shows_each_cell_count(monkeypatch, tmp_path):
    figure = _drawn_figure(monkeypatch, [[3, 1], [0, 5]], ["a", "b"], tmp_path)
    (axis, _colorbar) = figure.axes
    cells = {(text.get_position(), text.get_text()) for text in axis.texts}
    assert cells == {((0, 0), "3"), ((1, 0), "1"), ((1, 1), "5")}


@pytest.mark.parametrize("classes", [reports.MAX_ANNOTATED_CLASSES + 1])
def test_too_many_classes_get_colours_only(monkeypatch, tmp_path, classes):
    confusion = [[int(i == j) for j in range(classes)] for i in range(classes)]
    names = [str(i) for i in range(classes)]
    figure = _drawn_figure(monkeypatch, confusion, names, tmp_path)
    assert len(figure.axes[0].texts) == 0
