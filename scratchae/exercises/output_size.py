"""Exercise ``output_size``: the output-size arithmetic of convolutions and transposed convolutions."""

from __future__ import annotations

import itertools

import numpy as np

from ..arithmetic import conv_output_length, conv_transpose_output_length, output_padding_for
from .engine import Exercise, Failed

STUB = '''\
"""Exercise `output_size`: how big is the output of a convolution, and of a transposed convolution?

One dimension at a time (rows or columns), all ints. Check it with:  scratchae exercises check output_size
"""


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """The output length of a convolution (torch.nn.Conv2d) of an input of `size` pixels.

    A kernel of k taps with dilation d has its taps d apart, so it spans d*(k-1) + 1 pixels. The input
    gets `padding` zeros on BOTH sides. Count the window positions 0, s, 2s, ... that fit entirely.
    """
    raise NotImplementedError


def conv_transpose_output_size(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """The output length of a transposed convolution (torch.nn.ConvTranspose2d) of `size` pixels.

    Each input pixel stamps the (dilated) kernel into the output, the stamps `stride` apart; then
    `padding` pixels are cut from BOTH ends, and `output_padding` pixels are added at the end.
    """
    raise NotImplementedError


def output_padding_for(input_size, output_size, kernel_size, stride=1, padding=0, dilation=1):
    """The output_padding that makes the transposed convolution of `input_size` pixels return
    `output_size` pixels. PyTorch allows 0 <= output_padding < max(stride, dilation); when no allowed
    value gives `output_size`, raise ValueError (with a message saying which sizes are possible).
    """
    raise NotImplementedError
'''

SOLUTION = '''\
"""Exercise `output_size`: the output sizes of convolutions and transposed convolutions (a worked solution)."""


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """floor((i + 2p - d(k-1) - 1) / s) + 1: the window starts 0, s, 2s, ... whose span fits in i + 2p."""
    span = dilation * (kernel_size - 1) + 1
    return (size + 2 * padding - span) // stride + 1


def conv_transpose_output_size(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """(i - 1)s + d(k-1) + 1 pixels of stamps, minus 2p cut off, plus the output padding."""
    span = dilation * (kernel_size - 1) + 1
    return (size - 1) * stride + span - 2 * padding + output_padding


def output_padding_for(input_size, output_size, kernel_size, stride=1, padding=0, dilation=1):
    """output_size minus the size with no output padding, if that is an allowed output padding."""
    smallest = conv_transpose_output_size(input_size, kernel_size, stride, padding, 0, dilation)
    extra = output_size - smallest
    if not 0 <= extra < max(stride, dilation):
        raise ValueError(f"sizes {smallest} to {smallest + max(stride, dilation) - 1} are possible, "
                         f"not {output_size}")
    return extra
'''

HINTS = (
    "Convolution: the dilated kernel spans d*(k-1) + 1 pixels; the first window starts at 0 and the last "
    "at most at i + 2p - span, every s pixels: floor((i + 2p - d*(k-1) - 1) / s) + 1 windows.",
    "Transposed convolution: the stamps of input pixels 0 .. i-1 start at 0, s, .., (i-1)*s and span "
    "d*(k-1) + 1 each: (i-1)*s + d*(k-1) + 1 pixels; minus 2p (cut from both ends), plus output_padding.",
    "With stride s > 1, s different input sizes give the same convolution output size (the floor drops "
    "the remainder). output_padding picks one of them: it is the wanted size minus the size with no "
    "output padding, and it must lie in 0 .. max(s, d) - 1.",
)

SIGNATURE = {
    "conv_output_size": ("size", "kernel_size", "stride", "padding", "dilation"),
    "conv_transpose_output_size": ("size", "kernel_size", "stride", "padding", "output_padding", "dilation"),
    "output_padding_for": ("input_size", "output_size", "kernel_size", "stride", "padding", "dilation"),
}


def spelled(name, arguments) -> str:
    """The call, with the names of its arguments: ``conv_output_size(size=7, kernel_size=3)``."""
    return f"{name}({', '.join(f'{key}={value}' for key, value in zip(SIGNATURE[name], arguments, strict=False))})"


#: (name, known mistake, hint): when the learner's answers equal the mistake's wherever they are wrong
MISTAKES = (
    (
        "conv_output_size",
        lambda i, k, s=1, p=0, d=1: (i + 2 * p - d * (k - 1) - 1) // s,
        "the + 1 is missing: the window at position 0 counts too.",
    ),
    (
        "conv_output_size",
        lambda i, k, s=1, p=0, d=1: (i + 2 * p - k) // s + 1,
        "the dilation is missing: a dilated kernel spans d*(k-1) + 1 pixels, not k.",
    ),
    (
        "conv_output_size",
        lambda i, k, s=1, p=0, d=1: (i + p - d * (k - 1) - 1) // s + 1,
        "the padding is added on both sides: i + 2p.",
    ),
    (
        "conv_output_size",
        lambda i, k, s=1, p=0, d=1: -(-(i + 2 * p - d * (k - 1) - 1) // s) + 1,
        "round down (//): a window that does not fit entirely is not computed.",
    ),
    (
        "conv_transpose_output_size",
        lambda i, k, s=1, p=0, a=0, d=1: (i - 1) * s - 2 * p + d * (k - 1) + 1,
        "output_padding is missing: it adds rows at the end.",
    ),
    (
        "conv_transpose_output_size",
        lambda i, k, s=1, p=0, a=0, d=1: i * s - 2 * p + d * (k - 1) + a + 1,
        "the stamps of i pixels start at 0, s, ..., (i-1)*s: (i-1)*s, not i*s.",
    ),
    (
        "conv_transpose_output_size",
        lambda i, k, s=1, p=0, a=0, d=1: (i - 1) * s + 2 * p + d * (k - 1) + a + 1,
        "padding is cut off in a transposed convolution (it is the padding of the convolution being "
        "transposed): subtract 2p.",
    ),
    (
        "conv_transpose_output_size",
        lambda i, k, s=1, p=0, a=0, d=1: (i - 1) * s - 2 * p + k + a,
        "the dilation is missing: a dilated kernel spans d*(k-1) + 1 pixels.",
    ),
)


def sweeps():
    """(name, arguments, expected value or None for "raises ValueError") for every function; the first
    calls leave the arguments with defaults out."""
    for i, k in itertools.product(range(2, 7), range(1, 3)):
        yield "conv_output_size", (i, k), conv_output_length(i, k)
        yield "conv_transpose_output_size", (i, k), conv_transpose_output_length(i, k)
        yield "output_padding_for", (i, i + k - 1, k), 0
    for i, k, s, p, d in itertools.product(range(1, 10), range(1, 5), range(1, 4), range(3), range(1, 3)):
        if d * (k - 1) + 1 <= i + 2 * p:
            yield "conv_output_size", (i, k, s, p, d), conv_output_length(i, k, s, p, d)
    for i, k, s, p, d in itertools.product(range(1, 7), range(1, 5), range(1, 4), range(3), range(1, 3)):
        for a in range(max(s, d)):
            size = conv_transpose_output_length(i, k, s, p, a, d)
            if size > 0:
                yield "conv_transpose_output_size", (i, k, s, p, a, d), size
    for o, k, s, p, d in itertools.product(range(1, 6), range(1, 4), range(1, 4), range(2), range(1, 3)):
        smallest = conv_transpose_output_length(o, k, s, p, 0, d)
        for wanted in range(max(smallest - 1, 1), smallest + max(s, d) + 1):
            try:
                a = output_padding_for(o, wanted, k, s, p, d)[0]
            except ValueError:
                a = None
            yield "output_padding_for", (o, wanted, k, s, p, d), a


def answer(learner, name, arguments):
    """What their function says: an int, or None when it raised ValueError (for output_padding_for)."""
    refusal = ValueError if name == "output_padding_for" else None
    value = learner.run(f"`{name}`", vars(learner.module)[name], *arguments, expected_error=refusal)
    if isinstance(value, ValueError):
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise Failed(
            f"{spelled(name, arguments)} returned {value!r} ({type(value).__name__}); a size is an int.",
            "use // (floor division), which keeps ints, rather than / and a rounding.",
        )
    return int(value)


def grade(learner) -> str:
    checked: dict[str, int] = {}  # function name -> cases checked
    answers = [(name, arguments, expected, answer(learner, name, arguments)) for name, arguments, expected in sweeps()]
    for name, arguments, expected, got in answers:
        checked[name] = checked.get(name, 0) + 1
        if got == expected:
            continue
        call = spelled(name, arguments)
        if expected is None:
            raise Failed(
                f"{call} returned {got}; expected a ValueError: no output_padding in "
                f"0 .. max(stride, dilation) - 1 gives that size.",
                HINTS[2],
            )
        if got is None:
            raise Failed(f"{call} raised ValueError; expected {expected}.", HINTS[2])
        wrong = [(a, g) for n, a, e, g in answers if n == name and g != e]
        hint = next(
            (
                text
                for mistake_of, formula, text in MISTAKES
                if mistake_of == name and all(formula(*a) == g for a, g in wrong)
            ),
            None,
        )
        default = HINTS[0] if name == "conv_output_size" else HINTS[1] if "transpose" in name else HINTS[2]
        raise Failed(f"{call}: expected {expected}, got {got}.", hint or default)
    counts = ", ".join(f"{name} on {count}" for name, count in checked.items())
    return f"every size matches: {counts} combinations of sizes, kernels, strides, paddings and dilations."


EXERCISE = Exercise(
    name="output_size",
    summary="the output-size arithmetic: convolution, transposed convolution, and output_padding",
    functions=("conv_output_size", "conv_transpose_output_size", "output_padding_for"),
    stub=STUB,
    solution=SOLUTION,
    hints=HINTS,
    grade=grade,
)
