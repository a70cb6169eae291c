"""What the benchmarks and `make chaos` post to the gateway's public API."""

from __future__ import annotations

from typing import Any


def volunteer_sign_up(address: str, name: str = "Bench") -> dict[str, Any]:
    """The body of a volunteer's sign-up (POST /api/v1/volunteers) with this address, as the
    benchmarks and `make chaos` send it."""
    return {
        "name": name,
        "email": address,
        "postcode": "LS6 1AA",
        "languages": ["en"],
        "availability": [{"day": "sat", "part": "morning"}],
        "consent": True,
        "special_consent": True,
    }
