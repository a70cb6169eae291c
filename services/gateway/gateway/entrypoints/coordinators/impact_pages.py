"""The dashboard's Impact page (ADR 43): the report of the groups shown over a period, as
figures and charts (each with its table one click away), every group side by side for a
network admin; and the same numbers as they may leave: CSV, JSON and a printable page, with
small counts as "fewer than 5"."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from typing import Any

from flask import Response, render_template, request
from sanctuary.web import current_service

from gateway.domain import impact_export, periods
from gateway.entrypoints.coordinators import charts, reports_api
from gateway.entrypoints.coordinators.dashboard import blp, shown_group
from gateway.service_layer import groups, reports


def _asked() -> reports.Asked:
    """The period and groups asked for: ?group= or the group the switcher shows."""
    what = reports_api.asked()
    shown = shown_group()
    if what.groups is None and shown:
        group = groups.by_id(current_service().sessions, shown["group_id"])
        what = replace(what, groups=[group] if group else None)
    return what


def _named(what: reports.Asked) -> str:
    if what.groups is None:
        return "All your groups"
    return ", ".join(group.name for group in what.groups)


@blp.get("/impact")
def impact() -> str:
    what = _asked()
    report = reports_api.made(what)
    return render_template(
        "coordinator/impact.html",
        report=report,
        charts=charts.charts(report),
        named=_named(what),
        choices=periods.CHOICES,
        asked=request.args,
        query=request.query_string.decode("ascii", "replace"),
    )


@blp.get("/impact/print")
def impact_print() -> str:
    what = _asked()
    report = reports_api.made(what)
    return render_template(
        "coordinator/impact_print.html",
        report=report,
        figures=impact_export.safe(report["total"]),
        charts=charts.charts(report)[:2],
        named=_named(what),
    )


@blp.get("/impact.json")
def impact_json() -> Response:
    report = reports_api.made(_asked())
    safe = {
        "from": report["from"],
        "to": report["to"],
        "note": "Counts from 1 to 4 are 'fewer than 5'; figures drawn from fewer than 5 "
        "people are 'too few to say'.",
        "groups": report["groups"],
        "total": impact_export.safe(report["total"]),
        "by_group": [
            {"group": row["group"], **impact_export.safe(_figures(row))}
            for row in report["by_group"]
        ],
        "months": [impact_export.month_rows(month) for month in report["months"]],
    }
    return _download(json.dumps(safe, indent=2, ensure_ascii=False), "json", report)


@blp.get("/impact.csv")
def impact_csv() -> Response:
    report = reports_api.made(_asked())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["group", "section", "figure", "value"])
    for section, figure, value in impact_export.rows(report["total"]):
        writer.writerow(["(all shown)", section, figure, value])
    for row in report["by_group"]:
        for section, figure, value in impact_export.rows(_figures(row)):
            writer.writerow([row["group"]["name"], section, figure, value])
    for month in report["months"]:
        for figure, value in impact_export.month_rows(month).items():
            if figure != "month":
                writer.writerow(["(all shown)", f"month {month['month']}", figure, value])
    return _download(out.getvalue(), "csv", report)


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key != "group"}


def _download(body: str, kind: str, report: dict[str, Any]) -> Response:
    name = f"impact-{report['from']}-to-{report['to']}.{kind}"
    return Response(
        body,
        mimetype="text/csv" if kind == "csv" else "application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
