"""model.summary(): the layer table (output shapes, parameter counts, totals) of every model."""

import numpy as np
import pytest

from scratchae import nn
from scratchae.models import MODELS, build
from scratchae.nn.module import Buffer
from scratchae.summary import layer_calls, summary

COURSE_MODELS = ("linear", "conv", "upsample", "denoise")


def test_the_course_conv_autoencoder_has_1077_parameters():
    table = build("conv").summary()
    assert table.total_params == table.trainable_params == 1077 and table.non_trainable_params == 0
    text = str(table)
    assert "Total params: 1,077" in text and "Trainable params: 1,077" in text
    assert "Non-trainable params: 0" in text and "Buffers" not in text
    lines = text.splitlines()
    assert lines[0] == "ConvAutoencoder, input [-1, 1, 28, 28]"
    assert lines[2].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#"]
    rows = {
        line.split()[0]: line.split("]")[0].split("[")[1] + " | " + line.split()[-1]
        for line in lines
        if line.split()[0] in ("conv1", "conv2", "t_conv1", "t_conv2", "sigmoid")
    }
    assert rows == {  # conv1 and conv2 are fused layers: convolution, ReLU and pooling
        "conv1": "-1, 16, 14, 14 | 160",
        "conv2": "-1, 4, 7, 7 | 580",
        "t_conv1": "-1, 16, 14, 14 | 272",
        "t_conv2": "-1, 1, 28, 28 | 65",
        "sigmoid": "-1, 1, 28, 28 | 0",
    }
    # the code is marked right after the encoder's last layer
    code_line = lines.index(next(line for line in lines if line.startswith("-- code")))
    assert lines[code_line - 1].startswith("conv2 ") and "[-1, 4, 7, 7]" in lines[code_line]
    assert "Params size: 4.21 KiB" in text  # 1,077 float32 values = 4,308 bytes


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_counts_each_layer_and_the_totals(name):
    model = build(name, rng=np.random.default_rng(0))
    table = model.summary()
    params = dict(model.named_parameters())
    assert table.total_params == sum(p.data.size for p in params.values())
    assert table.buffer_values == sum(b.data.size for b in model.buffers())
    assert ("Buffers (saved, not trained)" in str(table)) == bool(table.buffer_values)
    # each row counts the parameters named after it, and every parameter is in exactly one row
    for row in table.rows:
        assert row.params == sum(p.data.size for key, p in params.items() if key.rsplit(".", 1)[0] == row.name)
    assert sum(row.params for row in table.rows) <= table.total_params
    if name not in COURSE_MODELS:  # a model may hold a parameter outside its layers; the course's do not
        return
    assert sum(row.params for row in table.rows) == table.total_params
    # the last row's output is the model's output
    x = np.zeros((1, 1, 28, 28), dtype=model.dtype)
    model.eval()
    output = model(x)
    assert isinstance(output, tuple) or table.rows[-1].output.shape == output.shape
    assert table.code_after is not None and 0 < table.code_after < len(table.rows)


@pytest.mark.torch
@pytest.mark.parametrize("name", COURSE_MODELS)
def test_parameter_counts_and_shapes_agree_with_the_pytorch_twin(name, torch):
    from tests.torch_twins import twin_of

    model = build(name, rng=np.random.default_rng(1))
    twin = twin_of(model)
    shapes = {}

    def record_shape(layer_name):
        def hook(module, inputs, output):
            shapes[layer_name] = tuple(output.shape)  # returns None: the output is left as it is

        return hook

    for layer_name, layer in twin.named_children():
        if isinstance(layer, (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Linear)):
            layer.register_forward_hook(record_shape(layer_name))
    twin(torch.zeros(3, 1, 28, 28))
    table = model.summary((3, 1, 28, 28))
    rows = {row.name: row for row in table.rows if row.params}
    assert set(rows) == set(shapes)
    fused = (nn.Conv2dReLU, nn.Conv2dReLUMaxPool2d, nn.ConvTranspose2dReLU)
    modules = dict(model.named_modules())
    for layer_name, row in rows.items():
        assert row.params == sum(p.numel() for p in twin.get_submodule(layer_name).parameters())
        if not isinstance(modules[layer_name], fused):  # a fused layer's output is after its ReLU and pooling
            assert row.output.shape == shapes[layer_name]
    assert table.total_params == sum(p.numel() for p in twin.parameters())


class WithBuffer(nn.Module):
    """A layer that keeps a running mean (a buffer) and scales by a parameter."""

    def __init__(self):
        self.scale = nn.Parameter(np.ones(3, dtype=np.float32))
        self.running_mean = Buffer(np.zeros(3, dtype=np.float32))

    def forward(self, x):
        return x * self.scale.data


def test_buffers_are_counted_apart_and_a_reused_layer_counts_once():
    shared = WithBuffer()
    model = nn.Sequential({"first": shared, "act": nn.ReLU(), "again": shared})
    table = model.summary((2, 3))
    assert [(row.name, row.params) for row in table.rows] == [("first", 3), ("act", 0), ("first", 0)]
    assert table.total_params == 3 and table.buffer_values == 3 and table.code_after is None
    text = str(table)
    assert "Buffers (saved, not trained): 3 values" in text and "Total params: 3\n" in text
    assert "Sequential, input [-1, 3]" in text


def test_summary_restores_the_mode_and_checks_the_input_shape():
    model = build("conv")
    model.train()
    summary(model)
    assert model.training
    model.eval()
    calls = layer_calls(model, np.zeros((2, 1, 28, 28), dtype=np.float32))
    assert not model.training and [c.name for c in calls][:3] == ["conv1", "conv2", "t_conv1"]
    with pytest.raises(ValueError, match="input shape of positive sizes"):
        summary(model, (0, 1, 28, 28))
    with pytest.raises(ValueError, match=r"expected images of shape \(N, 1, 28, 28\)"):
        model.summary((1, 3, 28, 28))  # the model's own check names what it expected
