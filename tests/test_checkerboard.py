"""The checkerboard score: its two computations agree, its known values, the overlap map, the gradients."""

import numpy as np
import pytest

from scratchae import checkerboard as cb
from scratchae import nn
from scratchae import transposed_views as tv
from scratchae.models import build


@pytest.mark.parametrize(
    "stride, shape", [(2, (28, 28)), (2, (5, 14, 10)), (3, (2, 3, 27, 12)), (4, (28, 28)), (2, (7, 9)), (1, (6, 6))]
)
def test_the_phase_variance_share_is_the_energy_at_the_stride_frequencies(stride, shape):
    maps = np.random.default_rng(stride).standard_normal(shape) + np.linspace(0, 3, shape[-1])
    scores = cb.checkerboard_score(maps, stride)
    assert scores.shape == shape[:-2]
    np.testing.assert_allclose(scores, cb.stride_frequency_energy(maps, stride), rtol=1e-10, atol=1e-15)
    assert np.all((scores >= 0) & (scores <= 1))
    if stride == 1:
        np.testing.assert_allclose(scores, 0, atol=1e-15)  # one phase explains nothing


def test_known_values_and_invariance():
    pattern = np.tile([[1.0, -2.0], [0.5, 3.0]], (14, 14))
    assert cb.checkerboard_score(pattern) == pytest.approx(1.0)
    assert cb.checkerboard_score(np.full((28, 28), 0.7)) == 0.0  # nothing varies: no pattern
    rng = np.random.default_rng(0)
    y = rng.random((28, 28))
    assert cb.checkerboard_score(3 * y - 5) == pytest.approx(cb.checkerboard_score(y))
    mixed = y + 0.3 * pattern
    assert cb.checkerboard_score(y) < cb.checkerboard_score(mixed) < 1
    np.testing.assert_allclose(cb.phase_means(pattern), [[1.0, -2.0], [0.5, 3.0]])


def test_white_noise_scores_the_share_of_its_degrees_of_freedom():
    """For i.i.d. noise the score is Beta((s^2 - 1)/2, (HW - s^2)/2): its mean is (s^2 - 1)/(HW - 1)."""
    noise = np.random.default_rng(1).standard_normal((4000, 28, 28))
    expected = 3 / (28 * 28 - 1)
    assert cb.checkerboard_score(noise).mean() == pytest.approx(expected, rel=0.06)


def test_a_stride_2_transposed_convolution_of_a_constant_is_all_checkerboard_and_upsampling_is_not():
    rng = np.random.default_rng(2)
    layer = nn.ConvTranspose2d(1, 1, 2, stride=2, dtype=np.float64, rng=rng)
    constant = np.ones((1, 1, 7, 7))
    assert cb.checkerboard_score(layer(constant)[0, 0]) == pytest.approx(1.0)  # the kernel, tiled
    conv = nn.Conv2d(1, 1, 3, padding=1, dtype=np.float64, rng=rng)
    upsampled = conv(nn.Upsample(scale_factor=2)(constant))[0, 0]
    assert cb.checkerboard_score(upsampled[1:-1, 1:-1]) == 0.0 or np.ptp(upsampled[1:-1, 1:-1]) < 1e-12


def test_overlap_counts_are_the_stamps_of_the_scatter_view():
    for kernel_size, stride in [(3, 2), (2, 2), (4, 2), (5, 3), (3, 1)]:
        ones = np.ones((1, 1, 8, 8))
        counts = tv.scatter(ones, np.ones((1, 1, kernel_size, kernel_size)), stride=stride)[0, 0]
        interior = counts[kernel_size:-kernel_size, kernel_size:-kernel_size]
        start = kernel_size % stride  # the phase of the interior's first pixel
        expected = np.roll(cb.overlap_counts(kernel_size, stride), (-start, -start), axis=(0, 1))
        np.testing.assert_array_equal(cb.phase_means(interior, stride), expected)
    np.testing.assert_array_equal(cb.overlap_counts(3, 2), [[4, 2], [2, 1]])
    assert cb.overlap_unevenness(2, 2) == 0 and cb.overlap_unevenness(4, 2) == 0
    assert cb.overlap_unevenness(3, 2) == pytest.approx(np.std([4, 2, 2, 1]) / 2.25)


def test_input_gradients_are_the_loss_gradient_and_leave_the_model_as_it_was():
    model = build("conv", dtype=np.float64, rng=np.random.default_rng(3))
    x = np.random.default_rng(5).random((2, 1, 28, 28))  # no flat background: no max-pooling near a tie
    for p in model.parameters():
        p.grad[...] = 7.0
    model.train()
    gradient = cb.input_gradients(model, x, nn.MSELoss())
    assert gradient.shape == x.shape and model.training and not model.needs_input_grad
    assert all(np.all(p.grad == 7.0) for p in model.parameters())
    # against central differences along a random direction (the target, x itself, is held fixed)
    direction = np.random.default_rng(4).standard_normal(x.shape)
    model.eval()
    loss = nn.MSELoss()

    def at(step):
        return loss(model(x + step * direction), x)

    numeric = (at(1e-6) - at(-1e-6)) / 2e-6
    assert np.sum(gradient * direction) == pytest.approx(numeric, rel=1e-6)


@pytest.mark.parametrize(
    "maps, stride, message",
    [
        (np.ones(5), 2, r"maps \(\.\.\., H, W\)"),
        (np.ones((1, 3)), 2, "H, W >= stride"),
        (np.ones((4, 4)), 0, "positive integer stride"),
        (np.ones((4, 4)), 1.5, "positive integer stride"),
    ],
)
def test_bad_input_is_refused(maps, stride, message):
    with pytest.raises(ValueError, match=message):
        cb.checkerboard_score(maps, stride)
