"""Typed batch inference on Dask DataFrames: `predict`.

Each partition is scored by `typedmodel.batch.Scorer` under its `on_error` policy, with
``ddf.map_partitions(fn, meta=meta)``. The meta comes from the signature: the output columns'
Arrow schema (`Scorer.output_schema`) as pandas (`typedmodel.batch.to_pandas`: nullable
``Int64`` and ``boolean`` columns, so a null stays a null), after the input's own meta for
``result="append"``. Dask trusts a meta without checking it, so each scored partition is checked
against it: a column or dtype that differs is a `TypedModelError` naming the partition, never a
silently wrong frame. (typedmodel builds the output itself, so only an input partition whose
dtypes differ from ``ddf``'s meta can fail it.)

Quarantine returns ``(scored, rejected)``. Dask is lazy: two ``map_partitions`` of the model
would run it twice, once for each result. Instead each partition is scored once into a pair
of frames (``to_delayed``, one task a partition), the pairs are persisted (computed once, and
kept in the cluster's memory), and the two results are built from them with
``dask.dataframe.from_delayed`` and their metas. A rejected row keeps its index in ``ddf``; its
``_batch`` is the partition's number and ``_row`` its position in that partition.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

try:
    import dask.config
    import dask.dataframe as dd
    from dask.base import persist
    from dask.delayed import delayed
except ImportError as _exc:  # pragma: no cover - exercised in a subprocess without dask
    raise ImportError(
        f'typedmodel.dask needs the dask extra ({_exc}): pip install "typedmodel[dask]"'
    ) from None

import pandas as pd

from typedmodel.batch import BATCH, ISSUES, ROW, Scorer, check_result, to_pandas
from typedmodel.errors import TypedModelError

__all__ = ["predict"]


def predict(
    ddf: Any,
    model: Any,
    *,
    on_error: str = "raise",
    params: Mapping[str, Any] | None = None,
    result: str = "append",
) -> Any:
    """Score a Dask DataFrame with a typed model, lazily, partition by partition.

    Args:
        ddf: the ``dask.dataframe.DataFrame`` to score.
        model: what `typedmodel.batch.Scorer` takes: a typed class, instance or function, a
            model directory, or a ``models:/`` / ``runs:/`` URI (loaded once per worker
            process).
        on_error: ``"raise"``, ``"null"`` or ``"quarantine"`` (see `typedmodel.batch`).
        params: the params of every call.
        result: ``"append"`` (the partition's columns and index, then the output columns) or
            ``"predictions"`` (the output columns only, on the partition's index).

    Returns:
        The scored DataFrame; under ``"quarantine"``, ``(scored, rejected)``, computed from one
        persisted scoring of each partition (see the module).

    Raises:
        ValueError: for an unknown `on_error` or `result`.
        SchemaError: when the signature has no outputs.
        TypedModelError: (when computed) for a partition whose columns or dtypes differ from
            the meta.
    """
    check_result(result)
    scorer = Scorer(model, on_error=on_error, params=params)
    outputs = to_pandas(scorer.output_schema().empty_table())
    if result == "append":
        clash = sorted(set(ddf.columns) & set(outputs.columns))
        if clash:
            raise TypedModelError(
                f"output columns {clash} are also input columns: rename them, or use "
                "result='predictions'"
            )
        meta = pd.concat([ddf._meta, outputs.set_axis(ddf._meta.index[:0])], axis=1)
    else:
        meta = outputs.set_axis(ddf._meta.index[:0])
    scorer = Scorer(model, on_error=on_error, params=params)  # unresolved: pickles small
    if on_error != "quarantine":
        # The meta travels in a partial: a DataFrame among the args would be aligned by Dask.
        fn = functools.partial(_score, scorer=scorer, result=result, meta=meta)
        return ddf.map_partitions(fn, meta=meta, align_dataframes=False, enforce_metadata=False)
    rejected_meta = ddf._meta.iloc[:0].copy()
    rejected_meta[BATCH] = pd.Series(dtype=object)
    rejected_meta[ROW] = pd.Series(dtype="int64")
    rejected_meta[ISSUES] = pd.Series(dtype=object)
    score = delayed(
        functools.partial(
            _quarantine, scorer=scorer, result=result, meta=meta, rejected_meta=rejected_meta
        ),
        nout=2,
    )
    pairs = [score(part, number=i) for i, part in enumerate(ddf.to_delayed())]
    pairs = list(persist(*pairs))  # type: ignore[no-untyped-call]
    divisions = ddf.divisions
    # Dask would otherwise turn object columns (the issues' lists) into their text.
    with dask.config.set({"dataframe.convert-string": False}):
        scored = dd.from_delayed([p[0] for p in pairs], meta=meta, divisions=divisions)
        rejected = dd.from_delayed([p[1] for p in pairs], meta=rejected_meta, divisions=divisions)
    return scored, rejected


def _check_partition(frame: pd.DataFrame, meta: pd.DataFrame, where: Any = None) -> None:
    """Check that a partition has the columns and dtypes of `meta`.

    Raises:
        TypedModelError: naming the first column that differs.
    """
    at = "" if where is None else f"partition {where}: "
    if list(frame.columns) != list(meta.columns):
        raise TypedModelError(
            f"{at}the columns are {list(frame.columns)[:20]}, the meta's {list(meta.columns)[:20]}"
        )
    for name, got, want in zip(meta.columns, frame.dtypes, meta.dtypes, strict=True):
        if got != want:
            raise TypedModelError(f"{at}column {name!r} is {got}, the meta says {want}")


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _scored(
    part: pd.DataFrame, scorer: Scorer, result: str, meta: pd.DataFrame, number: Any
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The partition's predictions (checked against `meta`) and rejected rows, on its index."""
    scored = scorer.score(part.reset_index(drop=True), batch_id=number)
    predictions = scored.predictions.set_axis(part.index[scored.rows])
    if result == "append":
        predictions = pd.concat([part.iloc[scored.rows], predictions], axis=1)
    _check_partition(predictions, meta, number)
    rejected = scored.rejected.set_axis(part.index[scored.rejected[ROW].to_numpy()])
    return predictions, rejected


def _score(
    part: pd.DataFrame,
    *,
    scorer: Scorer,
    result: str,
    meta: pd.DataFrame,
    partition_info: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    number = None if partition_info is None else partition_info.get("number")
    return _scored(part, scorer, result, meta, number)[0]


def _quarantine(
    part: pd.DataFrame,
    *,
    scorer: Scorer,
    result: str,
    meta: pd.DataFrame,
    rejected_meta: pd.DataFrame,
    number: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    predictions, rejected = _scored(part, scorer, result, meta, number)
    _check_partition(rejected, rejected_meta, number)
    return predictions, rejected
