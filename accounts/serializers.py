"""Output shapes of the account endpoints. Money leaves as rupees, exact to the paisa."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.money import rupees_json


@extend_schema_field(OpenApiTypes.NUMBER)
class RupeesField(serializers.Field):
    """Integer paise inside, a JSON number of rupees outside."""

    def to_representation(self, paise):
        return rupees_json(paise)


class TransferInputSerializer(serializers.Serializer):
    """For the browsable API form and the schema; the view parses amounts itself."""

    to = serializers.CharField(help_text="The recipient's `_id`.")
    amount = serializers.CharField(help_text="Rupees, at most 2 decimals: a JSON number or a numeric string.")


class TransferOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    transferId = serializers.CharField()
    balance = serializers.FloatField(help_text="Your balance in rupees after this transfer.")


class BalanceSerializer(serializers.Serializer):
    balance = serializers.FloatField(help_text="Rupees, exact to the paisa.")
    currency = serializers.CharField()


class CounterpartySerializer(serializers.Serializer):
    _id = serializers.CharField(source="public_id")
    firstName = serializers.CharField(source="first_name")
    lastName = serializers.CharField(source="last_name")


class TransactionSerializer(serializers.Serializer):
    """One ledger entry of the caller's wallet. `counterparty` is null where the money came
    from or went to a system account (the starting grant, an operator's adjustment)."""

    id = serializers.CharField(source="transfer.public_id")
    kind = serializers.CharField(source="transfer.kind")
    direction = serializers.SerializerMethodField()
    amount = serializers.SerializerMethodField()
    balanceAfter = RupeesField(source="balance_after")
    counterparty = serializers.SerializerMethodField()
    note = serializers.CharField(source="transfer.note")
    createdAt = serializers.DateTimeField(source="created_at")

    @extend_schema_field({"type": "string", "enum": ["debit", "credit"]})
    def get_direction(self, entry):
        return "debit" if entry.amount < 0 else "credit"

    @extend_schema_field(OpenApiTypes.NUMBER)
    def get_amount(self, entry):
        return rupees_json(abs(entry.amount))

    @extend_schema_field(CounterpartySerializer(allow_null=True))
    def get_counterparty(self, entry):
        transfer = entry.transfer
        other = transfer.recipient if entry.amount < 0 else transfer.sender
        return None if other.user is None else CounterpartySerializer(other.user).data


class TransactionPageSerializer(serializers.Serializer):
    transactions = TransactionSerializer(many=True)
    next = serializers.CharField(allow_null=True, help_text="Pass as `cursor` for older entries.")
