"""Calls to the other services' internal HTTP APIs, with the service credential."""

from __future__ import annotations

import uuid
from typing import Any

import requests
from sanctuary.bodies import GROUPS_HEADER


class UpstreamUnavailable(Exception):
    """An internal API did not answer in time, or answered with a server error."""

    def __init__(self, service: str) -> None:
        super().__init__(service)
        self.service = service


class Upstream:
    """One service's internal API."""

    def __init__(self, service: str, base_url: str, token: str, timeout: float) -> None:
        self.service = service
        self.base_url = base_url
        self.timeout = timeout
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def get_json(self, path: str, correlation_id: str) -> dict[str, Any] | None:
        """GET `path`; None when the service answers 404."""
        try:
            response = self.http.get(
                self.base_url + path,
                timeout=self.timeout,
                headers={"X-Correlation-ID": correlation_id},
            )
        except requests.RequestException as exc:
            raise UpstreamUnavailable(self.service) from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise UpstreamUnavailable(self.service)
        body: dict[str, Any] = response.json()
        return body

    def forward(
        self,
        method: str,
        path: str,
        correlation_id: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        groups: frozenset[uuid.UUID] | None = None,
    ) -> requests.Response:
        """Send a call on, for a caller who may see `groups` only (None: every group); its
        answer, whatever it is, below 500."""
        headers = {"X-Correlation-ID": correlation_id}
        if groups is not None:
            headers[GROUPS_HEADER] = ",".join(sorted(str(group) for group in groups))
        try:
            response = self.http.request(
                method,
                self.base_url + path,
                json=json,
                params=params,
                timeout=self.timeout,
                headers=headers,
            )
        except requests.RequestException as exc:
            raise UpstreamUnavailable(self.service) from exc
        if response.status_code >= 500:
            raise UpstreamUnavailable(self.service)
        return response
