"""Reference kernels: plain NumPy, written to be read next to the math in each docstring."""
