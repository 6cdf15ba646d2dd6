"""acquire: active-learning acquisition functions, from Python.

The C++ library does the work; this module reads NumPy arrays and CPU torch tensors in place
(float32 or float64, any order or non-negative strides), releases the GIL for every
computation, and raises ValueError with the C++ message for bad input. Every function keeps
its C++ name and argument order; options are keyword arguments with the C++ names and
defaults. Scores: higher = query first.

    import acquire_al as acq
    scores = acq.entropy(P)                       # P: N x K probabilities
    batch = acq.badge(P, H, labeled, 10, seed=3)  # acq.Selection: .indices, .objective
"""
from . import _core
from ._core import *  # noqa: F401,F403
from ._core import synthetic  # noqa: F401

__version__ = "0.1.0"
__all__ = [name for name in dir(_core) if not name.startswith("_")]
