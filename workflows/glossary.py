"""Swedish words for the codes of the processes' inputs: field names and choice values.

One glossary serves both places people read them: the step engine writes what a person
registered into the process's timeline with it (``what_was_registered``), and the HTML forms label
their fields with it (``api/ui/labels.py``).
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import date, datetime
from typing import Any, Literal

from workflows import calendar
from workflows.rules.new_urgent_case import REPORTED_IN_LABELS
from workflows.rules.order import PHONE_TARGET_LABELS

FIELD_LABELS = {
    "occurred_at": "Tidpunkt (om inte nu)",
    "sub": "Användar-id",
    "role": "Roll",
    "org": "Enhet (org)",
    "municipality": "Kommun",
    "answer": "Svar",
    "case_worker_id": "Ansvarig biståndshandläggare (tomt: du själv)",
    "contact_attempts": "Antal kontaktförsök",
    "decision": "Beslut",
    "decision_date": "Beslutsdatum",
    "decision_id": "Beslut",
    "decisions": "Beslut",
    "description": "Beskrivning av förändringen och insatt stöd",
    "done_on": "Genomförandeplanen upprättad",
    "execution_date": "Verkställighetsdatum (första utförda besöket)",
    "follow_up_on": "Uppföljning bokad till",
    "granted": "Beviljas",
    "granted_by_on_call": "Beviljat av jourhavande arbetsledare",
    "help_started_at": "Hjälpen startade",
    "item_kind": "Insatstyp",
    "items": "Insatser",
    "kind": "Typ",
    "lasting_need": "Varaktigt behov",
    "message": "Meddelande",
    "minutes": "Minuter",
    "minutes_per_month": "Minuter per månad",
    "month": "Månad (ÅÅÅÅ-MM)",
    "name": "Insats",
    "note": "Anteckning",
    "note_type": "Anteckningstyp",
    "other": "Övrigt (uppstartsinformation)",
    "outcome": "Utfall",
    "person_can_contact": "Brukaren kan själv kontakta biståndshandläggaren",
    "person_declined": "Brukaren har avböjt insatsen",
    "person_name": "Brukarens namn",
    "phoned": "Vem ringdes",
    "phoned_name": "Namn på den som kontaktades",
    "phoned_role": "Vem ringdes",
    "provider_id": "Utförare (tomt: ärendets utförare)",
    "question": "Fråga",
    "reason": "Orsak",
    "reported_at": "Anmält",
    "reported_for_person_reason": "Varför brukaren inte själv hör av sig",
    "sent_at": "Skickades (tomt: nu)",
    "services": "Insatser",
    "start_date": "Startdatum",
    "started_at": "Stödet började",
    "unknown_person": "Okänd person (ickevalsalternativ)",
    "visit_date": "Besöksdatum",
    "visit_id": "Besök",
    "started_on": "Stödet sattes in (dag 1)",
    "inserted": "Insatt stöd",
    "established_on": "Dag då förändringen konstaterades",
    "provider_contact": "Kontaktperson hos utföraren",
    "received_on": "Ansökan mottagen",
    "declined": "Brukaren avstår från att ansöka",
    "mode": "Handläggning",
    "origin": "Bakgrund (HT-1)",
    "night_help_minutes": "Natthjälp, minuter per månad (i samma beslut)",
    "safety_alarm": "Trygghetslarm (eget beslut, beställning till larmteamet)",
    "meal_distribution": "Matdistribution (eget beslut)",
    "chosen_provider_id": "Vald hemtjänst",
    "night_district_id": "Nattdistrikt (tomt: kommunens)",
    "discharge_need": "Behov vid utskrivning från sjukhus (HT-6)",
    "called_at": "Sjukhuset ringde utföraren / kontakt med handläggaren (HT-6)",
    "information": "Information till hemgångsteamet (mallen)",
    "contacts": "Kontakter (anhöriga, sjukhus, nycklar)",
    "alarm_other": "Övrigt till larmteamet",
    "night_other": "Övrigt till nattdistriktet",
    "handover_date": "Överlämningsdatum",
    "planned_at": "Planerad tidpunkt",
    "deviate_from_order": "Anledning finns att frångå ordinarie uppdrag",
    "contacted_person": "Kontakt tagen med brukaren",
    "new_decision": "Nytt beslut om hemtjänst",
    "period_start": "Periodens början",
    "period_end": "Periodens slut",
    "back_on": "Utföraren tar tillbaka beställningen från",
    # case-level events (END-1..END-6)
    "ended_on": "Slutdatum (senast utförd)",
    "died_on": "Dödsdatum",
    "scope": "Uppehållet gäller",
    "starts_on": "Uppehållet börjar",
    "ends_on": "Uppehållet slutar (tomt: tills vidare)",
    "ordered_minutes": "Beställd tid (minuter)",
    "performed_minutes": "Utförd tid (minuter)",
    "confirmed_with_person": "Bekräftat med personen",
    "ended_decision_ids": "Beslut som upphör",
    "ended_order_ids": "Beställningar som upphör",
    "approved": "Tiden justeras",
    "adjusted_minutes": "Justerad tid (minuter; tomt: utförd tid)",
    "mailbox": "Funktionsbrevlåda",
    "subject": "Ämne",
    "body": "Meddelande",
    "changed_need": "Gäller ett förändrat behov",
    "reason_self_contact": "Varför brukaren inte själv hör av sig (COM-6)",
    "end_date": "Slutdatum (tidsbegränsat beslut)",
    "new_case": "Nytt ärende (första uppföljning efter två månader)",
    "service": "Insats",
}

# Labels that differ by process (keyed by process type): the same field name means another thing
# there, e.g. ``planned_at`` is the handover in a homecoming and the meeting in a follow-up.
PROCESS_FIELD_LABELS: dict[str, dict[str, str]] = {
    "homecoming": {"planned_at": "Planerad överlämning"},
    "follow-up": {
        "planned_at": "Planerad uppföljning",
        "form": "Form för uppföljningen",
        "provider_attends": "Utföraren deltar",
        "person_told_other_way": "Personen informerad om att utförarens uppgifter inhämtas på annat sätt",
        "need_matches_order": "Behovet motsvarar beställningen",
        "need_reason": "Om inte, varför (behovet)",
        "given_as_ordered": "Stödet har getts enligt beställningen",
        "given_reason": "Om inte, varför (stödet)",
        "fully_executed": "Hela beställningen är verkställd",
        "executed_reason": "Om inte, varför (verkställigheten)",
        "attend_reason": "Varför utföraren behöver delta",
        "other": "Annat som biståndshandläggaren bör känna till",
        "gets_granted_help": "Får den hjälp som beviljats",
        "takes_part_when": "Delaktig i planeringen av när hjälpen ges",
        "takes_part_how": "Delaktig i planeringen av hur hjälpen ges",
        "feels_good": "Hjälpen ges på ett sätt som känns bra",
        "care_plan_current": "Genomförandeplanen är aktuell",
        "consent_needed": "Samtycke behövs för detta tillfälle",
        "consent_asked": "Samtycke efterfrågat",
        "consent_given": "Samtycke lämnat",
        "new_decision": "Nytt beslut",
        "ended_decision_ids": "Beslut som upphör",
        "provider_id": "Utförare",
        "ended_on": "Slutdatum",
        "end_date": "Slutdatum (tidsbegränsat beslut)",
        "order_items": "Beställningens insatser",
        "order_start_date": "Beställningen startar",
        "order_other": "Övrigt (uppstartsinformation)",
        "due_on": "Senast",
        "held_on": "Hölls",
        "unscheduled_reason": "Varför nu",
    },
    "follow-up-cycle": {"reason": "Varför nu (ändrat behov, klagomål, ...)"},
    # UC-5: a review decides on each visit (the registration of a case has its decisions).
    "extra-visits": {"decisions": "Beslut per besök"},
    # The registration of a case (api.ui.cases.CaseForm): the case's provider, no default.
    "cases": {"provider_id": "Utförare", "decisions": "Gällande beslut"},
}

CHOICE_LABELS: dict[str, str] = {
    **{str(k): v for k, v in PHONE_TARGET_LABELS.items()},
    **{str(k): v for k, v in REPORTED_IN_LABELS.items()},
    "care": "Omvårdnadsinsats",
    "service": "Serviceinsats",
    "end_not_executed": "Avsluta som ej verkställd",
    "execute": "Utföraren ska verkställa",
    "extra_visit": "Extra besök",
    "extra_on_ordinary": "Extra insatser vid ordinarie besök",
    "approve": "Godkänn",
    "reject": "Avslå",
    "question": "Ställ en fråga",
    "granted": "Beviljat",
    "not_granted": "Ej beviljat",
    "follow_up_booked": "Uppföljning bokad",
    "lasting": "Varaktigt förändrat behov",
    "short": "Kortvarigt förändrat behov",
    "remains": "Behovet kvarstår",
    "transient": "Behovet var övergående",
    "simplified": "Förenklat beslut",
    "regular": "Vanlig handläggning",
    "reverse": "Hemgångsteamet tar över en period",
    "hospital_discharge": "Planering från sjukhus",
    "short_term_stay": "Uppföljning på korttidsboende",
    "unchanged": "Oförändrat behov",
    "increased": "Ökat behov",
    "case": "hela ärendet",
    "night_help": "nattinsatser",
    "digital_supervision": "digital tillsyn",
    "self_care": "egenvård",
    "escort": "ledsagning",
    "relief": "avlösning",
    "home_visit": "Hembesök",
    "phone": "Telefonsamtal",
    "digital": "Digitalt möte",
    "new_decision": "Nytt beslut",
    "services_ended": "Insatser avslutas",
    "safety_alarm": "Trygghetslarm",
    "hsl": "Hälso- och sjukvård (HSL)",
    "meals": "Matdistribution",
    "night": "Nattinsatser",
    "services": "enskilda insatser",
    "meal_distribution": "matdistribution",
}

# The kinds of decision (the read model's ``decisions.kind``), as a reader says them: the one
# source of their words. The processes write them into sentences ("Beslut om hemtjänst
# (omvårdnad) från ..."), the pages use them capitalised as a column's value and in a decision's
# description (api.ui.labels.decision_kind_label). CHOICE_LABELS names the same codes as choices
# of a form (an order item's kind "care" is "Omvårdnadsinsats"): another purpose, and the words
# the processes have recorded in their timelines with them must stay as they were.
DECISION_KIND_LABELS = {
    "care": "hemtjänst (omvårdnad)",
    "service": "serviceinsatser",
    "safety_alarm": "trygghetslarm",
    "meals": "matdistribution",
    "night": "natthjälp",
    "hsl": "hälso- och sjukvårdsinsatser (HSL)",
}


def decision_kind_label(kind: str) -> str:
    return DECISION_KIND_LABELS.get(kind, kind)


# Fields every action carries that the timeline shows elsewhere (who, when) or that say nothing.
NOT_DESCRIBED = frozenset({"actor", "occurred_at", "note_type"})


def process_of(cls: type[Any]) -> str:
    """The process type whose inputs ``cls`` is (``workflows.io.follow_up`` -> ``follow-up``)."""
    return cls.__module__.rsplit(".", 1)[-1].replace("_", "-")


def field_label(name: str, process_type: str | None = None) -> str:
    """The Swedish label of a field, the process's own where it has one."""
    own = PROCESS_FIELD_LABELS.get(process_type or "", {})
    return own.get(name) or FIELD_LABELS.get(name) or name.replace("_", " ").capitalize()


def what_was_registered(action: Any) -> str:
    """What a person wrote or registered with an action, in Swedish, one ``Label: value`` per
    filled-in field (``""`` when the action carries nothing but its actor and time).

    E.g. ``ConfirmOrder(note="Planering startad")`` -> ``"Anteckning: Planering startad"``.
    """
    return "; ".join(_fields_text(action))


def _fields_text(value: Any) -> list[str]:
    hints = _choice_fields(f"{type(value).__module__}.{type(value).__qualname__}", type(value))
    process_type = process_of(type(value))
    parts = []
    for item in dataclasses.fields(value):
        if item.name in NOT_DESCRIBED:
            continue
        text = _value_text(getattr(value, item.name), item.name in hints)
        if text:
            parts.append(f"{field_label(item.name, process_type)}: {text}")
    return parts


def _value_text(value: Any, is_choice: bool = False) -> str:
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, datetime):
        return f"{calendar.local(value):%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return CHOICE_LABELS.get(value, value) if is_choice else value.strip()
    if isinstance(value, list | tuple):
        return ", ".join(text for text in (_value_text(v) for v in value) if text)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return f"({'; '.join(_fields_text(value))})"
    return str(value)


def _choice_fields(name: str, cls: type[Any]) -> frozenset[str]:
    """The fields of a dataclass whose values are codes (``Literal``): shown by their label."""
    known = _CHOICE_FIELDS.get(name)
    if known is not None:
        return known
    hints = typing.get_type_hints(cls)
    found = frozenset(field for field, hint in hints.items() if _is_literal(hint))
    _CHOICE_FIELDS[name] = found
    return found


_CHOICE_FIELDS: dict[str, frozenset[str]] = {}


def _is_literal(hint: Any) -> bool:
    if typing.get_origin(hint) is Literal:
        return True
    return any(_is_literal(arg) for arg in typing.get_args(hint))
