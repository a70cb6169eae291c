"""The impact report (ADR 42, 43): each service's anonymous tallies, asked for at once, made
into the figures of the groups asked for, together and side by side, and month by month."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

from gateway.adapters.upstream import Upstream, UpstreamUnavailable
from gateway.domain import impact
from gateway.service_layer.groups import GroupView

TALLIES = "/internal/v1/tallies"


@dataclass(frozen=True)
class Asked:
    """What a report covers: its days (both included) and its groups (None: all the caller
    may see, with the network's own list for a network admin)."""

    start: date
    end: date
    groups: Sequence[GroupView] | None


def report(
    upstreams: Mapping[str, Upstream],
    correlation_id: str,
    scope: frozenset[uuid.UUID] | None,
    asked: Asked,
    every_group: Sequence[GroupView],
) -> dict[str, Any]:
    """The report of `asked` for a caller who may see `scope` (None: every group), from the
    tallies of matching, events and notifications, asked for in parallel."""
    params: dict[str, Any] = {"from": asked.start.isoformat(), "to": asked.end.isoformat()}
    if asked.groups is not None:
        params["group_id"] = [str(group.id) for group in asked.groups]

    def fetch(service: str) -> dict[str, Any]:
        answer = upstreams[service].forward(
            "GET", TALLIES, correlation_id, params=params, groups=scope
        )
        if answer.status_code != 200:  # a 4xx would be the gateway's own mistake
            raise UpstreamUnavailable(service)
        body: dict[str, Any] = answer.json()
        return body

    with ThreadPoolExecutor(len(impact.SERVICES)) as pool:
        answers = dict(zip(impact.SERVICES, pool.map(fetch, impact.SERVICES), strict=True))
    return _report(answers, asked, scope, every_group)


def _report(
    answers: Mapping[str, Mapping[str, list[dict[str, Any]]]],
    asked: Asked,
    scope: frozenset[uuid.UUID] | None,
    every_group: Sequence[GroupView],
) -> dict[str, Any]:
    period, before = impact.by_group(answers, "period"), impact.by_group(answers, "before")
    if asked.groups is not None:
        shown = list(asked.groups)
    else:
        shown = [g for g in every_group if scope is None or g.id in scope]
    keys: list[str | None] = [str(group.id) for group in shown]
    if asked.groups is None and scope is None:
        keys.append(None)  # the network's own list: people and events of no local group
    names = {str(group.id): group for group in shown}
    side_by_side = [
        {
            "group": _named(names.get(key) if key else None),
            **impact.figures(period.get(key, impact.Counts()), before.get(key, impact.Counts())),
        }
        for key in keys
    ]
    return {
        "from": asked.start.isoformat(),
        "to": asked.end.isoformat(),
        "groups": [_named(group) for group in shown],
        "total": impact.figures(impact.together(period.values()), impact.together(before.values())),
        "by_group": side_by_side,
        "months": impact.months(answers),
        "small_counts_below": impact.SMALL,
    }


def _named(group: GroupView | None) -> dict[str, Any]:
    if group is None:
        return {"slug": None, "name": "No local group"}
    return {"slug": group.slug, "name": group.name}
