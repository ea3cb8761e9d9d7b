"""Rules of communication between provider and case worker that several processes share (COM-*)."""

from __future__ import annotations

from workflows.model import FieldError


def check_reported_for_person(person_contacts_themself: bool, reason: str, field: str) -> None:
    """COM-6: a changed need reported by the provider or a legal representative, because the person
    cannot or will not contact the case worker, states why. ``field`` names the form field."""
    if not person_contacts_themself and not reason.strip():
        raise FieldError(
            f"Ange varför brukaren inte själv kan eller vill kontakta biståndshandläggaren ({field}).", field
        )
