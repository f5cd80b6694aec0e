"""course_lib.plotting: grids accept the course's image layouts and reject bad ones."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib.data import BYTE_RANGE, TANH_RANGE, UNIT_RANGE  # noqa: E402
from course_lib.plotting import plot_digits_per_class, plot_image_grid, plot_image_rows, tile_images  # noqa: E402


@pytest.mark.parametrize("shape", [(12, 28, 28), (12, 28, 28, 1), (12, 784)])
def test_grid_accepts_course_layouts(shape, tmp_path):
    images = np.random.default_rng(0).uniform(size=shape)
    out = tmp_path / "grid.png"
    fig = plot_image_grid(images, list(range(12)), ncols=5, save_to=out)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 12 and len(fig.axes) == 15  # 3 rows of 5, three left empty
    assert shown[3].get_title() == "3"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _shown(fig, i=0):
    """The grey levels (0 black, 1 white) of the i-th image drawn in ``fig``."""
    image = [ax for ax in fig.axes if ax.images][i].images[0]
    return np.asarray(image.norm(image.get_array()))


def test_tanh_range_images_are_shown_like_unit_range():
    x = np.random.default_rng(0).uniform(size=(3, 8, 8))
    np.testing.assert_allclose(_shown(plot_image_grid(x, value_range=UNIT_RANGE)),
                               _shown(plot_image_grid(x * 2 - 1, value_range=TANH_RANGE)), atol=1e-6)
    # without a range, the grid's darkest pixel is black and its brightest white, whatever the range
    np.testing.assert_allclose(_shown(plot_image_grid(x)), _shown(plot_image_grid(x * 2 - 1)), atol=1e-6)
    # a named range is not stretched: a faint image stays faint
    assert _shown(plot_image_grid(x * 0.5, value_range=UNIT_RANGE)).max() <= 0.5 + 1e-6


def test_image_rows_one_labelled_row_each():
    images = np.random.default_rng(0).integers(0, 256, (2, 3, 28, 28)).astype(np.uint8)
    fig = plot_image_rows(images, ["a thin 7", "a 0"], value_range=BYTE_RANGE)
    assert len([ax for ax in fig.axes if ax.images]) == 6
    assert [ax.get_ylabel() for ax in fig.axes[::3]] == ["a thin 7", "a 0"]
    np.testing.assert_allclose(_shown(fig, 4), images[1, 1] / 255, atol=1e-6)
    with pytest.raises(ValueError, match="rows=3"):
        plot_image_rows(images, ["a", "b", "c"])


def test_tile_images_takes_an_explicit_range():
    x = np.random.default_rng(0).uniform(-1, 1, (4, 5, 5))
    sheet = tile_images(x, ncols=2, pad=1)
    assert sheet.shape == (2 * 6 + 1, 2 * 6 + 1) and sheet.dtype == np.uint8
    np.testing.assert_allclose(sheet[1:6, 1:6], np.round((x[0] + 1) * 127.5), atol=1)
    with pytest.raises(ValueError, match="should be in"):
        tile_images(x * 255 + 255, value_range=TANH_RANGE)


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
