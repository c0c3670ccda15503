"""Hypothesis profiles: ``default`` for a local run, ``ci`` (``--hypothesis-profile=ci``) for
more examples of every property test that leaves the count to the profile."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("default")
