"""The HTTP server: a validating endpoint in front of a typed or saved model.

``create_app(model_or_path)`` builds the ASGI app; ``typedmodel serve TARGET`` runs it with
uvicorn. Every request is parsed and validated with the same call seam ``predict`` uses
in-process, so a request that doesn't fit the signature is refused with a ``400`` listing every
issue before the model sees it.

The package keeps its jobs apart:

- `typedmodel.serve.wire`: reading a body (UTF-8 JSON or CSV), with the number rules of the
  schema's rule table;
- `typedmodel.serve.mlflow_protocol`: MLflow's request forms and answers (another protocol goes
  beside it, without touching validation);
- `typedmodel.serve.endpoint`: the model behind the app (its compiled predict and signature);
- `typedmodel.serve.app`: the Starlette app, its routes, limits and thread pool.

Only `typedmodel.serve.app` needs the serve extra (Starlette); the names below load it on first
use and say what to install when it is missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typedmodel.serve.app import DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT, create_app, run

__all__ = ["DEFAULT_MAX_BODY_BYTES", "DEFAULT_TIMEOUT", "create_app", "run"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from typedmodel.serve import app

        return getattr(app, name)
    raise AttributeError(f"module 'typedmodel.serve' has no attribute {name!r}")
