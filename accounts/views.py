"""The `/api/v1/account` endpoints: thin, each validates input and calls one service or selector."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from accounts import serializers as io
from accounts.exceptions import MESSAGE_TRANSFER_SUCCESS
from accounts.money import parse_rupees, rupees_json
from accounts.selectors import HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT, balance_get, transactions_list
from accounts.services import transfer_create
from paytm_site.api.serializers import ErrorSerializer
from paytm_site.api.views import ApiViewSet, MalformedRequest
from paytm_site.pagination import clamp_limit

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


class AccountViewSet(ApiViewSet):
    serializer_class = io.TransferInputSerializer
    input_serializers = {"transfer": io.TransferInputSerializer}

    @extend_schema(responses={200: io.BalanceSerializer, 403: ErrorSerializer})
    def balance(self, request):
        return Response({"balance": rupees_json(balance_get(user=request.user)), "currency": "INR"})

    @extend_schema(
        request=io.TransferInputSerializer,
        parameters=[OpenApiParameter(IDEMPOTENCY_HEADER, str, OpenApiParameter.HEADER, required=False)],
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
