"""Swedish words for the codes the processes use: fields, actions, choices, stages, outcomes.

Anything not listed is shown as its code with underscores as spaces, so a new process works in
the forms before its words are added here.
"""

from __future__ import annotations

import functools
import re

from api.temporal_gateway import PROCESS_LABELS
from workflows import glossary
from workflows.glossary import CHOICE_LABELS, FIELD_LABELS, PROCESS_FIELD_LABELS
from workflows.model import ROLE_LABELS
from workflows.profiles import Mailboxes, load_all_profiles, unit_registers
from workflows.rules.case_event import EVENT_LABELS as CASE_EVENT_LABELS
from workflows.rules.follow_up import REASON_LABELS as FOLLOW_UP_REASONS

# Keys of a process's ``details`` that are not input fields.
DETAIL_LABELS = {
    "event": "Händelse",
    "day_four": "Dag fyra",
    "escalated": "Eskalerad",
    "help_given": "Hjälp given",
    "last_review_at": "Senast granskad",
    "mandate_end": "Mandatet upphör",
    "notified_at": "Underrättad",
    "order_id": "Beställning",
    "phone_target": "Ska ringas",
    "proposed_decision_date": "Föreslaget beslutsdatum",
    "reported_in": "Rapporterad",
    "summary": "Sammanfattning",
    "taken_over_at": "Övertagen",
    "taken_over_by": "Övertagen av",
    "last_day": "Dag 14 (periodens sista dag)",
    "reported_by": "Anmält av",
    "confirmed_by": "Uppstart bekräftad av",
    "confirmed_at": "Uppstart bekräftad",
    "follow_up_outcome": "Uppföljningens utfall",
    "followed_up_at": "Uppföljd",
    "application_received_on": "Ansökan mottagen",
    "billing": "Ersättning",
    "team_id": "Hemgångsteam",
    "announced_at": "Överlämning meddelad",
    "announced_by": "Meddelad av",
    "announce_by": "Senast i tid",
    "announcement_on_time": "Meddelad i tid",
    "planned_handover_at": "Planerad överlämning",
    "services_start_on": "Insatserna startar (HT-6)",
    "move_start_date": "Flyttad beställning startar",
    "receiver": "Beställningen flyttas till",
    # The follow-up cycle (FU-1, FU-2) and the follow-up (FU-4)
    "next_due": "Nästa uppföljning senast",
    "last_follow_up": "Senaste uppföljning",
    "current_follow_up": "Pågående uppföljning",
    "first_follow_up_due": "Första uppföljning senast (NEW-7)",
    "report": "Utförarens svar på mallen inför uppföljning",
    "report_questions": "Mallens frågor",
    "decision_ids": "Beslut som följs upp",
    # Extra visits (UC-5), case events (END-*), homecoming (HT-*)
    "registration_closes_at": "Registreringen stänger",
    "visits": "Extra besök",
    "order_ends_on": "Beställningen gäller till och med",
    "absence_days": "Frånvarodagar (END-5)",
    "billing_notice": "Avisering till debiteringen (CAL-7)",
    "ended_decisions": "Beslut som upphör",
    "ended_orders": "Beställningar som upphör",
    "dialogue": "Dialog med hemgångsteamet",
    "followed_up": "Uppföljning före överlämningen",
    "moved": "Flyttade beställningar",
    "orders": "Beställningar",
    "planned_orders": "Planerade beställningar",
    "proposals": "Förslag",
    "services_to_hand_over": "Insatser att lämna över",
    "executed_since": "Stödet har getts sedan",
    "decision_kind": "Beslutets slag",
}

# A detail whose own name means another thing in one process than the field of the same name.
PROCESS_DETAIL_LABELS: dict[str, dict[str, str]] = {
    "follow-up-cycle": {"reason": "Skäl till nästa uppföljning"},
    "follow-up": {"reason": "Skäl till uppföljningen"},
}

# Details the pages do not show: how many Temporal runs a cycle has had says nothing to a reader;
# the open orders (ids) and the report's answers are there for the forms' proposals, which show
# them in words (api/ui/choices.py, workflows/follow_up_forms.py).
HIDDEN_DETAILS = frozenset({"runs", "open_orders", "report_answers"})

# Codes a process writes as a detail's value (not a form's choice): why a follow-up is due
# (workflows.rules.follow_up.REASON_LABELS, FU-1, FU-2), which case event a process handles
# (workflows.rules.case_event.EVENT_LABELS, END-*).
VALUE_LABELS: dict[str, str] = {
    **{str(reason): label for reason, label in FOLLOW_UP_REASONS.items()},
    "unscheduled": "extra uppföljning (ändrat behov, klagomål, ...)",
    **{event: label.lower() for event, label in CASE_EVENT_LABELS.items()},
}

# Keys of a process's ``deadlines`` that are not action names.
DEADLINE_LABELS = {
    "execution": "Verkställighet (ORD-4)",
    "notify_opens": "Underrättelse öppnas",
    "services_start": "Insatserna ska ha startat (HT-6)",
}

# Strings that get a textarea rather than a one-line input.
LONG_TEXT = {"note", "reason", "description", "other", "message", "answer", "question", "inserted"}


ACTION_LABELS = {
    "phone_confirmation": "Registrera telefonsamtal",
    "confirm": "Bekräfta beställningen",
    "register_execution": "Registrera verkställighet",
    "report_not_executable": "Rapportera att beställningen inte kan verkställas",
    "review_not_executed": "Pröva ej verkställd beställning",
    "care_plan_done": "Genomförandeplan upprättad",
    "take_over": "Ta över ärendet",
    "phone_provider": "Registrera samtal med utföraren",
    "decide": "Fatta beslut",
    "send_order": "Skicka beställning",
    "close": "Avsluta",
    "notify_case_worker": "Underrätta biståndshandläggaren",
    "need_ended": "Behovet har upphört",
    "respond": "Svara",
    "escalate": "Eskalera",
    "register_visit": "Registrera extrabesök",
    "review": "Granska extrabesök",
    "answer_question": "Besvara fråga",
    "confirm_start": "Bekräfta uppstart (14 dagar)",
    "report_lasting": "Meddela varaktig förändring",
    "follow_up": "Registrera uppföljning",
    "register_application": "Registrera ansökan",
    "send_team_info": "Skicka information till hemgångsteamet",
    "announce_handover": "Meddela överlämning",
    "dialogue": "Registrera dialog med hemgångsteamet",
    "move_order": "Flytta beställningen",
    "request_takeover": "Begär att hemgångsteamet tar över",
    "hand_back": "Ta tillbaka beställningen",
    # the follow-up cycle and the follow-up (FU-1..FU-10)
    "start_now": "Starta en uppföljning nu",
    "plan": "Planera uppföljningen",
    "submit_report": "Skicka mallen inför uppföljning",
    "choose_form": "Välj form för uppföljningen",
    "record": "Dokumentera uppföljningen",
    # case events (END-1, END-3, CAL-7)
    "confirm_end": "Bekräfta slutdatumet",
    "confirm_pause": "Bekräfta uppehållet",
    "handle_time_adjustment": "Hantera tidsjusteringen",
}

STAGE_LABELS = {
    "starting": "startar",
    "started": "startad",
    "sent": "skickad",
    "confirmed": "bekräftad",
    "executed": "verkställd",
    "not_executed_review": "prövning av ej verkställd beställning",
    "support_started": "stöd insatt",
    "notify": "underrättelse",
    "notified": "underrättad",
    "reported": "anmäld",
    "taken_over": "övertagen",
    "reviewing": "granskas",
    "phoned": "utföraren kontaktad",
    "decided": "beslutad",
    "ordered": "beställd",
    "application": "ansökan",
    "deciding": "beslut",
    "with_team": "hos hemgångsteamet",
    "handover_announced": "överlämning meddelad",
    "handed_over": "överlämnad",
    "takeover_requested": "övertagande begärt",
    "handing_back": "återlämnas",
    "awaiting_case_worker": "väntar på biståndshandläggaren",
    "scheduled": "schemalagd",
    "to_plan": "att planera",
    "planned": "planerad",
    "report_awaited": "inväntar utförarens rapport",
    "report_in": "rapport inkommen",
    "closed": "avslutad",
    "registration_open": "registrering öppen",
    "following_up": "uppföljning pågår",
}

OUTCOME_LABELS = {
    "executed": "verkställd",
    "not_executed": "ej verkställd",
    "need_ended": "behovet har upphört",
    "reviewed": "granskad",
    "granted": "beviljat",
    "not_granted": "ej beviljat",
    "follow_up_booked": "uppföljning bokad",
    "transient": "övergående behov, ingen ersättning för det utökade stödet",
    "no_application": "ingen ansökan",
    "handed_over": "överlämnad till vald hemtjänst",
    "handed_back": "återlämnad till utföraren",
    "ended": "beställningen upphör",
    "death_registered": "dödsfall registrerat",
    "end_confirmed": "avslut bekräftat",
    "pause_confirmed": "uppehåll bekräftat",
    "pause_registered": "uppehåll registrerat",
    "adjusted": "tiden justerad",
    "not_adjusted": "tiden justeras inte",
    "closed_no_need": "avslutat utan fortsatt behov",
    "registration_closed": "registreringen stängd",
    "no_living_decision": "inget gällande beslut kvar",
    "unchanged": "behovet kvarstår oförändrat",
    "new_decision": "nytt beslut",
    "services_ended": "insatser avslutade",
    # How a workflow ended without closing its process (api/abnormal_ends.py; status "aborted").
    "terminated": "avslutad av en operatör i Temporal",
    "failed": "misslyckades (tekniskt fel i Temporal)",
    "timed_out": "tidsgränsen i Temporal överskreds",
    "canceled": "avbruten på begäran i Temporal",
    "lost": "arbetsflödet saknas i Temporal",
}

STATUS_LABELS = {
    "running": "pågår",
    "completed": "avslutad",
    "failing": "står still (tekniskt fel)",
    "aborted": "avbruten",
}

ORDER_STATUS_LABELS = {
    "sent": "skickad",
    "confirmed": "bekräftad",
    "executed": "verkställd",
    "not_executed": "ej verkställd",
    "ended": "avslutad",
}


def _code(value: str) -> str:
    return value.replace("_", " ")


def field_label(name: str, process_type: str | None = None) -> str:
    """A field's label, the process's own where the same name means another thing there."""
    own = PROCESS_FIELD_LABELS.get(process_type or "", {}).get(name)
    return own or FIELD_LABELS.get(name) or DETAIL_LABELS.get(name) or _code(name).capitalize()


# A field label's hint of what an empty field means ("Utförare (tomt: ärendets utförare)"): for
# the form only, never where a value is read (details, timelines).
EMPTY_HINT = re.compile(r" \(tomt: [^)]*\)|; tomt: [^)]*(?=\))")


def without_hint(label: str) -> str:
    """A label as a reader reads it: "Utförare (tomt: ärendets utförare)" → "Utförare"."""
    return EMPTY_HINT.sub("", label)


def detail_label(name: str, process_type: str | None = None) -> str:
    """A detail of a process's state as its page names it (no hint of what an empty field means)."""
    own = PROCESS_DETAIL_LABELS.get(process_type or "", {}).get(name)
    return own or without_hint(field_label(name, process_type))


def value_label(value: str) -> str:
    """A detail's value: a code the process writes, a form's choice, or the text itself."""
    return VALUE_LABELS.get(value) or CHOICE_LABELS.get(value, value)


# A deadline whose name means another thing in one process than the action of the same name.
PROCESS_DEADLINE_LABELS: dict[str, dict[str, str]] = {
    "follow-up": {"follow_up": "Uppföljningen hålls"},
    "follow-up-cycle": {"follow_up": "Nästa uppföljning senast"},
}


def deadline_label(name: str, process_type: str | None = None) -> str:
    own = PROCESS_DEADLINE_LABELS.get(process_type or "", {}).get(name)
    return own or DEADLINE_LABELS.get(name) or action_label(name)


def choice_label(value: str) -> str:
    return CHOICE_LABELS.get(value, _code(value))


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, _code(action).capitalize())


def stage_label(stage: str) -> str:
    return STAGE_LABELS.get(stage, _code(stage))


ENDED_BY = "ended_by_"  # the generic end by a case event (END-2): ended_by_<event>
EVENT_LABELS = {"death": "dödsfall", "service_ended": "avslutad insats", "pause": "uppehåll"}


def outcome_label(outcome: str | None) -> str:
    if outcome is None:
        return ""
    if outcome.startswith(ENDED_BY):  # END-2: e.g. ended_by_death
        event = outcome.removeprefix(ENDED_BY)
        return f"avslutad på grund av {EVENT_LABELS.get(event, _code(event))}"
    return OUTCOME_LABELS.get(outcome, _code(outcome))


def role_label(role: str | None) -> str:
    return "" if role is None else ROLE_LABELS.get(role, role)


# Process types the gateway's labels do not name (the follow-up cycle runs in the background).
MORE_PROCESS_LABELS = {"follow-up-cycle": "Uppföljningscykel"}


def process_label(process_type: str) -> str:
    return PROCESS_LABELS.get(process_type) or MORE_PROCESS_LABELS.get(process_type, _code(process_type))


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def decision_kind_label(kind: str) -> str:
    """A kind of decision as a column or a list names it ("Hemtjänst (omvårdnad)"): the words the
    processes use in a sentence ("beslut om hemtjänst (omvårdnad)", workflows.glossary), one source."""
    label = glossary.decision_kind_label(kind)
    return label[:1].upper() + label[1:]


def order_status_label(status: str) -> str:
    return ORDER_STATUS_LABELS.get(status, _code(status))


# -- units, mailboxes, people ----------------------------------------------------------------


@functools.cache
def unit_names() -> dict[str, str]:
    """Display names of the units the profiles' unit registers list (``[[units]]``), one table
    for every page: a unit id is one unit wherever it appears (the first profile, by file name,
    names a unit that two list)."""
    names: dict[str, str] = {}
    for register in unit_registers().values():
        for unit in register:
            names.setdefault(unit.id, unit.name)
    return names


# Words of unit ids written without Swedish letters.
UNIT_WORDS = {
    "hemtjanst": "Hemtjänst",
    "hemgangsteam": "Hemgångsteam",
    "sodra": "Södra",
    "ostra": "Östra",
    "vastra": "Västra",
    "norra": "Norra",
    "syd": "Syd",
    "nord": "Nord",
    "ost": "Öst",
    "vast": "Väst",
    "omsorg": "Omsorg",
    "ab": "AB",
}

# The authority's function mailboxes (workflows/profiles.py Mailboxes) by their purpose.
MAILBOX_PURPOSES = {
    "case_workers": "Biståndshandläggarna",
    "senior_case_worker": "Förste biståndshandläggaren",
    "billing": "Debiteringen",
    "reception": "Mottagningsfunktionen",
    "on_call": "Jourhavande arbetsledare",
}


@functools.cache
def mailbox_names() -> dict[str, str]:
    """Each authority mailbox of every profile by its Swedish name. A purpose's mailbox that some
    municipalities name otherwise (Staffanstorp's reception is ``mottagningsfunktionen``) also
    names those municipalities, so no two mailboxes read alike."""
    defaults = Mailboxes()
    users: dict[tuple[str, str], list[str]] = {}
    for profile in load_all_profiles().values():
        for purpose in MAILBOX_PURPOSES:
            users.setdefault((purpose, getattr(profile.mailboxes, purpose)), []).append(profile.display_name)
    names: dict[str, str] = {}
    for (purpose, name), municipalities in users.items():
        label = MAILBOX_PURPOSES[purpose]
        if name != getattr(defaults, purpose):
            label = f"{label} ({', '.join(sorted(municipalities))})"
        names.setdefault(name, label)
    return names


def unit_label(org: str | None) -> str:
    """A provider's or team's display name from its unit id (empty for none): the name the
    profiles' unit registers give it, else its id read as words ("hemtjanst-nord" → "Hemtjänst
    Nord") for a unit of a profile that lists none."""
    if not org:
        return ""
    known = unit_names().get(org)
    if known:
        return known
    words = [UNIT_WORDS.get(word, word.capitalize()) for word in org.replace("_", "-").split("-") if word]
    return " ".join(words)


def mailbox_label(mailbox: str) -> str:
    """A function mailbox's Swedish name: an authority function or a unit's mailbox."""
    known = mailbox_names().get(mailbox)
    if known:
        return known
    if mailbox.startswith("provider-"):
        return f"{unit_label(mailbox.removeprefix('provider-'))} (utförarens brevlåda)"
    return mailbox.replace("-", " ").capitalize()


def decision_status_label(status: str) -> str:
    return {"active": "gällande", "ended": "upphört", "replaced": "ersatt"}.get(status, _code(status))


@functools.cache
def _municipalities() -> dict[str, str]:
    return {name: profile.display_name for name, profile in load_all_profiles().items()}


def municipality_label(profile: str) -> str:
    """The municipality's name from its profile (``default`` → the profile's display name)."""
    return _municipalities().get(profile, profile.capitalize())


def label_head(label: str) -> str:
    """A label without its hint in parentheses: "Utförare (tomt: ärendets utförare)" → "Utförare"."""
    return label.split(" (", 1)[0].strip()
