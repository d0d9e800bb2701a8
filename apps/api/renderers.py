"""FHIR media types."""

import json
from typing import Any

from rest_framework.renderers import BaseRenderer, JSONRenderer

from .fhir import FHIR_JSON, FHIR_NDJSON


class FHIRJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir"


class NDJSONRenderer(BaseRenderer):
    """For content negotiation and the schema; the export view streams its own lines."""

    media_type = FHIR_NDJSON
    format = "ndjson"
    charset = None

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> bytes:
        if data is None:
            return b""
        return (json.dumps(data, separators=(",", ":")) + "\n").encode()
