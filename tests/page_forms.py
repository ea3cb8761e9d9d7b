"""Helpers for the page tests (no tests here): a form of a page read as a browser reads it.

``posted(page, form_id)`` is what a browser sends when the form is submitted untouched (the
prefilled values, the checked boxes, the selected choices); a test overrides what a person
changes. ``choices(page, form_id, name)`` lists what a select or a set of checkboxes offers.
"""

from __future__ import annotations

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.values: dict[str, str] = {}
        self.offered: dict[str, list[tuple[str, str, bool]]] = {}  # name -> (value, text, chosen)
        self._select: str | None = None
        self._option: tuple[str, bool] | None = None
        self._textarea: str | None = None
        self._label_for: str | None = None
        self._labels: dict[str, str] = {}
        self._boxes: dict[str, tuple[str, str, bool]] = {}  # id -> (name, value, checked)
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input":
            kind, name = a.get("type", "text"), a.get("name", "")
            if kind == "checkbox":
                self._boxes[a.get("id", name)] = (name, a.get("value", "on"), "checked" in a)
                if "checked" in a:
                    self.values[name] = a.get("value", "on")
            elif name:
                self.values[name] = a.get("value", "")
        elif tag == "select":
            self._select = a.get("name", "")
            self.offered[self._select] = []
        elif tag == "option" and self._select is not None:
            self._option, self._text = (a.get("value", ""), "selected" in a), []
        elif tag == "textarea":
            self._textarea, self._text = a.get("name", ""), []
        elif tag == "label":
            self._label_for, self._text = a.get("for", ""), []

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        if not self.inside and tag != "form":
            return
        text = "".join(self._text).strip()
        if tag == "option" and self._select is not None and self._option is not None:
            value, chosen = self._option
            self.offered[self._select].append((value, text, chosen))
            self._option = None
        elif tag == "select" and self._select is not None:
            options = self.offered[self._select]
            picked = [v for v, _, on in options if on] or [v for v, _, _ in options[:1]]
            self.values[self._select] = picked[0] if picked else ""
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.values[self._textarea] = "".join(self._text).removeprefix("\n")
            self._textarea = None
        elif tag == "label" and self._label_for is not None:
            self._labels[self._label_for] = text
            self._label_for = None

    def boxes(self) -> dict[str, list[tuple[str, str, bool]]]:
        """Checkboxes by the field they belong to (``ended_decision_ids-0`` → ``ended_decision_ids``)."""
        found: dict[str, list[tuple[str, str, bool]]] = {}
        for box_id, (name, value, checked) in self._boxes.items():
            field = name.rsplit("-", 1)[0] if name.rsplit("-", 1)[-1].isdigit() else name
            found.setdefault(field, []).append((value, self._labels.get(box_id, ""), checked))
        return found


def _read(page: str, form_id: str) -> _FormReader:
    reader = _FormReader(form_id)
    reader.feed(page)
    assert f'id="{form_id}"' in page, f"no form {form_id} in the page"
    return reader


def posted(page: str, form_id: str) -> dict[str, str]:
    """What a browser posts from the form ``form_id`` of ``page`` when nothing is changed."""
    return dict(_read(page, form_id).values)


def choices(page: str, form_id: str, name: str) -> list[tuple[str, str, bool]]:
    """What the select or the checkboxes ``name`` of the form offer: (value, text, chosen)."""
    reader = _read(page, form_id)
    offered = reader.offered.get(name) or reader.boxes().get(name)
    assert offered is not None, f"{name} offers nothing in {form_id}"
    return offered
