"""The pandera DataFrameModel of the ``pandera`` case, imported only where pandera is.

Its checks are `benchmarks.suite.CheckedRow`'s: the same dtypes, no nulls (the default in
both), the same limits, and the Literal as an ``isin``. (No ``from __future__ import
annotations`` here: pandera reads the annotations at run time.)
"""

try:
    import pandera.pandas as pa  # pandera >= 0.24
except ImportError:
    import pandera as pa
from pandera.typing import Series

from benchmarks.suite import TIERS


class CheckedSchema(pa.DataFrameModel):
    name: Series[str] = pa.Field(str_length={"min_value": 1})
    age: Series[int] = pa.Field(ge=0, le=120)
    income: Series[float] = pa.Field(ge=0)
    member: Series[bool]
    tier: Series[str] = pa.Field(isin=TIERS)
