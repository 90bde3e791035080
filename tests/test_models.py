"""The models: the course's (and PyTorch's VAE example's) parameter names and shapes, shapes of codes and
outputs, gradients. The VAEs' sampling noise is fixed where a test calls a model twice (``fix_noise``)."""

import numpy as np
import pytest

import scratchae
from scratchae.models import MODELS, build
from tests.helpers_models import directional_derivative_check, fix_noise, images

# The parameters of the course's PyTorch models (and of the VAEs: PyTorch's example, and the convolutional
# VAE of tests/torch_twins.py), in the order named_parameters() lists them.
COURSE_PARAMETERS = {
    "linear": [("fc1.weight", (32, 784)), ("fc1.bias", (32,)), ("fc2.weight", (784, 32)), ("fc2.bias", (784,))],
    "conv": [
        ("conv1.weight", (16, 1, 3, 3)),
        ("conv1.bias", (16,)),
        ("conv2.weight", (4, 16, 3, 3)),
        ("conv2.bias", (4,)),
        ("t_conv1.weight", (4, 16, 2, 2)),
        ("t_conv1.bias", (16,)),
        ("t_conv2.weight", (16, 1, 2, 2)),
        ("t_conv2.bias", (1,)),
    ],
    "upsample": [
        ("conv1.weight", (16, 1, 3, 3)),
        ("conv1.bias", (16,)),
        ("conv2.weight", (4, 16, 3, 3)),
        ("conv2.bias", (4,)),
        ("conv4.weight", (16, 4, 3, 3)),
        ("conv4.bias", (16,)),
        ("conv5.weight", (1, 16, 3, 3)),
        ("conv5.bias", (1,)),
    ],
    "denoise": [
        ("conv1.weight", (32, 1, 3, 3)),
        ("conv1.bias", (32,)),
        ("conv2.weight", (16, 32, 3, 3)),
        ("conv2.bias", (16,)),
        ("conv3.weight", (8, 16, 3, 3)),
        ("conv3.bias", (8,)),
        ("t_conv1.weight", (8, 8, 3, 3)),
        ("t_conv1.bias", (8,)),
        ("t_conv2.weight", (8, 16, 2, 2)),
        ("t_conv2.bias", (16,)),
        ("t_conv3.weight", (16, 32, 2, 2)),
        ("t_conv3.bias", (32,)),
        ("conv_out.weight", (1, 32, 3, 3)),
        ("conv_out.bias", (1,)),
    ],
    # not the course's: scratchae's deeper model (tests/torch_twins.py has its PyTorch twin)
    "deep-conv": [
        ("conv1.weight", (16, 1, 3, 3)),
        ("bn1.weight", (16,)),
        ("bn1.bias", (16,)),
        ("conv2.weight", (32, 16, 3, 3)),
        ("bn2.weight", (32,)),
        ("bn2.bias", (32,)),
        ("conv3.weight", (4, 32, 3, 3)),
        ("conv3.bias", (4,)),
        ("conv4.weight", (32, 4, 3, 3)),
        ("bn4.weight", (32,)),
        ("bn4.bias", (32,)),
        ("conv5.weight", (16, 32, 3, 3)),
        ("bn5.weight", (16,)),
        ("bn5.bias", (16,)),
        ("conv6.weight", (1, 16, 3, 3)),
        ("conv6.bias", (1,)),
    ],
    "vae": [
        ("fc1.weight", (400, 784)),
        ("fc1.bias", (400,)),
        ("fc21.weight", (20, 400)),
        ("fc21.bias", (20,)),
        ("fc22.weight", (20, 400)),
        ("fc22.bias", (20,)),
        ("fc3.weight", (400, 20)),
        ("fc3.bias", (400,)),
        ("fc4.weight", (784, 400)),
        ("fc4.bias", (784,)),
    ],
    "conv-vae": [
        ("conv1.weight", (32, 1, 3, 3)),
        ("conv1.bias", (32,)),
        ("conv2.weight", (64, 32, 3, 3)),
        ("conv2.bias", (64,)),
        ("fc1.weight", (16, 3136)),
        ("fc1.bias", (16,)),
        ("fc21.weight", (2, 16)),
        ("fc21.bias", (2,)),
        ("fc22.weight", (2, 16)),
        ("fc22.bias", (2,)),
        ("fc3.weight", (3136, 2)),
        ("fc3.bias", (3136,)),
        ("t_conv1.weight", (64, 64, 3, 3)),
        ("t_conv1.bias", (64,)),
        ("t_conv2.weight", (64, 32, 3, 3)),
        ("t_conv2.bias", (32,)),
        ("t_conv3.weight", (32, 1, 3, 3)),
        ("t_conv3.bias", (1,)),
    ],
}
CODE_SHAPES = {
    "linear": (32,),
    "conv": (4, 7, 7),
    "upsample": (4, 7, 7),
    "denoise": (8, 3, 3),
    "deep-conv": (4, 7, 7),
    "vae": (20,),
    "conv-vae": (2,),
}
MODEL_NAMES = list(MODELS)


def test_registry_has_the_four_models_of_the_course_and_the_vaes():
    assert set(MODELS) <= set(COURSE_PARAMETERS)
    assert {"linear", "conv", "upsample", "denoise", "vae", "conv-vae"} <= set(MODELS)
    for name, cls in MODELS.items():
        assert cls.name == name


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_parameters_have_the_course_names_shapes_and_order(name):
    model = build(name)
    assert [(k, p.shape) for k, p in model.named_parameters()] == COURSE_PARAMETERS[name]
    assert all(p.dtype == np.float32 for p in model.parameters())


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_encode_decode_forward_shapes_and_range(name):
    model = build(name, rng=np.random.default_rng(0))
    x = images(3)
    code = model.encode(x)
    assert code.shape == (3,) + CODE_SHAPES[name]
    out = model.decode(code)
    assert out.shape == x.shape and out.dtype == np.float32
    assert np.all((out > 0) & (out < 1))
    if name.endswith("vae"):
        model.reparameterize.fixed_eps = np.zeros((3,) + CODE_SHAPES[name])  # z = mu: the mean's image
    np.testing.assert_array_equal(model(x), out)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_backward_matches_finite_differences_in_float64(name):
    # random pixels, not smooth images: flat regions would give max-pooling near-ties that a finite
    # difference step can flip (a kink, not a bug)
    model = build(name, rng=np.random.default_rng(1))
    fix_noise(model, 2)
    directional_derivative_check(model, np.random.default_rng(3).random((2, 1, 28, 28)))


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_backward_is_split_into_decoder_then_encoder(name):
    model = build(name, rng=np.random.default_rng(2), dtype=np.float64)
    model.needs_input_grad = True
    fix_noise(model, 2)
    x = images(2, dtype=np.float64)
    g = np.random.default_rng(0).standard_normal(x.shape)
    model(x)
    whole = model.backward(g)
    grads = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    model(x)
    if name.endswith("vae"):  # through the decoder, the sampling, the KL term, then the encoder
        grad_mu, grad_logvar = model.reparameterize.backward(model.backward_decode(g))
        kl_mu, kl_logvar = model.kl.backward(model.beta)
        split = model.backward_encode_distribution(grad_mu + kl_mu, grad_logvar + kl_logvar)
    else:
        split = model.backward_encode(model.backward_decode(g))
    np.testing.assert_array_equal(whole, split)
    for a, p in zip(grads, model.parameters(), strict=True):
        np.testing.assert_array_equal(a, p.grad)


def test_same_seed_same_initial_weights():
    scratchae.manual_seed(5)
    a = build("linear").state_dict()
    scratchae.manual_seed(5)
    b = build("linear").state_dict()
    c = build("linear").state_dict()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert not np.array_equal(a["fc1.weight"], c["fc1.weight"])


def test_linear_encoding_dim_is_configurable_and_in_config():
    model = build("linear", {"encoding_dim": 8})
    assert model.config() == {"encoding_dim": 8}
    assert model.encode(images(2)).shape == (2, 8)
    assert "(fc1): Linear(784, 8)" in repr(model)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_wrong_input_shape_or_dtype_is_refused(name):
    model = build(name)
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        model(np.zeros((2, 784), np.float32))
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        model(np.zeros((2, 3, 28, 28), np.float32))
    with pytest.raises(TypeError, match="float64"):
        model(np.zeros((2, 1, 28, 28), np.float64))
    with pytest.raises(TypeError, match="uint8"):
        model(np.zeros((2, 1, 28, 28), np.uint8))


def test_build_refuses_unknown_names_and_arguments():
    with pytest.raises(ValueError, match=r"unknown model 'gan'.*linear"):
        build("gan")
    with pytest.raises(ValueError, match="bad configuration"):
        build("linear", {"hidden": 3})


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_backward_before_forward_is_an_error(name):
    model = build(name)
    with pytest.raises(RuntimeError, match="before forward"):
        model.backward(np.zeros((1, 1, 28, 28), np.float32))


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_the_input_gradient_is_skipped_unless_asked_for(name):
    model = build(name, rng=np.random.default_rng(4), dtype=np.float64)
    fix_noise(model, 2)
    x = images(2, dtype=np.float64)
    g = np.random.default_rng(1).standard_normal(x.shape)
    assert model.needs_input_grad is False  # images are data, as in PyTorch
    model(x)
    assert model.backward(g) is None
    skipped = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    model.needs_input_grad = True
    model(x)
    grad_x = model.backward(g)
    assert grad_x.shape == x.shape and np.abs(grad_x).max() > 0
    for a, p in zip(skipped, model.parameters(), strict=True):
        np.testing.assert_array_equal(a, p.grad)  # parameter gradients are unaffected


def test_deep_conv_keeps_running_statistics_and_evaluates_with_them():
    model = build("deep-conv", rng=np.random.default_rng(5))
    buffers = [k for k in model.state_dict() if k.endswith(("running_mean", "running_var", "num_batches_tracked"))]
    assert len(buffers) == 12 and "bn1.num_batches_tracked" in buffers
    x = images(4)
    model(x)
    assert model.bn1.num_batches_tracked.data == 1 and np.abs(model.bn1.running_mean.data).max() > 0
    model.eval()
    alone, together = model(x[:1]), model(x)[:1]  # evaluation: an image's output ignores its batch
    np.testing.assert_allclose(alone, together, rtol=1e-5, atol=1e-6)
    assert model.bn1.num_batches_tracked.data == 1
    model.train()
    assert not np.allclose(model(x[:2])[:1], model(x)[:1], atol=1e-4)  # training: the batch's statistics


@pytest.mark.parametrize("config", [dict(batch_norm=False), dict(negative_slope=0.0, upsampling="nearest")])
def test_deep_conv_variants_for_measuring_each_addition(config):
    model = build("deep-conv", config, rng=np.random.default_rng(6))
    assert model.config() == {"batch_norm": True, "negative_slope": 0.2, "upsampling": "bilinear", **config}
    names = [k for k, _ in model.named_parameters()]
    assert ("bn1.weight" in names) == model.batch_norm and ("conv1.bias" in names) != model.batch_norm
    assert model.encode(images(2)).shape == (2, 4, 7, 7)
    directional_derivative_check(model, np.random.default_rng(3).random((2, 1, 28, 28)))
