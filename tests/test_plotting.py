"""course_lib.plotting: grids accept the course's image layouts and reject bad ones."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib.plotting import plot_digits_per_class, plot_image_grid  # noqa: E402


@pytest.mark.parametrize("shape", [(12, 28, 28), (12, 28, 28, 1), (12, 784)])
def test_grid_accepts_course_layouts(shape, tmp_path):
    images = np.random.default_rng(0).uniform(size=shape)
    out = tmp_path / "grid.png"
    fig = plot_image_grid(images, list(range(12)), ncols=5, save_to=out)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 12 and len(fig.axes) == 15  # 3 rows of 5, three left empty
    assert shown[3].get_title() == "3"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_tanh_range_images_are_shown_like_unit_range():
    x = np.random.default_rng(0).uniform(size=(3, 8, 8))
    a = plot_image_grid(x).axes[0].images[0].get_array()
    b = plot_image_grid(x * 2 - 1).axes[0].images[0].get_array()
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="no images"):
        plot_image_grid(np.zeros((0, 4, 4)))
    with pytest.raises(ValueError, match="labels"):
        plot_image_grid(np.zeros((3, 4, 4)), labels=[1, 2])
    with pytest.raises(ValueError, match="square"):
        plot_image_grid(np.zeros((3, 10)))


def test_digits_per_class_has_one_row_per_class():
    labels = np.repeat(np.arange(10), 5)
    images = np.random.default_rng(1).uniform(size=(50, 28, 28, 1))
    fig = plot_digits_per_class(images, labels, per_class=4)
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert titles == [str(d) for d in range(10) for _ in range(4)]
