"""Seeds: any non-negative integer, all of its bits used (DESIGN.md, principle 6).

``jax.random.PRNGKey(seed)`` keeps only the low 32 bits of ``seed`` on the default
configuration (``--seed 4294967296`` gave the numbers of ``--seed 0``) and raises
``OverflowError`` from 2**63. Here every bit of a seed of any size is used: a seed
below 2**64 *is* the 64-bit key (high word, low word — for seeds below 2**32 exactly
the key ``PRNGKey(seed)`` gives, so results made with those seeds keep their
numbers), and a larger seed, or a seed with a ``path`` of non-negative integers
naming a sub-stream, goes through NumPy's :class:`~numpy.random.SeedSequence`,
which hashes every bit of it, and the first 64 bits of its state become the key:

* :func:`check_seed` — the one check: a non-negative integer (Python or NumPy, not a
  bool), else a one-line ``ValueError`` naming the option;
* :func:`jax_key` — a raw ``uint32[2]`` threefry key, the same kind of array that
  ``jax.random.PRNGKey`` returns (so ``split``, ``fold_in``, ``uniform``, ... take it
  as they are); ``jax.random.wrap_key_data(k)`` turns it into a typed key;
* :func:`numpy_rng` — a NumPy generator from the same hash;
* :func:`torch_seed` — a seed for ``torch.manual_seed``, which keeps 63 bits (and
  refuses 2**64 and above): the seed itself below 2**63, a 63-bit hash of all of it above;
* :func:`seed_attr` — the seed as a netCDF attribute (``int`` when it fits int64,
  else its decimal string: HDF5 has no integer type wider than 64 bits).

Different seeds give different keys except for hash collisions of the 64-bit key
(probability about 2**-64 per pair), and the same seed gives the same key on every
machine (``SeedSequence`` is platform-independent).
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_seed", "jax_key", "numpy_rng", "seed_attr", "torch_seed"]

_INT64_MAX = 2 ** 63 - 1


def check_seed(name: str, value) -> int:
    """``value`` as a Python ``int`` after checking it is a non-negative integer.

    ``name`` is how the user passed it (``"--seed"``, ``"seed"``); the error names it,
    the value and what is expected, on one line.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    value = int(value)
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer (0, 1, 2, ...), got {value}")
    return value


def _state(seed, path, words: int) -> np.ndarray:
    seed = check_seed("seed", seed)
    path = tuple(check_seed("seed path element", p) for p in path)
    return np.random.SeedSequence(seed, spawn_key=path).generate_state(words, np.uint32)


def jax_key(seed, *path):
    """A JAX PRNG key (raw ``uint32[2]``, threefry) derived from every bit of ``seed``.

    ``path`` (non-negative integers) selects an independent sub-stream, e.g.
    ``jax_key(seed, 1)`` for a second purpose; ``jax_key(seed)`` and ``jax_key(seed, 0)``
    differ.
    """
    import jax.numpy as jnp

    seed = check_seed("seed", seed)
    if not path and seed < 2 ** 64:  # the seed itself: [high 32 bits, low 32 bits], as PRNGKey(seed) with x64
        return jnp.asarray([seed >> 32, seed & 0xFFFFFFFF], dtype=jnp.uint32)
    return jnp.asarray(_state(seed, path, 2), dtype=jnp.uint32)


def numpy_rng(seed, *path) -> np.random.Generator:
    """A NumPy ``Generator`` (PCG64) seeded from every bit of ``seed`` and the sub-stream ``path``."""
    seed = check_seed("seed", seed)
    path = tuple(check_seed("seed path element", p) for p in path)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=path))


def torch_seed(seed) -> int:
    """``seed`` for ``torch.manual_seed``: unchanged below 2**63 (so existing runs keep their
    numbers), else 63 bits of its ``SeedSequence`` hash (torch would drop the high bits, or
    refuse the seed from 2**64)."""
    seed = check_seed("seed", seed)
    if seed <= _INT64_MAX:
        return seed
    words = _state(seed, (), 2).astype(np.uint64)
    return int((words[0] << np.uint64(32)) | words[1]) & _INT64_MAX


def seed_attr(seed) -> int | str:
    """``seed`` in a form every netCDF writer stores: an ``int`` up to 2**63 - 1, else a decimal string."""
    seed = check_seed("seed", seed)
    return seed if seed <= _INT64_MAX else str(seed)
