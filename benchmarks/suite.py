"""typedmodel against its references, measured in one process and one run.

Each case times typedmodel and a reference (raw pydantic, or MLflow or pandera where they are
installed) on the same data, with the garbage collector off (timeit's default) and on, and
reports medians and the ratio typedmodel / reference next to the target the project holds
itself to.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import timeit
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import pydantic

import typedmodel as tm
from typedmodel.validate import SchemaEnforcer


@dataclass
class Result:
    """One measurement: typedmodel and a reference on the same work."""

    case: str
    reference: str
    ours: float  # seconds per call (or bytes, or seconds for an import)
    theirs: float
    unit: str
    target: float | None  # the ratio ours / theirs must be <= target
    gc: str = "off"
    note: str = ""
    ratio: float = field(init=False)

    def __post_init__(self) -> None:
        self.ratio = self.ours / self.theirs if self.theirs else float("nan")

    @property
    def met(self) -> bool | None:
        # Targets are judged with the collector off, as the reference figures were taken; with
        # it on, when a collection lands in a timed loop varies from run to run.
        if self.target is None or self.gc == "on":
            return None
        return self.ratio <= self.target


# -- models the cases use --------------------------------------------------------------------


class Row(pydantic.BaseModel):
    name: str
    age: int
    income: float
    member: bool


class Row10(pydantic.BaseModel):
    f0: float
    f1: float
    f2: float
    f3: float
    f4: int
    f5: int
    f6: str
    f7: str
    f8: bool
    f9: float


class CheckedRow(pydantic.BaseModel):
    """Row's fields with limits, and a Literal: the checks the pandera model makes too."""

    name: str = pydantic.Field(min_length=1)
    age: int = pydantic.Field(ge=0, le=120)
    income: float = pydantic.Field(ge=0)
    member: bool
    tier: Literal["free", "pro", "team"]


TIERS = ["free", "pro", "team"]


class RowModel(tm.PythonModel):
    def predict(self, context: Any, model_input: list[Row]) -> list[Row]:
        return model_input


class MapModel(tm.PythonModel):
    def predict(self, context: Any, model_input: list[dict[str, float]]) -> list[Any]:
        return model_input


class Row10Model(tm.PythonModel):
    def predict(self, context: Any, model_input: list[Row10]) -> list[Any]:
        return model_input


class FrameModel(tm.PythonModel):
    def predict(self, context: Any, model_input: tm.Frame[Row10]) -> Any:
        return model_input


class CheckedFrameModel(tm.PythonModel):
    def predict(self, context: Any, model_input: tm.Frame[CheckedRow]) -> Any:
        return model_input


ROW_MODEL = tm.typed(validate_output=False)(RowModel)()
MAP_MODEL = tm.typed(validate_output=False)(MapModel)()
ROW10_MODEL = tm.typed(validate_output=False)(Row10Model)()
FRAME_MODEL = tm.typed(validate_output=False)(FrameModel)()
CHECKED_FRAME_MODEL = tm.typed(validate_output=False)(CheckedFrameModel)()

# The string dtypes a frame's text columns come in: numpy's object, and pandas 3's default
# ``str`` (a StringDtype with NaN for missing). pandas 2 has no ``str`` dtype (its default for
# text is object, and ``dtype="str"`` gives object there), so the variant is left out on it.
PANDAS_3 = int(pd.__version__.split(".")[0]) >= 3
STRING_DTYPES: dict[str, Any] = {"object": object, "str": "str"} if PANDAS_3 else {"object": object}


def rows(n: int) -> list[dict[str, Any]]:
    return [
        {"name": f"n{i}", "age": i % 90, "income": i * 1.5, "member": i % 2 == 0} for i in range(n)
    ]


def float_maps(n: int) -> list[dict[str, float]]:
    return [{f"k{j}": float(i + j) for j in range(10)} for i in range(n)]


def frame10(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "f0": rng.random(n),
            "f1": rng.random(n),
            "f2": rng.random(n),
            "f3": rng.random(n),
            "f4": rng.integers(0, 1000, n),
            "f5": rng.integers(0, 1000, n),
            "f6": pd.Series([f"s{i % 97}" for i in range(n)], dtype=object),
            "f7": pd.Series(["abc"] * n, dtype=object),
            "f8": rng.random(n) > 0.5,
            "f9": rng.random(n),
        }
    )


COLUMN_TYPES = ["double"] * 4 + ["long"] * 3 + ["string", "boolean", "float"]


def colspec_frame(n: int, *, upcast: bool) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    data: dict[str, Any] = {}
    for i, t in enumerate(COLUMN_TYPES):
        if t == "double":
            data[f"c{i}"] = rng.random(n).astype("float32" if upcast else "float64")
        elif t == "long":
            data[f"c{i}"] = np.arange(n, dtype="int32" if upcast else "int64")
        elif t == "string":
            data[f"c{i}"] = pd.Series(["x"] * n, dtype=object)
        elif t == "boolean":
            data[f"c{i}"] = rng.random(n) > 0.5
        else:
            data[f"c{i}"] = rng.random(n).astype("float32")
    return pd.DataFrame(data)


# The explicit schema of the cast cases: 4 doubles, 2 longs, a boolean and 3 strings.
CAST_TYPES = ["double"] * 4 + ["long"] * 2 + ["boolean"] + ["string"] * 3
CASTS = {  # what the frame holds for the double and long columns, by cast case
    "no cast": ("float64", "int64"),
    "int64 -> double": ("int64", "int64"),
    "int32 -> long, float32 -> double": ("float32", "int32"),
}


def cast_frame(n: int, cast: str, strings: Any) -> pd.DataFrame:
    """A frame for `CAST_TYPES`: the numeric columns in the dtypes of `cast`, the string
    columns in `strings` (object or str). The int64 columns meant for doubles hold 0s and 1s:
    MLflow takes int64 into a double only then (it refuses any other int64 column)."""
    rng = np.random.default_rng(3)
    doubles, longs = CASTS[cast]
    data: dict[str, Any] = {}
    for i, t in enumerate(CAST_TYPES):
        if t == "double":
            if doubles == "int64":
                data[f"c{i}"] = rng.integers(0, 2, n).astype("int64")
            else:
                data[f"c{i}"] = rng.random(n).astype(doubles)
        elif t == "long":
            data[f"c{i}"] = rng.integers(-1000, 1000, n).astype(longs)
        elif t == "boolean":
            data[f"c{i}"] = rng.random(n) > 0.5
        else:
            data[f"c{i}"] = pd.Series([f"s{(i * j) % 101}" for j in range(n)], dtype=strings)
    return pd.DataFrame(data)


def checked_frame(n: int, strings: Any) -> pd.DataFrame:
    """A valid frame for `CheckedRow`, its text columns in `strings` (object or str)."""
    rng = np.random.default_rng(4)
    tiers = np.array(TIERS, dtype=object)[np.arange(n) % len(TIERS)]
    return pd.DataFrame(
        {
            "name": pd.Series([f"n{i}" for i in range(n)], dtype=strings),
            "age": rng.integers(0, 121, n),
            "income": rng.random(n) * 1e5,
            "member": rng.random(n) > 0.5,
            "tier": pd.Series(tiers, dtype=strings),
        }
    )


def pandera_available() -> bool:
    try:
        import benchmarks.pandera_model  # noqa: F401  # only whether pandera imports
    except ImportError:
        return False
    return True


# -- timing ------------------------------------------------------------------------------------


def measure(
    fns: dict[str, Callable[[], Any]], *, number: int, repeat: int, gc_on: bool
) -> dict[str, float]:
    """Median seconds per call of each function, their runs interleaved (A B A B ...) so a
    change in the machine's load touches both sides alike."""
    setup = "gc.enable()" if gc_on else "pass"
    timers = {k: timeit.Timer(fn, setup=setup, globals={"gc": gc}) for k, fn in fns.items()}
    runs: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for key, timer in timers.items():
            runs[key].append(timer.timeit(number) / number)
    return {k: statistics.median(v) for k, v in runs.items()}


def quiet(fn: Callable[[], Any]) -> Callable[[], Any]:
    """`fn` with MLflow's warnings silenced (they would cost time in the loop, and noise)."""

    def call() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()

    return call


def mlflow_available() -> bool:
    try:
        quiet(lambda: __import__("mlflow.models"))()
    except ImportError:
        return False
    return True


def mlflow_model(hint: Any) -> Any:
    """An MLflow PythonModel whose predict is type-hinted (MLflow then validates its input)."""
    import mlflow.pyfunc

    def predict(self: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        return model_input

    predict.__annotations__ = {"model_input": list[hint], "return": list[Any]}  # type: ignore[valid-type]
    # MLflow reads the hints when the class is created, so they must be there already.
    cls = quiet(lambda: type("MlflowModel", (mlflow.pyfunc.PythonModel,), {"predict": predict}))()
    return cls()


# -- the cases ---------------------------------------------------------------------------------

PYDANTIC = "raw pydantic TypeAdapter"
MLFLOW_HINTS = "MLflow (type-hinted PythonModel)"


def case_batches(
    label: str,
    model: Any,
    hint: Any,
    make: Callable[[int], Any],
    sizes: list[int],
    repeat: int,
    gc_on: bool,
    with_mlflow: bool,
) -> list[Result]:
    adapter = pydantic.TypeAdapter(list[hint])
    theirs_model = mlflow_model(hint) if with_mlflow else None
    out = []
    for n in sizes:
        data = make(n)
        number = max(1, 20_000 // n)
        ours = lambda d=data: model.predict(d)  # noqa: E731
        t = measure(
            {"ours": ours, "raw": lambda d=data: adapter.validate_python(d)},
            number=number,
            repeat=repeat,
            gc_on=gc_on,
        )
        name = f"{label}, {n:,} {'row' if n == 1 else 'rows'}"
        target = 2.0 if n == 1 else 1.10
        out.append(Result(name, PYDANTIC, t["ours"], t["raw"], "s/call", target, _gc(gc_on)))
        if theirs_model is not None:
            # Timed apart: MLflow's heavy garbage would otherwise weigh on the next call timed.
            t = measure(
                {"ours": ours, "mlflow": lambda d=data: theirs_model.predict(d)},
                number=number,
                repeat=max(3, repeat // 2),
                gc_on=gc_on,
            )
            out.append(
                Result(name, MLFLOW_HINTS, t["ours"], t["mlflow"], "s/call", 1.0, _gc(gc_on))
            )
    return out


def case_dataframe(n: int, repeat: int, gc_on: bool) -> list[Result]:
    adapter = pydantic.TypeAdapter(list[Row10])
    frame = frame10(n)
    t = measure(
        {
            "ours": lambda: ROW10_MODEL.predict(frame),
            "naive": lambda: adapter.validate_python(frame.to_dict("records")),
            "frame": lambda: FRAME_MODEL.predict(frame),
        },
        number=1,
        repeat=repeat,
        gc_on=gc_on,
    )
    naive = "row-wise: TypeAdapter(df.to_dict('records'))"
    return [
        Result(
            f"DataFrame {n:,} x 10 -> list[Row10]",
            naive,
            t["ours"],
            t["naive"],
            "s/call",
            0.6,
            _gc(gc_on),
        ),
        Result(
            f"Frame[Row10], {n:,} x 10 frame",
            naive,
            t["frame"],
            t["naive"],
            "s/call",
            1 / 30,
            _gc(gc_on),
        ),
    ]


def _schema_pair(types: list[str]) -> tuple[SchemaEnforcer, Any]:
    """typedmodel's enforcer and MLflow's Schema for the same named columns c0, c1, ..."""
    from mlflow.types import ColSpec as MlflowColSpec
    from mlflow.types import Schema as MlflowSchema

    ours = tm.Schema([tm.ColSpec(t, f"c{i}") for i, t in enumerate(types)])
    theirs = MlflowSchema([MlflowColSpec(t, f"c{i}") for i, t in enumerate(types)])
    return SchemaEnforcer(ours), theirs


def case_colspec(sizes: list[int], repeat: int, gc_on: bool) -> list[Result]:
    from mlflow.models.utils import _enforce_schema

    enforcer, theirs_schema = _schema_pair(COLUMN_TYPES)
    out = []
    for n in sizes:
        upcast = n > 1
        frame = colspec_frame(n, upcast=upcast)
        t = measure(
            {
                "ours": lambda f=frame: enforcer.validate(f),
                "mlflow": quiet(lambda f=frame: _enforce_schema(f, theirs_schema)),
            },
            number=200 if n == 1 else 5,
            repeat=repeat,
            gc_on=gc_on,
        )
        what = f"{n:,} rows, 7 columns upcast" if upcast else "1 row"
        out.append(
            Result(
                f"ColSpec enforcement, 10 columns, {what}",
                "MLflow _enforce_schema",
                t["ours"],
                t["mlflow"],
                "s/call",
                0.2 if n == 1 else 0.5,
                _gc(gc_on),
            )
        )
    return out


_CAST_NOTES = {
    "int64 -> double": "the int64 columns hold 0s and 1s, the only int64 MLflow takes as double",
}


def case_casts(sizes: list[int], repeat: int, gc_on: bool) -> list[Result]:
    """An explicit 10-column ColSpec schema in three cast cases, strings in each dtype."""
    from mlflow.models.utils import _enforce_schema

    enforcer, theirs_schema = _schema_pair(CAST_TYPES)
    out = []
    for cast in CASTS:
        for label, strings in STRING_DTYPES.items():
            for n in sizes:
                frame = cast_frame(n, cast, strings)
                # MLflow checks int64 columns for doubles value by value (0 or 1): one call of
                # a large frame takes seconds, so it is timed once per repeat.
                slow = cast == "int64 -> double" and n > 1_000
                t = measure(
                    {
                        "ours": lambda f=frame: enforcer.validate(f),
                        "mlflow": quiet(lambda f=frame: _enforce_schema(f, theirs_schema)),
                    },
                    number=200 if n == 1 else (1 if slow else 5),
                    repeat=repeat,
                    gc_on=gc_on,
                )
                size = f"{n:,} {'row' if n == 1 else 'rows'}"
                out.append(
                    Result(
                        f"ColSpec enforcement, {cast}, {size}, strings as {label}",
                        "MLflow _enforce_schema",
                        t["ours"],
                        t["mlflow"],
                        "s/call",
                        0.2 if n == 1 else 0.5,
                        _gc(gc_on),
                        note=_CAST_NOTES.get(cast, ""),
                    )
                )
    return out


def case_frame(n: int, repeat: int, gc_on: bool) -> list[Result]:
    """`Frame[Row10]` against row-wise pydantic on a frame smaller than `dataframe`'s."""
    adapter = pydantic.TypeAdapter(list[Row10])
    frame = frame10(n)
    t = measure(
        {
            "frame": lambda: FRAME_MODEL.predict(frame),
            "naive": lambda: adapter.validate_python(frame.to_dict("records")),
        },
        number=min(100, max(1, 100_000 // n)),
        repeat=repeat,
        gc_on=gc_on,
    )
    return [
        Result(
            f"Frame[Row10], {n:,} x 10 frame",
            "row-wise: TypeAdapter(df.to_dict('records'))",
            t["frame"],
            t["naive"],
            "s/call",
            1 / 30,
            _gc(gc_on),
        )
    ]


def case_pandera(sizes: list[int], repeat: int, gc_on: bool) -> list[Result]:
    """`Frame[CheckedRow]` against pandera's DataFrameModel making the same checks, on valid
    frames, pandera collecting every failure (``lazy=True``) as typedmodel does."""
    from benchmarks.pandera_model import CheckedSchema as schema

    schema.to_schema()  # built once, before the timing (pandera caches it)
    out = []
    for label, strings in STRING_DTYPES.items():
        for n in sizes:
            frame = checked_frame(n, strings)
            t = measure(
                {
                    "ours": lambda f=frame: CHECKED_FRAME_MODEL.predict(f),
                    "pandera": quiet(lambda f=frame: schema.validate(f, lazy=True)),
                },
                number=1 if n >= 100_000 else 5,
                repeat=repeat,
                gc_on=gc_on,
            )
            out.append(
                Result(
                    f"Frame[CheckedRow] (5 fields), {n:,} rows, strings as {label}",
                    "pandera DataFrameModel.validate(lazy=True)",
                    t["ours"],
                    t["pandera"],
                    "s/call",
                    1 / 3,
                    _gc(gc_on),
                )
            )
    return out


def case_infer(n: int, repeat: int, gc_on: bool) -> list[Result]:
    from mlflow.models import infer_signature as mlflow_infer

    frame = frame10(n)
    t = measure(
        {"ours": lambda: tm.infer_signature(frame), "mlflow": quiet(lambda: mlflow_infer(frame))},
        number=1,
        repeat=max(3, repeat // 2),
        gc_on=gc_on,
    )
    return [
        Result(
            f"infer_signature, {n:,} x 10 DataFrame",
            "MLflow infer_signature",
            t["ours"],
            t["mlflow"],
            "s/call",
            0.05,
            _gc(gc_on),
        )
    ]


def import_seconds(code: str, runs: int) -> float:
    """Median seconds the imports of `code` take, by ``python -X importtime`` in fresh
    interpreters: the top-level imports it triggers, leaving out what startup imports anyway."""

    def top_level(snippet: str) -> dict[str, int]:
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", snippet],
            capture_output=True,
            text=True,
            check=True,
        )
        found = {}
        for line in proc.stderr.splitlines():
            if not line.startswith("import time:") or line.count("|") != 2:
                continue
            _, cum, name = line[len("import time:") :].split("|")
            if cum.strip().isdigit() and name.startswith(" ") and not name.startswith("  "):
                found[name.strip()] = int(cum)  # nested imports are inside their parent's time
        return found

    startup = set(top_level("pass"))
    times = []
    for _ in range(runs):
        found = top_level(code)
        times.append(sum(t for name, t in found.items() if name not in startup) / 1e6)
    return statistics.median(times)


def case_import(runs: int) -> list[Result]:
    pydantic_s = import_seconds("import pydantic", runs)
    ours = import_seconds("import typedmodel", runs)
    defining = import_seconds("import typedmodel as tm; tm.PythonModel; tm.ModelSignature", runs)
    model_s = import_seconds("import pydantic; pydantic.BaseModel", runs)
    return [
        Result("import typedmodel", "import pydantic", ours, pydantic_s, "s", 2.0, "n/a"),
        Result(
            "import typedmodel, use PythonModel and ModelSignature",
            "import pydantic, use BaseModel",
            defining,
            model_s,
            "s",
            None,
            "n/a",
            note="what defining a typed model costs; no target",
        ),
    ]


def case_memory(n: int) -> list[Result]:
    adapter = pydantic.TypeAdapter(list[Row])
    data = rows(n)

    def peak(fn: Callable[[], Any]) -> float:
        gc.collect()
        tracemalloc.start()
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        result = fn()
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del result
        return float(top - base)

    raw = peak(lambda d=data: adapter.validate_python(d))
    ours = peak(lambda d=data: ROW_MODEL.predict(d))
    return [
        Result(
            f"peak memory validating {n:,} rows of list[Row]",
            "raw pydantic TypeAdapter",
            ours,
            raw,
            "bytes",
            1.3,
            "n/a",
        )
    ]


def _gc(on: bool) -> str:
    return "on" if on else "off"


# -- running -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    rows: tuple[int, ...]
    frame: int
    colspec: tuple[int, ...]
    memory: int
    repeat: int
    imports: int
    small_frame: int  # the `frame` case
    pandera: tuple[int, ...]


SIZES = {
    "full": Sizes(
        (1, 10_000, 100_000),
        100_000,
        (1, 100_000),
        1_000_000,
        11,
        15,
        10_000,
        (100_000, 1_000_000),
    ),
    "smoke": Sizes((1, 50), 200, (1, 200), 1_000, 3, 2, 50, (100, 1_000)),
}
CASES = (
    "rows",
    "maps",
    "dataframe",
    "frame",
    "colspec",
    "colspec-casts",
    "pandera",
    "infer",
    "import",
    "memory",
    "testing",
    "spark",  # starts a JVM: run only when named (--case spark)
    "ray",  # starts a local Ray cluster: run only when named (--case ray)
    "dask",  # starts a local Dask cluster: run only when named (--case dask)
)


def run(mode: str = "full", *, only: set[str] | None = None) -> dict[str, Any]:
    """Run the cases (all, or those named in `only`) and return the report."""
    sizes = SIZES[mode]
    with_mlflow = mlflow_available()
    with_pandera = pandera_available()
    results: list[Result] = []

    def wanted(name: str) -> bool:
        return only is None or name in only

    for gc_on in (False, True):
        if wanted("rows"):
            results += case_batches(
                "list[Row] (4 fields)",
                ROW_MODEL,
                Row,
                rows,
                list(sizes.rows),
                sizes.repeat,
                gc_on,
                with_mlflow,
            )
        if wanted("maps"):
            results += case_batches(
                "list[dict[str, float]] (10 keys)",
                MAP_MODEL,
                dict[str, float],
                float_maps,
                [n for n in sizes.rows if n > 1],
                sizes.repeat,
                gc_on,
                with_mlflow,
            )
        if wanted("dataframe"):
            results += case_dataframe(sizes.frame, sizes.repeat, gc_on)
        if wanted("frame"):
            results += case_frame(sizes.small_frame, sizes.repeat, gc_on)
        if with_mlflow and wanted("colspec"):
            results += case_colspec(list(sizes.colspec), sizes.repeat, gc_on)
        if with_mlflow and wanted("colspec-casts"):
            results += case_casts(list(sizes.colspec), sizes.repeat, gc_on)
        if with_pandera and wanted("pandera"):
            results += case_pandera(list(sizes.pandera), sizes.repeat, gc_on)
        if with_mlflow and wanted("infer"):
            results += case_infer(sizes.frame, sizes.repeat, gc_on)
    if wanted("import"):
        results += case_import(sizes.imports)
    if wanted("memory"):
        results += case_memory(sizes.memory)
    if wanted("testing"):
        from benchmarks.testing_case import case_testing

        results += case_testing(1_000 if mode == "full" else 50)
    if only is not None and "spark" in only:
        from benchmarks.spark_case import case_spark

        results += case_spark(1_000_000 if mode == "full" else 2_000, 5 if mode == "full" else 1)
    for engine in ("ray", "dask"):
        if only is not None and engine in only:
            from benchmarks import engines_case

            case = getattr(engines_case, f"case_{engine}")
            results += case(1_000_000 if mode == "full" else 2_000, 3 if mode == "full" else 1)
    return {
        "mode": mode,
        "machine": machine(),
        "mlflow": with_mlflow,
        "pandera": with_pandera,
        "results": [{**asdict(r), "met": r.met} for r in results],
    }


def machine() -> dict[str, Any]:
    versions = {
        "typedmodel": tm.__version__,
        "pydantic": pydantic.VERSION,
        "pandas": pd.__version__,
        "numpy": np.__version__,
    }
    try:
        from importlib.metadata import version

        versions["mlflow"] = version("mlflow-skinny")
    except Exception:  # MLflow is optional
        versions["mlflow"] = "not installed"
    try:
        versions["pandera"] = version("pandera")
    except Exception:  # pandera is optional
        versions["pandera"] = "not installed"
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpus": os.cpu_count(),
        "versions": versions,
    }


def table(report: dict[str, Any]) -> str:
    wide = max([58, *(len(r["case"]) for r in report["results"])])
    ref = max([42, *(len(r["reference"]) for r in report["results"])])
    lines = [
        f"{'case':<{wide}} {'reference':<{ref}} {'gc':<4} {'ours':>11} {'theirs':>11} "
        f"{'ratio':>7} {'target':>7}  met",
        "-" * (wide + ref + 50),
    ]
    for r in report["results"]:
        target = "" if r["met"] is None else f"<={r['target']:.3g}"
        met = "" if r["met"] is None else ("yes" if r["met"] else "NO")
        lines.append(
            f"{r['case']:<{wide}} {r['reference']:<{ref}} {r['gc']:<4} "
            f"{_fmt(r['ours'], r['unit']):>11} {_fmt(r['theirs'], r['unit']):>11} "
            f"{r['ratio']:>7.3f} {target:>7}  {met}"
        )
    m = report["machine"]
    lines.append("")
    lines.append(
        f"machine: {m['platform']}, {m['cpus']} CPUs, Python {m['python']}, {m['versions']}"
    )
    return "\n".join(lines)


def _fmt(value: float, unit: str) -> str:
    if unit == "bytes":
        return f"{value / 2**20:.1f} MiB"
    if value >= 1:
        return f"{value:.3f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.2f} ms"
    return f"{value * 1e6:.2f} us"


def write_json(report: dict[str, Any], path: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=2)
