"""Typed batch inference on Ray Data: `Predictor` for ``ds.map_batches`` and `predict`.

`Predictor` is a callable class: Ray builds one per actor, and its constructor resolves the
model there (a directory or URI loads once per process), so the model is loaded once per actor,
however many batches the actor scores. Each batch is scored by `typedmodel.batch.Scorer` under
its `on_error` policy, and comes back in the columns and Arrow types the signature declares
(`Scorer.output_schema`, read through `typedmodel.schema.arrow`)::

    ds.map_batches(
        Predictor,
        fn_constructor_kwargs={"model": "path/to/model"},
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=2),
    )

Ray 2.60's ``map_batches`` takes no output schema: a dataset's schema is read from its first
non-empty block, so a map whose output has no rows (an empty input, or every row quarantined)
has no schema at all. `predict` therefore adds an empty block of the declared schema to its
result (a ``union`` with a zero-row dataset), so ``schema()`` is the signature's even then.

Quarantine: `Predictor` returns one tagged table per batch, the scored rows with a null
``_rejected`` column and the rejected rows (`typedmodel.batch.rejected_schema`) in that struct
column, so one map scores each batch once. `predict` materializes that map, then splits it in
two datasets, ``(scored, rejected)``: Ray's datasets are lazy, and two maps of the model (or two
filters of one unmaterialized map) would run the model twice. Materializing keeps the tagged
blocks in Ray's object store (spilled to disk when it is full); to stream a dataset larger than
that instead, write the tagged output (``Predictor`` under ``"quarantine"``) and split it when
reading it back.

With ``batch_format="pandas"``, Ray hands ``Predictor`` a pandas frame (with pyarrow-backed
columns) and turns the frame it returns back into Arrow, inferring the types from the values:
a nested column may come back differently typed (a list empty in a whole batch, nullability).
``"pyarrow"`` (the default) keeps the declared types exactly, and `predict` casts a pandas
map's output back to them. The tagged output of quarantine is always Arrow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

try:
    import ray
    import ray.data
except ImportError as _exc:  # pragma: no cover - exercised in a subprocess without ray
    raise ImportError(
        f'typedmodel.ray needs the ray extra ({_exc}): pip install "typedmodel[ray]"'
    ) from None

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from typedmodel.batch import Scorer, check_result, rejected_schema, to_pandas
from typedmodel.errors import TypedModelError

__all__ = ["Predictor", "predict"]

REJECTED = "_rejected"  # the struct column of a tagged batch holding a rejected row
_SCORED = b"typedmodel.scored"  # the tagged batch's metadata key: the scored rows' schema


class Predictor:
    """Scores Ray Data batches with a typed model; a callable class for ``map_batches``.

    Args:
        model: what `typedmodel.batch.Scorer` takes: a typed class, instance or function, a
            model directory, or a ``models:/`` / ``runs:/`` URI.
        on_error: ``"raise"``, ``"null"`` or ``"quarantine"`` (see `typedmodel.batch`).
        params: the params of every call.
        result: ``"predictions"`` (the output columns only) or ``"append"`` (the batch's
            columns, then the output columns).

    A batch comes back as the output columns in the declared Arrow schema (pandas, by
    `typedmodel.batch.to_pandas`, for a pandas batch). Under ``"quarantine"`` it is a tagged
    Arrow table: the scored rows, then the rejected ones in the struct column ``_rejected``
    (null for a scored row); `predict` splits it.

    Raises:
        ValueError: for an unknown `on_error` or `result`.
        SchemaError: when the signature has no outputs.
    """

    def __init__(
        self,
        model: Any,
        *,
        on_error: str = "raise",
        params: Mapping[str, Any] | None = None,
        result: str = "predictions",
    ) -> None:
        check_result(result)
        self.scorer = Scorer(model, on_error=on_error, params=params)
        self.result = result
        self.output_schema = self.scorer.output_schema()  # resolves (loads) the model
        self._where = _worker_id()
        self._batches = 0

    def __call__(self, batch: Any) -> Any:
        pandas_in = isinstance(batch, pd.DataFrame)
        table = _arrow(batch)
        scored = self.scorer.score(table, batch_id=f"{self._where}:{self._batches}")
        self._batches += 1
        out = scored.predictions
        if self.result == "append":
            out = _append(table.take(pa.array(scored.rows)), out)
        if self.scorer.on_error == "quarantine":
            return _tag(out, scored.rejected)
        return to_pandas(out) if pandas_in else out


def predict(
    ds: Any,
    model: Any,
    *,
    on_error: str = "raise",
    params: Mapping[str, Any] | None = None,
    batch_format: str = "pyarrow",
    concurrency: int | tuple[int, int] | None = None,
    result: str = "append",
    batch_size: int | None = None,
) -> Any:
    """Score a Ray Dataset with a typed model, lazily, in an actor pool.

    Args:
        ds: the ``ray.data.Dataset`` to score.
        model: what `Predictor` takes.
        on_error: ``"raise"``, ``"null"`` or ``"quarantine"``.
        params: the params of every call.
        batch_format: ``"pyarrow"`` or ``"pandas"``: what the batches travel as.
        concurrency: the number of actors (each loads the model once), or ``(min, max)``;
            None leaves it to Ray.
        result: ``"append"`` (the dataset's columns, then the output columns) or
            ``"predictions"`` (the output columns only).
        batch_size: rows per batch (None leaves it to Ray).

    Returns:
        The scored dataset; under ``"quarantine"``, ``(scored, rejected)``, both computed from
        one materialized map (see the module).

    Raises:
        ValueError: for an unknown `on_error`, `result` or `batch_format`.
        SchemaError: when the signature has no outputs.
    """
    if batch_format not in ("pyarrow", "pandas"):
        raise ValueError(f"batch_format must be 'pyarrow' or 'pandas', got {batch_format!r}")
    check_result(result)
    scorer = Scorer(model, on_error=on_error, params=params)
    outputs = scorer.output_schema()  # fails here, in the driver, for a model without outputs
    kwargs = {"model": model, "on_error": on_error, "params": params, "result": result}
    mapped = ds.map_batches(
        Predictor,
        fn_constructor_kwargs=kwargs,
        batch_format=batch_format,
        batch_size=batch_size,
        compute=_compute(concurrency),
    )
    raw = _input_schema(ds) if result == "append" or on_error == "quarantine" else None
    inputs = raw if result == "append" else pa.schema([])
    if inputs is not None:
        _clash(inputs.names, outputs.names)
    scored_schema = None if inputs is None else _append_schema(inputs, outputs)
    if on_error != "quarantine":
        if batch_format == "pandas" and scored_schema is not None:
            # Ray read the returned frames' Arrow types from their values: back to the declared.
            mapped = mapped.map_batches(
                _cast, batch_format="pyarrow", fn_kwargs={"schema": scored_schema}
            )
        return _with_schema(mapped, scored_schema)
    tagged = mapped.materialize()
    scored = tagged.map_batches(_scored_rows, batch_format="pyarrow")
    rejected = tagged.map_batches(_rejected_rows, batch_format="pyarrow")
    return (
        _with_schema(scored, scored_schema),
        _with_schema(rejected, None if raw is None else rejected_schema(raw)),
    )


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _worker_id() -> str:
    """The actor (or task) this runs in: a batch's id is this and a count."""
    try:
        context = ray.get_runtime_context()
        return str(context.get_actor_id() or context.get_task_id() or "driver")
    except Exception:  # outside Ray (a Predictor called directly)
        return "local"


def _arrow(batch: Any) -> pa.Table:
    if isinstance(batch, pa.RecordBatch):
        return pa.Table.from_batches([batch])
    if isinstance(batch, pa.Table):
        return batch
    if isinstance(batch, pd.DataFrame):
        # Without pandas' metadata: Ray's frames have pyarrow dtypes that pyarrow can't rebuild
        # from their names (a list of structs), and the values' Arrow types are what counts.
        return pa.Table.from_pandas(batch, preserve_index=False).replace_schema_metadata(None)
    if isinstance(batch, Mapping):  # batch_format="numpy"
        return pa.table(dict(batch))
    raise TypedModelError(f"a Ray batch must be Arrow or pandas, got {type(batch).__name__}")


def _clash(inputs: list[str], outputs: list[str]) -> None:
    clash = sorted(set(inputs) & set(outputs))
    if clash:
        raise TypedModelError(
            f"output columns {clash[:10]} are also input columns: rename them, or use "
            "result='predictions'"
        )


def _append(table: pa.Table, predictions: pa.Table) -> pa.Table:
    _clash(table.column_names, predictions.column_names)
    return pa.Table.from_arrays(
        [*table.columns, *predictions.columns],
        schema=_append_schema(table.schema, predictions.schema),
    )


def _append_schema(inputs: pa.Schema, outputs: pa.Schema) -> pa.Schema:
    return pa.schema([*inputs, *outputs])


def _tag(out: pa.Table, rejected: pa.Table) -> pa.Table:
    """One table of the scored rows and the rejected rows (in the `REJECTED` struct); the
    scored rows' own schema travels in its metadata."""
    kind = pa.struct(list(rejected.schema))
    good, bad = out.num_rows, rejected.num_rows
    struct = pa.StructArray.from_arrays(
        [c.combine_chunks() for c in rejected.columns], fields=list(rejected.schema)
    )
    columns = [pa.concat_arrays([c.combine_chunks(), pa.nulls(bad, c.type)]) for c in out.columns]
    columns.append(pa.concat_arrays([pa.nulls(good, kind), struct]))
    fields = [f.with_nullable(True) for f in out.schema]
    schema = pa.schema(
        [*fields, pa.field(REJECTED, kind)], metadata={_SCORED: out.schema.serialize().to_pybytes()}
    )
    return pa.Table.from_arrays(columns, schema=schema)


def _cast(batch: pa.Table, schema: pa.Schema) -> pa.Table:
    return batch.select(schema.names).replace_schema_metadata(None).cast(schema)


def _scored_rows(batch: pa.Table) -> pa.Table:
    schema = pa.ipc.read_schema(pa.py_buffer(batch.schema.metadata[_SCORED]))
    rows = batch.filter(pc.is_null(batch.column(REJECTED))).drop_columns([REJECTED])
    return rows.replace_schema_metadata(None).cast(schema)


def _rejected_rows(batch: pa.Table) -> pa.Table:
    rows = batch.filter(pc.is_valid(batch.column(REJECTED))).column(REJECTED).combine_chunks()
    kind = batch.schema.field(REJECTED).type
    fields = [kind.field(i) for i in range(kind.num_fields)]
    return pa.Table.from_arrays(rows.flatten(), schema=pa.schema(fields))


def _compute(concurrency: int | tuple[int, int] | None) -> Any:
    if concurrency is None:
        return None
    if isinstance(concurrency, tuple):
        return ray.data.ActorPoolStrategy(min_size=concurrency[0], max_size=concurrency[1])
    return ray.data.ActorPoolStrategy(size=concurrency)


def _input_schema(ds: Any) -> pa.Schema | None:
    """The dataset's Arrow schema, when Ray knows it (or finds it in its first block)."""
    schema = ds.schema()
    base = getattr(schema, "base_schema", None)
    return base if isinstance(base, pa.Schema) else None


def _with_schema(ds: Any, schema: pa.Schema | None) -> Any:
    """`ds` with an empty block of `schema`, so that its schema is known even without rows."""
    if schema is None:
        return ds
    return ds.union(ray.data.from_arrow(schema.empty_table()))
