"""OpenAPI generation (drf-spectacular): every operation documents its errors in the one format."""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.permissions import AllowAny

from .idempotency import HEADER, IdempotentPostMixin
from .serializers import ErrorSerializer

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Optional: 1–255 visible ASCII characters (e.g. a UUID). The same key and body "
    "again replay the first response (`Idempotent-Replayed: true`) and write nothing; another "
    "body with the same key is a 422. Kept 24 hours, per user.",
)

ERROR_DESCRIPTIONS = {
    "400": "Invalid input (`invalid`, with `fields`), or a body that is not valid JSON (`parse_error`).",
    "401": "No credentials, an unknown, expired or revoked token (`not_authenticated`, `authentication_failed`).",
    "403": "Signed in but not allowed, e.g. a browser POST without its CSRF token (`permission_denied`).",
    "404": "No such object — or one of another team: the same answer (`not_found`).",
    "409": "A concurrent change won the race, e.g. a second active episode (`conflict`); or a "
    "request with the same Idempotency-Key is still running (`idempotency_key_in_progress`).",
    "413": "The body is larger than the limit (`request_too_large`).",
    "415": "The body is not application/json (`unsupported_media_type`).",
    "422": "This Idempotency-Key was already used with another body or endpoint "
    "(`idempotency_key_reused`).",
    "429": "Too many requests from this token, or too many failed sign-ins (`throttled`, `locked_out`).",
}


class KnoxTokenScheme(OpenApiAuthenticationExtension):
    """Our knox subclass, documented as knox's token scheme: "Authorization: Token <token>"."""

    target_class = "apps.api.authentication.TokenAuthentication"
    name = "knoxApiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        prefix = "Token"  # the Authorization header's scheme, not a secret
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix=prefix)


class AutoSchema(openapi.AutoSchema):
    def _idempotent(self) -> bool:
        return self.method == "POST" and isinstance(self.view, IdempotentPostMixin)

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self._idempotent():
            parameters.append(IDEMPOTENCY_KEY_PARAMETER)
        return parameters

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code in responses:
                continue
            response = self._get_response_for_code(
                ErrorSerializer, code, media_types=["application/json"], direction=direction
            )
            response["description"] = ERROR_DESCRIPTIONS[code]
            responses[code] = response
        return responses

    def _error_codes(self) -> list[str]:
        public = any(
            isinstance(permission, type) and issubclass(permission, AllowAny)
            for permission in getattr(self.view, "permission_classes", ())
        )
        has_body = self.method in ("POST", "PUT", "PATCH")
        is_list = self.method == "GET" and self._is_list_view()
        codes = []
        if has_body or is_list:
            codes.append("400")
        if not public:
            codes += ["401", "403"]
        elif has_body:
            codes.append("403")
        if "{" in self.path or is_list:
            codes.append("404")
        if has_body and not public:
            codes.append("409")
        if has_body:
            codes += ["413", "415"]
        if self._idempotent():
            codes.append("422")
        codes.append("429")
        return codes


def only_api_v1(endpoints: list[Any], **kwargs: Any) -> list[Any]:
    """Preprocessing hook: the schema documents /api/v1/ (not the docs pages themselves)."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


def add_description(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Postprocessing hook: the long description (authentication, errors, FHIR) and tag texts."""
    from .docs import API_DESCRIPTION, TAGS

    result["info"]["description"] = API_DESCRIPTION
    result["tags"] = TAGS
    return result
