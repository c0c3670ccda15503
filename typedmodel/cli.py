"""The ``typedmodel`` command: ``signature``, ``validate``, ``check`` (with the testing extra)
and ``serve`` (with the serve extra).

TARGET is a model directory (written by `save_model`) or ``module:attribute`` naming a typed
class, instance or function.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from typedmodel.errors import SchemaError, TypedModelError, ValidationError

__all__ = ["main"]


def _resolve(target: str) -> Any:
    """A model directory's loaded model, or the object ``module:attribute`` names."""
    from typedmodel._mlmodel import MLMODEL
    from typedmodel.store import load_model

    path = Path(target)
    if path.is_dir() and (path / MLMODEL).is_file():
        return load_model(path)
    if ":" not in target:
        raise TypedModelError(
            f"{target!r} is neither a model directory (with an {MLMODEL} file) nor "
            "'module:attribute'"
        )
    module_name, _, attribute = target.partition(":")
    sys.path.insert(0, str(Path.cwd()))
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise TypedModelError(f"can't import {module_name!r}: {exc}") from None
    for part in attribute.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise TypedModelError(f"{module_name!r} has no attribute {attribute!r}") from None
    if isinstance(obj, type):
        from typedmodel.store import _load_context

        obj = obj()
        _load_context(obj)  # an instance made here is set up as a loaded model is
    return obj


def _signature_command(args: argparse.Namespace) -> int:
    from typedmodel._mlmodel import MLMODEL
    from typedmodel.model import signature_of

    path = Path(args.target)
    # A directory's signature is read from MLmodel alone: nothing is unpickled.
    source: Any = path if (path / MLMODEL).is_file() else _resolve(args.target)
    print(json.dumps(signature_of(source).to_dict(), indent=2))
    return 0


def _docs_command(args: argparse.Namespace) -> int:
    from typedmodel._mlmodel import MLMODEL
    from typedmodel.docs import render_docs

    path = Path(args.target)
    # A directory's docs come from MLmodel and the example files: nothing is unpickled.
    source: Any = path if (path / MLMODEL).is_file() else _resolve(args.target)
    text = render_docs(source, format=args.format)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0


def _validate_command(args: argparse.Namespace) -> int:
    from typedmodel.model import compiled_of, typed_model
    from typedmodel.serve.mlflow_protocol import parse_request
    from typedmodel.serve.wire import BadRequest, read_json
    from typedmodel.store import LoadedModel

    model = _resolve(args.target)
    if isinstance(model, LoadedModel):
        compiled = model.typed.compiled
    elif compiled_of(model) is not None:
        compiled = typed_model(model).compiled
    else:
        raise TypedModelError(f"{args.target} is not a typed model: nothing to validate")
    try:
        body = read_json(Path(args.data).read_bytes())
    except OSError as exc:
        raise TypedModelError(f"can't read {args.data}: {exc}") from None
    except BadRequest as exc:
        raise TypedModelError(f"can't read {args.data} as JSON: {exc.msg}") from None
    try:
        # As the server does: row dicts for list[X] models, DataFrames for column schemas.
        data, params = parse_request(body, records=compiled.row_wise)
        compiled.check(data, params)
    except ValidationError as exc:
        print(exc.json(indent=2) if args.json else str(exc))
        return 1
    print("valid")
    return 0


def _diff_side(target: str) -> Any:
    """A version to compare: a directory or its ``MLmodel`` file (read, never unpickled), a
    signature JSON file, a ``models:/`` / ``runs:/`` URI (MLflow), or ``module:attribute``."""
    from typedmodel._mlmodel import MLMODEL, read_json_file, read_signature
    from typedmodel.signature import ModelSignature

    if target.startswith(("models:/", "runs:/")):
        from typedmodel.batch import _local

        target = _local(target)
    path = Path(target)
    if path.is_file() and path.name == MLMODEL:
        path = path.parent
    if path.is_dir():
        found = read_signature(path)
        if found is None:
            raise TypedModelError(f"the model saved at {path} has no signature")
        return found
    if path.is_file() and path.suffix == ".json":
        try:
            return ModelSignature.from_dict(read_json_file(path))
        except SchemaError as exc:
            raise TypedModelError(f"{path} is not a signature: {exc}") from None
    return _resolve(target)


def _diff_config(given: str | None) -> dict[str, Any]:
    """``[tool.typedmodel.diff]`` of `given` (or of ./pyproject.toml), or the whole of a
    config file that has no such table."""
    if sys.version_info < (3, 11):  # tomllib
        if given is None:
            return {}
        raise TypedModelError("reading a --config file needs Python 3.11 or later")
    tomllib = importlib.import_module("tomllib")

    path = Path(given) if given is not None else Path("pyproject.toml")
    if given is None and not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TypedModelError(f"can't read {path}: {exc}") from None
    table = data.get("tool", {}).get("typedmodel", {}).get("diff")
    if table is not None:
        return dict(table)
    return {} if given is None else data


def _diff_command(args: argparse.Namespace) -> int:
    from typedmodel.compatibility import diff

    if len(args.versions) < 2 or (len(args.versions) > 2 and not args.transitive):
        raise TypedModelError("give OLD and NEW (or, with --transitive, every version in order)")
    config = _diff_config(args.config)
    sides = [_diff_side(v) for v in args.versions]
    newest = sides[-1]
    failed = False
    for name, old in zip(args.versions[:-1], sides[:-1], strict=True):
        try:
            report = diff(old, newest, mode=args.mode, config=config)
        except SchemaError as exc:
            raise TypedModelError(str(exc)) from None
        if len(sides) > 2:
            print(f"== {name} -> {args.versions[-1]}")
        print(report.render(args.format))
        failed = failed or bool(report.at_least(args.fail_on))
    return 1 if failed else 0


def _check_command(args: argparse.Namespace) -> int:
    try:
        from typedmodel.testing import check
    except ImportError as exc:
        print(f"typedmodel: error: {exc}", file=sys.stderr)
        return 2
    if args.target is None and args.url is None:
        raise TypedModelError("give a TARGET, or --url of a running server")
    report = check(args.target, examples=args.examples, seed=args.seed, url=args.url)
    print(report)
    return 0 if report.ok else 1


def _serve_command(args: argparse.Namespace) -> int:
    try:
        from typedmodel.serve import app as serve
    except ImportError as exc:
        print(f"typedmodel: error: {exc}", file=sys.stderr)
        return 2
    # Several processes load the model each, from the target; one process loads it here.
    model = args.target if args.processes > 1 else _resolve(args.target)
    serve.run(
        model,
        host=args.host,
        port=args.port,
        workers=args.workers,
        show_inputs=args.show_inputs,
        max_body_bytes=args.max_body_bytes,
        access_log=not args.no_access_log,
        timeout=args.timeout or None,
        protocol=args.protocol,
        name=args.name,
        version=args.model_version,
        max_batch_size=args.max_batch_size,
        max_latency_ms=args.max_latency_ms,
        processes=args.processes,
    )
    return 0


def _at_least(low: int) -> Callable[[str], int]:
    def check(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value

    return check


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="typedmodel", description="Typed contracts for a model's predict."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sig = sub.add_parser("signature", help="print the signature (MLflow-form JSON)")
    sig.add_argument("target", help="a model directory or module:attribute")
    sig.set_defaults(run=_signature_command)
    docs = sub.add_parser("docs", help="render the model's docs from its signature")
    docs.add_argument("target", help="a model directory or module:attribute")
    docs.add_argument(
        "--format",
        default="markdown",
        choices=["markdown", "html", "json-schema", "openapi"],
        help="output format (default: markdown)",
    )
    docs.add_argument("-o", "--output", help="write to this file instead of standard output")
    docs.set_defaults(run=_docs_command)
    val = sub.add_parser(
        "validate", help="validate a request body (any of MLflow's four forms, plus params)"
    )
    val.add_argument("target", help="a model directory or module:attribute")
    val.add_argument("data", help="a JSON request body")
    val.add_argument("--json", action="store_true", help="print the issues as JSON")
    val.set_defaults(run=_validate_command)
    dif = sub.add_parser(
        "diff",
        help="does the new version break the old one's callers? (signature compatibility)",
        description="Compare two versions' signatures; exit 1 when a change at --fail-on's "
        "level or above is found. Each version is a model directory (or its MLmodel file), a "
        "signature JSON file, a models:/ or runs:/ URI (with MLflow) or module:attribute.",
    )
    dif.add_argument("versions", nargs="+", metavar="VERSION", help="OLD NEW (oldest first)")
    dif.add_argument(
        "--mode",
        default="backward",
        choices=["backward", "forward", "full"],
        help="backward: the new version serves old callers (default); forward: the old one "
        "serves new callers; full: both",
    )
    dif.add_argument(
        "--fail-on",
        default="error",
        choices=["error", "warning"],
        help="exit 1 on a change of this level or above (default: error)",
    )
    dif.add_argument(
        "--format",
        default="text",
        choices=["text", "json", "markdown", "junit", "github"],
        help="output format (default: text)",
    )
    dif.add_argument(
        "--config",
        help="a TOML file of levels and ignores (default: [tool.typedmodel.diff] of "
        "./pyproject.toml)",
    )
    dif.add_argument(
        "--transitive",
        action="store_true",
        help="VERSION... is a history, oldest first: check the last against every earlier one",
    )
    dif.set_defaults(run=_diff_command)
    chk = sub.add_parser(
        "check",
        help="run the model on generated valid and invalid batches (needs typedmodel[testing])",
        description="Run the model on batches drawn from its own contract: valid ones must be "
        "predicted and their output keep to the return contract, invalid ones must be refused "
        "with a ValidationError at the broken rule's place. With --url, the bodies go to a "
        "running server's POST /invocations (no 5xx; 400 for every invalid body). Exits 1 on "
        "any failure, printing the shrunk example.",
    )
    chk.add_argument(
        "target", nargs="?", help="a model directory or module:attribute (optional with --url)"
    )
    chk.add_argument(
        "--examples", type=_at_least(1), default=100, help="examples per property (default: 100)"
    )
    chk.add_argument("--seed", type=int, default=0, help="the random seed (default: 0)")
    chk.add_argument("--url", help="a running server's base URL, such as http://127.0.0.1:5000")
    chk.set_defaults(run=_check_command)
    srv = sub.add_parser(
        "serve",
        help="serve the model over HTTP (MLflow's scoring protocol; needs typedmodel[serve])",
        description="Serve the model with uvicorn until SIGTERM or Ctrl-C; requests in flight "
        "finish first. POST /invocations and /v2/models/NAME/infer; GET /ping, /health, "
        "/version, /signature, /openapi.json, /docs, and the /v2 metadata and health routes.",
    )
    srv.add_argument("target", help="a model directory or module:attribute")
    srv.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback only)"
    )
    srv.add_argument("--port", type=int, default=5000, help="port to listen on (default: 5000)")
    srv.add_argument(
        "--workers",
        type=_at_least(1),
        default=None,
        help="threads that validate and predict, in this one process (default: Python's "
        "thread-pool default); predict must be thread-safe unless this is 1",
    )
    srv.add_argument(
        "--show-inputs",
        action="store_true",
        help="put offending input values in 400 answers (off: data may be sensitive)",
    )
    srv.add_argument(
        "--max-body-bytes",
        type=_at_least(0),
        default=50 * 2**20,
        help="refuse larger request bodies with 413 (default: 50 MiB)",
    )
    srv.add_argument(
        "--timeout",
        type=_at_least(0),
        default=60,
        help="answer 503 to a request still running after this many seconds; 0: no limit "
        "(default: 60). The model runs on in its thread: a thread can't be interrupted",
    )
    srv.add_argument(
        "--protocol",
        default="both",
        choices=["mlflow", "v2", "both"],
        help="mlflow: POST /invocations; v2: the Open Inference Protocol's /v2 routes (KServe, "
        "MLServer, Triton clients); both (default)",
    )
    srv.add_argument(
        "--name",
        help="the model's name in the v2 routes (default: the directory's name, or the class "
        "or function name)",
    )
    srv.add_argument(
        "--version",
        dest="model_version",
        help="the model's version in the v2 routes (default: none, and any version is accepted)",
    )
    srv.add_argument(
        "--processes",
        type=_at_least(1),
        default=1,
        help="worker processes, each loading the model once (default: 1); for a CPU-bound "
        "Python model, which threads can't run in parallel",
    )
    srv.add_argument(
        "--max-batch-size",
        type=_at_least(1),
        default=None,
        help="join the valid rows of concurrent requests into one predict call of up to N "
        "rows (default: off; each request is still validated and answered on its own)",
    )
    srv.add_argument(
        "--max-latency-ms",
        type=float,
        default=5.0,
        help="the longest the first request of a joined call waits for others (default: 5)",
    )
    srv.add_argument("--no-access-log", action="store_true", help="don't log every request")
    srv.set_defaults(run=_serve_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (errors are printed, without a traceback)."""
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except TypedModelError as exc:
        print(f"typedmodel: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader stopped early (| head): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return code
