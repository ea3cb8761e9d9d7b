"""Units and decisions by name (issue 10 §1, §2, §5): a profile's unit register, unit fields as a
choice of the municipality's units (generated in one place from the dataclasses), the edge's 422
for an id the register does not list, decision kinds from one glossary, and the processes'
texts with units, decisions and orders named as people name them, replaced when a page shows them.
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import date
from pathlib import Path

import httpx
import pytest

from api.routes.cases import DecisionKind
from api.ui import forms, labels
from api.ui.readable import Readable, decision_reference, order_reference
from readmodel.models import Decision, Order
from tests.support import CASE_WORKER, PROVIDER
from tests.test_api_support import new_case, start_order
from tests.test_profiles import write_profile
from tests.test_ui import ui_login
from workflows import glossary
from workflows.io.homecoming import MoveOrder, StartHomecoming
from workflows.io.order import StartOrder
from workflows.profiles import Profile, ProfileError, load_profile, load_units

# -- the register ------------------------------------------------------------------------------


def test_the_default_profile_lists_its_units_with_names_and_the_units_it_names_itself() -> None:
    units = {unit.id: unit for unit in load_units("default")}
    assert units["hemtjanst-nord"].name == "Hemtjänst Nord" and units["hemtjanst-nord"].kind == "provider"
    profile = load_profile("default")
    assert units[profile.mailboxes.default_provider].kind == "provider"  # NEW-5
    assert units[profile.homecoming.team].kind == "homecoming_team"  # HT-1
    assert units[profile.homecoming.alarm_team].kind == "alarm_team"  # HT-2
    assert units[profile.homecoming.night_district].kind == "night_district"  # HT-2


def test_a_profile_without_a_register_still_loads_and_the_register_is_no_process_input() -> None:
    assert load_units("botkyrka") == ()
    assert "units" not in {f.name for f in dataclasses.fields(Profile)}  # inputs stay as recorded


@pytest.mark.parametrize(
    ("units", "complaint"),
    [
        (
            '[[units]]\nid = "hemgangsteam"\nname = "Teamet"\nkind = "homecoming_team"\n',
            "mailboxes.default_provider",
        ),
        ('[[units]]\nid = "a b"\nname = "Mellanslag"\n', "units.0.id"),
        ('[[units]]\nid = "x"\nname = "X"\n[[units]]\nid = "x"\nname = "Y"\n', "listed twice"),
        ('[[units]]\nid = "x"\nname = "X"\nkind = "bakery"\n', "units.0.kind"),
    ],
)
def test_a_broken_register_names_the_file_and_the_field(tmp_path: Path, units: str, complaint: str) -> None:
    write_profile(tmp_path, "trasig", f'name = "trasig"\ndisplay_name = "Trasig"\n{units}')
    with pytest.raises(ProfileError) as broken:
        load_profile("trasig", tmp_path)
    assert "trasig.toml" in str(broken.value) and complaint in str(broken.value)


def test_a_unit_is_named_by_the_register_and_an_unlisted_one_by_its_words() -> None:
    assert labels.unit_label("hemtjanst-ost") == "Hemtjänst Öst"
    assert labels.unit_label("hemgangsteam") == "Hemgångsteamet"
    assert labels.unit_label("hemtjanst-sundbyberg") == "Hemtjänst Sundbyberg"  # SU lists none
    assert labels.unit_label(None) == ""


def test_decision_kinds_have_one_source_of_words_for_sentences_and_columns() -> None:
    for kind in typing.get_args(DecisionKind):
        phrase = glossary.decision_kind_label(kind)
        assert phrase != kind, kind
        assert labels.decision_kind_label(kind) == phrase[:1].upper() + phrase[1:]
    assert labels.decision_kind_label("care") == "Hemtjänst (omvårdnad)"


# -- forms -------------------------------------------------------------------------------------


def _field(fields: list[forms.FormField], name: str) -> forms.FormField:
    return next(ff for ff in fields if ff.name == name)


def test_unit_fields_are_a_choice_of_the_profiles_units_of_their_kind() -> None:
    """HT-2, HT-3: the chosen provider among the providers, the night district among the districts."""
    fields = forms.describe(StartHomecoming, "default")
    chosen = _field(fields, "chosen_provider_id")
    assert chosen.kind == "select"
    assert ("hemtjanst-nord", "Hemtjänst Nord") in chosen.options
    assert "hemgangsteam" not in {value for value, _ in chosen.options}  # not a provider
    district = _field(fields, "night_district_id")
    assert (district.label, district.options) == (
        "Nattdistrikt",
        [("", "– kommunens –"), ("nattdistrikt", "Nattdistriktet")],
    )
    order = _field(forms.describe(StartOrder, "default"), "provider_id")
    assert order.label == "Utförare" and order.options[0] == ("", "– ärendets utförare –")


def test_a_profile_without_a_register_and_a_form_without_a_profile_ask_for_the_id_as_text() -> None:
    assert _field(forms.describe(StartOrder, "botkyrka"), "provider_id").kind == "text"
    assert _field(forms.describe(StartOrder), "provider_id").kind == "text"
    assert forms.body_of(StartOrder, {"provider_id": "hemtjanst-syd"})["provider_id"] == "hemtjanst-syd"


def test_a_proposed_unit_outside_the_fields_kind_is_offered_too() -> None:
    """HT-5: a reverse homecoming moves the order to the team, proposed in a provider field."""
    fields = forms.with_proposals(forms.describe(MoveOrder, "default"), {"provider_id": "hemgangsteam"})
    field = _field(fields, "provider_id")
    assert field.default == "hemgangsteam" and ("hemgangsteam", "Hemgångsteamet") in field.options


# -- the processes' texts, as people read them --------------------------------------------------

DECEMBER = date(2026, 12, 1)
CARE = Decision(id="c-1a2b/decision/1", case_id="c-1a2b", kind="care", services=[], start_date=DECEMBER)
ORDER = Order(id="case-c-1a2b/order/1", case_id="c-1a2b", provider_id="hemtjanst-nord", start_date=DECEMBER)


def _readable() -> Readable:
    references = {CARE.id: decision_reference(CARE), ORDER.id: order_reference(ORDER)}
    return Readable(references, {"hemtjanst-nord": "Hemtjänst Nord", "larmteam": "Larmteamet"})


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("Beställning skickad till hemtjanst-nord av Bo", "Beställning skickad till Hemtjänst Nord av Bo"),
        ("Beslut c-1a2b/decision/1 från 2026-12-01.", "Beslut om hemtjänst (omvårdnad) från 2026-12-01."),
        (
            "Beslut c-1a2b/decision/1 har upphört 2027-01-31: följs inte upp mer.",
            "Beslut om hemtjänst (omvårdnad) från 2026-12-01 har upphört 2027-01-31: följs inte upp mer.",
        ),
        (
            "Beslut som upphör: c-1a2b/decision/1",
            "Beslut som upphör: beslut om hemtjänst (omvårdnad) från 2026-12-01",
        ),
        (
            "Beställning skickad (case-c-1a2b/order/1)",
            "Beställning skickad (beställning till Hemtjänst Nord från 2026-12-01)",
        ),
        (
            "Beställningen case-c-1a2b/order/1 upphör 2026-12-20",
            "Beställningen till Hemtjänst Nord från 2026-12-01 upphör 2026-12-20",
        ),
        # whole ids only: a longer id, a mailbox, a word that begins like a unit stay as written
        ("Beslut c-1a2b/decision/10, case-c-1a2b/order/12",) * 2,
        ("Till provider-hemtjanst-nord och larmteamet", "Till provider-hemtjanst-nord och larmteamet"),
        ("Övrigt till larmteam, hemtjanst-nord.", "Övrigt till Larmteamet, Hemtjänst Nord."),
    ],
)
def test_ids_in_the_processes_texts_read_as_units_decisions_and_orders(written: str, read: str) -> None:
    assert _readable()(written) == read


# -- the pages, on the suite's scenario server --------------------------------------------------


async def test_the_registration_offers_the_providers_by_name_and_refuses_an_unlisted_one_at_its_field(
    http: httpx.AsyncClient,
) -> None:
    await ui_login(http, CASE_WORKER)
    page = (await http.get("/ui/arenden")).text
    assert '<select id="registrera-arende-provider_id" name="provider_id">' in page
    assert '<option value="hemtjanst-nord">Hemtjänst Nord</option>' in page
    form = {"idempotency_key": "reg-unit", "person_name": "Helga Nilsson", "provider_id": "hemtjanst-okand"}
    posted = await http.post("/ui/arenden", data=form)
    assert posted.status_code == 303
    refused = await http.get(posted.headers["location"])
    assert refused.status_code == 422
    field = "registrera-arende-provider_id"
    invalid = f'id="{field}" name="provider_id" aria-invalid="true" aria-describedby="{field}-fel"'
    assert invalid in refused.text
    assert f'<p class="field-error" id="{field}-fel">finns inte bland kommunens enheter</p>' in refused.text
    malformed = await http.post("/ui/arenden", data={**form, "provider_id": "hemtjänst nord"})
    shown = (await http.get(malformed.headers["location"])).text
    assert f'<p class="field-error" id="{field}-fel">får bara innehålla' in shown


async def test_ORD_1_the_order_page_and_the_history_name_the_provider_and_the_decision(
    http: httpx.AsyncClient,
) -> None:
    """ORD-1, FU-1: "Beställning skickad till Hemtjänst Nord", "Beslut om hemtjänst (omvårdnad)
    från 2026-11-16." where the processes wrote the ids; the case page's start forms offer units."""
    case_id = await new_case(http)
    process_id = (await start_order(http, case_id))["process_id"]
    await ui_login(http, CASE_WORKER)
    case_page = (await http.get(f"/ui/arenden/{case_id}")).text
    assert '<select id="starta-order-provider_id" name="provider_id">' in case_page
    history = (await http.get(f"/ui/arenden/{case_id}/historik")).text
    assert "Beställning skickad till Hemtjänst Nord av Anna Handläggare" in history
    assert "Beslut om hemtjänst (omvårdnad) från 2026-11-16." in history
    assert f"{case_id}/decision/1" not in history and "till hemtjanst-nord" not in history
    await ui_login(http, PROVIDER)
    page = (await http.get(f"/ui/processer/{process_id}")).text
    assert "Beställning skickad till Hemtjänst Nord" in page
    assert "Ansvarig handläggare</dt><dd>Anna Handläggare<" in page
