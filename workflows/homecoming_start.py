"""The API side of the homecoming process: the workflow input from a start request (HT-1, HT-2,
HT-4, HT-5, HT-6) and the values its forms propose. Pure: no I/O, no workflow calls."""

from __future__ import annotations

from typing import Any

from workflows import calendar, limits
from workflows.io.homecoming import HomecomingInput, StartHomecoming
from workflows.model import CASE_WORKER, PROVIDER, FieldError, FieldPermissionError, StartContext
from workflows.profiles import Profile
from workflows.rules import homecoming as rules


def build_input(request: StartHomecoming, ctx: StartContext) -> HomecomingInput:
    """The workflow input; ValueError (Swedish) for invalid data (422), PermissionError when the
    caller's role may not start this mode (403)."""
    assert ctx.case is not None  # the process does not create its case
    case, profile, actor = ctx.case, ctx.profile, ctx.actor
    team = profile.homecoming.team
    if request.mode == rules.REVERSE:
        return _reverse(request, ctx)
    if actor.role != CASE_WORKER:
        raise FieldPermissionError("Hemgång med hemgångsteam startas av biståndshandläggaren (HT-1).", "mode")
    decided = request.decision_date or calendar.local_date(ctx.now)
    rules.check_order_start(decided, ctx.now)
    if request.mode == rules.SIMPLIFIED:
        rules.check_simplified_start(request.night_help_minutes, profile.homecoming_standard_minutes)
        if request.items:
            raise FieldError(
                "Vid förenklat beslut bestäms insatserna av schablonen (HT-2): ange inga insatser (items).",
                "items",
            )
    else:
        if not request.items:
            raise FieldError("Ange insatserna i beslutet om hemtjänst (items).", "items")
        if request.night_help_minutes or request.safety_alarm or request.meal_distribution:
            raise FieldError(
                "Natthjälp, trygghetslarm och matdistribution i egna beställningar "
                "hör till förenklat beslut.",
                "night_help_minutes",
                "safety_alarm",
                "meal_distribution",
            )
        for item in request.items:
            limits.check_name(item.name, "insatsen", required=True)
    chosen = request.chosen_provider_id or case.provider_id
    if chosen == team:
        raise FieldError("Vald hemtjänst kan inte vara hemgångsteamet.", "chosen_provider_id")
    rules.check_discharge(
        profile.homecoming.discharge_rule, request.origin, request.discharge_need, request.called_at, ctx.now
    )
    return HomecomingInput(
        case_id=ctx.case_id,
        profile=profile,
        started_by=actor,
        mode=request.mode,
        origin=request.origin,
        team_id=team,
        provider_id=chosen,
        decision_date=decided,
        night_help_minutes=request.night_help_minutes,
        safety_alarm=request.safety_alarm,
        meal_distribution=request.meal_distribution,
        items=list(request.items),
        night_district_id=request.night_district_id,
        discharge_need=request.discharge_need,
        called_at=request.called_at,
        case_worker_id=case.case_worker_id,
    )


# HT-5: what a request for the team to take over a period does not give (only the mode and origin).
REVERSE_NOT_GIVEN = (
    "items",
    "night_help_minutes",
    "safety_alarm",
    "meal_distribution",
    "discharge_need",
    "called_at",
    "chosen_provider_id",
)


def _reverse(request: StartHomecoming, ctx: StartContext) -> HomecomingInput:
    """HT-5: for a case with a provider, started by the case worker or that provider."""
    assert ctx.case is not None
    provider = ctx.case.provider_id
    if not provider:
        raise ValueError("Ärendet har ingen hemtjänstutförare som kan be hemgångsteamet ta över (HT-5).")
    if ctx.actor.role == PROVIDER and ctx.actor.org != provider:
        raise PermissionError(f"Ärendet hör till utföraren {provider}, inte {ctx.actor.org}.")
    extra = [name for name in REVERSE_NOT_GIVEN if getattr(request, name)]
    if extra:
        raise FieldError("När hemgångsteamet tar över en period anges bara läget.", *extra)
    return HomecomingInput(
        case_id=ctx.case_id,
        profile=ctx.profile,
        started_by=ctx.actor,
        mode=rules.REVERSE,
        origin=request.origin,
        team_id=ctx.profile.homecoming.team,
        provider_id=provider,
        decision_date=calendar.local_date(ctx.now),
        case_worker_id=ctx.case.case_worker_id,
        provider_orders=[o.order_id for o in ctx.case.orders if o.provider_id == provider],
    )


def services_to_move(details: dict[str, Any]) -> list[str]:
    """HT-3 / HT-4: the services the order moves with: those of the new decision after the
    follow-up, else those the team listed when it announced the handover (the template)."""
    followed = details.get("followed_up")
    decided = followed.get("services") if isinstance(followed, dict) else None
    return [str(name) for name in decided or details.get("services_to_hand_over") or []]


def proposals(details: dict[str, Any], profile: Profile, now: Any) -> dict[str, dict[str, Any]]:
    """What the open actions' forms propose, by action and field, as form values (dates
    ``YYYY-MM-DD``, moments as Stockholm wall-clock ``YYYY-MM-DDTHH:MM``, the moved order's items
    as rows)."""
    today = calendar.local_date(now).isoformat()
    notice = profile.deadlines
    if details.get("mode") == rules.SIMPLIFIED:
        announce = {"handover_date": rules.proposed_handover_date(now, notice).isoformat()}
    else:
        announce = {"planned_at": f"{rules.proposed_handover_at(now, notice):%Y-%m-%dT%H:%M}"}
    move_start = str(details.get("move_start_date") or "")
    back_on = str(details.get("period_end") or details.get("period_start") or today)
    items = [{"name": name, "kind": "care"} for name in services_to_move(details)]
    return {
        "send_order": {"start_date": str(details.get("services_start_on") or today)},
        "announce_handover": announce,  # HT-3 / HT-4: the earliest handover that is on time
        # HT-3 / HT-4: a new decision after the follow-up is normally dated from the handover date
        "follow_up": {"decision_date": move_start, "services": list(services_to_move(details))},
        "move_order": {
            "start_date": move_start,
            "provider_id": str(details.get("receiver") or ""),
            "items": items,
        },
        "request_takeover": {"period_start": today},
        "hand_back": {"back_on": max(back_on, today)},
    }


def hidden_fields(details: dict[str, Any]) -> dict[str, frozenset[str]]:
    """The fields each action's form leaves out in this process: what the mode cannot submit
    (HT-3 announces a date, HT-4 a moment and the services; the alarm team's and night district's
    "övrigt" only when the simplified decision sends them an order)."""
    mode = details.get("mode")
    if mode == rules.SIMPLIFIED:
        orders = set(details.get("planned_orders") or ())
        unused = {"alarm_other"} - ({"alarm_other"} if "alarm" in orders else set())
        unused |= {"night_other"} - ({"night_other"} if "night" in orders else set())
        return {"announce_handover": frozenset({"planned_at", "services"}), "send_order": frozenset(unused)}
    return {
        "announce_handover": frozenset({"handover_date"}),
        "send_order": frozenset({"alarm_other", "night_other"}),
    }
