r"""The exponential of float32 numbers in a loop that LLVM turns into vector instructions.

NumPy's float32 ``exp`` runs one element at a time on CPUs without AVX-512, and so does a Numba loop
that calls ``math.exp`` (LLVM has no vector exp to call). So the sigmoid (:mod:`.activations`) computes
its exponential from these pieces, by range reduction and a polynomial, after Cephes' ``expf``
(S. L. Moshier, *Methods and Programs for Mathematical Functions*, 1989):

.. math::

    e^a = 2^n\, e^r, \qquad n = \operatorname{round}(a \log_2 e), \qquad
    r = a - n \ln 2 \in [-\tfrac{\ln 2}{2}, \tfrac{\ln 2}{2}], \qquad
    e^r \approx 1 + r + r^2 P(r),

with :math:`n \ln 2` subtracted in two parts (``C1`` has few enough bits that :math:`n C_1` is exact)
and :math:`P` of degree 5. :math:`2^n` is a float whose bits are :math:`(n + 127) \cdot 2^{23}`: the
caller stores those bits in an int32 array and reads them back as float32 (no scalar bit cast vectorizes
in Numba). Error against the exact value: 2 units in the last place (``tests/test_activations.py``).
Where the measurements are: docs/performance.md ("Element-wise kernels").
"""

from __future__ import annotations

import numpy as np
from numba import njit

LOG2E = np.float32(1.4426950408889634)
C1 = np.float32(0.693359375)  # ln 2 = C1 + C2, C1 exact in 9 bits
C2 = np.float32(-2.12194440e-4)
P0, P1, P2 = np.float32(1.9875691500e-4), np.float32(1.3981999507e-3), np.float32(8.3334519073e-3)
P3, P4, P5 = np.float32(4.1665795894e-2), np.float32(1.6666665459e-1), np.float32(5.0000001201e-1)
HALF, ONE = np.float32(0.5), np.float32(1)

#: the smallest a whose e^a is a normal float32 (2^n with n >= -126)
LOWEST = np.float32(-87.33654)


@njit(cache=True, nogil=True, fastmath={"contract"})
def exp_parts(a):
    """(e^r, the bits of 2^n) with e^a = e^r * 2^n, for a float32 ``a`` with LOWEST <= a <= 0."""
    n = np.floor(a * LOG2E + HALF)
    r = a - n * C1 - n * C2
    e_r = (((((P0 * r + P1) * r + P2) * r + P3) * r + P4) * r + P5) * r * r + r + ONE
    return e_r, (np.int32(n) + 127) << 23
