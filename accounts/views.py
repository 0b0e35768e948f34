"""The `/api/v1/account` endpoints: thin, each validates input and calls one service or selector."""

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from accounts import serializers as io
from accounts.exceptions import InvalidFormat
from accounts.money import parse_rupees, rupees_json
from accounts.money_requests import (
    DIRECTIONS,
    STATUSES,
    request_cancel,
    request_create,
    request_decline,
    request_pay,
    requests_list,
)
from accounts.selectors import HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT, balance_for_request, transactions_list
from accounts.services import transfer_create
from accounts.statements import csv_lines, json_chunks, statement_get, statement_period
from core.api.serializers import ErrorSerializer, MessageSerializer
from core.api.views import ApiViewSet, MalformedRequest
from core.pagination import clamp_limit

MESSAGE_TRANSFER_SUCCESS = "Transfer successful"
MESSAGE_REQUEST_SENT = "Request sent"
MESSAGE_REQUEST_DECLINED = "Request declined"
MESSAGE_REQUEST_CANCELLED = "Request cancelled"
IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
IDEMPOTENCY_PARAMETER = OpenApiParameter(IDEMPOTENCY_HEADER, str, OpenApiParameter.HEADER, required=False)
REQUESTS_DEFAULT_LIMIT, REQUESTS_MAX_LIMIT = 20, 100
STATEMENT_FORMATS = ("json", "csv")


def transfer_response(receipt) -> Response:
    """What a payment answers, whichever endpoint made it (a transfer, a paid request)."""
    response = Response(
        {
            "message": MESSAGE_TRANSFER_SUCCESS,
            "transferId": receipt.transfer_id,
            "balance": rupees_json(receipt.sender_balance),
        }
    )
    if receipt.replayed:
        response[REPLAYED_HEADER] = "true"
    return response


class AccountViewSet(ApiViewSet):
    serializer_class = io.TransferInputSerializer
    input_serializers = {"transfer": io.TransferInputSerializer}

    @extend_schema(responses={200: io.BalanceSerializer, 403: ErrorSerializer})
    def balance(self, request):
        return Response({"balance": rupees_json(balance_for_request(user=request.user)), "currency": "INR"})

    @extend_schema(
        request=io.TransferInputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={200: io.TransferOutputSerializer, 400: ErrorSerializer, 403: ErrorSerializer, 422: ErrorSerializer},
    )
    def transfer(self, request):
        body = self.request_body(error=MalformedRequest)
        receipt = transfer_create(
            sender=request.user,
            recipient_id=body.get("to"),
            amount=parse_rupees(body.get("amount")),
            idempotency_key=request.headers.get(IDEMPOTENCY_HEADER),
        )
        return transfer_response(receipt)

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", int, description=f"1 to {HISTORY_MAX_LIMIT}, default {HISTORY_DEFAULT_LIMIT}."),
            OpenApiParameter("cursor", str, description="`next` from the previous page."),
        ],
        responses={200: io.TransactionPageSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def transactions(self, request):
        limit = clamp_limit(request.query_params.get("limit"), default=HISTORY_DEFAULT_LIMIT, maximum=HISTORY_MAX_LIMIT)
        page = transactions_list(user=request.user, cursor=request.query_params.get("cursor"), limit=limit)
        return Response(
            {"transactions": io.TransactionSerializer(page.items, many=True).data, "next": page.next_cursor}
        )


class MoneyRequestViewSet(ApiViewSet):
    """`/account/requests`: ask someone for money, list requests, pay, decline, cancel."""

    serializer_class = io.MoneyRequestInputSerializer
    input_serializers = {"create": io.MoneyRequestInputSerializer}

    @extend_schema(
        request=io.MoneyRequestInputSerializer,
        responses={200: io.MoneyRequestCreatedSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def create(self, request):
        body = self.request_body(error=MalformedRequest)
        created = request_create(
            requester=request.user,
            payer_id=body.get("from"),
            amount=parse_rupees(body.get("amount")),
            note=body.get("note", ""),
        )
        return Response({"message": MESSAGE_REQUEST_SENT, "requestId": str(created.public_id)})

    @extend_schema(
        parameters=[
            OpenApiParameter("direction", str, enum=list(DIRECTIONS), description="Both when left out."),
            OpenApiParameter("status", str, enum=list(STATUSES)),
            OpenApiParameter("limit", int, description=f"1 to {REQUESTS_MAX_LIMIT}, default {REQUESTS_DEFAULT_LIMIT}."),
            OpenApiParameter("cursor", str, description="`next` from the previous page."),
        ],
        responses={200: io.MoneyRequestPageSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def list_requests(self, request):
        params = request.query_params
        page = requests_list(
            user=request.user,
            direction=params.get("direction"),
            status=params.get("status"),
            cursor=params.get("cursor"),
            limit=clamp_limit(params.get("limit"), default=REQUESTS_DEFAULT_LIMIT, maximum=REQUESTS_MAX_LIMIT),
        )
        context = {"caller": request.user, "now": timezone.now()}
        items = io.MoneyRequestSerializer(page.items, many=True, context=context).data
        return Response({"requests": items, "next": page.next_cursor})

    @extend_schema(
        request=None,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            200: io.TransferOutputSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
            422: ErrorSerializer,
        },
    )
    def pay(self, request, request_id):
        receipt = request_pay(
            payer=request.user, request_id=request_id, idempotency_key=request.headers.get(IDEMPOTENCY_HEADER)
        )
        return transfer_response(receipt)

    @extend_schema(
        request=None,
        responses={200: MessageSerializer, 403: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
    )
    def decline(self, request, request_id):
        request_decline(payer=request.user, request_id=request_id)
        return Response({"message": MESSAGE_REQUEST_DECLINED})

    @extend_schema(
        request=None,
        responses={200: MessageSerializer, 403: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
    )
    def cancel(self, request, request_id):
        request_cancel(requester=request.user, request_id=request_id)
        return Response({"message": MESSAGE_REQUEST_CANCELLED})


class StatementViewSet(ApiViewSet):
    """`/account/statement`: streamed JSON or CSV, whatever the range holds."""

    def perform_content_negotiation(self, request, force=False):
        # `format` names the statement's own format here (json or csv), not a renderer:
        # errors are rendered as JSON whatever it says.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.DATE, description="First day, India time (default: the 1st of the month)."
            ),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, India time (default: today)."),
            OpenApiParameter("format", str, enum=list(STATEMENT_FORMATS), description="Default json."),
        ],
        responses={
            (200, "application/json"): io.StatementSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
            400: ErrorSerializer,
            403: ErrorSerializer,
        },
    )
    def statement(self, request):
        params = request.query_params
        output = params.get("format", "json")
        if output not in STATEMENT_FORMATS:
            raise InvalidFormat()
        first, last = statement_period(params.get("from"), params.get("to"))
        statement = statement_get(user=request.user, first_day=first, last_day=last)
        if output == "csv":
            response = StreamingHttpResponse(csv_lines(statement), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="statement-{first}-{last}.csv"'
            return response
        return StreamingHttpResponse(json_chunks(statement, io.history_item), content_type="application/json")
