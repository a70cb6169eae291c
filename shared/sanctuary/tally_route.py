"""Every service's `GET /internal/v1/tallies?from=&to=` (ADR 42): its anonymous counts of the
days from `from` to `to` (ISO dates, both included), of the groups asked for (`group_id`,
repeated) within the caller's, summed by group and by month (sanctuary.tallies.read), with
each group's stocks before `from`."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, jsonify, request

from sanctuary import tallies
from sanctuary.scope import listed_groups
from sanctuary.tallies import TallyMixin
from sanctuary.web import current_service, invalid


def add(blueprint: Blueprint, model: type[TallyMixin]) -> None:
    """Add the route to a service's internal blueprint, reading its `model`."""

    @blueprint.get("/tallies")
    def tallied() -> Response:
        """The impact report's counts kept here (ADR 42)."""
        start, end = _day("from"), _day("to")
        with current_service().sessions() as session:
            return jsonify(tallies.read(session, model, start, end, listed_groups()))


def _day(name: str) -> date:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        raise invalid({name: ["Not a date such as 2026-12-06."]}, "Invalid query.") from None
