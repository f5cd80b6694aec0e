"""The runtime checks test cells rely on: tampering detected and undone, delegation refused with a reason."""
import numpy as np
import pytest

from course_lib.grading import Checker, DelegationError, TamperingError


@pytest.fixture
def checker():
    made = Checker()
    yield made
    made.restore()  # never leave a patched NumPy behind for other tests


def test_nothing_changes_during_ordinary_keras_work(checker):
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.LeakyReLU(0.2), layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(np.ones((8, 4)), np.ones((8, 1)), epochs=1, verbose=0)
    assert checker.changes() == []
    checker.verify()


def test_a_patched_numpy_checker_is_reported_and_put_back(checker):
    original = np.isclose
    np.isclose = lambda *a, **k: True
    with pytest.raises(TamperingError, match="numpy.isclose"):
        checker.verify()
    assert np.isclose is original and not np.isclose(1.0, 2.0)
    checker.verify()  # restored: the next exercise is graded as usual


def test_a_patched_keras_method_is_reported_and_put_back(checker):
    import keras

    original = keras.losses.BinaryCrossentropy.__call__
    keras.losses.BinaryCrossentropy.__call__ = lambda self, *a, **k: 0.0
    with pytest.raises(TamperingError, match="BinaryCrossentropy.__call__"):
        checker.verify()
    assert keras.losses.BinaryCrossentropy.__call__ is original


def test_silencing_the_checker_is_caught_when_the_next_hidden_test_ends(checker):
    real_verify = Checker.verify
    Checker.verify = lambda self: None  # what a cheat would do through some unread route
    try:
        checker.verify()  # silenced ...
        with pytest.raises(TamperingError, match="grader's own checks"):
            with checker.own_work():  # ... but every hidden-test block checks through its own reference
                pass
    finally:
        Checker.verify = real_verify
    assert Checker.verify is real_verify


def test_delegating_to_the_reference_fails_with_the_reason(checker):
    from course_lib import convolution

    def delegating(x, k):
        return convolution.conv2d_transpose(x, k, stride=2)

    x, k = np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1))
    assert delegating(x, k).shape == (1, 5, 5, 1)  # outside own_work the reference is available
    with pytest.raises(DelegationError, match="course_lib.convolution.conv2d_transpose"):
        with checker.own_work():
            delegating(x, k)


def test_catching_the_first_refusal_does_not_help(checker):
    from course_lib import convolution

    def sneaky(x, k):
        try:
            return convolution.conv2d_transpose(x, k, stride=2)
        except Exception:  # noqa: BLE001 - exactly what a cheat would write
            return convolution.conv2d_transpose(x, k, stride=2)

    with pytest.raises(DelegationError):
        with checker.own_work():
            sneaky(np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1)))


def test_utilities_and_allowed_modules_stay_available(checker):
    import course_lib as cl
    from course_lib.data import to_tanh_range

    with checker.own_work():
        assert to_tanh_range(np.full((2, 2), 0.5)).max() == 0.0
        assert cl.pick(quick=1, full=2) in (1, 2)
    assert Checker(allow=("course_lib.convolution",))._blocked("course_lib.convolution") is False
    assert checker._blocked("course_lib.convolution") and not checker._blocked("course_lib.data")


def test_a_trace_function_left_behind_is_tampering(checker):
    import sys

    sys.settrace(lambda *a: None)
    with pytest.raises(TamperingError, match="trace"):
        checker.verify()
    assert sys.gettrace() is None
