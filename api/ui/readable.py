"""The texts the processes wrote, as people read them: ids replaced at render time.

A timeline entry, a deviation or a mailbox message names units, decisions and orders by id
("Beställning skickad till hemtjanst-nord", "Beslut c-1a2b/decision/1 från 2026-12-01."). The
processes keep writing exactly what they wrote (recorded histories replay unchanged, and the
stored text stays the record); the pages replace each id they know at the moment they show it
(issue 10 §1, §5):

- a unit by its display name ("Hemtjänst Nord", ``labels.unit_label``);
- a decision by what it grants ("beslut om hemtjänst (omvårdnad) från 2026-12-01");
- an order by its receiver and start ("beställning till Hemtjänst Nord från 2026-12-01"), an
  order the reader may not see by its number in the case ("beställning 2 i ärendet");
- another process of the case by its kind and number ("uppföljning 1");
- the case by its person, for a reader who may see the case ("Ärende för Greta Exempel").

Some words are for a form only or for the system, never for a reader: a label's hint of what an
empty field means ("Utförare (tomt: ärendets utförare)" reads "Utförare"), a visit's id ("(v1)"
reads "(besök 1)"), a follow-up cycle's new Temporal run, a full stop doubled where a process
ended a sentence a person had ended already (``REWRITES``).

A decision or an order right after its own noun takes the noun's place ("Beslut <id> har
upphört" → "Beslut om hemtjänst (omvårdnad) från 2026-12-01 har upphört"), and drops its date
when the text goes on with one ("Beslut <id> från 2026-12-01." → "Beslut om hemtjänst
(omvårdnad) från 2026-12-01."). Ids are matched whole, never inside a longer id; an id the page
does not know (another unit's order the caller may not see) stays as it is.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from api.auth import Principal
from api.ui import labels
from readmodel import repository as repo
from readmodel.models import Decision, Order
from workflows.glossary import decision_kind_label

DECISION_NOUN = re.compile(r"[Bb]eslut(?:et)?")
ORDER_NOUN = re.compile(r"[Bb]eställning(?:en)?")
CASE_NOUN = re.compile(r"[Ää]rende(?:t)?")
DATE_FOLLOWS = " från "
# Words of the processes' texts that are for a form or the system, as a reader reads them.
REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (labels.EMPTY_HINT, ""),
    (re.compile(r"\(v(\d+)\)"), r"(besök \1)"),  # UC-5: a visit's id
    (re.compile(r"\b([Bb]esök(?:et)?) v(\d+)\b"), r"\1 \2"),
    (re.compile(r"\b([Bb]esök): v(\d+)\b"), r"\1: besök \2"),  # an event's field
    (re.compile(r"\b([Ee]xtra insats) v(\d+)\b"), r"\1, besök \2"),  # UC-5 review and answer
    # A sentence the reader ended, ended again by the process ("... akut.. Bestående"), COM-7.
    (re.compile(r"(?<![.])\.\.(?![.])"), "."),
    # FU-1: the cycle continued as a new Temporal run; to a reader nothing happened.
    (
        re.compile(r"Cykeln fortsätter i en ny körning \(\d+\) med samma läge\."),
        "Uppföljningscykeln fortsätter.",
    ),
)


@dataclass(frozen=True)
class Reference:
    """What an id stands for: its noun ("beslut"), what follows the noun, and its start date."""

    noun: str
    what: str
    since: str = ""
    noun_pattern: re.Pattern[str] | None = None

    def text(self, noun: str, date_follows: bool) -> str:
        """The reference after ``noun`` (the text's own noun, or ``""``)."""
        since = f" från {self.since}" if self.since and not date_follows else ""
        if noun and self.noun_pattern is not None and self.noun_pattern.fullmatch(noun.strip()):
            return f"{noun}{self.what}{since}"
        return f"{noun}{self.noun} {self.what}{since}"


def decision_reference(decision: Decision) -> Reference:
    since = decision.start_date.isoformat() if decision.start_date else ""
    return Reference("beslut", f"om {decision_kind_label(decision.kind)}", since, DECISION_NOUN)


def order_reference(order: Order) -> Reference:
    since = order.start_date.isoformat() if order.start_date else ""
    return Reference("beställning", f"till {labels.unit_label(order.provider_id)}", since, ORDER_NOUN)


def _noun_pattern(noun: str) -> re.Pattern[str]:
    """A process's noun, capitalised or not, with its definite ending ("[Uu]ppföljning(?:en|et)?")."""
    return re.compile(f"[{noun[0].upper()}{noun[0].lower()}]{re.escape(noun[1:])}(?:en|et)?")


def process_reference(process_type: str, number: int) -> Reference:
    """A process of the case by its kind and number among the case's processes of that kind; an
    order this way only when the reader may not see it (else ``order_reference``)."""
    if process_type == "order":
        return Reference("beställning", f"{number} i ärendet", noun_pattern=ORDER_NOUN)
    noun = labels.process_label(process_type).lower()
    return Reference(noun, str(number), noun_pattern=_noun_pattern(noun))


def case_reference(person_name: str) -> Reference:
    """The case by the person it is about ("Ärende c-1a2b." → "Ärende för Greta Exempel.")."""
    return Reference("ärendet", f"för {person_name}", noun_pattern=CASE_NOUN)


@dataclass
class Readable:
    """Replaces the ids it knows in a text; call it with the text (a Jinja global on the pages)."""

    references: dict[str, Reference] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False)

    def __call__(self, text: str | None) -> str:
        if not text:
            return ""
        pattern = self._compiled()
        text = pattern.sub(self._replace, text) if pattern is not None else text
        for words, instead in REWRITES:
            text = words.sub(instead, text)
        return text

    def _compiled(self) -> re.Pattern[str] | None:
        if self._pattern is None:
            ids = sorted({*self.references, *self.units}, key=len, reverse=True)
            if not ids:
                return None
            patterns = {DECISION_NOUN.pattern, ORDER_NOUN.pattern}
            patterns |= {r.noun_pattern.pattern for r in self.references.values() if r.noun_pattern}
            nouns = f"(?:{'|'.join(sorted(patterns, key=len, reverse=True))}) "
            alternatives = "|".join(re.escape(i) for i in ids)
            # An id stands alone: no id character before it, none after it but a closing "." or ",".
            self._pattern = re.compile(rf"(?P<noun>\b{nouns})?(?<![\w./-])(?P<id>{alternatives})(?![\w/-])")
        return self._pattern

    def _replace(self, match: re.Match[str]) -> str:
        noun, found = match.group("noun") or "", match.group("id")
        if found in self.references:
            date_follows = match.string.startswith(DATE_FOLLOWS, match.end())
            return self.references[found].text(noun, date_follows)
        return noun + self.units.get(found, found)


def readable(session: Session, user: Principal, case_ids: Iterable[str]) -> Readable:
    """The ids of these cases (visible to ``user``) as people read them: the case itself, their
    decisions, their processes by number, the orders the caller may see by receiver and start,
    every unit the profiles' registers name and the units of these."""
    references: dict[str, Reference] = {}
    units = dict(labels.unit_names())
    for case_id in dict.fromkeys(case_ids):
        case = repo.get_visible_case(session, user, case_id)
        if case is None:
            continue
        references[case.id] = case_reference(case.person_name)
        for process_id, (process_type, number) in repo.process_numbers(session, case_id).items():
            references[process_id] = process_reference(process_type, number)
        if case.provider_id:
            units.setdefault(case.provider_id, labels.unit_label(case.provider_id))
        for decision in repo.decisions_of_case(session, case_id):
            references[decision.id] = decision_reference(decision)
        for order in repo.orders_of_case(session, user, case_id):
            references[order.id] = order_reference(order)
            units.setdefault(order.provider_id, labels.unit_label(order.provider_id))
    return Readable(references, units)


def process_names(session: Session, case_id: str) -> dict[str, str]:
    """Each process of the case as a list names it: its kind, numbered among the case's processes
    of that kind when there are several ("Beställning 2", never a process id's own "101")."""
    numbers = repo.process_numbers(session, case_id)
    counts = Counter(process_type for process_type, _ in numbers.values())
    return {
        process_id: labels.process_label(process_type) + (f" {number}" if counts[process_type] > 1 else "")
        for process_id, (process_type, number) in numbers.items()
    }
