"""EDI orders through the API: a UBL 2.1 Order (PEPPOL BIS Ordering 3) or an EDIFACT ORDERS interchange uploaded
as the request body, handled by ``orders.edi.intake`` exactly like a drop folder's file; the answer document
(OrderResponse / ORDRSP) comes back inside the JSON receipt and is kept with the message for staff."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import BaseParser
from rest_framework.response import Response

from api.idempotency import idempotent_in_steps
from api.models import Scope
from api.problems import Problem, problem_response
from api.serializers import ProblemOut
from api.views.base import ApiView
from api.views.orders import IDEMPOTENCY_HEADER
from orders.edi.intake import EdiInProgress, EdiPartyMismatch, Received, edi_order_receive
from orders.models import EdiMessage

MAX_BYTES = 5 * 1024 * 1024
RESPONSE_TYPES = {EdiMessage.Format.UBL: "application/xml", EdiMessage.Format.EDIFACT: "application/EDIFACT"}


class EdiParser(BaseParser):
    """The body as text: XML (its declared encoding is honoured by the XML reader) or an EDIFACT interchange
    (UTF-8, else ISO 8859-9)."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        data = stream.read(MAX_BYTES + 1) if stream is not None else b""
        if len(data) > MAX_BYTES:
            raise Problem(413, "too_large", _("The message is larger than 5 MB."))
        for encoding in ("utf-8-sig", "iso-8859-9"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
        return data.decode("latin-1")


class EdiMessageOut(serializers.Serializer):
    message = serializers.IntegerField(help_text="The stored message's number.")
    message_reference = serializers.CharField(
        allow_blank=True, help_text="EDIFACT UNH message reference (0062); empty for UBL."
    )
    document_number = serializers.CharField(allow_blank=True, help_text="The order number the message carries.")
    status = serializers.ChoiceField(choices=EdiMessage.Status.choices)
    order = serializers.CharField(allow_null=True, help_text="The order placed for this message, if any.")
    error = serializers.CharField(allow_blank=True, help_text="Why the message was rejected.")


class EdiReceiptOut(serializers.Serializer):
    message = serializers.IntegerField(help_text="The stored (first) message's number (staff see it in the admin).")
    format = serializers.ChoiceField(choices=EdiMessage.Format.choices)
    status = serializers.ChoiceField(
        choices=EdiMessage.Status.choices,
        help_text="One message: its status. Several: accepted when all were, rejected when none placed an order, "
        "else changed.",
    )
    order = serializers.CharField(allow_null=True, help_text="The (first) order placed, if any.")
    reference = serializers.CharField(help_text="The interchange control reference (UNB 0020 / the Order's ID).")
    replayed = serializers.BooleanField(help_text="True when the interchange was received before.")
    error = serializers.CharField(allow_blank=True)
    response_content_type = serializers.CharField()
    response = serializers.CharField(
        help_text="The OrderResponse (UBL), or one EDIFACT interchange with an ORDRSP per ORDERS message."
    )
    messages = EdiMessageOut(many=True, help_text="Every order message of the document, in the order sent.")
    contrl = serializers.CharField(
        allow_blank=True,
        help_text="The EDIFACT CONTRL syntax report (UCI/UCM), when the interchange's UNB asked for one "
        "(0031 = 1); empty otherwise.",
    )


class EdiProblemOut(ProblemOut):
    location = serializers.CharField(allow_blank=True, help_text="Segment/element (EDIFACT) or XPath (UBL).")
    message = serializers.IntegerField(required=False, help_text="The stored message's number.")
    contrl = serializers.CharField(
        required=False,
        help_text="EDIFACT: the CONTRL report rejecting the interchange (UCI action 4, UCM/UCS/UCD naming the "
        "segment position and data element in error with the ISO 9735 syntax error code).",
    )


def _message_out(message: EdiMessage) -> dict:
    return {
        "message": message.pk,
        "message_reference": message.message_reference,
        "document_number": message.document_number,
        "status": message.status,
        "order": message.order.number if message.order_id else None,
        "error": message.error,
    }


def receipt(received: Received) -> dict:
    message = received.message
    placed = next((m for m in received.messages if m.order_id), None)
    errors = [m.error for m in received.messages if m.error]
    return {
        "message": message.pk,
        "format": message.format,
        "status": received.status,
        "order": placed.order.number if placed is not None else None,
        "reference": message.reference,
        "replayed": received.replayed,
        "error": "; ".join(errors)
        if len(received.messages) == 1
        else "; ".join(f"{m.message_reference}: {m.error}" for m in received.messages if m.error),
        "response_content_type": RESPONSE_TYPES.get(message.format, "text/plain"),
        "response": message.response,
        "messages": [_message_out(m) for m in received.messages],
        "contrl": message.contrl,
    }


class EdiOrderApi(ApiView):
    required_scope = Scope.ORDER
    parser_classes = [EdiParser]

    @extend_schema(
        operation_id="upload_edi_order",
        summary="Send an EDI order (UBL Order or EDIFACT ORDERS)",
        description=(
            "The request body is one UBL 2.1 Order (PEPPOL BIS Ordering 3; `Content-Type: application/xml`) or "
            "one EDIFACT interchange with one or more ORDERS D.96A/D.01B messages (`application/EDIFACT`): each "
            "message makes its own order and gets its own ORDRSP, all in one answering interchange; `messages` "
            "lists them. A CONTRL report comes back in `contrl` when UNB asks for one (0031 = 1), and always with "
            "a syntax error. The delivery point (NAD+DP / DeliveryLocation GLN) must be one of the dealer's "
            "delivery addresses. The buyer party "
            "(GLN, else tax number) must be the key's dealer (403 `party_mismatch`). Lines are matched by the "
            "dealer's own item codes, SKU, then GTIN; the lines that can be ordered are placed through the "
            "portal's checkout rules and prices. 201 when an order was placed (`accepted`, or `changed` when a "
            "quantity was rounded to the pack or a line was rejected), 200 `rejected` when none was, 400 "
            "`edi_malformed` with `location` (segment/element or XPath) and, for EDIFACT, `contrl`; nothing of "
            "the interchange is placed. The same interchange again answers the "
            "stored first receipt (`replayed`). Requires `Idempotency-Key`; see docs/edi.md."
        ),
        parameters=[IDEMPOTENCY_HEADER],
        request={"application/xml": OpenApiTypes.STR, "application/EDIFACT": OpenApiTypes.STR},
        responses={
            201: EdiReceiptOut,
            200: EdiReceiptOut,
            400: EdiProblemOut,
            401: ProblemOut,
            403: ProblemOut,
            409: ProblemOut,
            429: ProblemOut,
            503: ProblemOut,
        },
        tags=["orders"],
    )
    @idempotent_in_steps
    def post(self, request):
        payload = request.data if isinstance(request.data, str) else ""
        if not payload.strip():
            raise Problem(400, "edi_malformed", _("The request body is empty."), location="")
        try:
            received = edi_order_receive(
                payload=payload,
                channel=EdiMessage.Channel.API,
                only_dealer=request.dealer_user.dealer,
                dealer_user=request.dealer_user,
            )
        except EdiPartyMismatch:
            raise Problem(
                403, "party_mismatch", _("The buyer party of this order is not the dealer of this API key.")
            ) from None
        except EdiInProgress:
            # Not kept under the Idempotency-Key (like any 5xx): the same request sent again runs again.
            return problem_response(
                503,
                "edi_in_progress",
                _("This interchange is being received right now; send it again in a moment."),
                headers={"Retry-After": "10"},
                retry_after=10,
            )
        message = received.message
        if message.status == EdiMessage.Status.MALFORMED:
            location, _sep, detail = message.error.partition(": ")
            extra = {"contrl": message.contrl} if message.contrl else {}
            raise Problem(
                400,
                "edi_malformed",
                detail or message.error,
                location=location if detail else "",
                message=message.pk,
                **extra,
            )
        placed = any(m.order_id for m in received.messages)
        status = 201 if placed and not received.replayed else 200
        return Response(receipt(received), status=status)
