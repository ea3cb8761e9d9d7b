"""Search attributes (DESIGN.md): ids and stages only, never personal data (they are not encrypted)."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

CASE_ID = SearchAttributeKey.for_keyword("CaseId")
PROCESS_TYPE = SearchAttributeKey.for_keyword("ProcessType")
MUNICIPALITY = SearchAttributeKey.for_keyword("Municipality")
PROVIDER_ID = SearchAttributeKey.for_keyword("ProviderId")
CASE_WORKER_ID = SearchAttributeKey.for_keyword("CaseWorkerId")
STAGE = SearchAttributeKey.for_keyword("Stage")
NEXT_DUE_AT = SearchAttributeKey.for_datetime("NextDueAt")

ALL_KEYS = (CASE_ID, PROCESS_TYPE, MUNICIPALITY, PROVIDER_ID, CASE_WORKER_ID, STAGE, NEXT_DUE_AT)
