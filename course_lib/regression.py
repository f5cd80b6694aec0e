"""Linear regression fitted by gradient descent, as a real scikit-learn estimator.

``GDRegressor`` learns ``y ~ X @ coef_ + intercept_`` by minimising the mean
squared error with batch, mini-batch or stochastic gradient descent, stepping
with plain SGD, momentum or Adam (``course_lib.optimizers``). It follows the
scikit-learn contract, so it works with ``train_test_split``, ``r2_score``,
``cross_val_score``, ``clone`` and pipelines::

    from course_lib.regression import GDRegressor
    model = GDRegressor(learning_rate=0.05, epochs=500).fit(X_train, y_train)
    model.score(X_test, y_test)          # R^2
    plt.plot(model.loss_curve_)          # training MSE after each epoch
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from course_lib.optimizers import OPTIMIZERS, make_optimizer

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data
except ImportError:  # pragma: no cover - older scikit-learn
    def validate_data(estimator, *args, **kwargs):
        return estimator._validate_data(*args, **kwargs)


class DivergenceError(ValueError):
    """The training loss became inf or NaN: the learning rate is too large for this data."""


def mse(X, y, w, b) -> float:
    """Mean squared error of the linear model ``X @ w + b``."""
    residual = X @ w + b - y
    return float(np.mean(residual**2))


def mse_gradient(X, y, w, b):
    """Gradient of ``mse`` with respect to ``w`` and ``b``.

    With the residual r = X w + b - y over n rows:
    dJ/dw = (2/n) X^T r and dJ/db = (2/n) sum(r).
    """
    residual = X @ w + b - y
    n = len(y)
    return (2.0 / n) * (X.T @ residual), (2.0 / n) * float(np.sum(residual))


class GDRegressor(RegressorMixin, BaseEstimator):
    """Least-squares linear regression trained with gradient descent.

    Parameters
    ----------
    learning_rate : float > 0
        Step size of the optimizer.
    epochs : int >= 1
        Passes over the training data.
    batch_size : None or int >= 1
        ``None`` is batch gradient descent (one step per epoch on all rows),
        ``1`` is stochastic gradient descent, anything else is mini-batch.
        Rows are reshuffled every epoch when the batch is smaller than the data.
    optimizer : {"sgd", "momentum", "adam"}
        The update rule (Keras's defaults for momentum 0.9 and Adam's betas).
    standardize : bool
        Scale the features and the target to mean 0, std 1 while training, so
        one learning rate suits any units. ``coef_`` and ``intercept_`` are
        always given in the original units.
    random_state : None, int or RandomState
        Seeds the shuffling of mini-batches.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    loss_curve_ : list of float
        Training mean squared error (original units of ``y``) after each epoch.
    n_iter_ : int
        Epochs run.
    n_features_in_ : int
    """

    def __init__(self, learning_rate=0.01, epochs=1000, batch_size=None, optimizer="sgd",
                 standardize=True, random_state=None):
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.standardize = standardize
        self.random_state = random_state

    # -- checks -------------------------------------------------------------
    def _check_hyperparameters(self) -> None:
        lr = self.learning_rate
        if not (isinstance(lr, numbers.Real) and not isinstance(lr, bool) and np.isfinite(lr) and lr > 0):
            raise ValueError(f"learning_rate must be a number > 0, got {lr!r}")
        if not (isinstance(self.epochs, numbers.Integral) and not isinstance(self.epochs, bool)
                and self.epochs >= 1):
            raise ValueError(f"epochs must be an integer >= 1, got {self.epochs!r}")
        bs = self.batch_size
        if bs is not None and not (isinstance(bs, numbers.Integral) and not isinstance(bs, bool) and bs >= 1):
            raise ValueError(f"batch_size must be None (full batch) or an integer >= 1, got {bs!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {self.optimizer!r}")
        if not isinstance(self.standardize, (bool, np.bool_)):
            raise ValueError(f"standardize must be True or False, got {self.standardize!r}")

    def _check_fit_data(self, X, y):
        y_array = np.asarray(y)
        if y_array.dtype.kind in "OSU":  # text, or objects that may hide text
            try:
                y_array.astype(np.float64)
            except (TypeError, ValueError) as err:
                raise ValueError(f"GDRegressor needs a numeric target y: {err}") from None
        try:
            X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        except ValueError as err:
            if "could not convert" in str(err) or "numeric" in str(err):
                raise ValueError(f"GDRegressor needs numeric data: {err}. Encode text or category columns "
                                 "as numbers first (for example with OneHotEncoder).") from None
            raise
        return X, y.astype(np.float64)

    # -- fitting ------------------------------------------------------------
    def fit(self, X, y):
        """Fit the model by gradient descent on the mean squared error; return ``self``."""
        self._check_hyperparameters()
        X, y = self._check_fit_data(X, y)
        n_samples, n_features = X.shape

        # Standardising makes the loss surface round, so one learning rate works for any units.
        if self.standardize:
            x_mean, x_scale = X.mean(axis=0), X.std(axis=0)
            x_scale[x_scale == 0] = 1.0  # a constant column stays 0 after centring
            y_mean, y_scale = float(y.mean()), float(y.std()) or 1.0
        else:
            x_mean, x_scale = np.zeros(n_features), np.ones(n_features)
            y_mean, y_scale = 0.0, 1.0
        Z = (X - x_mean) / x_scale
        t = (y - y_mean) / y_scale

        # One parameter vector [w, b], so every optimizer sees a single array.
        theta = np.zeros(n_features + 1)
        opt = make_optimizer(self.optimizer, self.learning_rate)
        rng = check_random_state(self.random_state)
        batch = n_samples if self.batch_size is None else min(self.batch_size, n_samples)
        start_loss = mse(Z, t, theta[:-1], theta[-1]) * y_scale**2
        losses = []
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for epoch in range(self.epochs):
                order = rng.permutation(n_samples) if batch < n_samples else np.arange(n_samples)
                for start in range(0, n_samples, batch):
                    rows = order[start:start + batch]
                    grad_w, grad_b = mse_gradient(Z[rows], t[rows], theta[:-1], theta[-1])
                    theta = opt.step(theta, np.append(grad_w, grad_b))
                loss = mse(Z, t, theta[:-1], theta[-1]) * y_scale**2  # back in units of y squared
                if not np.isfinite(loss):
                    raise DivergenceError(
                        f"gradient descent diverged: the training loss became {loss} at epoch {epoch + 1}. "
                        f"learning_rate={self.learning_rate!r} is too large for this data; lower the learning "
                        f"rate (try {self.learning_rate / 10:g})"
                        + ("" if self.standardize else " or set standardize=True") + ".")
                losses.append(loss)
        if losses[-1] > start_loss:
            warnings.warn(f"the training loss went up from {start_loss:.4g} to {losses[-1]:.4g}: "
                          f"learning_rate={self.learning_rate!r} is probably too large; lower it.",
                          ConvergenceWarning, stacklevel=2)

        # Undo the scaling: y = y_mean + y_scale * (((X - x_mean) / x_scale) @ w + b).
        w, b = theta[:-1], theta[-1]
        self.coef_ = w * y_scale / x_scale
        self.intercept_ = float(y_mean + y_scale * b - self.coef_ @ x_mean)
        self.loss_curve_ = losses
        self.n_iter_ = self.epochs
        return self

    def predict(self, X):
        """Predicted targets ``X @ coef_ + intercept_``."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ self.coef_ + self.intercept_
