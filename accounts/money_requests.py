"""Money requests (like UPI "collect"): ask someone for an amount; they pay or decline it; you
may cancel it. Paying is a movement of kind `request` through the one ledger algorithm, with
the request as its source: the request is locked and checked to be still pending and not
expired when the payment posts, and is marked paid with the transfer in the same unit of
work, so whatever races it (pay against pay, cancel, decline or the clock), it is paid at
most once."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accounts import ledger
from accounts.exceptions import (
    AccountFrozen,
    InvalidAccount,
    InvalidAmount,
    InvalidFilter,
    InvalidNote,
    RequestNotFound,
    RequestNotPending,
    TooManyMoneyRequests,
)
from accounts.models import REQUEST_NOTE_MAX_LENGTH, Account, MoneyRequest, Transfer
from accounts.money import is_valid_paise
from accounts.movements import Movement
from accounts.selectors import payable_person
from accounts.services import TransferReceipt, receipt_of, valid_idempotency_key, wallet_id_of
from accounts.stores import ledger_store
from accounts.stores.base import IdempotencyRequest, PostedTransfer
from core import rates
from core.ids import parse_public_id
from core.pagination import Page, decode_cursor, keyset_page
from core.replicas import pin_to_primary
from core.text import has_control_characters

DIRECTIONS = ("incoming", "outgoing")
STATUSES = MoneyRequest.STATUSES_SEEN


def request_create(*, requester, payer_id: str, amount: int, note: str = "") -> MoneyRequest:
    """Ask the person whose public id is `payer_id` for `amount` paise. Refused for yourself,
    an unknown, deactivated or frozen payer (Invalid account), and from a frozen wallet."""
    if not is_valid_paise(amount):
        raise InvalidAmount()
    note = _clean_note(note)
    own_wallet = Account.objects.filter(user=requester, kind=Account.Kind.USER).values("pk", "frozen").first()
    if own_wallet is None or not requester.is_active:
        raise InvalidAccount()
    if own_wallet["frozen"]:
        raise AccountFrozen()
    payer = payable_person(payer_id, exclude=requester)
    if payer is None:
        raise InvalidAccount()
    _count_against_the_limit(requester)
    now = timezone.now()
    request = MoneyRequest(
        requester=requester,
        payer=payer,
        amount=amount,
        note=note,
        created_at=now,
        expires_at=now + timedelta(days=settings.REQUEST_EXPIRY_DAYS),
    )

    def work(unit):
        unit.insert(request)

    ledger_store().run(work)
    pin_to_primary(requester.pk)  # read-your-writes
    return request


def _count_against_the_limit(requester) -> None:
    """Asking costs the requester nothing, so it is limited: MONEY_REQUEST_RATE per requester,
    counted in the shared cache like the sign-in throttle (one count for every worker)."""
    rate = rates.Rate.parse(settings.MONEY_REQUEST_RATE, setting="MONEY_REQUEST_RATE")
    if rate is not None and not rates.hit(f"money-request:{requester.pk}", rate).allowed:
        raise TooManyMoneyRequests()


@dataclass
class RequestSource:
    """The request being paid: locked, and still pending and unexpired, when the payment posts."""

    request: MoneyRequest
    accepted_at: datetime | None = None

    def claim(self, unit):
        stored = unit.lock_row(MoneyRequest, self.request.pk)
        self.accepted_at = timezone.now()
        if stored.status_at(self.accepted_at) != MoneyRequest.Status.PENDING:
            return ledger.Refused(RequestNotPending.default_code)
        self.request = stored
        return None

    def settle(self, unit, transfer: PostedTransfer) -> None:
        request = self.request
        request.status, request.transfer_id, request.decided_at = (
            MoneyRequest.Status.PAID,
            transfer.pk,
            self.accepted_at,
        )
        unit.update_fields(request, ["status", "transfer", "decided_at"])


def request_pay(*, payer, request_id: str, idempotency_key: str | None = None) -> TransferReceipt:
    """Pay one of your incoming requests. Insufficient balance leaves it pending."""
    idempotency_key = valid_idempotency_key(idempotency_key)
    request = _request_of(request_id, payer=payer)
    payer_wallet = wallet_id_of(payer)
    requester_wallet = (
        Account.objects.filter(user_id=request.requester_id, user__is_active=True, kind=Account.Kind.USER)
        .values_list("pk", flat=True)
        .first()
    )
    if payer_wallet is None or requester_wallet is None:
        raise InvalidAccount()
    idempotency = None
    if idempotency_key is not None:
        fingerprint = ("request", request.public_id)
        idempotency = IdempotencyRequest.of(user_pk=payer.pk, key=idempotency_key, request=fingerprint)
    movement = Movement(Transfer.Kind.REQUEST, payer_wallet, requester_wallet, request.amount, note=request.note)
    receipt = receipt_of(ledger.post(movement, idempotency=idempotency, source=RequestSource(request)))
    pin_to_primary(payer.pk)  # the payer's own history shows it at once (read-your-writes)
    return receipt


def request_decline(*, payer, request_id: str) -> None:
    _close(_request_of(request_id, payer=payer), MoneyRequest.Status.DECLINED)


def request_cancel(*, requester, request_id: str) -> None:
    _close(_request_of(request_id, requester=requester), MoneyRequest.Status.CANCELLED)


def _close(request: MoneyRequest, status: str) -> None:
    def work(unit):
        stored = unit.lock_row(MoneyRequest, request.pk)
        now = timezone.now()
        if stored.status_at(now) != MoneyRequest.Status.PENDING:
            raise RequestNotPending()
        stored.status, stored.decided_at = status, now
        unit.update_fields(stored, ["status", "decided_at"])

    ledger_store().run(work)


def _request_of(request_id, **role) -> MoneyRequest:
    """The request with this id where the caller has this role (payer or requester); any
    other request, whoever's it is, is "not found": nothing about it is revealed."""
    public_id = parse_public_id(request_id)
    request = MoneyRequest.objects.filter(public_id=public_id, **role).first() if public_id else None
    if request is None:
        raise RequestNotFound()
    return request


def _clean_note(note) -> str:
    if note is None:
        return ""
    if not isinstance(note, str):
        raise InvalidNote()
    note = note.strip()
    if len(note) > REQUEST_NOTE_MAX_LENGTH or has_control_characters(note):
        raise InvalidNote()
    return note


# -- reads ----------------------------------------------------------------------------------


def requests_list(
    *, user, direction: str | None = None, status: str | None = None, cursor: str | None = None, limit: int = 20
) -> Page:
    """The caller's requests, incoming (they are the payer) and outgoing (the requester),
    newest first, with the counterparty loaded; `status` is the one people see."""
    if direction not in (None, "", *DIRECTIONS) or status not in (None, "", *STATUSES):
        raise InvalidFilter()
    requests = MoneyRequest.objects.select_related("requester", "payer", "transfer").order_by("-pk")
    if direction == "incoming":
        requests = requests.filter(payer=user)
    elif direction == "outgoing":
        requests = requests.filter(requester=user)
    else:
        requests = requests.filter(Q(payer=user) | Q(requester=user))
    if status:
        requests = requests.with_status(status, timezone.now())
    if cursor:
        requests = requests.filter(pk__lt=decode_cursor(cursor, MoneyRequest))
    return keyset_page(list(requests[: limit + 1]), limit=limit)


def requests_waiting_count(*, user) -> int:
    """Incoming requests the person can still pay or decline."""
    return MoneyRequest.objects.filter(payer=user).pending(timezone.now()).count()


def requests_pending_of(*, person, now=None):
    """Every request still waiting that this person asked or was asked, newest first (the console)."""
    requests = MoneyRequest.objects.filter(Q(payer=person) | Q(requester=person)).pending(now or timezone.now())
    return requests.select_related("payer", "requester").order_by("-pk")
