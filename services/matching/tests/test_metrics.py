"""Prometheus metrics of a web process."""

from __future__ import annotations


def test_every_web_process_counts_its_requests_by_route_not_by_path(tmp_path: object) -> None:
    """The metrics show the route's pattern (ids would explode the labels) and the status."""
    from pathlib import Path

    from matching.entrypoints.web import create_app
    from sanctuary import metrics
    from sanctuary.config import ServiceConfig

    assert isinstance(tmp_path, Path)
    app = create_app(
        ServiceConfig(service="matching", database_url=f"sqlite:///{tmp_path / 'm.db'}")
    )
    client = app.test_client()
    client.get("/healthz")
    client.get("/internal/v1/volunteers/3f0e8f1e-0000-4000-8000-000000000000")  # 401
    assert client.get("/metrics").status_code == 404  # only on the metrics port
    text = metrics.exposition()[0].decode()
    assert 'route="/healthz"' in text
    assert (
        'route="/internal/v1/volunteers/<uuid:volunteer_id>",service="matching",status="401"'
        in text
    )
    assert "3f0e8f1e" not in text
    app.extensions["service"].engine.dispose()
