"""Typed batch inference on Spark: `predict` scores a DataFrame, `udf` makes a column function.

Both run `typedmodel.batch.Scorer` on Arrow record batches in the Python workers, so a row is
validated as ``predict`` validates it, and a bad row gets the issues ``predict`` reports for it.
The input goes to the scorer as Spark sends it, uncast: the validator widens safely (an int
column for a ``long``) and refuses what is lossy (a fractional double for an ``int``), with
``predict``'s issues; a Spark cast would truncate instead. Columns the signature doesn't name
are handled as ``predict`` handles them.

The Spark types of the predictions are derived from their Arrow schema
(`Scorer.output_schema`) by pyspark's own converter: ``long`` -> ``LongType``, ``datetime`` ->
``TimestampType``, `Array` -> ``ArrayType``, `Object` -> ``StructType``, `Map` ->
``MapType(StringType, ...)``; an optional column is nullable.

The model is resolved once in the driver (for the output schema), and once per Python worker
process for a directory or URI (`typedmodel.batch` caches it); a typed object travels with the
function and is set up once per task.

Quarantine scores each row once: one ``mapInArrow`` yields a tagged table of the scored and the
rejected rows (the rejected ones with a non-null ``_issues``), which is persisted, and the two
results are filters of it. Both are lazy: the first action on either fills the cache, and the
other reads it. Every column of the scored DataFrame is nullable in its schema then (Spark
can't mark a filtered column non-null), though a required column holds no null.
``spark.catalog.clearCache()`` frees the cache.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

try:
    import pyarrow as pa
    from pyspark import StorageLevel, TaskContext
    from pyspark.sql import Column, DataFrame
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema
    from pyspark.sql.types import StructField, StructType
except ImportError as _exc:  # pragma: no cover - exercised in a subprocess without pyspark
    raise ImportError(
        f'typedmodel.spark needs the spark extra ({_exc}): pip install "typedmodel[spark]"'
    ) from None

from typedmodel.batch import BATCH, ISSUES, ROW, Scorer, check_result, rejected_schema
from typedmodel.errors import TypedModelError
from typedmodel.schema.arrow import column_names

__all__ = ["predict", "udf"]

_EXTRA = (BATCH, ROW, ISSUES)
# pyspark warns about pandas 3 when a pandas or Arrow UDF is made; these UDFs use Arrow only.
_PANDAS_WARNING = "PySpark does not yet fully support pandas"


def predict(
    df: DataFrame,
    model: Any,
    *,
    on_error: str = "raise",
    params: Mapping[str, Any] | None = None,
    result: str = "append",
) -> Any:
    """Score a Spark DataFrame with a typed model, lazily, with ``mapInArrow``.

    Args:
        df: the DataFrame to score.
        model: what `typedmodel.batch.Scorer` takes: a typed class, instance or function, a
            model directory, or a ``models:/`` / ``runs:/`` URI.
        on_error: ``"raise"``, ``"null"`` or ``"quarantine"`` (see `typedmodel.batch`).
        params: the params of every call.
        result: ``"append"`` (the DataFrame's columns, then the prediction columns) or
            ``"predictions"`` (the prediction columns only).

    Returns:
        The scored DataFrame; under ``"quarantine"``, ``(scored, rejected)``: the rejected rows
        are the DataFrame's columns, then ``_batch`` (``"partition:batch"``), ``_row`` (the
        row's index in its Arrow batch) and ``_issues`` (``array<struct<loc, type, msg>>``).

    Raises:
        ValueError: for an unknown `on_error` or `result`.
        SchemaError: when the signature has no outputs.
        TypedModelError: when a prediction column (or, under ``"quarantine"``, ``_batch``,
            ``_row`` or ``_issues``) is also a column of `df`.
    """
    check_result(result)
    scorer = Scorer(model, on_error=on_error, params=params)
    outputs = scorer.output_schema()  # resolves the model here, in the driver
    predicted = from_arrow_schema(outputs)
    inputs = df.schema
    if result == "append":
        _no_clash(inputs.names, predicted.names, "output columns", "result='predictions'")
    quarantine = on_error == "quarantine"
    if quarantine:
        _no_clash(inputs.names, list(_EXTRA), "the rejected table's columns", "other names")
    kept = list(inputs.fields) if result == "append" else []
    if not quarantine:
        schema = StructType([*kept, *predicted.fields])
        return _map(df, _Batches(scorer, result), schema)
    # The tagged table: the inputs, the predictions, then the rejected rows' columns, under
    # positional names (an output may share an input's name under result="predictions").
    extra = from_arrow_schema(rejected_schema(pa.schema([]))).fields
    inputs_tagged = [f if result == "append" else _nullable(f) for f in inputs.fields]
    fields = [*inputs_tagged, *(_nullable(f) for f in predicted.fields), *extra]
    tagged_schema = StructType(
        [StructField(_tag(i), f.dataType, f.nullable) for i, f in enumerate(fields)]
    )
    tagged = _map(df, _Batches(scorer, result), tagged_schema)
    tagged = tagged.persist(StorageLevel.MEMORY_AND_DISK)
    width, outs = len(inputs.fields), len(predicted.fields)
    issues = F.col(_tag(len(fields) - 1))
    picked = [*range(len(kept)), *range(width, width + outs)]
    scored = tagged.filter(issues.isNull()).select(
        *(F.col(_tag(i)).alias(fields[i].name) for i in picked)
    )
    rejects = [*range(width), *range(width + outs, len(fields))]
    rejected = tagged.filter(issues.isNotNull()).select(
        *(F.col(_tag(i)).alias(fields[i].name) for i in rejects)
    )
    return scored, rejected


def udf(
    model: Any, *, on_error: str = "raise", params: Mapping[str, Any] | None = None
) -> Callable[..., Column]:
    """A column function scoring rows with a typed model, for ``select`` and ``withColumn``.

    ``udf(model)(*cols)`` takes the input columns by name (the signature's names with no
    argument), or one struct column whose fields are the inputs. It returns the prediction: a
    struct of the output columns, or the one output column's type. Needs pyspark 4.1 or newer
    (Arrow UDFs).

    Args:
        model: what `typedmodel.batch.Scorer` takes.
        on_error: ``"raise"`` or ``"null"`` (a bad row's prediction is null).
        params: the params of every call.

    Raises:
        ValueError: for ``"quarantine"`` (a column has no room for rejected rows: use
            `predict`) or an unknown `on_error`.
        SchemaError: when the signature has no outputs.
    """
    if on_error == "quarantine":
        raise ValueError(
            "a column UDF can't quarantine rows (it has no table to put them in): use "
            "on_error='null', or typedmodel.spark.predict(df, model, on_error='quarantine')"
        )
    try:
        from pyspark.sql.pandas.functions import arrow_udf
    except ImportError:  # pragma: no cover - pyspark < 4.1
        raise TypedModelError("typedmodel.spark.udf needs pyspark 4.1 or newer") from None
    scorer = Scorer(model, on_error=on_error, params=params)
    predicted = from_arrow_schema(scorer.output_schema())
    names = column_names(scorer.signature.inputs)
    single = len(predicted.fields) == 1
    kind = predicted.fields[0].dataType if single else predicted
    column = _Column(scorer, names, single)

    def score(rows: pa.Array) -> pa.Array:  # the hints make it a scalar Arrow UDF
        return column(rows)

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", _PANDAS_WARNING, FutureWarning)
        # The stubs' overloads want functionType, which pyspark warns about when given.
        scalar: Any = arrow_udf(score, kind)  # type: ignore[call-overload]

    def call(*cols: str | Column) -> Column:
        picked = cols or tuple(F.col("`{}`".format(n.replace("`", "``"))) for n in names)
        return scalar(F.struct(*picked))  # type: ignore[no-any-return]

    return call


# ---------------------------------------------------------------------------------------------
# Helpers (they run in the workers: each pickles small, and loads the model where it runs)
# ---------------------------------------------------------------------------------------------


class _Batches:
    """The ``mapInArrow`` function: scores each batch; under quarantine, yields the tagged
    table (the scored rows, then the rejected rows with their issues)."""

    def __init__(self, scorer: Scorer, result: str) -> None:
        self.scorer = scorer
        self.result = result

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        context = TaskContext.get()
        part = context.partitionId() if context is not None else 0
        for i, batch in enumerate(batches):
            scored = self.scorer.score(batch, batch_id=f"{part}:{i}")
            yield self._out(batch, scored)

    def _out(self, batch: pa.RecordBatch, scored: Any) -> pa.RecordBatch:
        preds = [c.combine_chunks() for c in scored.predictions.columns]
        out_fields = list(scored.predictions.schema)
        append = self.result == "append"
        if self.scorer.on_error != "quarantine":
            if not append:
                return pa.RecordBatch.from_arrays(preds, schema=pa.schema(out_fields))
            good = batch if len(scored.rows) == batch.num_rows else batch.take(scored.rows)
            return pa.RecordBatch.from_arrays(
                [*good.columns, *preds], schema=pa.schema([*batch.schema, *out_fields])
            )
        rejected = scored.rejected.combine_chunks()
        n_good, n_bad = len(scored.rows), rejected.num_rows
        width = batch.num_columns
        columns = []
        for j, field in enumerate(batch.schema):
            good = batch.column(j).take(scored.rows) if append else pa.nulls(n_good, field.type)
            columns.append(pa.concat_arrays([good, rejected.column(j).chunk(0)]))
        for column in preds:
            columns.append(pa.concat_arrays([column, pa.nulls(n_bad, column.type)]))
        for j in range(width, rejected.num_columns):
            column = rejected.column(j).chunk(0)
            columns.append(pa.concat_arrays([pa.nulls(n_good, column.type), column]))
        fields = [*batch.schema, *out_fields, *list(rejected.schema)[width:]]
        schema = pa.schema([f.with_name(_tag(i)).with_nullable(True) for i, f in enumerate(fields)])
        return pa.RecordBatch.from_arrays(columns, schema=schema)


class _Column:
    """The Arrow UDF: a struct of the input columns in, the predictions out."""

    def __init__(self, scorer: Scorer, names: list[str], single: bool) -> None:
        self.scorer = scorer
        self.names = names
        self.single = single

    def __call__(self, rows: pa.StructArray) -> pa.Array:
        batch = pa.RecordBatch.from_struct_array(rows)
        first = batch.schema[0] if batch.num_columns == 1 else None
        if first is not None and pa.types.is_struct(first.type) and first.name not in self.names:
            batch = pa.RecordBatch.from_struct_array(batch.column(0))  # one struct of inputs
        scored = self.scorer.score(batch)
        preds = scored.predictions
        if self.single:
            return preds.column(0).combine_chunks()
        mask = None
        if scored.rejected.num_rows:  # under "null": a bad row is a null struct
            flags = [False] * batch.num_rows
            for r in scored.rejected.column(ROW).to_pylist():
                flags[r] = True
            mask = pa.array(flags, pa.bool_())
        return pa.StructArray.from_arrays(
            [c.combine_chunks() for c in preds.columns], fields=list(preds.schema), mask=mask
        )


def _map(df: DataFrame, fn: _Batches, schema: StructType) -> DataFrame:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", _PANDAS_WARNING, FutureWarning)
        return df.mapInArrow(fn, schema)


def _tag(i: int) -> str:
    """The name of the tagged table's column `i`."""
    return f"_{i}"


def _nullable(field: StructField) -> StructField:
    return StructField(field.name, field.dataType, True, field.metadata)


def _no_clash(names: list[str], ours: list[str], what: str, instead: str) -> None:
    taken = {n.lower() for n in names}  # Spark resolves names case-insensitively by default
    clash = [n for n in ours if n.lower() in taken]
    if clash:
        raise TypedModelError(f"{what} {clash} are also columns of the DataFrame: use {instead}")
