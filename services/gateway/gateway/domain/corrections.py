"""What a person may change from their own data page (ADR 0027), read from their export: the
details their sign-up or request holds, whether they are paused, and which optional emails
they stopped; and a change asked for, as the `person.details_changed` fact's fields. Pure
rules, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sanctuary.vocabulary import EmailCategory

from gateway.domain.my_data import GONE

# The details a sign-up or a request holds that the person may correct (Art. 16).
PROFILE = ("name", "postcode", "languages", "availability")


@dataclass(frozen=True)
class Current:
    """What the page shows to be changed: `profile` None when they have no sign-up or request
    (then only the name their places carry); `paused` None when there is nothing to pause."""

    name: str | None
    profile: dict[str, Any] | None
    paused: bool | None
    stopped: frozenset[str]
    # Whether we may use their languages, gender and needs (ADR 0029): None without a
    # sign-up or a request.
    special: bool | None = None

    def form(self) -> dict[str, list[str]]:
        """The page's form answers for what is held now, as a browser would send them."""
        answers: dict[str, list[str]] = {"name": [self.name] if self.name else []}
        if (profile := self.profile) is not None:
            answers["postcode"] = [profile["postcode"]]
            answers["languages"] = list(profile["languages"])
            answers["availability"] = [f"{day}-{part}" for day, part in profile["availability"]]
        answers["emails"] = [c for c in EmailCategory if c not in self.stopped]
        return answers


def current(export: dict[str, Any]) -> Current:
    """What the person may change, from their subject-access export."""
    services = export.get("services", {})
    matching = services.get("matching", {})
    rows = [
        row
        for table in ("volunteers", "newcomers")
        for row in matching.get(table, ())
        if row.get("status") not in GONE
    ]
    places = services.get("events", {}).get("registrations", ())
    profile = {key: rows[0].get(key) or [] for key in PROFILE} if rows else None
    name = (profile or {}).get("name") or next((p.get("name") for p in places), None)
    stopped = frozenset(
        row["category"] for row in services.get("notifications", {}).get("unsubscribes", ())
    )
    paused = any(row.get("paused_at") for row in rows) if rows else None
    special = any(_special(row) for row in rows) if rows else None
    return Current(name or None, profile, paused, stopped, special)


def _special(row: dict[str, Any]) -> bool:
    """Whether a row holds special-category data: its consent, or (from before the consent
    was asked separately) languages, a gender or needs given under the one consent."""
    return bool(
        row.get("special_consent_at")
        or row.get("languages")
        or row.get("gender")
        or row.get("needs")
    )


def change(asked: dict[str, Any], now: Current) -> dict[str, Any]:
    """The fact's fields for what was asked: the details given, and the optional emails
    stopped after the choices given (a category not named stays as it is)."""
    fields = {key: value for key, value in asked.items() if key != "emails"}
    if "availability" in fields:
        fields["availability"] = tuple(tuple(slot) for slot in fields["availability"])
    if "languages" in fields:
        fields["languages"] = tuple(fields["languages"])
    if "emails" in asked:
        wanted = asked["emails"]
        stopped = {c for c in now.stopped if c not in wanted} | {c for c in wanted if not wanted[c]}
        fields["emails_stopped"] = tuple(sorted(stopped))
    return fields


def differences(asked: dict[str, Any], now: Current) -> dict[str, Any]:
    """What was asked that differs from what is held (a form sends every detail it shows)."""
    held: dict[str, Any] = {"name": now.name, **(now.profile or {})}
    same = {
        "name": lambda v: v == held["name"],
        "postcode": lambda v: v == held.get("postcode"),
        "languages": lambda v: set(v) == set(held.get("languages", ())),
        "availability": lambda v: (
            {tuple(s) for s in v} == {tuple(s) for s in held.get("availability", ())}
        ),
        "paused": lambda v: v == now.paused,
        "special_consent": lambda v: v == now.special,
        "emails": lambda v: set(change({"emails": v}, now)["emails_stopped"]) == now.stopped,
    }
    return {key: value for key, value in asked.items() if not same[key](value)}
