"""Output sizes of the convolution family (Dumoulin & Visin, 2016), checked against the layers of PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

from conv_cases import conv_cases, conv_transpose_cases, maxpool_cases
from scratchae.arithmetic import (
    conv2d_output_size,
    conv_transpose2d_output_size,
    maxpool2d_output_size,
    pair,
    upsample_output_size,
)


def test_pair():
    assert pair(3) == (3, 3) and pair((2, 5)) == (2, 5) and pair([1, 4]) == (1, 4)
    assert pair(np.int64(2)) == (2, 2) and type(pair(np.int64(2))[0]) is int
    with pytest.raises(TypeError, match=r"Conv2d expected stride to be an int or a pair of ints"):
        pair(1.0, "stride", "Conv2d")
    with pytest.raises(TypeError, match="an int or a pair"):
        pair(True)
    with pytest.raises(TypeError, match="an int or a pair"):
        pair((1, 2, 3))
    with pytest.raises(ValueError, match=r"X expected padding to be non-negative, got \(1, -1\)"):
        pair((1, -1), "padding", "X", minimum=0)


def test_the_autoencoders_shapes():
    assert conv2d_output_size((28, 28), 3, 1, 1) == (28, 28)
    assert maxpool2d_output_size((28, 28), 2) == (14, 14)
    assert maxpool2d_output_size((7, 7), 2, 2) == (3, 3)  # floor
    assert conv_transpose2d_output_size((3, 3), 3, 2) == (7, 7)
    assert conv_transpose2d_output_size((7, 7), 2, 2) == (14, 14)
    assert upsample_output_size((7, 7), 2) == (14, 14)


def test_transposed_inverts_the_convolution_size():
    """For every i, the transposed convolution maps conv(i) back to i with a = (i + 2p - d(k-1) - 1) mod s."""
    for i in range(3, 12):
        for k, s, p, d in [(3, 2, 1, 1), (2, 3, 0, 1), (3, 3, 2, 2), (1, 2, 0, 1)]:
            o = conv2d_output_size((i, i), k, s, p, d)
            a = (i + 2 * p - d * (k - 1) - 1) % s
            assert conv_transpose2d_output_size(o, k, s, p, a, d) == (i, i)


def test_kernel_larger_than_padded_input_names_the_rule():
    with pytest.raises(ValueError, match=r"kernel larger than the padded input: .* covers 5 .* only 4 .* width"):
        conv2d_output_size((9, 2), 3, 1, 1, 2)


def test_transposed_size_must_be_positive():
    with pytest.raises(ValueError, match="is not positive"):
        conv_transpose2d_output_size((1, 1), 1, 1, 1)


@pytest.mark.torch
def test_sizes_match_torch():
    torch = pytest.importorskip("torch")
    for kw, shape in conv_cases(30, seed=11):
        y = torch.nn.Conv2d(**kw)(torch.zeros(shape))
        assert conv2d_output_size(shape[2:], kw["kernel_size"], kw["stride"], kw["padding"], kw["dilation"]) == tuple(
            y.shape[2:]
        )
    for kw, shape in conv_transpose_cases(30, seed=12):
        y = torch.nn.ConvTranspose2d(**kw)(torch.zeros(shape))
        assert conv_transpose2d_output_size(
            shape[2:], kw["kernel_size"], kw["stride"], kw["padding"], kw["output_padding"], kw["dilation"]
        ) == tuple(y.shape[2:])
    for kw, shape in maxpool_cases(30, seed=13):
        y = torch.nn.MaxPool2d(**kw)(torch.zeros(shape))
        assert maxpool2d_output_size(shape[2:], kw["kernel_size"], kw.get("stride"), kw["padding"]) == tuple(
            y.shape[2:]
        )
