"""Typed inference on one batch of a table: the core that the engine adapters
(`typedmodel.spark`, `typedmodel.ray`, `typedmodel.dask`) run on their workers.

A `Scorer` holds a model (a typed object, a saved directory or, with MLflow installed, a
``models:/`` or ``runs:/`` URI) and scores batches: a pandas DataFrame or an Arrow
``RecordBatch`` / ``Table``. Each batch is validated with the model's own call seam (the
columnar path for ``Frame[Row]`` and explicit column schemas, the row-wise path for
``list[Row]``), predict runs on the valid rows, and its output is validated. What happens to a
bad row is the `on_error` policy:

- ``"raise"``: the batch fails with the `ValidationError` naming every bad row, as ``predict``
  does;
- ``"null"``: every row gets a prediction row, null for a bad one;
- ``"quarantine"``: predictions for the good rows only; the bad rows come back apart, each the
  original row with its issues.

A rejected row is the batch's own columns, then `BATCH` (the batch's id), `ROW` (the row's
index in its batch) and `ISSUES` (a list of ``{loc, type, msg}``: the issues ``predict``
reports for that row, with ``loc`` as text). A batch-level issue (a repeated column, a batch
that is not a table) can't be pinned on rows: the batch fails under every policy.

The predictions' columns are the signature's outputs, typed as `typedmodel.schema.arrow` says
(an unnamed output is the column ``prediction``); a pandas batch gets pandas back, with
nullable integer and boolean columns so that a null stays a null.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from typedmodel.errors import Issue, SchemaError, TypedModelError, ValidationError
from typedmodel.schema.arrow import arrow_schema

__all__ = ["BATCH", "ISSUES", "ON_ERROR", "ROW", "Scored", "Scorer", "rejected_schema"]

ON_ERROR = ("raise", "null", "quarantine")
RESULTS = ("append", "predictions")  # what an engine adapter returns: see `check_result`
BATCH = "_batch"
ROW = "_row"
ISSUES = "_issues"

_LOADED: dict[str, Any] = {}  # model directory or URI -> endpoint, once per process
_LOADING = threading.Lock()


@dataclass(frozen=True)
class Scored:
    """One scored batch.

    Attributes:
        predictions: the output columns: one row per row of the batch (``"raise"``,
            ``"null"``), or per good row (``"quarantine"``). Arrow for an Arrow batch, pandas
            for a pandas one.
        rows: the index in the batch of each prediction row.
        rejected: the bad rows with their issues (see the module); empty unless quarantining.
    """

    predictions: Any
    rows: np.ndarray[Any, np.dtype[np.int64]]
    rejected: Any


class Scorer:
    """A model scoring batches under an error policy (see the module).

    The model is resolved on first use, so a `Scorer` pickles small and loads its model where
    it runs: a directory or URI once per process, however many scorers hold it.

    Args:
        model: a typed class (instantiated without arguments), instance or function; a
            `LoadedModel`; a model directory; or a ``models:/`` / ``runs:/`` URI (MLflow).
        on_error: ``"raise"``, ``"null"`` or ``"quarantine"``.
        params: the params of every call (checked like a request's).

    Raises:
        ValueError: for an unknown `on_error`.
    """

    def __init__(
        self, model: Any, *, on_error: str = "raise", params: Mapping[str, Any] | None = None
    ) -> None:
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {list(ON_ERROR)}, got {on_error!r}")
        self.model = model
        self.on_error = on_error
        self.params = dict(params) if params is not None else None
        self._endpoint: Any = None
        self._output: Any = None  # the output schema, derived once (score reads it per batch)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_endpoint": None, "_output": None}  # resolved where it runs

    @property
    def endpoint(self) -> Any:
        """The resolved model (signature, compiled predict and its target)."""
        if self._endpoint is None:
            self._endpoint = _resolve(self.model)
        return self._endpoint

    @property
    def signature(self) -> Any:
        return self.endpoint.signature

    def output_schema(self) -> Any:
        """The Arrow schema of the predictions (every column nullable under ``"null"``).

        Raises:
            SchemaError: when the signature has no outputs (a return hint or saved outputs
                say what the engine's result columns are).
        """
        if self._output is not None:
            return self._output
        outputs = self.signature.outputs
        if outputs is None:
            raise SchemaError(
                "the model's signature has no outputs: give predict a return hint (or save it "
                "with an output schema) so that the engine knows the result's columns"
            )
        schema = arrow_schema(outputs)
        if self.on_error == "null":
            schema = _nullable(schema)
        self._output = schema
        return schema

    def input_schema(self) -> Any:
        """The Arrow schema of the inputs the signature declares."""
        return arrow_schema(self.signature.inputs)

    def score(self, batch: Any, *, batch_id: Any = None) -> Scored:
        """Validate and predict one batch (see the module).

        Raises:
            ValidationError: under ``"raise"``, for any bad row; under every policy, for
                issues of the batch as a whole, or an output that doesn't fit the signature.
        """
        arrow_in = _is_arrow(batch)
        frame = _pandas(batch) if arrow_in else batch
        if not isinstance(frame, pd.DataFrame):
            raise ValidationError(
                [
                    Issue(
                        None,
                        (),
                        "batch_type",
                        f"Expected a DataFrame or Arrow batch, got {type(batch).__name__}",
                    )
                ]
            )
        n = len(frame)
        compiled = self.endpoint.compiled
        bad: dict[int, list[Issue]] = {}
        try:
            data, params = compiled.check(frame, self.params)
        except ValidationError as exc:
            if self.on_error == "raise" or any(i.row is None for i in exc.issues):
                raise
            for issue in exc.issues:
                bad.setdefault(int(issue.row), []).append(issue)  # type: ignore[arg-type]
            good = np.array([i for i in range(n) if i not in bad], dtype=np.int64)
            data, params = compiled.check(frame.iloc[good].reset_index(drop=True), self.params)
        else:
            good = np.arange(n, dtype=np.int64)
        output = self.endpoint.predict(data, params, None) if len(good) else []
        schema = self.output_schema()
        predictions = _table(output, schema, len(good))
        rows = good
        if self.on_error == "null" and bad:
            predictions = _spread(predictions, good, n)
            rows = np.arange(n, dtype=np.int64)
        rejected = _rejected(batch, bad, batch_id, arrow_in)
        if not arrow_in:
            predictions = to_pandas(predictions)
        return Scored(predictions, rows, rejected)


def check_result(result: str) -> None:
    """An engine adapter's ``result=``: ``"append"`` (the batch's columns, then the
    predictions) or ``"predictions"`` (the prediction columns only).

    Raises:
        ValueError: for anything else.
    """
    if result not in RESULTS:
        raise ValueError(f"result must be one of {list(RESULTS)}, got {result!r}")


def rejected_schema(input_schema: Any) -> Any:
    """The Arrow schema of rejected rows, for a batch of `input_schema`: its columns, then
    `BATCH`, `ROW` and `ISSUES`."""
    import pyarrow as pa

    issue = pa.struct(
        [
            pa.field("loc", pa.list_(pa.string())),
            pa.field("type", pa.string()),
            pa.field("msg", pa.string()),
        ]
    )
    extra = [
        pa.field(BATCH, pa.string()),
        pa.field(ROW, pa.int64()),
        pa.field(ISSUES, pa.list_(issue)),
    ]
    return pa.schema([*input_schema, *extra])


def to_pandas(table: Any) -> pd.DataFrame:
    """An Arrow table as pandas, integers and booleans in nullable dtypes (a null stays one)."""
    import pyarrow as pa

    mapping = {
        pa.int8(): pd.Int8Dtype(),
        pa.int16(): pd.Int16Dtype(),
        pa.int32(): pd.Int32Dtype(),
        pa.int64(): pd.Int64Dtype(),
        pa.uint8(): pd.UInt8Dtype(),
        pa.uint16(): pd.UInt16Dtype(),
        pa.uint32(): pd.UInt32Dtype(),
        pa.uint64(): pd.UInt64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
    }
    frame: pd.DataFrame = table.to_pandas(types_mapper=mapping.get)
    for name, kind in zip(table.column_names, table.schema.types, strict=True):
        if _nested(kind):  # lists, structs and maps as Python values (maps as dicts)
            values = [_plain(v, kind) for v in table.column(name).to_pylist()]
            frame[name] = pd.Series(values, dtype=object, index=frame.index)
    return frame


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _resolve(model: Any) -> Any:
    from typedmodel.serve.endpoint import endpoint_of

    if isinstance(model, os.PathLike) or (isinstance(model, str) and not _is_uri(model)):
        path = os.path.abspath(os.fspath(model))
        key = f"{path}@{_saved_at(path)}"  # a directory saved again is loaded again
    elif isinstance(model, str):
        key = model
    else:
        return endpoint_of(model)
    with _LOADING:
        if key not in _LOADED:
            _LOADED[key] = endpoint_of(
                _local(model) if isinstance(model, str) and _is_uri(model) else model
            )
        return _LOADED[key]


def _saved_at(path: str) -> int:
    try:
        return os.stat(os.path.join(path, "MLmodel")).st_mtime_ns
    except OSError:
        return 0  # endpoint_of says what is wrong with the directory


def _is_uri(text: str) -> bool:
    return text.startswith(("models:/", "runs:/"))


def _local(uri: str) -> str:
    try:
        import mlflow.artifacts
    except ImportError as exc:
        raise TypedModelError(
            f"{uri!r} is an MLflow URI: reading it needs MLflow ({exc}): "
            'pip install "typedmodel[compat]"'
        ) from None
    return str(mlflow.artifacts.download_artifacts(artifact_uri=uri))


def _is_arrow(batch: Any) -> bool:
    module = type(batch).__module__
    return module.startswith("pyarrow") and type(batch).__name__ in ("RecordBatch", "Table")


def _pandas(batch: Any) -> pd.DataFrame:
    return to_pandas(batch)


def _nested(kind: Any) -> bool:
    import pyarrow as pa

    return bool(
        pa.types.is_list(kind)
        or pa.types.is_large_list(kind)
        or pa.types.is_fixed_size_list(kind)
        or pa.types.is_struct(kind)
        or pa.types.is_map(kind)
    )


def _plain(value: Any, kind: Any) -> Any:
    """A nested Arrow value (from ``to_pylist``) with its maps as dicts, all the way down."""
    import pyarrow as pa

    if value is None:
        return None
    if pa.types.is_map(kind):
        return {k: _plain(v, kind.item_type) for k, v in value}
    if pa.types.is_struct(kind):
        return {f.name: _plain(value.get(f.name), f.type) for f in kind}
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return [_plain(v, kind.value_type) for v in value]
    return value


def _nullable(schema: Any) -> Any:
    import pyarrow as pa

    return pa.schema([f.with_nullable(True) for f in schema])


def _table(output: Any, schema: Any, n: int) -> Any:
    """The validated output of predict as an Arrow table of `schema`."""
    import pyarrow as pa

    names = schema.names
    if isinstance(output, pd.DataFrame):
        return pa.Table.from_pandas(output, schema=schema, preserve_index=False)
    if isinstance(output, pd.Series):
        output = output.tolist()
    if isinstance(output, np.ndarray):
        output = output.tolist()
    rows = list(output)
    if len(names) == 1 and not _records(rows):
        return pa.table({names[0]: pa.array(rows, type=schema.field(0).type)}, schema=schema)
    return pa.Table.from_pylist([_record(r) for r in rows], schema=schema)


def _records(rows: list[Any]) -> bool:
    return bool(rows) and all(isinstance(r, Mapping) or hasattr(r, "model_dump") for r in rows)


def _record(row: Any) -> Any:
    if hasattr(row, "model_dump"):
        return row.model_dump(by_alias=True)
    return row


def _spread(predictions: Any, good: np.ndarray[Any, Any], n: int) -> Any:
    """The predictions of the good rows placed at their rows, with null rows between."""
    import pyarrow as pa

    where = np.full(n, -1, dtype=np.int64)
    where[good] = np.arange(len(good))
    indices = pa.array(where, mask=where < 0)
    return predictions.take(indices)


def _rejected(batch: Any, bad: dict[int, list[Issue]], batch_id: Any, arrow_in: bool) -> Any:
    import pyarrow as pa

    rows = np.array(sorted(bad), dtype=np.int64)
    issues = [[_issue(i) for i in bad[r]] for r in rows]
    ident = None if batch_id is None else str(batch_id)
    if arrow_in:
        table = batch.take(pa.array(rows)) if len(rows) else batch.slice(0, 0)
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        schema = rejected_schema(table.schema)
        extra = [
            pa.array([ident] * len(rows), type=pa.string()),
            pa.array(rows, type=pa.int64()),
            pa.array(issues, type=schema.field(ISSUES).type),
        ]
        return pa.Table.from_arrays([*table.columns, *extra], schema=schema)
    frame = batch.iloc[rows].reset_index(drop=True).copy()
    frame[BATCH] = pd.Series([ident] * len(rows), dtype=object)
    frame[ROW] = pd.Series(rows, dtype="int64")
    frame[ISSUES] = pd.Series(issues, dtype=object)
    return frame


def _issue(issue: Issue) -> dict[str, Any]:
    return {"loc": [str(part) for part in issue.loc], "type": issue.type, "msg": issue.msg}
