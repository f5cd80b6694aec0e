"""course_lib.regression.GDRegressor: a scikit-learn estimator trained by gradient descent."""
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from course_lib.regression import DivergenceError, GDRegressor, mse, mse_gradient

pytestmark = pytest.mark.xdist_group("test_regression")


@pytest.fixture(scope="module")
def diabetes_split():
    X, y = load_diabetes(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0)


@pytest.fixture(scope="module")
def synthetic_split():
    X, y = make_regression(n_samples=300, n_features=8, noise=10.0, random_state=1)
    return train_test_split(X, y, test_size=0.25, random_state=1)


def linear_r2(split):
    X_train, X_test, y_train, y_test = split
    return LinearRegression().fit(X_train, y_train).score(X_test, y_test)


SETTINGS = {
    "batch-sgd": dict(learning_rate=0.1, epochs=300),
    "momentum": dict(optimizer="momentum", learning_rate=0.01, epochs=300),
    "adam": dict(optimizer="adam", learning_rate=0.05, epochs=300),
    "mini-batch": dict(batch_size=32, learning_rate=0.01, epochs=100, random_state=0),
    "stochastic": dict(batch_size=1, learning_rate=0.001, epochs=15, random_state=0),
}


@pytest.mark.parametrize("name", SETTINGS)
@pytest.mark.parametrize("data", ["diabetes_split", "synthetic_split"])
def test_test_r2_is_within_001_of_linear_regression(name, data, request):
    split = request.getfixturevalue(data)
    X_train, X_test, y_train, y_test = split
    model = GDRegressor(**SETTINGS[name]).fit(X_train, y_train)
    assert abs(model.score(X_test, y_test) - linear_r2(split)) < 0.01


def test_fit_returns_self_with_learned_attributes(diabetes_split):
    X_train, _, y_train, _ = diabetes_split
    model = GDRegressor(epochs=50)
    assert model.fit(X_train, y_train) is model
    assert model.coef_.shape == (X_train.shape[1],)
    assert isinstance(model.intercept_, float)
    assert len(model.loss_curve_) == 50 and model.n_iter_ == 50
    assert model.n_features_in_ == X_train.shape[1]


def test_loss_curve_goes_down_with_a_good_learning_rate(diabetes_split):
    X_train, _, y_train, _ = diabetes_split
    curve = np.array(GDRegressor(learning_rate=0.1, epochs=100).fit(X_train, y_train).loss_curve_)
    assert np.all(np.diff(curve) <= 1e-9), "full-batch descent with a small step never increases the loss"
    assert curve[-1] < 0.5 * np.var(y_train), "the model should explain a good part of the variance"
    # loss_curve_ is the training MSE in the units of y.
    model = GDRegressor(learning_rate=0.1, epochs=100).fit(X_train, y_train)
    assert np.isclose(model.loss_curve_[-1], np.mean((model.predict(X_train) - y_train) ** 2))


@pytest.mark.parametrize("standardize", [True, False])
def test_coefficients_come_back_in_original_units(standardize):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2)) * ([1.0, 3.0] if not standardize else [1.0, 1000.0])
    y = 3.0 * X[:, 0] - 0.002 * X[:, 1] + 5.0
    lr = 0.1 if standardize else 0.02
    model = GDRegressor(learning_rate=lr, epochs=2000, standardize=standardize).fit(X, y)
    assert np.allclose(model.coef_, [3.0, -0.002], atol=1e-3)
    assert np.isclose(model.intercept_, 5.0, atol=1e-2)


def test_constant_feature_and_constant_target_do_not_break_fit():
    X = np.column_stack([np.arange(10.0), np.ones(10)])
    model = GDRegressor(epochs=20).fit(X, np.full(10, 7.0))
    assert np.allclose(model.predict(X), 7.0)


def test_mse_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    X, y, w, b = rng.normal(size=(30, 4)), rng.normal(size=30), rng.normal(size=4), 0.7
    grad_w, grad_b = mse_gradient(X, y, w, b)
    h = 1e-6
    numeric_w = [(mse(X, y, w + h * e, b) - mse(X, y, w - h * e, b)) / (2 * h) for e in np.eye(4)]
    assert np.allclose(grad_w, numeric_w, atol=1e-6)
    assert np.isclose(grad_b, (mse(X, y, w, b + h) - mse(X, y, w, b - h)) / (2 * h), atol=1e-6)


def test_works_with_sklearn_tools(diabetes_split):
    X, y = load_diabetes(return_X_y=True)
    model = GDRegressor(learning_rate=0.1, epochs=200)
    scores = cross_val_score(model, X, y, cv=5)
    assert scores.shape == (5,) and np.all(scores > 0.2)
    copy = clone(model)
    assert copy.get_params() == model.get_params() and not hasattr(copy, "coef_")
    X_train, X_test, y_train, y_test = diabetes_split
    fitted = copy.fit(X_train, y_train)
    assert np.isclose(fitted.score(X_test, y_test), r2_score(y_test, fitted.predict(X_test)))
    pipe = make_pipeline(StandardScaler(), GDRegressor(learning_rate=0.1, epochs=200, standardize=False))
    assert pipe.fit(X_train, y_train).score(X_test, y_test) > 0.3
    model.set_params(optimizer="adam")
    assert model.get_params()["optimizer"] == "adam"


def test_passes_sklearn_check_estimator():
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_estimator(GDRegressor())


def test_mini_batches_are_reproducible_with_random_state(synthetic_split):
    X_train, _, y_train, _ = synthetic_split
    fit = lambda seed: GDRegressor(batch_size=16, epochs=5, random_state=seed).fit(X_train, y_train).coef_
    assert np.array_equal(fit(0), fit(0))
    assert not np.array_equal(fit(0), fit(1))


def test_predict_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        GDRegressor().predict(np.ones((3, 2)))


def test_predict_with_wrong_number_of_features(diabetes_split):
    X_train, _, y_train, _ = diabetes_split
    model = GDRegressor(epochs=5).fit(X_train, y_train)
    with pytest.raises(ValueError, match="features"):
        model.predict(X_train[:, :3])


X_OK, Y_OK = np.arange(20.0).reshape(10, 2), np.arange(10.0)
X_NAN = X_OK.copy()
X_NAN[3, 1] = np.nan


@pytest.mark.parametrize("X, y, message", [
    (X_OK, Y_OK[:9], "inconsistent numbers of samples"),
    (X_NAN, Y_OK, "NaN"),
    (X_OK, np.where(Y_OK == 4, np.nan, Y_OK), "NaN"),
    (X_OK, np.where(Y_OK == 4, np.inf, Y_OK), "infinity"),
    (np.array([["a", "b"]] * 10), Y_OK, "numeric"),
    (X_OK.astype(object).tolist()[:9] + [[1.0, "x"]], Y_OK, "numeric"),
    (X_OK, np.array(["low", "high"] * 5), "numeric target"),
])
def test_bad_data_raises_clear_value_error(X, y, message):
    with pytest.raises(ValueError, match=message):
        GDRegressor(epochs=2).fit(X, y)


@pytest.mark.parametrize("params, message", [
    (dict(learning_rate=0), "learning_rate must be a number > 0"),
    (dict(learning_rate=-0.1), "learning_rate must be a number > 0"),
    (dict(learning_rate=float("nan")), "learning_rate must be a number > 0"),
    (dict(learning_rate="0.1"), "learning_rate must be a number > 0"),
    (dict(epochs=0), "epochs must be an integer >= 1"),
    (dict(epochs=2.5), "epochs must be an integer >= 1"),
    (dict(batch_size=0), "batch_size must be None"),
    (dict(optimizer="rmsprop"), "optimizer must be one of"),
    (dict(standardize="yes"), "standardize must be True or False"),
])
def test_bad_hyperparameters_raise_in_fit_not_init(params, message):
    model = GDRegressor(**params)  # scikit-learn convention: __init__ only stores
    with pytest.raises(ValueError, match=message):
        model.fit(X_OK, Y_OK)


def test_divergence_raises_with_a_hint_to_lower_the_learning_rate(diabetes_split):
    X_train, _, y_train, _ = diabetes_split
    with pytest.raises(DivergenceError, match="lower the learning rate"):
        GDRegressor(learning_rate=5.0, epochs=1000).fit(X_train, y_train)
    assert issubclass(DivergenceError, ValueError)


def test_a_rising_but_finite_loss_warns(diabetes_split):
    X_train, _, y_train, _ = diabetes_split
    with pytest.warns(ConvergenceWarning, match="too large"):
        GDRegressor(learning_rate=0.5, epochs=10).fit(X_train, y_train)
