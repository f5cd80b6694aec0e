"""course_lib.plotting: grids accept the course's image layouts and reject bad ones; each diagram draws its labelled
parts with the numbers computed for it."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib.data import BYTE_RANGE, TANH_RANGE, UNIT_RANGE  # noqa: E402
from course_lib.plotting import plot_digits_per_class, plot_image_grid, plot_image_rows, tile_images  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


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
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a thin 7", "a 0"]
    sheet = _shown(fig)
    pad = 2
    assert sheet.shape == (2 * (28 + pad) + pad, 3 * (28 + pad) + pad)
    # row 1, column 1 is the second prompt's second image, shown as it is (the range is the bytes')
    top, left = pad + (28 + pad), pad + (28 + pad)
    np.testing.assert_allclose(sheet[top:top + 28, left:left + 28], images[1, 1] / 255, atol=1e-6)
    # each label sits at the middle of its row
    middle = [top_ + 13.5 for top_ in (pad, top)]
    np.testing.assert_allclose(ax.get_yticks(), middle)
    with pytest.raises(ValueError, match="rows=3"):
        plot_image_rows(images, ["a", "b", "c"])


def test_image_rows_without_a_range_span_black_to_white():
    images = np.random.default_rng(1).uniform(0.2, 0.6, (2, 2, 5, 5))
    sheet = _shown(plot_image_rows(images, ["x", "y"]))
    inside = sheet[2:7, 2:7]  # row 0, column 0
    np.testing.assert_allclose(inside, np.round((images[0, 0] - images.min()) / np.ptp(images) * 255) / 255,
                               atol=1 / 255)


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


# ============================================================================ schematic diagrams
from course_lib import plotting as P  # noqa: E402
from course_lib import convolution as cv  # noqa: E402


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [ax.get_title() for ax in fig.axes]


def _parts(fig, gid: str) -> list:
    return [a for ax in fig.axes for a in [*ax.patches, *ax.lines] if a.get_gid() == gid]


def _cell_values(fig, gid: str) -> list[float]:
    """The numbers written in the cells called ``gid``, in drawing order (row by row)."""
    ax = fig.axes[0]
    cells = _parts(fig, gid)
    centres = [(c.get_x() + c.get_width() / 2, c.get_y() + c.get_height() / 2) for c in cells]
    values = []
    for x, y in centres:
        text = next(t for t in ax.texts if np.allclose(t.get_position(), (x, y), atol=1e-6))
        values.append(float(text.get_text()))
    return values


def test_broadcasting_draws_each_operand_stretched_and_the_real_result():
    fig = P.draw_broadcasting((3, 1), (4,))
    assert len(_parts(fig, "a cell")) == 3 and len(_parts(fig, "a cell copy")) == 9  # one column, stretched
    assert len(_parts(fig, "b cell")) == 4 and len(_parts(fig, "b cell copy")) == 8  # one row, stretched
    a, b = 10.0 * np.arange(3).reshape(3, 1), 1.0 + np.arange(4)
    assert _cell_values(fig, "result cell") == list((a + b).ravel())
    texts = " ".join(_texts(fig))
    assert "a: shape (3, 1)\nstretched to (3, 4)" in texts and "a + b: shape (3, 4)" in texts
    # a shape that already fits is drawn without copies
    fig = P.draw_broadcasting((2, 3), (3,), op="*")
    assert len(_parts(fig, "a cell")) == 6 and not _parts(fig, "a cell copy")


@pytest.mark.parametrize("a, b, message", [
    ((3, 2), (3,), "sizes 2 and 3 differ and neither is 1"),
    ((2, 3, 4), (4,), "at most 2 dimensions"),
    ((0, 2), (2,), "sizes 1-8"),
])
def test_broadcasting_refuses_what_numpy_refuses_and_what_it_cannot_draw(a, b, message):
    with pytest.raises(ValueError, match=message):
        P.draw_broadcasting(a, b)
    with pytest.raises(ValueError, match="op should be"):
        P.draw_broadcasting((2,), (2,), op="/")


def test_view_vs_copy_points_the_view_into_data_and_gives_the_copy_its_own_memory():
    fig = P.draw_view_vs_copy(n=6, start=1, stop=4)
    assert _cell_values(fig, "data memory") == [0, 1, 2, 3, 4, 5]
    assert _cell_values(fig, "copy memory") == [1, 2, 3]
    assert len(_parts(fig, "view arrow")) == 3 and len(_parts(fig, "view window")) == 1
    texts = " ".join(_texts(fig))
    assert "window = data[1:4]" in texts and "a view: no memory of its own" in texts
    assert "picked = data[[1, 2, 3]]" in texts and "a copy: its own memory" in texts
    for bad in [dict(start=3, stop=3), dict(n=1), dict(stop=9)]:
        with pytest.raises(ValueError, match="start < stop"):
            P.draw_view_vs_copy(**bad)


def test_perceptron_draws_every_stage_with_the_computed_numbers():
    fig = P.draw_perceptron(x=(1.4, 0.2, -1.0), w=(0.5, -0.2, 0.3), b=-0.1)
    assert len(_parts(fig, "input")) == 3 and len(_parts(fig, "weight")) == 4  # three weights and the bias
    texts = _texts(fig)
    for stage in ("inputs", "weights\nand bias", "weighted sum", "activation", "prediction", "step(z)"):
        assert stage in texts
    z = 1.4 * 0.5 + 0.2 * -0.2 + -1.0 * 0.3 - 0.1
    assert any(t.startswith("z = ") and t.endswith(f"= {z:.3g}") for t in texts)
    assert "$\\hat y$\n1" in texts  # z > 0: the step fires
    fig = P.draw_perceptron(x=(1.0,), w=(-2.0,), b=0.0, activation="sigmoid")
    assert f"$\\hat y$\n{1 / (1 + np.exp(2.0)):.3g}" in _texts(fig) and "sigmoid(z)" in _texts(fig)
    with pytest.raises(ValueError, match="same length"):
        P.draw_perceptron(x=(1, 2), w=(1,))
    with pytest.raises(ValueError, match="activation"):
        P.draw_perceptron(activation="relu")


def test_mlp_draws_its_layers_fully_connected_and_backpropagation_on_request():
    fig = P.draw_mlp((3, 4, 2))
    assert len(_parts(fig, "unit")) == 9 and len(_parts(fig, "edge")) == 3 * 4 + 4 * 2
    texts = _texts(fig)
    assert {"input layer\n3 features", "hidden layer 1\n4 units", "output layer\n2 units"} <= set(texts)
    assert not _parts(fig, "backward arrow") and not _parts(fig, "loss")
    wide = P.draw_mlp((64, 32, 16, 10), backward=True, max_drawn=7)
    assert len(_parts(wide, "unit")) == 7 + 7 + 7 + 7  # wide layers drawn with 7 units and a ⋮
    assert "input layer\n64 features" in _texts(wide) and "hidden layer 2\n16 units" in _texts(wide)
    assert len(_parts(wide, "backward arrow")) == 3 and len(_parts(wide, "loss")) == 1
    assert any(t.startswith("backpropagation") for t in _texts(wide))
    for bad in [(5,), (3, 0, 2), (1, 2, 3, 4, 5, 6, 7)]:
        with pytest.raises(ValueError, match="layer_sizes"):
            P.draw_mlp(bad)


def test_convolution_and_pooling_draw_the_real_outputs():
    rng = np.random.default_rng(0)
    image, kernel = rng.integers(-2, 4, (6, 5)), rng.integers(-1, 2, (3, 3))
    fmap = rng.integers(0, 9, (4, 6))
    fig = P.draw_convolution_and_pooling(image, kernel, fmap)
    expected = cv.conv2d(image[None, :, :, None].astype(float), kernel[:, :, None, None].astype(float))[0, :, :, 0]
    assert len(_parts(fig, "input cell")) == 30 and len(_parts(fig, "kernel cell")) == 9
    assert _cell_values(fig, "output cell") == list(expected.ravel())
    assert _cell_values(fig, "pooled cell") == list(fmap.reshape(2, 2, 3, 2).max(axis=(1, 3)).ravel())
    assert len(_parts(fig, "highlight")) == 2  # the kernel's window and the output value it makes
    texts = " ".join(_texts(fig))
    assert "convolution" in texts and "max pooling 2×2, stride 2" in texts
    with pytest.raises(ValueError, match="larger than the image"):
        P.draw_convolution_and_pooling(np.ones((2, 2)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="even sides"):
        P.draw_convolution_and_pooling(feature_map=np.ones((3, 4)))
    with pytest.raises(ValueError, match="2-D array"):
        P.draw_convolution_and_pooling(image=np.ones((2, 2, 2)))


def test_transposed_convolution_draws_one_stamp_per_input_pixel_and_their_sums():
    x, kernel = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 2.0, 1.0], [0.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    fig = P.draw_transposed_convolution(x, kernel, stride=2)
    expected = cv.conv2d_transpose(x[None, :, :, None], kernel[:, :, None, None], stride=2, padding="valid")
    assert _cell_values(fig, "output cell") == list(expected[0, :, :, 0].ravel())
    assert len(_parts(fig, "stamp")) == 4 and len(_parts(fig, "input cell")) == 4
    fig = P.draw_transposed_convolution(stride=1)
    assert len(_parts(fig, "output cell")) == 16  # (2 - 1) * 1 + 3 = 4 per side
    with pytest.raises(ValueError, match="stride"):
        P.draw_transposed_convolution(stride=0)


def test_gan_loop_names_both_players_both_labels_and_both_updates():
    fig = P.draw_gan_loop()
    texts = _texts(fig)
    for part in ("generator G", "discriminator D", "noise z\n~ N(0, I)", "fake images\nG(z)",
                 "real images x\n(the data)", "label 0", "label 1"):
        assert part in texts
    updates = [t for t in texts if t.startswith("update")]
    assert len(updates) == 2 and "only D's weights" in updates[0] + updates[1]
    assert len(_parts(fig, "update arrow")) == 2 and len(_parts(fig, "box")) == 6


def test_gan_cls_pairs_shows_three_pairs_one_real_two_fake():
    fig = P.draw_gan_cls_pairs(captions=("a thick seven", "a thin two"))
    texts = _texts(fig)
    assert texts.count("real (1)") == 1 and texts.count("fake (0)") == 2
    assert texts.count('"a thick seven"') == 2 and texts.count('"a thin two"') == 1
    assert {"its own caption", "a mismatched caption", "the caption it was drawn for"} <= set(texts)
    assert len(_parts(fig, "image")) == 3 and len(_parts(fig, "discriminator")) == 3
    images = np.random.default_rng(0).uniform(size=(3, 28, 28, 1))
    fig = P.draw_gan_cls_pairs(images)
    assert len(fig.axes[0].images) == 3
    with pytest.raises(ValueError, match="three grey images"):
        P.draw_gan_cls_pairs(images[:2])
    with pytest.raises(ValueError, match="two non-empty strings"):
        P.draw_gan_cls_pairs(captions=("a seven",))
