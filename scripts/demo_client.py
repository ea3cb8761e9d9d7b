"""The demo's HTTP client (no processes here): the staff it logs in as, the made-up people, and
what each demo process promises to show.

Everything goes through the public HTTP API with dev-login tokens and an ``Idempotency-Key`` on
every post, as a newcomer's own client would; nothing is written to the read model directly.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

import httpx

from workflows import calendar
from workflows.profiles import Profile

Stage = Literal["on_time", "due_today", "overdue", "escalated", "closed"]
STAGES: tuple[Stage, ...] = ("on_time", "due_today", "overdue", "escalated", "closed")
STAGE_LABELS: dict[Stage, str] = {
    "on_time": "i tid",
    "due_today": "ska vara klar i dag",
    "overdue": "försenad",
    "escalated": "eskalerad",
    "closed": "avslutad",
}

# The people who work in the demo (dev-login identities; log in with the same on /ui/login).
STAFF: dict[str, dict[str, str]] = {
    "case_worker": {"sub": "cw-anna", "name": "Anna Lindgren", "role": "case_worker"},
    "senior": {"sub": "scw-berit", "name": "Berit Holmström", "role": "senior_case_worker"},
    "provider": {"sub": "pv-carl", "name": "Carl Nyberg", "role": "provider", "org": "hemtjanst-nord"},
    "team": {"sub": "hg-gun", "name": "Gun Sandberg", "role": "homecoming_team", "org": "hemgangsteam"},
    "supervisor": {"sub": "sv-per", "name": "Per Wallin", "role": "supervisor"},
}
PROVIDER_UNIT = STAFF["provider"]["org"]

# Made-up people (no real person is meant); one per demo process.
PEOPLE = (
    "Greta Lindqvist", "Sven Holmberg", "Astrid Nyström", "Karl-Erik Sjöberg", "Margit Åberg",
    "Ingvar Lund", "Elsa Öhman", "Birgitta Forsberg", "Gunnar Hedlund", "Maj-Britt Engström",
    "Olle Bergqvist", "Signe Wikström", "Stig Lindahl", "Inga Dahlberg", "Rune Sundqvist",
    "Solveig Ekström", "Arne Blom", "Ulla Strand", "Helge Norberg", "Dagny Hellström",
    "Tore Björk", "Vera Söderlund", "Henning Falk", "Anna-Lisa Viklund", "Bengt Hägglund",
    "Ester Nordin", "Lennart Åkesson", "Karin Mattsson", "Erik Boström", "Gerd Lindström",
    "Folke Holm", "Rut Sandström", "Nils Öberg", "Irma Berglund", "Valter Eklund",
    "Hjördis Lundgren", "Sixten Jonsson", "Elvy Nilsson", "Alvar Persson", "Märta Karlsson",
)  # fmt: skip


class DemoError(RuntimeError):
    """The API refused a demo step: the step, the status and the API's Swedish answer."""


@dataclass(frozen=True)
class Shown:
    """One demo process and the stages it shows right after the demo ran."""

    process_type: str
    stages: tuple[Stage, ...]
    person: str
    case_id: str
    process_id: str


class Demo:
    """The API at ``http``, "now" being ``now`` (an aware instant: the API's clock)."""

    def __init__(self, http: httpx.AsyncClient, now: datetime, profile: Profile) -> None:
        self.http, self.now, self.profile = http, now, profile
        self.tokens: dict[str, str] = {}
        self._people: Iterator[str] = iter(PEOPLE)

    @property
    def today(self) -> date:
        """The local date of "now" (Europe/Stockholm, CAL-2)."""
        return calendar.local_date(self.now)

    def ago(self, **delta: float) -> str:
        """The instant ``delta`` before now, in Stockholm time with its offset."""
        return calendar.local(self.now - timedelta(**delta)).isoformat()

    def day(self, offset: int) -> str:
        """Today plus ``offset`` days, as an ISO date."""
        return (self.today + timedelta(days=offset)).isoformat()

    async def login(self) -> None:
        for who, identity in STAFF.items():
            answer = await self.http.post("/auth/dev-login", json=identity)
            if answer.status_code != 200:
                raise DemoError(f"inloggning som {who}: {answer.status_code} {answer.text}")
            self.tokens[who] = answer.json()["token"]

    async def post(self, who: str, path: str, body: dict[str, Any]) -> Any:
        """A keyed post as ``who`` (one fresh Idempotency-Key per intended request)."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}", "Idempotency-Key": str(uuid.uuid4())}
        answer = await self.http.post(path, json=body, headers=headers)
        if answer.status_code not in (200, 201):
            raise DemoError(f"POST {path} som {who}: {answer.status_code} {answer.text}")
        return answer.json()

    async def get(self, who: str, path: str) -> Any:
        answer = await self.http.get(path, headers={"Authorization": f"Bearer {self.tokens[who]}"})
        if answer.status_code != 200:
            raise DemoError(f"GET {path} som {who}: {answer.status_code} {answer.text}")
        return answer.json()

    def person(self) -> str:
        return next(self._people)

    async def case(self, person: str, decisions: list[dict[str, Any]] | None = None) -> str:
        """A case of ``person`` with the provider of the demo and, by default, a care decision
        that started 40 days ago (so back-dated reports of the last weeks fall within the case)."""
        default = [{"kind": "care", "services": ["Personlig omvårdnad"], "start_date": self.day(-40)}]
        body = {"person_name": person, "provider_id": PROVIDER_UNIT, "decisions": decisions or default}
        answer = await self.post("case_worker", "/cases", body)
        case_id: str = answer["case_id"]
        return case_id

    async def start(self, who: str, process_type: str, case_id: str | None, **fields: Any) -> dict[str, Any]:
        body = {"type": process_type, **({"case_id": case_id} if case_id else {}), **fields}
        state: dict[str, Any] = await self.post(who, "/processes", body)
        return state

    async def act(self, who: str, process_id: str, action: str, **fields: Any) -> dict[str, Any]:
        state: dict[str, Any] = await self.post(who, f"/processes/{process_id}/actions/{action}", fields)
        return state
