"""How a failure is told apart and described: the words the worker and the clocks share."""

from __future__ import annotations

from sanctuary import redact


class PermanentError(Exception):
    """The message can never be applied as it is: park it with this reason."""


def describe(exc: BaseException) -> str:
    """A short description of a failure for headers and logs, with email addresses blanked."""
    first_line = redact.emails((str(exc).splitlines() or [""])[0])[:200]
    return f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__
