"""Pages: the citizen's wallet and share links, the public shared-document page, the officers' delivery page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from borikan.core.errors import ApplicationError, NotFound
from borikan.documents.httpkit import pdf_response
from borikan.documents.selectors import document_list_for_holder, document_pdf_content
from borikan.documents.services import document_verify

from . import selectors, services, shares


def _wallet_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {
        "documents": document_list_for_holder(user=request.user),
        "receipts": selectors.receipts_for_payer(user=request.user),
        "shares": selectors.share_links_for_holder(user=request.user),
        "deliveries": selectors.deliveries_for_holder(user=request.user),
        "share_days": range(shares.MIN_DAYS, shares.MAX_DAYS + 1),
        **extra,
    }


def _error_status(error: ApplicationError) -> int:
    return error.status if error.status and 400 <= error.status < 500 else 400


@require_GET
def wallet(request: HttpRequest) -> HttpResponse:
    """The signed-in person's documents and receipts, with download, verification and share links."""
    return render(request, "delivery/wallet.html", _wallet_context(request))


@require_POST
def share_create(request: HttpRequest, document_id: int) -> HttpResponse:
    try:
        link, token = shares.share_create(actor=request.user, document_id=document_id, days=request.POST.get("days"))
    except NotFound:
        raise Http404 from None
    except ApplicationError as error:
        context = _wallet_context(request, error=error)
        return render(request, "delivery/wallet.html", context, status=_error_status(error))
    # The link is shown this once: only its hash is kept.
    context = _wallet_context(request, new_share=link, new_share_url=shares.share_url(token))
    return render(request, "delivery/wallet.html", context, status=201)


@require_POST
def share_withdraw(request: HttpRequest, share_id: int) -> HttpResponse:
    try:
        shares.share_withdraw(actor=request.user, share_id=share_id)
    except NotFound:
        raise Http404 from None
    return redirect("delivery:wallet")


def _shared_error(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    response = render(request, "delivery/shared_gone.html", {"error": error}, status=error.status or 404)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    return response


@login_not_required
@require_GET
def shared(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the document a holder shared, as its verification view, while the link works."""
    try:
        document = shares.share_open(token=token, what="page")
    except ApplicationError as error:
        return _shared_error(request, error)
    result = document_verify(code=document.verification_code)
    response = render(request, "delivery/shared.html", {"result": result, "token": token})
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_not_required
@require_GET
def shared_pdf(request: HttpRequest, token: str) -> HttpResponse:
    try:
        document = shares.share_open(token=token, what="pdf")
    except ApplicationError as error:
        return _shared_error(request, error)
    response = pdf_response(document, document_pdf_content(document=document))
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _staff_page(request: HttpRequest, *, error: ApplicationError | None = None, status: int = 200) -> HttpResponse:
    try:
        queues = selectors.staff_delivery_queues(user=request.user)
    except NotFound:
        raise Http404 from None
    return render(request, "delivery/staff.html", {**queues, "error": error}, status=status)


@require_GET
def staff(request: HttpRequest) -> HttpResponse:
    """Officers: failed deliveries (retry now, or give up with a note) and documents to post."""
    return _staff_page(request)


STAFF_ACTIONS = {
    "retry": lambda request, pk: services.delivery_retry_now(actor=request.user, delivery_id=pk),
    "give-up": lambda request, pk: services.delivery_give_up(
        actor=request.user, delivery_id=pk, note=request.POST.get("note", "")
    ),
    "hand-over": lambda request, pk: services.delivery_post_hand_over(
        actor=request.user,
        delivery_id=pk,
        postal_address=request.POST.get("postal_address", ""),
        tracking_number=request.POST.get("tracking_number", ""),
    ),
    "delivered": lambda request, pk: services.delivery_post_delivered(actor=request.user, delivery_id=pk),
}


@require_POST
def staff_action(request: HttpRequest, delivery_id: int, action: str) -> HttpResponse:
    if action not in STAFF_ACTIONS:
        raise Http404
    try:
        STAFF_ACTIONS[action](request, delivery_id)
    except NotFound:
        raise Http404 from None
    except ApplicationError as error:
        return _staff_page(request, error=error, status=_error_status(error))
    return redirect("delivery:staff")
