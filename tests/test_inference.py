"""course_lib._inference.run_model: what Model.predict gives, batch by batch, and clear errors."""
import numpy as np
import pytest

from course_lib._inference import run_model


@pytest.fixture
def two_input_model():
    import keras
    from keras import layers

    keras.utils.set_random_seed(0)
    a, b = keras.Input((3,)), keras.Input((2,))
    h = layers.Dense(8, activation="relu")(layers.Concatenate()([a, b]))
    h = layers.Dropout(0.5)(layers.BatchNormalization()(h))  # inference: no dropout, moving statistics
    return keras.Model([a, b], layers.Dense(4)(h))


def test_matches_predict_across_batch_boundaries(two_input_model):
    rng = np.random.default_rng(0)
    inputs = [rng.normal(size=(70, 3)).astype(np.float32), rng.normal(size=(70, 2)).astype(np.float32)]
    got = run_model(two_input_model, inputs, batch_size=32)  # 32 + 32 + 6
    assert got.shape == (70, 4)
    np.testing.assert_allclose(got, two_input_model.predict(inputs, verbose=0), rtol=1e-5, atol=1e-6)
    again = run_model(two_input_model, inputs, batch_size=32)
    np.testing.assert_array_equal(got, again)  # inference is deterministic: dropout is off


def test_one_input_model_takes_a_plain_array():
    import keras

    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2)])
    x = np.ones((3, 5), np.float32)
    np.testing.assert_allclose(run_model(model, x), model.predict(x, verbose=0), rtol=1e-6)


def test_inputs_of_different_lengths_or_none_are_refused(two_input_model):
    with pytest.raises(ValueError, match="different lengths"):
        run_model(two_input_model, [np.zeros((4, 3)), np.zeros((5, 2))])
    with pytest.raises(ValueError, match="empty"):
        run_model(two_input_model, [np.zeros((0, 3)), np.zeros((0, 2))])
