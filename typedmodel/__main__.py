"""``python -m typedmodel``: the same as the ``typedmodel`` command."""

from typedmodel.cli import main

raise SystemExit(main())
