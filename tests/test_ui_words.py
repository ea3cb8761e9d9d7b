"""Swedish only in what users read, people not ids (issue 10, the second tester's findings §1, §2).

The pages are filled with the demo (every process type in every stage the rules let a client
reach) and crawled as each role of the demo: every page a link leads to answers, and its visible
text (outside small print, ``class="ids"``) holds no English label or value the tester found, no
code of a field, and no id of a case, process, order or visit. The glossary is also checked
against the processes themselves: every action, stage, deadline and detail they publish has its
Swedish words.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.ui import labels
from api.ui.messages import Wording
from api.ui.readable import Readable, case_reference, process_reference
from scripts.demo import fill
from scripts.demo_client import STAFF
from tests.support import SUITE_MOMENT
from tests.test_api_support import api_scenario
from tests.test_ui import ui_login
from workflows.glossary import FIELD_LABELS, PROCESS_FIELD_LABELS
from workflows.model import Actor
from workflows.registry import PROCESS_TYPES

WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows"

# What the tester read in English on the pages (labels, values, deadlines, buttons, banners).
ENGLISH = (
    "Next due",
    "Last follow up",
    "Current follow up",
    "Runs",
    "First follow up due",
    "Registration closes",
    "Report",
    "Order ends on",
    "Billing notice",
    "yearly",
    "unscheduled",
    "registration open",
    "following up",
    "pause",
    "death",
    "service ended",
    "time adjustment",
    "Plan",
    "Submit report",
    "Choose form",
    "Record",
    "Confirm pause",
    "Confirm end",
    "Handle time adjustment",
    "Path",
)
DENIED = re.compile(r"\b(?:" + "|".join(re.escape(word) for word in ENGLISH) + r")\b")
IDS = re.compile(r"\bc-[0-9a-f]{12}\b|\bcase-c-|/order/|/follow-up/|\(v\d+\)|\bv\d+\b")
CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")  # a field's or a value's code: reason_self_contact
RUN = re.compile(r"\bkörning\b")
DOUBLE_STOP = re.compile(r"(?<![.])\.\.(?![.])")
EMPTY_HINT = "(tomt:"  # a form label's hint, for the form only
MAX_PAGES = 400


class VisibleText(HTMLParser):
    """The text a person reads on a page: not in small print (``class="ids"``), not a form's
    prefilled textarea, not the title; ``outside_labels`` also without the forms' labels."""

    VOID = frozenset(
        {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
    )

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool, bool]] = []
        self.parts: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        hidden = "ids" in classes or tag in ("script", "style", "title", "textarea")
        self.stack.append((tag, hidden, tag == "label"))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not any(hidden for _, hidden, _ in self.stack):
            self.parts.append((data, any(label for _, _, label in self.stack)))

    @classmethod
    def of(cls, page: str) -> tuple[str, str]:
        """(all visible text, the visible text outside the forms' labels)."""
        parser = cls()
        parser.feed(page)
        every = " ".join(text for text, _ in parser.parts)
        outside = " ".join(text for text, in_label in parser.parts if not in_label)
        return re.sub(r"\s+", " ", every), re.sub(r"\s+", " ", outside)


def findings(page: str) -> list[str]:
    """What a person should not read on ``page``, each with a little of its context."""
    every, outside_labels = VisibleText.of(page)
    found = []
    for what, pattern, text in (
        ("English", DENIED, every),
        ("id", IDS, every),
        ("code", CODE, every),
        ("run", RUN, every),
        ("..", DOUBLE_STOP, every),
    ):
        found += [f"{what}: …{text[max(0, m.start() - 40) : m.end() + 30]}…" for m in pattern.finditer(text)]
    if EMPTY_HINT in outside_labels:
        at = outside_labels.index(EMPTY_HINT)
        found.append(f"hint outside a form: …{outside_labels[max(0, at - 40) : at + 40]}…")
    return found


def links(page: str) -> Iterator[str]:
    for href in re.findall(r'href="(/ui/[^"#]*)"', page):
        path = unquote(href.replace("&amp;", "&"))
        if not path.startswith(("/ui/static/", "/ui/logga-ut")):
            yield href.replace("&amp;", "&")


def test_the_crawler_finds_what_the_tester_found_and_ignores_small_print() -> None:
    page = (
        '<p class="ids">Ärende c-0123456789ab</p><dl><dt>Next due</dt><dd>yearly</dd></dl>'
        "<p>Uppföljning case-c-0123456789ab/follow-up/1 startad, extra besök (v1), reason_self_contact.</p>"
        "<label>Utförare (tomt: ärendets utförare)</label><p>Utförare (tomt: ärendets utförare)</p>"
        "<textarea>c-0123456789ab/decision/1</textarea><p>akut.. Bestående ...</p>"
    )
    found = "\n".join(findings(page))
    for expected in (
        "English: …Next due",
        "English: …Next due yearly",
        "id: …",
        "(v1)",
        "code: …",
        "hint outside",
    ):
        assert expected in found, found
    assert "Ärende c-0123456789ab" not in found and "decision/1" not in found  # small print, a form's value
    assert found.count("..:") == 1


def staff(who: str) -> Actor:
    who_is = STAFF[who]
    return Actor(user_id=who_is["sub"], role=who_is["role"], name=who_is["name"], org=who_is.get("org"))


async def crawl(http: httpx.AsyncClient, start: list[str]) -> dict[str, httpx.Response]:
    """Every page reachable by a link from ``start`` (at most MAX_PAGES)."""
    seen: dict[str, httpx.Response] = {}
    todo = list(start)
    while todo and len(seen) < MAX_PAGES:
        path = todo.pop(0)
        if path in seen:
            continue
        seen[path] = response = await http.get(path)
        todo += [href for href in links(response.text) if href not in seen]
    return seen


async def test_issue_10_every_page_of_every_role_reads_in_swedish_with_people_not_ids(
    sessions: sessionmaker[Session],
) -> None:
    """§1, §2: after the demo, each role's pages (inbox, cases, each case, process and history,
    mailboxes, the board and figures where the role has them) answer 200 and read in Swedish:
    no English label or value, no field code, no id of a case, process, order or visit outside
    small print, no hint of an empty field outside a form, no doubled full stop."""
    async with api_scenario(SUITE_MOMENT, sessions) as http:
        http.headers["Origin"] = "http://test"
        await fill(http, SUITE_MOMENT)
        problems: dict[str, list[str]] = {}
        for who in STAFF:
            await ui_login(http, staff(who))
            pages = await crawl(http, ["/ui/uppgifter", "/ui/arenden", "/ui/brevlador"])
            assert len(pages) > 10, (who, list(pages))
            for path, response in pages.items():
                assert response.status_code == 200, (who, path, response.status_code)
                found = findings(response.text)
                if found:
                    problems[f"{who} {path}"] = found[:5]
        assert not problems, "\n".join(f"{page}: {found}" for page, found in problems.items())


# -- the glossary covers what the processes publish ---------------------------------------------


def _string(node: ast.AST | None, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def published_codes() -> tuple[set[str], set[str], set[str]]:
    """(detail keys, deadline keys, stages) the workflows' code publishes, read from the source:
    ``self.details["k"] = ...``, ``self.details.update(k=...)``, ``self.details = {"k": ...}``,
    ``self.deadlines["k"] = ...``, ``set_stage("s")``, ``_stage("s")``, ``_start("s", ...)``."""
    details: set[str] = set()
    deadlines: set[str] = set()
    stages: set[str] = set()
    for path in sorted(WORKFLOWS.glob("*.py")):
        tree = ast.parse(path.read_text())
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute):
                key = _string(node.slice, {})
                if key and node.value.attr == "details":
                    details.add(key)
                if key and node.value.attr == "deadlines":
                    deadlines.add(key)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                name, owner = node.func.attr, node.func.value
                if name == "update" and isinstance(owner, ast.Attribute) and owner.attr == "details":
                    details.update(k.arg for k in node.keywords if k.arg)
                if name in ("set_stage", "_stage", "_start") and node.args:
                    stage = _string(node.args[0], constants)
                    if stage:
                        stages.add(stage)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                if any(isinstance(t, ast.Attribute) and t.attr == "details" for t in node.targets):
                    details.update(k for k in (_string(key, {}) for key in node.value.keys) if k)
            elif isinstance(node, ast.FunctionDef) and node.name == "_stage_now":
                stages.update(s for s in (_string(n, {}) for n in ast.walk(node)) if s)
    return details, deadlines, stages


def test_every_action_stage_deadline_and_detail_the_processes_publish_has_swedish_words() -> None:
    """§1: "Klart: Plan.", "Confirm end", "registration open", "Next due": a process's code
    reached a page untranslated. Read from the workflows' source, so a new one fails here."""
    details, deadlines, stages = published_codes()
    assert {"next_due", "registration_closes_at", "order_ends_on"} <= details  # the reader works
    actions = {action for cls in PROCESS_TYPES.values() for action in cls.ACTIONS}
    assert sorted(a for a in actions if a not in labels.ACTION_LABELS) == []
    assert sorted(s for s in stages if s not in labels.STAGE_LABELS) == []
    own = set().union(*map(set, PROCESS_FIELD_LABELS.values()))
    named = set(labels.DETAIL_LABELS) | set(FIELD_LABELS) | own
    assert sorted(d for d in details if d not in named and d not in labels.HIDDEN_DETAILS) == []
    assert sorted(d for d in deadlines if d not in labels.DEADLINE_LABELS and d not in actions) == []
    for code in ("yearly", "new_case", "end_date", "unscheduled", "death", "pause", "service_ended"):
        assert labels.value_label(code) != code
    assert labels.detail_label("provider_id") == "Utförare"  # the form's hint stays in the form
    assert labels.detail_label("next_due", "follow-up-cycle") == "Nästa uppföljning senast"
    assert labels.deadline_label("follow_up", "follow-up") == "Uppföljningen hålls"


def test_two_mailboxes_of_one_purpose_read_apart() -> None:
    """§7: Staffanstorp's reception (``mottagningsfunktionen``) and the default one (``reception``)
    both read "Mottagningsfunktionen"; the one a municipality names otherwise names it too."""
    assert labels.mailbox_label("reception") == "Mottagningsfunktionen"
    assert labels.mailbox_label("mottagningsfunktionen") == "Mottagningsfunktionen (Staffanstorps kommun)"
    names = [labels.mailbox_label(name) for name in labels.mailbox_names()]
    assert len(names) == len(set(names))


# -- codes in messages, ids in texts --------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "at", "shown"),
    [
        ("died_on (2026-12-01) ligger i framtiden.", (), "Dödsdatum (2026-12-01) ligger i framtiden."),
        (
            "Ange vilka insatser som får uppehåll (services).",
            ("services",),
            "Ange vilka insatser som får uppehåll.",
        ),
        ("occurred_at ligger i framtiden.", (), "Tidpunkt ligger i framtiden."),
        ("ends_on (2031-01-01) ligger mer än ett år efter 2027-03-08.", (), "Uppehållet slutar (2031-01-01)"),
        (
            "Ange insatserna i beslutet om hemtjänst (items).",
            (),
            "Ange insatserna i beslutet om hemtjänst (insatser).",
        ),
        (
            "Åtgärden 'plan' är inte öppen i processens nuvarande läge.",
            (),
            "Åtgärden ”Planera uppföljningen”",
        ),
        (
            "Rollen provider läser inte provider-hemtjanst-syd.",
            (),
            "Rollen hemtjänstutförare läser inte Hemtjänst Syd",
        ),
        ("Rollen provider får inte starta homecoming.", (), "får inte starta hemgång med hemgångsteam"),
        ("Ärendet hör till utföraren hemtjanst-nord, inte x.", (), "utföraren Hemtjänst Nord"),
    ],
)
def test_a_message_names_fields_roles_actions_and_units_in_swedish(
    message: str, at: tuple[str, ...], shown: str
) -> None:
    """§1: field codes inside Swedish messages become the field's label; a code in parentheses is
    dropped where the message stands at that field; t.ex. stays as it is."""
    assert shown in Wording(process_type="case-event")(message, at)
    assert Wording()("ÅÅÅÅ-MM, t.ex. 2026-11.") == "ÅÅÅÅ-MM, t.ex. 2026-11."


def test_ids_in_texts_read_as_the_person_and_the_process_by_number() -> None:
    """§2: "Beställning skickad till Nattdistriktet (case-c-…/order/102)" for a reader who may
    not see that order, "Uppföljning case-c-…/follow-up/1 startad", "Ärende c-…." in an escalation."""
    read = Readable(
        {
            "case-c-0123456789ab/order/102": process_reference("order", 2),
            "case-c-0123456789ab/follow-up/1": process_reference("follow-up", 1),
            "c-0123456789ab": case_reference("Greta Exempel"),
        },
        {"nattdistrikt": "Nattdistriktet"},
    )
    assert (
        read("Beställning skickad till nattdistrikt (case-c-0123456789ab/order/102).")
        == "Beställning skickad till Nattdistriktet (beställning 2 i ärendet)."
    )
    assert read("Uppföljning case-c-0123456789ab/follow-up/1 startad.") == "Uppföljning 1 startad."
    assert read("Senast 2026-11-20. Ärende c-0123456789ab.") == "Senast 2026-11-20. Ärende för Greta Exempel."
    assert read("Extra besök 2026-11-22 (v1): Tillsyn") == "Extra besök 2026-11-22 (besök 1): Tillsyn"
    # UC-5: the review's and the answer's texts and an event's field, once a visit was reviewed
    assert read("Extra insats v1 (Extra besök, 2026-11-30): godkänd") == (
        "Extra insats, besök 1 (Extra besök, 2026-11-30): godkänd"
    )
    answer = "Svar om extra insats v2 (2026-11-30): Ja"
    assert read(answer) == "Svar om extra insats, besök 2 (2026-11-30): Ja"
    assert read("Besök: v1") == "Besök: besök 1"
    assert read("Cykeln fortsätter i en ny körning (2) med samma läge.") == "Uppföljningscykeln fortsätter."
