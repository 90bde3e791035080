"""The latent-space tools: codes of every model, principal components, interpolation, and their figures."""

import numpy as np
import pytest

from scratchae import latent
from scratchae.figures.latent import interpolation_strip, latent_scatter
from scratchae.models import MODELS, build
from tests.helpers_models import images


def test_principal_components_match_an_eigendecomposition_of_the_covariance():
    rng = np.random.default_rng(0)
    codes = rng.standard_normal((50, 5)) @ rng.standard_normal((5, 5)) + 3.0
    points, explained = latent.principal_components(codes, k=2)
    centred = codes - codes.mean(axis=0)
    values, vectors = np.linalg.eigh(centred.T @ centred)  # independent: eigenvectors of Z^T Z
    order = np.argsort(values)[::-1]
    expected = centred @ vectors[:, order[:2]]
    for j in range(2):  # equal up to the sign of each axis
        assert np.allclose(points[:, j], expected[:, j]) or np.allclose(points[:, j], -expected[:, j])
    np.testing.assert_allclose(explained, values[order[:2]] / values.sum())
    assert np.allclose(points.mean(axis=0), 0)


def test_principal_components_of_few_dimensions_and_bad_input():
    codes = np.array([[1.0], [2.0], [4.0]])
    points, explained = latent.principal_components(codes, k=2)
    assert points.shape == (3, 2) and np.allclose(points[:, 1], 0) and np.allclose(explained, [1, 0])
    np.testing.assert_allclose(np.abs(points[:, 0]), np.abs(codes[:, 0] - codes.mean()))
    with pytest.raises(ValueError, match=r"expected codes of shape \(N, D\) with N >= 2"):
        latent.principal_components(np.ones((1, 3)))
    with pytest.raises(ValueError, match="positive number of components"):
        latent.principal_components(np.ones((4, 3)), k=0)


@pytest.mark.parametrize("name", list(MODELS))
def test_codes_and_interpolation_of_every_model(name):
    model = build(name, rng=np.random.default_rng(0))
    x = images(5)
    codes = latent.encode_all(model, x, batch_size=2)
    path = latent.interpolate(model, x[0], x[1], steps=4)
    assert model.training  # the mode is restored
    model.eval()  # (batch norm: running statistics)
    assert codes.shape[0] == 5 and codes.ndim == 2
    np.testing.assert_allclose(codes, model.encode(x).reshape(5, -1), rtol=1e-5, atol=1e-6)  # float32 BLAS
    assert path.shape == (4, 1, 28, 28)
    np.testing.assert_allclose(path[0], model.decode(model.encode(x[:1]))[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(path[-1], model.decode(model.encode(x[1:2]))[0], rtol=1e-5, atol=1e-6)


def test_latent_figures(tmp_path):
    from scratchae.figures import save

    rng = np.random.default_rng(1)
    fig = latent_scatter(
        rng.standard_normal((30, 2)),
        rng.integers(0, 3, 30),
        classes=("a", "b", "c"),
        explained=np.array([0.5, 0.2]),
        title="codes",
    )
    assert save(fig, tmp_path / "scatter.png").endswith("scatter.png")
    assert save(interpolation_strip(rng.random((5, 1, 28, 28))), tmp_path / "strip.png")
    with pytest.raises(ValueError, match=r"expected \(N, 2\) points and N labels"):
        latent_scatter(np.ones((3, 3)), np.ones(3, int))


def test_the_gaussian_grid_is_at_quantiles_of_the_normal_in_reading_order():
    from statistics import NormalDist

    codes, values = latent.gaussian_grid(4, low=0.1, high=0.9)
    expected = [NormalDist().inv_cdf(u) for u in (0.1, 0.1 + 0.8 / 3, 0.1 + 1.6 / 3, 0.9)]  # evenly spaced u
    np.testing.assert_allclose(values, expected, rtol=1e-12)
    np.testing.assert_allclose(values, -values[::-1], atol=1e-15)  # symmetric around the median
    assert codes.shape == (16, 2)
    np.testing.assert_array_equal(codes[:4, 1], values[-1])  # top row: the largest z[1]
    np.testing.assert_array_equal(codes[:4, 0], values)  # left to right: z[0] grows
    np.testing.assert_array_equal(codes[-4:, 1], values[0])
    assert latent.gaussian_grid(5)[1][2] == 0.0  # the median exactly
    with pytest.raises(ValueError, match="n >= 2"):
        latent.gaussian_grid(1)
    with pytest.raises(ValueError, match="0 < low < high < 1"):
        latent.gaussian_grid(5, low=0.0)


def test_manifold_and_prior_samples_of_a_vae(tmp_path):
    from scratchae.figures import save
    from scratchae.figures.latent import image_grid, manifold_grid, mosaic

    model = build("conv-vae", rng=np.random.default_rng(0))
    images, values = latent.decoded_manifold(model, n=3)
    assert images.shape == (9, 1, 28, 28) and model.training  # the mode is restored
    codes, _ = latent.gaussian_grid(3)
    model.eval()
    np.testing.assert_allclose(images, model.decode(codes.astype(np.float32)), rtol=1e-6)
    samples = latent.prior_samples(model, 5, np.random.default_rng(1))
    np.testing.assert_allclose(
        samples, model.decode(np.random.default_rng(1).standard_normal((5, 2), np.float32)), rtol=1e-6
    )
    picture = mosaic(samples, 2)
    assert picture.shape == (3 * 28, 2 * 28) and not picture[56:, 28:].any()  # the last tile left empty
    np.testing.assert_array_equal(picture[28:56, :28], samples[2, 0])
    assert save(manifold_grid(images, values), tmp_path / "manifold.png")
    assert save(image_grid(samples, columns=3), tmp_path / "samples.png")
    with pytest.raises(ValueError, match="a variational autoencoder with a 2-D code"):
        latent.decoded_manifold(build("vae"))
    with pytest.raises(ValueError, match="a variational autoencoder with a 2-D code"):
        latent.decoded_manifold(build("linear", {"encoding_dim": 2}))
    with pytest.raises(ValueError, match="needs a variational autoencoder"):
        latent.prior_samples(build("linear"))
    with pytest.raises(ValueError, match="expected 9 images"):
        manifold_grid(images[:4], values)
