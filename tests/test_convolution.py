"""course_lib.convolution: NumPy convolution and transposed convolution against Keras."""
import numpy as np
import pytest

from course_lib import convolution as cv

# (height, width, channels in, channels out, kernel, stride, padding)
CONFIGS = [
    (5, 4, 3, 2, 3, 2, "same"),
    (5, 4, 3, 2, 3, 2, "valid"),
    (4, 4, 2, 3, 4, 2, "same"),
    (7, 7, 1, 1, 5, 1, "same"),
    (3, 5, 2, 1, 2, 3, "valid"),   # kernel smaller than the stride: Keras pads the gaps with zeros
    (3, 5, 2, 1, 2, 3, "same"),
    (4, 3, 2, 4, (3, 2), (2, 3), "same"),
    (6, 6, 3, 2, 1, 2, "valid"),
]


def _keras_layer(kind, cout, k, s, pad, x, rng):
    import keras

    layer = getattr(keras.layers, kind)(cout, k, strides=s, padding=pad)
    layer.build(x.shape)
    kernel = rng.normal(size=layer.kernel.shape).astype("float32")
    bias = rng.normal(size=layer.bias.shape).astype("float32")
    layer.set_weights([kernel, bias])
    return np.asarray(layer(x)), kernel, bias


@pytest.mark.parametrize("h,w,cin,cout,k,s,pad", CONFIGS)
def test_conv2d_transpose_matches_keras(h, w, cin, cout, k, s, pad):
    rng = np.random.default_rng(h * 100 + w)
    x = rng.normal(size=(2, h, w, cin)).astype("float32")
    expected, kernel, bias = _keras_layer("Conv2DTranspose", cout, k, s, pad, x, rng)
    ours = cv.conv2d_transpose(x, kernel, bias, stride=s, padding=pad)
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, atol=1e-5)
    # the second route, zero insertion then an ordinary convolution, agrees as well
    np.testing.assert_allclose(cv.conv2d_transpose_by_zero_insertion(x, kernel, bias, stride=s, padding=pad),
                               expected, atol=1e-5)


@pytest.mark.parametrize("h,w,cin,cout,k,s,pad", CONFIGS[:5])
def test_conv2d_matches_keras(h, w, cin, cout, k, s, pad):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, h + 3, w + 3, cin)).astype("float32")
    expected, kernel, bias = _keras_layer("Conv2D", cout, k, s, pad, x, rng)
    np.testing.assert_allclose(cv.conv2d(x, kernel, bias, stride=s, padding=pad), expected, atol=1e-5)


@pytest.mark.parametrize("n,k,s,pad", [(7, 4, 2, "same"), (7, 4, 2, "valid"), (5, 3, 2, "valid"),
                                       (3, 2, 3, "valid"), (14, 5, 1, "valid"), (1, 3, 4, "same")])
def test_output_size_formulas_match_keras(n, k, s, pad):
    import keras

    shape = keras.layers.Conv2DTranspose(1, k, strides=s, padding=pad).compute_output_shape((None, n, n, 1))
    assert cv.transposed_output_size(n, k, s, pad) == shape[1]
    down = keras.layers.Conv2D(1, k, strides=s, padding=pad).compute_output_shape((None, n + k, n + k, 1))
    assert cv.conv_output_size(n + k, k, s, pad) == down[1]


def test_transposed_convolution_is_the_gradient_of_a_convolution():
    """<conv(x, K), g> differentiated with respect to x is conv_transpose(g, K)."""
    import tensorflow as tf

    rng = np.random.default_rng(3)
    kernel = rng.normal(size=(3, 3, 2, 4)).astype("float32")  # Conv2D layout (kh, kw, c_in, c_out)
    x = tf.constant(rng.normal(size=(1, 8, 8, 2)).astype("float32"))
    g = rng.normal(size=(1, 4, 4, 4)).astype("float32")
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.conv2d(x, kernel, strides=2, padding="SAME")
        inner = tf.reduce_sum(y * g)
    grad = tape.gradient(inner, x).numpy()
    # the same kernel array read in Conv2DTranspose layout (kh, kw, c_out=2, c_in=4)
    np.testing.assert_allclose(cv.conv2d_transpose(g, kernel, stride=2, padding="same"), grad, atol=1e-5)


def test_single_image_without_batch_axis_and_zero_insertion():
    x = np.arange(4, dtype=np.float32).reshape(2, 2, 1)
    assert cv.conv2d_transpose(x, np.ones((2, 2, 1, 1)), stride=2).shape == (4, 4, 1)
    spread = cv.zero_insert(x, 2)
    assert spread.shape == (3, 3, 1)
    np.testing.assert_array_equal(spread[..., 0], [[0, 0, 1], [0, 0, 0], [2, 0, 3]])
    np.testing.assert_array_equal(cv.upsample_nearest(x, 2)[..., 0][:2, :2], [[0, 0], [0, 0]])


def test_overlap_count_shows_the_checkerboard():
    uneven = cv.overlap_count(4, 3, 2, "same")
    assert set(np.unique(uneven)) == {1.0, 2.0, 4.0}, "kernel 3, stride 2: pixels get 1, 2 or 4 copies"
    even = cv.overlap_count(4, 4, 2, "same")
    assert np.all(even[1:-1, 1:-1] == 4), "kernel 4, stride 2: every inner pixel gets the same number"


def test_bad_inputs_give_clear_errors():
    x = np.zeros((1, 4, 4, 3))
    with pytest.raises(ValueError, match="padding should be 'valid' or 'same'"):
        cv.conv2d_transpose(x, np.zeros((3, 3, 1, 3)), padding="full")
    with pytest.raises(ValueError, match="3 channels"):
        cv.conv2d_transpose(x, np.zeros((3, 3, 1, 2)))
    with pytest.raises(ValueError, match="NHWC"):
        cv.conv2d(np.zeros((4, 4)), np.zeros((3, 3, 1, 1)))
    with pytest.raises(ValueError, match="stride"):
        cv.conv2d_transpose(x, np.zeros((3, 3, 1, 3)), stride=0)
    with pytest.raises(ValueError, match="bias"):
        cv.conv2d(x, np.zeros((3, 3, 3, 2)), bias=np.zeros(3))
    with pytest.raises(ValueError, match="does not fit"):
        cv.conv_output_size(2, 3)
