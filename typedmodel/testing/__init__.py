"""Property-based tests from a model's contract (the ``testing`` extra, which brings Hypothesis).

- `strategies`: Hypothesis strategies of rows, batches, DataFrames, arrays, params and request
  bodies drawn from a signature, valid or broken in one tagged way (`strategies.Invalid`).
- `check`: runs a model (or a server) on generated valid and invalid batches and reports what
  failed, with the shrunk example; ``typedmodel check`` on the command line.
- `given_batches`: ``hypothesis.given`` with the batches of a model, for a one-line test.
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401
except ImportError as _exc:  # pragma: no cover - exercised in a subprocess without Hypothesis
    raise ImportError(
        f'typedmodel.testing needs the testing extra ({_exc}): pip install "typedmodel[testing]"'
    ) from _exc

from typedmodel.testing import strategies
from typedmodel.testing.check import Failure, Report, check, given_batches
from typedmodel.testing.strategies import TAGS, Invalid

__all__ = ["TAGS", "Failure", "Invalid", "Report", "check", "given_batches", "strategies"]
