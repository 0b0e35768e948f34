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


_DATETIME = serializers.DateTimeField()


def history_item(entry) -> dict:
    """One ledger entry of a wallet as its owner sees it (the history and the statements).
    Plain code rather than a serializer per entry: a statement streams many thousands."""
    transfer, other = entry.transfer, entry.counterparty
    return {
        "id": str(transfer.public_id),
        "kind": transfer.kind,
        "direction": "debit" if entry.amount < 0 else "credit",
        "amount": rupees_json(abs(entry.amount)),
        "balanceAfter": rupees_json(entry.balance_after),
        "counterparty": None
        if other is None
        else {"_id": str(other.public_id), "firstName": other.first_name, "lastName": other.last_name},
        "note": transfer.note,
        "createdAt": _DATETIME.to_representation(entry.created_at),
    }


class TransactionSerializer(serializers.Serializer):
    """One ledger entry of the caller's wallet (see `history_item`; the fields here describe
    it for the schema). `counterparty` is null where the money came from or went to a system
    account (the starting grant, an operator's adjustment)."""

    id = serializers.CharField()
    kind = serializers.ChoiceField(choices=["transfer", "grant", "request", "reversal", "adjustment"])
    direction = serializers.ChoiceField(choices=["debit", "credit"])
    amount = serializers.FloatField(help_text="Rupees, exact to the paisa.")
    balanceAfter = serializers.FloatField(help_text="Rupees, exact to the paisa.")
    counterparty = CounterpartySerializer(allow_null=True)
    note = serializers.CharField()
    createdAt = serializers.DateTimeField()

    def to_representation(self, entry):
        return history_item(entry)


class TransactionPageSerializer(serializers.Serializer):
    transactions = TransactionSerializer(many=True)
    next = serializers.CharField(allow_null=True, help_text="Pass as `cursor` for older entries.")


# `from` is a Python keyword, so these two are made with type() to name a field after it.
MoneyRequestInputSerializer = type(
    "MoneyRequestInputSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "For the browsable API form and the schema; the view parses amounts itself.",
        "from": serializers.CharField(help_text="The payer's `_id`."),
        "amount": serializers.CharField(help_text="Rupees, at most 2 decimals: a JSON number or a numeric string."),
        "note": serializers.CharField(required=False, allow_blank=True, max_length=100),
    },
)


class MoneyRequestCreatedSerializer(serializers.Serializer):
    message = serializers.CharField()
    requestId = serializers.CharField()


class MoneyRequestSerializer(serializers.Serializer):
    """One request as the caller sees it: `incoming` when they are asked to pay."""

    id = serializers.CharField(source="public_id")
    direction = serializers.SerializerMethodField()
    amount = RupeesField()
    note = serializers.CharField()
    status = serializers.SerializerMethodField()
    counterparty = serializers.SerializerMethodField()
    transferId = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    expiresAt = serializers.DateTimeField(source="expires_at")

    @extend_schema_field({"type": "string", "enum": ["incoming", "outgoing"]})
    def get_direction(self, request):
        return "incoming" if request.payer_id == self.context["caller"].pk else "outgoing"

    @extend_schema_field({"type": "string", "enum": ["pending", "paid", "declined", "cancelled", "expired"]})
    def get_status(self, request):
        return request.status_at(self.context["now"])

    @extend_schema_field(CounterpartySerializer)
    def get_counterparty(self, request):
        other = request.requester if request.payer_id == self.context["caller"].pk else request.payer
        return CounterpartySerializer(other).data

    @extend_schema_field(OpenApiTypes.STR)
    def get_transferId(self, request):
        return str(request.transfer.public_id) if request.transfer_id else None


class MoneyRequestPageSerializer(serializers.Serializer):
    requests = MoneyRequestSerializer(many=True)
    next = serializers.CharField(allow_null=True, help_text="Pass as `cursor` for older requests.")


StatementSerializer = type(
    "StatementSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "The JSON statement (streamed); the CSV has the columns date, id, kind, direction, "
        "counterparty, amount, balance_after.",
        "from": serializers.DateField(),
        "to": serializers.DateField(),
        "openingBalance": serializers.FloatField(),
        "closingBalance": serializers.FloatField(),
        "entries": TransactionSerializer(many=True),
    },
)
