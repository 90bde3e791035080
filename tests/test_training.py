"""The Trainer: the same numbers as a hand-written loop, denoising targets, resume bit for bit, NaN guard."""

import json
import os

import numpy as np
import pytest

from scratchae import nn, optim
from scratchae.data import add_gaussian_noise as add_noise
from scratchae.models import build
from scratchae.training import Trainer, fit, load_checkpoint
from scratchae.training.trainer import epoch_rng
from tests.helpers_models import images

TRAIN = images(70, seed=0)  # 3 full batches of 20 and one of 10
TEST = images(30, seed=1)


def linear(seed=0, dtype=np.float32):
    return build("linear", {"encoding_dim": 8}, rng=np.random.default_rng(seed), dtype=dtype)


def hand_written_epochs(model, train, epochs, batch_size=20, noise_factor=None, seed=0):
    """The course's loop, written out, with the trainer's documented randomness (epoch_rng)."""
    criterion = nn.MSELoss()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for epoch in range(1, epochs + 1):
        rng = epoch_rng(seed, epoch)
        total = 0.0
        for start in range(0, len(train), batch_size):
            clean = train[start : start + batch_size]
            inputs = clean if noise_factor is None else add_noise(clean, noise_factor, rng)
            loss = criterion(model(inputs), clean)
            optimizer.zero_grad()
            model.backward(criterion.backward())
            optimizer.step()
            total += loss * len(clean)
        losses.append(total / len(train))
    return losses


@pytest.mark.parametrize("noise_factor", [None, 0.5])
def test_trainer_reproduces_the_hand_written_loop_exactly(noise_factor):
    expected_model = linear()
    expected = hand_written_epochs(expected_model, TRAIN, 2, noise_factor=noise_factor)
    model = linear()
    history = fit(model, TRAIN, epochs=2, noise_factor=noise_factor, progress=False)
    assert history["train_loss"] == expected
    for (k, a), b in zip(model.state_dict().items(), expected_model.state_dict().values(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=k)


def test_loss_goes_down_and_history_is_recorded():
    model = linear()
    trainer = Trainer(model, progress=False)
    history = trainer.fit(TRAIN, TEST, epochs=4)
    assert history["epoch"] == [1, 2, 3, 4] and trainer.epoch == 4
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["test_loss"][-1] < history["test_loss"][0]
    assert all(s > 0 for s in history["seconds"]) and len(history["images_per_second"]) == 4
    json.dumps(history)  # serializable as it is


def test_test_loss_is_the_mean_per_pixel_mse_over_all_test_images():
    model = linear()
    trainer = Trainer(model, progress=False)
    trainer.fit(TRAIN, TEST, epochs=1)
    per_pixel = np.mean((model(TEST).astype(np.float64) - TEST) ** 2)
    assert trainer.history["test_loss"][0] == pytest.approx(per_pixel, rel=1e-6)
    # with batches of 20 the course would have printed 20 times this number
    assert trainer.evaluate(TEST, batch_size=7) == pytest.approx(per_pixel, rel=1e-6)


def test_denoising_compares_the_output_of_noisy_inputs_with_clean_images():
    model = linear()
    trainer = Trainer(model, noise_factor=0.5, seed=3, progress=False)
    noisy_loss = trainer.evaluate(TEST)
    clean_loss = Trainer(model, progress=False).evaluate(TEST)
    assert noisy_loss != clean_loss
    # same noisy test images at every evaluation
    assert trainer.evaluate(TEST) == noisy_loss
    noisy = add_noise(TEST[:5], 0.5, np.random.default_rng(0))
    assert noisy.dtype == TEST.dtype and noisy.min() >= 0 and noisy.max() <= 1
    assert not np.array_equal(noisy, TEST[:5])


@pytest.mark.parametrize("options", [{}, {"shuffle": True}, {"noise_factor": 0.5, "shuffle": True}])
def test_resuming_from_a_checkpoint_continues_bit_for_bit(tmp_path, options):
    straight = Trainer(linear(), seed=7, progress=False, **options)
    straight.fit(TRAIN, TEST, epochs=3)

    path = tmp_path / "checkpoint.npz"
    first = Trainer(linear(), seed=7, checkpoint=path, progress=False, **options)
    first.fit(TRAIN, TEST, epochs=1)
    del first
    resumed = Trainer.from_checkpoint(path, progress=False)
    assert resumed.epoch == 1
    resumed.fit(TRAIN, TEST, epochs=3)

    assert resumed.history["train_loss"] == straight.history["train_loss"]
    assert resumed.history["test_loss"] == straight.history["test_loss"]
    for (k, a), b in zip(resumed.model.state_dict().items(), straight.model.state_dict().values(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=k)
    assert load_checkpoint(path).epoch == 3


def test_shuffling_changes_the_order_but_not_the_data():
    plain = fit(linear(), TRAIN, epochs=1, progress=False)
    shuffled = fit(linear(), TRAIN, epochs=1, shuffle=True, progress=False)
    assert plain["train_loss"] != shuffled["train_loss"]


def test_a_nan_loss_stops_training_naming_epoch_and_step_and_keeps_the_checkpoint(tmp_path):
    path = tmp_path / "checkpoint.npz"
    trainer = Trainer(linear(), checkpoint=path, progress=False)
    trainer.fit(TRAIN, TEST, epochs=1)
    before = path.read_bytes()
    trainer.model.fc2.bias.data[0] = np.nan  # a fault: the next forward produces NaN
    with pytest.raises(FloatingPointError, match=r"epoch 2, step 1\b.*checkpoint.*untouched"):
        trainer.fit(TRAIN, TEST, epochs=2)
    assert path.read_bytes() == before
    assert load_checkpoint(path).epoch == 1
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.npz"]


def test_an_infinite_gradient_stops_training_before_the_weights_change(tmp_path):
    model = linear()
    trainer = Trainer(model, progress=False)
    trainer.fit(TRAIN, epochs=1)
    before = model.state_dict()
    backward = model.fc2.backward

    def faulty_backward(grad):
        result = backward(grad)
        model.fc2.weight.grad[3, 1] = np.inf
        return result

    model.fc2.backward = faulty_backward
    with pytest.raises(FloatingPointError, match=r"gradients of fc2.weight are not finite at epoch 2, step 1\b"):
        trainer.fit(TRAIN, epochs=2)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)


def test_a_far_too_high_learning_rate_never_writes_non_finite_weights(tmp_path):
    path = tmp_path / "checkpoint.npz"
    model = linear()
    trainer = Trainer(model, optim.Adam(model.parameters(), lr=1e30), checkpoint=path, progress=False)
    with np.errstate(all="ignore"):
        try:
            trainer.fit(TRAIN, TEST, epochs=2)
        except FloatingPointError as error:
            assert "diverged" in str(error)
    if path.exists():
        assert all(np.isfinite(v).all() for v in load_checkpoint(path).model_state.values())


def test_progress_bar_shows_images_per_second_and_running_loss(capsys):
    Trainer(linear(), progress=True).fit(TRAIN, TEST, epochs=1)
    captured = capsys.readouterr()
    assert "img/s" in captured.err and "loss=" in captured.err
    assert "epoch 1: train loss" in captured.out


def test_inputs_are_checked():
    trainer = Trainer(linear(), progress=False)
    with pytest.raises(TypeError, match="float64 but the model is float32"):
        trainer.fit(TRAIN.astype(np.float64), epochs=1)
    bad = TRAIN.copy()
    bad[3, 0, 5, 5] = np.nan
    with pytest.raises(ValueError, match="training images contain NaN"):
        trainer.fit(bad, epochs=1)
    with pytest.raises(ValueError, match="test images contain NaN"):
        trainer.fit(TRAIN, bad, epochs=1)
    with pytest.raises(ValueError, match="non-empty"):
        trainer.fit(TRAIN[:0], epochs=1)
    with pytest.raises(TypeError, match="image array"):
        trainer.fit([1, 2, 3], epochs=1)
    with pytest.raises(ValueError, match="batch_size"):
        Trainer(linear(), batch_size=0)
    with pytest.raises(ValueError, match="noise_factor"):
        Trainer(linear(), noise_factor=-1.0)


def test_accepts_a_dataset_object_with_images():
    class Dataset:
        images = TRAIN

    history = fit(linear(), Dataset(), Dataset(), epochs=1, progress=False)
    assert history["test_loss"][0] is not None


def test_float64_training_stays_float64():
    model = linear(dtype=np.float64)
    history = fit(model, TRAIN.astype(np.float64), epochs=1, progress=False)
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert np.isfinite(history["train_loss"][0])


def test_checkpoint_every_epoch_records_the_run(tmp_path):
    path = os.path.join(tmp_path, "ck.npz")
    Trainer(linear(), checkpoint=path, config={"dataset": "synthetic"}, progress=False).fit(TRAIN, epochs=2)
    saved = load_checkpoint(path)
    assert saved.epoch == 2 and saved.history["epoch"] == [1, 2]
    assert saved.config["model"] == "linear" and saved.config["model_config"] == {"encoding_dim": 8}
    assert saved.config["dataset"] == "synthetic" and saved.config["batch_size"] == 20
    assert saved.config["optimizer"] == "Adam" and saved.config["optimizer_config"]["lr"] == 1e-3


@pytest.mark.parametrize("name", ["conv", "upsample", "denoise", "deep-conv"])
def test_convolutional_models_resume_bit_for_bit_too(tmp_path, name):
    options = {"noise_factor": 0.5} if name == "denoise" else {}
    train, test = TRAIN[:40], TEST[:10]
    straight = Trainer(build(name, rng=np.random.default_rng(0)), shuffle=True, progress=False, **options)
    straight.fit(train, test, epochs=2)
    path = tmp_path / "checkpoint.npz"
    Trainer(build(name, rng=np.random.default_rng(0)), shuffle=True, checkpoint=path, progress=False, **options).fit(
        train, test, epochs=1
    )
    resumed = Trainer.from_checkpoint(path, progress=False)
    resumed.fit(train, test, epochs=2)
    assert resumed.history["train_loss"] == straight.history["train_loss"]
    for (k, a), b in zip(resumed.model.state_dict().items(), straight.model.state_dict().values(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=k)
