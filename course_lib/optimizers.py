"""Gradient-descent update rules in NumPy: plain SGD, momentum and Adam.

Each optimizer keeps its own state (a velocity, or Adam's two moment estimates)
and turns a gradient into a new parameter vector::

    opt = Adam(learning_rate=0.01)
    for step in range(100):
        theta = opt.step(theta, grad_fn(theta))

The formulas are written the way Keras 3 writes them (``keras.optimizers.SGD``
with ``momentum``, ``keras.optimizers.Adam``), so week 2 can check them step by
step against Keras. ``GDRegressor`` in ``course_lib.regression`` uses them.
"""
from __future__ import annotations

import math
import numbers

import numpy as np


def _check_rate(name: str, value, *, low: float, high: float | None = None, low_open: bool = True) -> float:
    """A real number in (low, high) / [low, high); raise a ValueError that names the setting otherwise."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > low if low_open else value >= low) and (high is None or value < high)
    if not ok:
        lower = "(" if low_open else "["
        upper = f"{high})" if high is not None else "inf)"
        raise ValueError(f"{name} must be a number in {lower}{low}, {upper}, got {value!r}")
    return float(value)


class SGD:
    """Plain gradient descent: theta <- theta - lr * grad."""

    def __init__(self, learning_rate: float = 0.01):
        self.learning_rate = _check_rate("learning_rate", learning_rate, low=0.0)

    def reset(self) -> None:
        """Forget any state (plain SGD has none)."""

    def step(self, theta, grad) -> np.ndarray:
        return np.asarray(theta) - self.learning_rate * np.asarray(grad)


class Momentum:
    """Gradient descent with (heavy-ball) momentum.

    The velocity remembers past steps, so steps along a consistent downhill
    direction grow while zig-zags across a narrow valley cancel out::

        v     <- momentum * v - lr * grad
        theta <- theta + v
    """

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.9):
        self.learning_rate = _check_rate("learning_rate", learning_rate, low=0.0)
        self.momentum = _check_rate("momentum", momentum, low=0.0, high=1.0, low_open=False)
        self.reset()

    def reset(self) -> None:
        self.velocity = None

    def step(self, theta, grad) -> np.ndarray:
        grad = np.asarray(grad, dtype=np.float64)
        if self.velocity is None:
            self.velocity = np.zeros_like(grad)
        self.velocity = self.momentum * self.velocity - self.learning_rate * grad
        return np.asarray(theta) + self.velocity


class Adam:
    """Adam: momentum on the gradient, divided by a running size of the gradient.

    ``m`` averages gradients, ``v`` averages squared gradients; early steps are
    rescaled because both start at zero (bias correction). Keras folds that
    correction into the step size and adds ``epsilon`` to sqrt(v), as here::

        m     <- beta_1 * m + (1 - beta_1) * grad
        v     <- beta_2 * v + (1 - beta_2) * grad**2
        alpha  = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        theta <- theta - alpha * m / (sqrt(v) + epsilon)
    """

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7):
        self.learning_rate = _check_rate("learning_rate", learning_rate, low=0.0)
        self.beta_1 = _check_rate("beta_1", beta_1, low=0.0, high=1.0, low_open=False)
        self.beta_2 = _check_rate("beta_2", beta_2, low=0.0, high=1.0, low_open=False)
        self.epsilon = _check_rate("epsilon", epsilon, low=0.0)
        self.reset()

    def reset(self) -> None:
        self.m = None
        self.v = None
        self.t = 0

    def step(self, theta, grad) -> np.ndarray:
        grad = np.asarray(grad, dtype=np.float64)
        if self.m is None:
            self.m, self.v = np.zeros_like(grad), np.zeros_like(grad)
        self.t += 1
        self.m = self.beta_1 * self.m + (1 - self.beta_1) * grad
        self.v = self.beta_2 * self.v + (1 - self.beta_2) * grad**2
        alpha = self.learning_rate * math.sqrt(1 - self.beta_2**self.t) / (1 - self.beta_1**self.t)
        return np.asarray(theta) - alpha * self.m / (np.sqrt(self.v) + self.epsilon)


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(name: str, learning_rate: float):
    """A fresh optimizer by name: ``"sgd"``, ``"momentum"`` or ``"adam"`` (Keras's default settings)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {name!r}")
    return OPTIMIZERS[name](learning_rate=learning_rate)
