"""What a matching run gives: proposals with their explanations, and who stays unmatched
and why. Apart from the solver (`run`), so the processes that only store, show or announce
a run's outcome (the worker, the relay, the clock, the web) never import numpy or OR-Tools.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

# Each newcomer keeps their best few hundred candidates: the optimum over that graph is
# what the run guarantees (docs/matching.md: a few hundred keeps the solve well under a second).
TOP_K = 200


@dataclass(frozen=True)
class Proposal:
    """A volunteer proposed for a newcomer, with everything a coordinator needs to judge it."""

    volunteer_id: uuid.UUID
    newcomer_id: uuid.UUID
    score: int
    factors: dict[str, int]
    rules_passed: tuple[str, ...]
    not_chosen: tuple[dict[str, object], ...]  # the next-best volunteers and why not them
    # What could not be used for this pair (a person did not consent to its use).
    not_used: tuple[str, ...] = ()

    def explanation(self) -> dict[str, object]:
        """The explanation stored with the match and shown to coordinators."""
        return {
            "factors": self.factors,
            "rules_passed": list(self.rules_passed),
            "not_chosen": list(self.not_chosen),
            **({"not_used": list(self.not_used)} if self.not_used else {}),
        }


class Why(str):
    """Why a newcomer stays unmatched: the sentence the API gives (a str), and its `facts`
    (`because`: others_chosen, no_volunteer_nearby, rule_missing or no_group_yet, with the
    counts and the rule), which the dashboard words with the newcomer's own details ("no
    ready volunteer nearby speaks Tigrinya")."""

    facts: dict[str, object]

    def __new__(cls, sentence: str, **facts: object) -> Why:
        made = super().__new__(cls, sentence)
        made.facts = facts
        return made

    def as_dict(self) -> dict[str, object]:
        return {"why": str(self), **self.facts}


@dataclass(frozen=True)
class RunResult:
    """What a run proposes, its total score, and who stays unmatched and why."""

    proposals: tuple[Proposal, ...]
    unmatched: dict[uuid.UUID, Why] = field(default_factory=dict)

    @property
    def total_score(self) -> int:
        """The sum of the proposals' scores: what the assignment maximises."""
        return sum(p.score for p in self.proposals)
