"""``scratchae explain``: take one transposed convolution apart, computed by the library's own layer.

::

    scratchae explain --kernel-size 3 --stride 2 --padding 1 --output-padding 1
    scratchae explain --kernel-size 4 --stride 2 --padding 1 --input-size 4 --out /tmp/k4s2

writes, in ``--out`` (default ``runs/explain/k<K>-s<S>-p<P>-a<A>-d<D>-n<N>``):

- ``stamping.gif``: each input pixel stamping the kernel into the output, INPUT and OUTPUT labelled,
  the cells ``padding`` crops in grey;
- ``views.png``: the output computed four ways (scatter, matrix, input gradient, zero insertion), each
  with its largest difference from ``nn.ConvTranspose2d``;
- ``overlap.png``: how many kernel taps reach each output pixel (uneven counts: checkerboard artifacts);
- ``arithmetic.md``: the output-size arithmetic for these numbers (also printed).

A combination the layer refuses ends with the layer's own error message (exit status 1).
"""

from __future__ import annotations

import os

from ..explain import TransposedConvolution
from ..figures import save
from ..figures.explain import overlap_figure, save_stamping_gif, views_figure
from .common import CommandError, non_negative_int, positive_int

#: the figures draw one cell per pixel, and the animation one frame per input pixel
MAX_INPUT_SIZE = 10
MAX_OUTPUT_SIZE = 48


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "explain",
        help="draw any transposed convolution: the stamping animation, the four views, the "
        "output-size arithmetic, the overlap map",
        description="Take one nn.ConvTranspose2d apart on a small image: figures and arithmetic, computed by "
        "the layer itself.",
    )
    parser.add_argument("--kernel-size", type=positive_int, default=3, metavar="K", help="(default: 3)")
    parser.add_argument("--stride", type=positive_int, default=2, metavar="S", help="(default: 2)")
    parser.add_argument("--padding", type=non_negative_int, default=0, metavar="P", help="(default: 0)")
    parser.add_argument(
        "--output-padding",
        type=non_negative_int,
        default=0,
        metavar="A",
        help="smaller than the stride or the dilation (default: 0)",
    )
    parser.add_argument("--dilation", type=positive_int, default=1, metavar="D", help="(default: 1)")
    parser.add_argument(
        "--input-size",
        type=positive_int,
        default=3,
        metavar="N",
        help=f"the input is N x N, at most {MAX_INPUT_SIZE} (default: 3)",
    )
    parser.add_argument("--out", help="output directory (default: runs/explain/k<K>-s<S>-p<P>-a<A>-d<D>-n<N>)")
    parser.add_argument("--no-gif", action="store_true", help="skip the animation (the slowest part)")
    parser.set_defaults(run=run)


def run(args) -> int:
    if args.input_size > MAX_INPUT_SIZE:
        raise CommandError(
            f"--input-size is at most {MAX_INPUT_SIZE} (the animation has one frame per input "
            f"pixel), got {args.input_size}"
        )
    tc = TransposedConvolution(
        args.kernel_size, args.stride, args.padding, args.output_padding, args.dilation, args.input_size
    )  # the layer's ValueError if it refuses these
    if max(tc.board_hw) > MAX_OUTPUT_SIZE:
        raise CommandError(
            f"the output ({tc.output_hw[0]} x {tc.output_hw[1]} pixels, {max(tc.board_hw)} before "
            f"cropping) is too large to draw one cell per pixel (at most {MAX_OUTPUT_SIZE}): "
            f"use a smaller --input-size or --stride"
        )
    out = args.out or os.path.join(
        "runs",
        "explain",
        f"k{args.kernel_size}-s{args.stride}-p{args.padding}-"
        f"a{args.output_padding}-d{args.dilation}-n{args.input_size}",
    )
    os.makedirs(out, exist_ok=True)
    text = tc.arithmetic()
    print(text)
    written = []
    with open(os.path.join(out, "arithmetic.md"), "w", encoding="utf-8") as file:
        file.write(text)
    written.append(os.path.join(out, "arithmetic.md"))
    views = tc.views()
    worst = max(difference for _, difference in views.values())
    written.append(save(views_figure(tc), os.path.join(out, "views.png")))
    written.append(save(overlap_figure(tc), os.path.join(out, "overlap.png")))
    if not args.no_gif:
        written.append(save_stamping_gif(tc, os.path.join(out, "stamping.gif")))
    print(f"the four views agree with nn.ConvTranspose2d to {worst:.1e} (largest absolute difference)")
    print("wrote " + ", ".join(written))
    return 0
