"""One handler per message type the events service consumes; routed by HANDLERS at the bottom.

It consumes nothing yet (its queue has no bindings in sanctuary.topology); registrations come
with the events issue.
"""

from __future__ import annotations

from sanctuary.consumer import Handler

HANDLERS: dict[str, Handler] = {}
