"""The NumPy update rules in course_lib.optimizers: formulas, behaviour, bad settings, and Keras agreement."""
import numpy as np
import pytest

from course_lib.optimizers import SGD, Adam, Momentum, make_optimizer

# An elongated bowl f(theta) = 0.5 theta^T A theta, minimum at 0: the classic case for momentum.
A = np.diag([3.0, 0.3])


def bowl_grad(theta):
    return A @ theta


def run(opt, steps=300, start=(1.5, 2.0)):
    theta = np.array(start, dtype=np.float64)
    for _ in range(steps):
        theta = opt.step(theta, bowl_grad(theta))
    return theta


def test_sgd_is_theta_minus_lr_grad():
    theta, grad = np.array([1.0, -2.0]), np.array([0.5, 4.0])
    assert np.allclose(SGD(0.1).step(theta, grad), theta - 0.1 * grad)


def test_momentum_first_step_is_sgd_and_steps_grow_under_a_constant_gradient():
    opt, grad = Momentum(0.1, momentum=0.9), np.array([1.0])
    theta0 = np.array([0.0])
    theta1 = opt.step(theta0, grad)
    assert np.allclose(theta1, SGD(0.1).step(theta0, grad))
    theta2 = opt.step(theta1, grad)
    assert np.allclose(theta2 - theta1, -0.1 * (1 + 0.9)), "the velocity should add up past steps"


def test_adam_first_step_has_size_lr_whatever_the_gradient_scale():
    for scale in (0.1, 1.0, 1e3):
        step = Adam(0.01).step(np.zeros(2), scale * np.array([1.0, -3.0]))
        assert np.allclose(step, [-0.01, 0.01], rtol=1e-3)


@pytest.mark.parametrize("opt", [SGD(0.3), Momentum(0.05), Adam(0.05)], ids=["sgd", "momentum", "adam"])
def test_every_optimizer_reaches_the_minimum_of_the_bowl(opt):
    assert np.linalg.norm(run(opt, steps=1000)) < 1e-2


def test_momentum_beats_sgd_on_an_elongated_bowl_at_the_same_learning_rate():
    slow, fast = run(SGD(0.05), steps=100), run(Momentum(0.05), steps=100)
    assert np.linalg.norm(fast) < np.linalg.norm(slow)


def test_reset_forgets_the_state():
    opt = Adam(0.1)
    first = opt.step(np.zeros(2), np.ones(2))
    opt.step(first, np.ones(2))
    opt.reset()
    assert opt.t == 0 and opt.m is None
    assert np.allclose(opt.step(np.zeros(2), np.ones(2)), first)


@pytest.mark.parametrize("make", [
    lambda: SGD(0.0), lambda: SGD(-0.1), lambda: SGD(float("nan")), lambda: SGD("0.1"),
    lambda: Momentum(0.1, momentum=1.0), lambda: Momentum(0.1, momentum=-0.5),
    lambda: Adam(0.1, beta_1=1.0), lambda: Adam(0.1, beta_2=1.5), lambda: Adam(0.1, epsilon=0.0),
])
def test_bad_settings_raise_value_error(make):
    with pytest.raises(ValueError, match="must be a number in"):
        make()


def test_make_optimizer_by_name():
    assert isinstance(make_optimizer("adam", 0.01), Adam)
    assert make_optimizer("momentum", 0.2).learning_rate == 0.2
    with pytest.raises(ValueError, match="optimizer must be one of"):
        make_optimizer("rmsprop", 0.01)


@pytest.mark.slow
def test_step_by_step_agreement_with_keras():
    keras = pytest.importorskip("keras")
    pairs = [
        (SGD(0.1), keras.optimizers.SGD(0.1)),
        (Momentum(0.1, momentum=0.9), keras.optimizers.SGD(0.1, momentum=0.9)),
        (Adam(0.1), keras.optimizers.Adam(0.1)),
    ]
    for ours, theirs in pairs:
        theta = np.array([1.5, 2.0])
        var = keras.Variable(theta.astype("float32"))
        for step in range(40):
            theta = ours.step(theta, bowl_grad(theta))
            grad = bowl_grad(np.asarray(var.numpy(), dtype=np.float64)).astype("float32")
            theirs.apply_gradients([(keras.ops.convert_to_tensor(grad), var)])
            assert np.allclose(var.numpy(), theta, rtol=0, atol=1e-4), (
                f"{type(ours).__name__} drifted from Keras at step {step + 1}: {theta} vs {var.numpy()}")
