"""The payload converter of every client, worker and replayer: pydantic JSON, with one cache of
pydantic type adapters for the whole process.

The SDK makes a payload converter per workflow instance (and per serialization context), and the
pydantic converter keeps its type adapters per converter instance: every new workflow built the
adapters of its input, its updates, its state and its read-model batches again. The profile of the
municipality benchmark (issue 9) showed that as a tenth of the worker's CPU while cases were
registered. Here every converter shares one JSON converter, as the SDK's default converter shares
its own; a type adapter depends on the type alone, so sharing it changes no payload.
"""

from __future__ import annotations

from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter, PydanticPayloadConverter
from temporalio.converter import CompositePayloadConverter, DefaultPayloadConverter, JSONPlainPayloadConverter

# One per process: its type-adapter cache (least recently used, 1024 types) is thread-safe.
SHARED_JSON = PydanticJSONPlainPayloadConverter()


class PayloadConverter(PydanticPayloadConverter):
    """``PydanticPayloadConverter`` whose JSON converter (and type-adapter cache) is shared."""

    def __init__(self) -> None:
        CompositePayloadConverter.__init__(
            self,
            *(
                SHARED_JSON if isinstance(c, JSONPlainPayloadConverter) else c
                for c in DefaultPayloadConverter.default_encoding_payload_converters
            ),
        )
