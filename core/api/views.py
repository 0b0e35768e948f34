"""What every API view of ours shares: reading a body into a serializer, failing with
the endpoint's own documented error (never DRF's generic 400 shape)."""

from rest_framework import viewsets
from rest_framework.exceptions import NotFound, ParseError, UnsupportedMediaType

from core.errors import ServiceError

MALFORMED_BODY = "Malformed or unsupported request body"


class MalformedRequest(ServiceError):
    status_code = 400
    default_detail = MALFORMED_BODY
    default_code = "malformed_request"


class UnsupportedBody(ServiceError):
    """A body in a type the API does not read (multipart among them: its file parts escape
    the body size limit while parsed): say what to send instead."""

    status_code = 415
    default_detail = "Send the body as JSON (Content-Type: application/json)"
    default_code = "unsupported_media_type"


class ApiViewSet(viewsets.GenericViewSet):
    input_serializers: dict = {}

    def get_serializer_class(self):
        # The browsable API and the schema ask for this to draw each action's form.
        return self.input_serializers.get(self.action) or super().get_serializer_class()

    def get_object(self):
        # Our endpoints act on the caller, never on an object named in the URL. DRF's
        # OPTIONS metadata still probes this for PUT; "no object" is the honest answer.
        raise NotFound()

    def request_body(self, *, error: type[ServiceError]):
        try:
            body = self.request.data
        except UnsupportedMediaType:
            raise UnsupportedBody() from None
        except ParseError:
            raise error(errors={"body": [MALFORMED_BODY]}) from None
        if not isinstance(body, dict):
            raise error(errors={"body": ["Expected a JSON object."]})
        return body

    def validated_input(self, *, error: type[ServiceError], details: bool = True) -> dict:
        """The action's input, validated; otherwise `error`, with per-field details unless
        `details` is False (sign-in answers every failure the same way)."""
        try:
            serializer = self.input_serializers[self.action](data=self.request_body(error=error))
        except UnsupportedBody:
            raise
        except ServiceError:
            if details:
                raise
            raise error() from None
        if not serializer.is_valid():
            raise error(errors=serializer.errors if details else None)
        return serializer.validated_data
