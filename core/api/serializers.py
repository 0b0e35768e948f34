from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Every error response: the contract's `message`, a machine-readable `code`, and
    per-field `errors` when useful."""

    message = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(required=False)


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()
