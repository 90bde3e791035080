"""The variational autoencoders: trained in lockstep with PyTorch twins from the same weights and the same
noise (float64), their loss as the Trainer computes and records it, resume, and bad input.

The twins (tests/torch_twins.py) are PyTorch's VAE example and the convolutional VAE written with
torch.nn; they take the noise as an argument, so each step feeds them the eps scratchae drew.
"""

import math

import numpy as np
import pytest

from scratchae import nn, optim
from scratchae.models import build
from scratchae.training import Trainer, load_checkpoint
from scratchae.training.trainer import evaluation_rng
from tests.helpers_models import images

TRAIN = images(50, seed=0)
TEST = images(30, seed=1)


@pytest.fixture(scope="module")
def sample():
    from scratchae.data import load_dataset

    return load_dataset("sample", split="train").images.astype(np.float64)


def lockstep(torch, name, batches, *, beta=1.0, config=None):
    """Train a scratchae VAE and its twin side by side with Adam; returns both loss trajectories (and the
    two models). The noise scratchae draws at each step (from a seeded generator) is given to the twin."""
    from torch_twins import twin_of, vae_loss

    model = build(name, {**(config or {}), "beta": beta}, dtype=np.float64, rng=np.random.default_rng(0))
    model.reparameterize.rng = np.random.default_rng(1)
    twin = twin_of(model)
    assert [k for k, _ in twin.named_parameters()] == [k for k, _ in model.named_parameters()]
    criterion = model.default_criterion()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    twin_optimizer = torch.optim.Adam(twin.parameters(), lr=1e-3)
    ours, theirs = [], []
    for x in batches:
        ours.append(criterion(model(x), x) + model.latent_loss())
        optimizer.zero_grad()
        model.backward(criterion.backward())
        optimizer.step()

        tx = torch.from_numpy(x)
        reconstruction, mu, logvar = twin(tx, torch.from_numpy(model.reparameterize.eps))
        loss, _, _ = vae_loss(reconstruction, tx, mu, logvar, beta=beta)
        theirs.append(loss.item())
        twin_optimizer.zero_grad()
        loss.backward()
        twin_optimizer.step()
    return ours, theirs, model, twin


@pytest.mark.torch
def test_the_mlp_vae_trains_in_lockstep_with_pytorch_for_25_adam_steps(torch, sample):
    batches = [sample[i : i + 32] for i in range(0, 25 * 32, 32)]
    ours, theirs, model, twin = lockstep(torch, "vae", batches)
    initial = build("vae", dtype=np.float64, rng=np.random.default_rng(0)).state_dict()
    assert max(np.abs(v - initial[k]).max() for k, v in model.state_dict().items()) > 1e-2  # it moved
    assert ours[-1] < 0.8 * ours[0]  # and learned
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=0)
    for k, v in twin.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[k], v.numpy(), rtol=1e-9, atol=1e-12, err_msg=k)


@pytest.mark.torch
@pytest.mark.parametrize("name, beta, steps, batch", [("vae", 4.0, 4, 16), ("conv-vae", 1.0, 4, 6), ("vae", 0.0, 3, 8)])
def test_each_vae_and_beta_trains_in_lockstep_with_pytorch(torch, sample, name, beta, steps, batch):
    batches = [sample[i : i + batch] for i in range(0, steps * batch, batch)]
    ours, theirs, model, twin = lockstep(torch, name, batches, beta=beta)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=0)
    for k, v in twin.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[k], v.numpy(), rtol=1e-8, atol=1e-11, err_msg=k)


@pytest.mark.torch
def test_a_kl_gradient_with_the_wrong_sign_makes_the_lockstep_fail(torch, sample, monkeypatch):
    backward = nn.GaussianKL.backward

    def wrong_sign(self, grad=1.0):
        grad_mu, grad_logvar = backward(self, grad)
        return -grad_mu, grad_logvar

    monkeypatch.setattr(nn.GaussianKL, "backward", wrong_sign)
    ours, theirs, _, _ = lockstep(torch, "vae", [sample[i : i + 16] for i in range(0, 64, 16)])
    assert ours[0] == pytest.approx(theirs[0], rel=1e-12)  # the forward is right ...
    assert abs(ours[-1] - theirs[-1]) > 1e-6 * abs(theirs[-1])  # ... and the training is not


@pytest.mark.torch
def test_float32_forward_matches_the_twin(torch, sample):
    from torch_twins import twin_of, vae_loss

    for name in ("vae", "conv-vae"):
        model = build(name, rng=np.random.default_rng(3))
        x = sample[:8].astype(np.float32)
        model.reparameterize.fixed_eps = np.random.default_rng(0).standard_normal((8, model.latent_dim))
        out = model(x)
        loss = model.default_criterion()(out, x) + model.latent_loss()
        twin_out, mu, logvar = twin_of(model)(torch.from_numpy(x), torch.from_numpy(model.reparameterize.eps))
        np.testing.assert_allclose(out, twin_out.detach().numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(model.encode(x), mu.detach().numpy(), rtol=1e-4, atol=1e-5)
        assert loss == pytest.approx(vae_loss(twin_out, torch.from_numpy(x), mu, logvar)[0].item(), rel=1e-5)


# -- the loss the Trainer computes and records -------------------------------------------------------
def vae(seed=0, **config):
    return build("vae", {"hidden": 32, "latent_dim": 4, **config}, rng=np.random.default_rng(seed))


def test_the_test_loss_is_the_negative_elbo_per_image_in_nats():
    model = vae()
    trainer = Trainer(model, batch_size=16, progress=False)
    trainer.fit(TRAIN, TEST, epochs=1)
    # by hand, in float64 NumPy: the evaluation's noise is drawn from evaluation_rng(seed), 200 images
    # at a time (here all 30 at once)
    model.eval()
    x = TEST.astype(np.float64)
    mu, logvar = (a.astype(np.float64) for a in model.encode_distribution(TEST))
    eps = evaluation_rng(0).standard_normal(mu.shape, dtype=np.float32).astype(np.float64)
    p = model.decode((mu + np.exp(logvar / 2) * eps).astype(np.float32)).astype(np.float64)
    bce = -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2, 3))  # nats, per image
    kl = -0.5 * np.sum(1 + logvar - mu**2 - np.exp(logvar), axis=1)
    h = trainer.history
    assert h["test_reconstruction"][0] == pytest.approx(bce.mean(), rel=1e-4)
    assert h["test_kl"][0] == pytest.approx(kl.mean(), rel=1e-4)
    assert h["test_loss"][0] == pytest.approx(bce.mean() + kl.mean(), rel=1e-4)
    assert h["train_loss"][0] == pytest.approx(h["train_reconstruction"][0] + h["train_kl"][0], rel=1e-12)
    assert trainer.evaluate(TEST) == h["test_loss"][0]  # the same noise every time


def test_beta_weighs_the_kl_term_in_the_loss_and_the_history():
    trainer = Trainer(vae(beta=0.25), batch_size=16, progress=False)
    h = trainer.fit(TRAIN, TEST, epochs=1)
    assert h["train_loss"][0] == pytest.approx(h["train_reconstruction"][0] + 0.25 * h["train_kl"][0], rel=1e-12)
    assert h["test_loss"][0] == pytest.approx(h["test_reconstruction"][0] + 0.25 * h["test_kl"][0], rel=1e-12)
    assert load_checkpoint_config(trainer) == {"latent_dim": 4, "hidden": 32, "beta": 0.25}


def load_checkpoint_config(trainer):
    return trainer.config()["model_config"]


def test_training_lowers_the_negative_elbo_and_the_plain_history_is_unchanged():
    h = Trainer(vae(), batch_size=10, progress=False).fit(TRAIN, TEST, epochs=3)
    assert h["test_loss"][-1] < h["test_loss"][0]
    assert set(h) == {
        "epoch",
        "train_loss",
        "test_loss",
        "seconds",
        "images_per_second",
        "train_reconstruction",
        "train_kl",
        "test_reconstruction",
        "test_kl",
    }
    plain = Trainer(build("linear", {"encoding_dim": 4}), progress=False).fit(TRAIN, TEST, epochs=1)
    assert set(plain) == {"epoch", "train_loss", "test_loss", "seconds", "images_per_second"}


@pytest.mark.parametrize("shuffle", [False, True])
def test_resuming_a_vae_continues_bit_for_bit(tmp_path, shuffle):
    straight = Trainer(vae(), batch_size=16, shuffle=shuffle, seed=5, progress=False)
    straight.fit(TRAIN, TEST, epochs=3)
    path = tmp_path / "checkpoint.npz"
    Trainer(vae(), batch_size=16, shuffle=shuffle, seed=5, checkpoint=path, progress=False).fit(TRAIN, TEST, 1)
    resumed = Trainer.from_checkpoint(path, progress=False)
    assert isinstance(resumed.criterion, nn.BCELoss) and resumed.criterion.reduction == "batchmean"
    resumed.fit(TRAIN, TEST, epochs=3)
    assert resumed.history["train_loss"] == straight.history["train_loss"]
    assert resumed.history["test_kl"] == straight.history["test_kl"]
    for (k, a), b in zip(resumed.model.state_dict().items(), straight.model.state_dict().values(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=k)
    assert resumed.model.reparameterize.rng is None  # the trainer's generators were put back


def test_a_nan_log_variance_stops_training_and_keeps_the_last_good_checkpoint(tmp_path):
    path = tmp_path / "checkpoint.npz"
    trainer = Trainer(vae(), batch_size=16, checkpoint=path, progress=False)
    trainer.fit(TRAIN, TEST, epochs=1)
    before = path.read_bytes()
    trainer.model.fc22.bias.data[0] = np.nan  # the log-variance, hence the KL, is NaN
    with pytest.raises(FloatingPointError, match=r"output is not finite at epoch 2, step 1\b.*untouched"):
        trainer.fit(TRAIN, TEST, epochs=2)
    assert path.read_bytes() == before and load_checkpoint(path).epoch == 1


def test_sampling_and_bad_configurations():
    model = vae()
    samples = model.sample(5, rng=np.random.default_rng(0))
    assert samples.shape == (5, 1, 28, 28) and samples.dtype == np.float32
    assert np.all((samples > 0) & (samples < 1))
    assert model.config() == {"latent_dim": 4, "hidden": 32, "beta": 1.0}
    for beta in (-0.5, math.nan, math.inf, True, "1"):
        with pytest.raises(ValueError, match="beta >= 0"):
            build("vae", {"beta": beta})
    with pytest.raises(RuntimeError, match="no loss yet"):
        vae().latent_loss()
    with pytest.raises(TypeError, match="backward_encode_distribution"):
        model.backward_encode(np.zeros((1, 4), np.float32))
    assert model.encode(TEST[:3]).shape == (3, 4)
    np.testing.assert_array_equal(model.encode(TEST[:3]), model.encode(TEST[:3]))  # the mean: no noise
