import tempfile

from django import forms
from django.contrib import messages
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from b2bportal.spreadsheets import (
    CSV_CONTENT_TYPE,
    CSV_DIALECTS,
    XLSX_CONTENT_TYPE,
    csv_chunks,
    csv_dialect_for,
    xlsx_write,
)
from b2bportal.vat import vat_breakdown
from dealers.access import account_required, dealer_admin_required, dealer_required, get_scoped_or_404, scoped
from dealers.account import (
    STATEMENT_COLUMNS,
    STATEMENT_MONEY_COLUMNS,
    document_get_for_dealer_user,
    documents_for_dealer_user,
    statement,
    statement_table,
)
from dealers.documents import document_pdf, statement_pdf
from dealers.forms import AddressProposalForm, InviteForm, MemberChangeForm
from dealers.models import DealerAddress, DealerDocument, DealerUser
from dealers.services import (
    dealer_address_propose,
    dealer_invitation_accept,
    dealer_invitation_for_link,
    dealer_invitation_send,
    dealer_user_invite,
    dealer_user_update,
)


@dealer_required
def address_list(request):
    addresses = scoped(DealerAddress.objects.filter(is_active=True), request.dealer_user).order_by(
        "kind", "-is_default", "name"
    )
    is_admin = request.dealer_user.role == DealerUser.Role.ADMIN
    proposals = (
        scoped(DealerAddress.objects.exclude(status=DealerAddress.Status.APPROVED), request.dealer_user).order_by(
            "-created_at"
        )
        if is_admin
        else DealerAddress.objects.none()
    )
    return render(
        request,
        "dealers/address_list.html",
        {"addresses": addresses, "proposals": proposals, "can_propose": is_admin},
    )


class DateInput(forms.DateInput):
    """A browser date picker: its value is always written as YYYY-MM-DD (the only form ``<input type="date">``
    accepts; a date in the page language's format would leave the field empty)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class StatementForm(forms.Form):
    date_from = forms.DateField(label=gettext_lazy("From"), widget=DateInput())
    date_to = forms.DateField(label=gettext_lazy("To"), widget=DateInput())

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The period starts after it ends."))
            if (end - start).days > MAX_STATEMENT_DAYS:
                raise forms.ValidationError(_("A statement covers at most five years."))
        return data


MAX_STATEMENT_DAYS = 5 * 366
# The page shows a long statement in pages; a PDF is for what fits on paper (Excel and CSV take any length).
STATEMENT_PAGE_LINES = 500
STATEMENT_PDF_MAX_LINES = 500
PDF_TOO_LONG = gettext_lazy(
    "A statement of more than %(max)s movements is downloaded as Excel or CSV; choose a shorter period for a PDF."
)


def _attachment_name(text: str) -> str:
    """A download's file name: letters, digits, dots, dashes and underscores; anything else becomes a dash."""
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)


@account_required
def statement_view(request):
    """The statement of account for a period (this year so far by default); downloads as PDF, XLSX or CSV."""
    dealer = request.dealer_user.dealer
    today = timezone.localdate()
    initial = {"date_from": today.replace(month=1, day=1), "date_to": today}
    form = StatementForm(request.GET or None, initial=initial)
    if request.GET and not form.is_valid():
        return render(request, "dealers/statement.html", {"form": form, "statement": None}, status=400)
    period = form.cleaned_data if request.GET else initial
    result = statement(dealer, period["date_from"], period["date_to"])
    kind = request.GET.get("format", "")
    filename = _attachment_name(f"{_('statement')}-{dealer.code}-{result.date_from:%Y%m%d}-{result.date_to:%Y%m%d}")
    if kind == "pdf":
        if len(result.lines) > STATEMENT_PDF_MAX_LINES:
            messages.warning(
                request,
                PDF_TOO_LONG % {"max": STATEMENT_PDF_MAX_LINES},
            )
            return redirect(f"{request.path}?date_from={result.date_from:%Y-%m-%d}&date_to={result.date_to:%Y-%m-%d}")
        pdf = statement_pdf(result, language=get_language() or "tr")
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
        return response
    if kind == "csv":
        # The reader's Excel by default (Turkish: ";" and a decimal comma); ``csv=intl`` or ``csv=tr`` asks for one.
        dialect = CSV_DIALECTS.get(request.GET.get("csv", ""), csv_dialect_for(get_language()))
        header = [str(h) for h in STATEMENT_COLUMNS]
        rows = csv_chunks(header, statement_table(result), dialect=dialect)
        response = StreamingHttpResponse(rows, content_type=CSV_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    if kind == "xlsx":
        target = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
        xlsx_write(
            target,
            [str(h) for h in STATEMENT_COLUMNS],
            statement_table(result),
            title=str(_("Statement")),
            money_columns=STATEMENT_MONEY_COLUMNS,
            widths=(12, 16, 20, 36, 12, 16, 16, 16),
        )
        target.seek(0)
        return FileResponse(target, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_CONTENT_TYPE)
    if kind:
        return HttpResponseBadRequest("Unknown format.")
    page = Paginator(result.lines, STATEMENT_PAGE_LINES).get_page(request.GET.get("page"))
    carried = result.lines[page.start_index() - 2].balance if page.number > 1 else None
    own_csv = csv_dialect_for(get_language())
    other_csv = next(dialect for dialect in CSV_DIALECTS.values() if dialect != own_csv)
    return render(
        request,
        "dealers/statement.html",
        {
            "form": form,
            "statement": result,
            "page": page,
            "carried": carried,
            "pdf_max": STATEMENT_PDF_MAX_LINES,
            "other_csv": other_csv.key,
        },
    )


class DocumentFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        required=False,
        choices=[("", gettext_lazy("All documents")), *DealerDocument.Kind.choices],
    )
    q = forms.CharField(label=gettext_lazy("Document or order number"), required=False, max_length=64)
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput())


@dealer_required
def document_list(request):
    """Invoices, delivery notes (with tracking) and credit memos, linked to their orders, each downloadable."""
    documents = documents_for_dealer_user(request.dealer_user)
    form = DocumentFilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["kind"]:
            documents = documents.filter(kind=data["kind"])
        if data["q"]:
            documents = documents.filter(Q(number__icontains=data["q"]) | Q(order__number__icontains=data["q"]))
        if data["date_from"]:
            documents = documents.filter(issued_on__gte=data["date_from"])
        if data["date_to"]:
            documents = documents.filter(issued_on__lte=data["date_to"])
    page = Paginator(documents, 50).get_page(request.GET.get("page"))
    return render(request, "dealers/document_list.html", {"form": form, "page": page})


@dealer_required
def document_detail(request, pk: int):
    """A delivery note, invoice or credit memo with its lines as the ERP sent them (what was shipped, what was
    charged); another dealer's document, or one a buyer may not see, is a 404."""
    document = document_get_for_dealer_user(request.dealer_user, pk)
    return render(
        request,
        "dealers/document_detail.html",
        {"document": document, "lines": document.line_list, "vat_rows": vat_breakdown(document.line_list)},
    )


@dealer_required
def document_download(request, pk: int):
    document = document_get_for_dealer_user(request.dealer_user, pk)
    pdf = document_pdf(document, language=get_language() or "tr")
    name = _attachment_name(f"{document.get_kind_display()}-{document.number}")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


# --- Self-service: the dealer admin's users and proposed addresses; the invitation link -------------------------


def _form_errors(form, error: ValidationError) -> None:
    form.add_error(None, error)


@dealer_admin_required
def user_list(request):
    members = (
        scoped(DealerUser.objects.all(), request.dealer_user)
        .select_related("user", "invitation")
        .order_by("-is_active", "user__email")
    )
    return render(
        request, "dealers/user_list.html", {"members": members, "me": request.dealer_user, "now": timezone.now()}
    )


@dealer_admin_required
def user_invite(request):
    form = InviteForm(request.POST or None, initial={"language": get_language(), "role": DealerUser.Role.BUYER})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = dealer_user_invite(
                actor=request.user,
                dealer=request.dealer_user.dealer,
                email=data["email"],
                full_name=data["full_name"],
                role=data["role"],
                approval_limit=data["approval_limit"],
                sees_account=data["sees_account"],
                language=data["language"],
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(
                request,
                _("The invitation was sent to %(email)s.") % {"email": invitation.dealer_user.user.email},
            )
            return redirect("dealers:user_list")
    return render(request, "dealers/user_invite.html", {"form": form}, status=400 if form.errors else 200)


@dealer_admin_required
def user_edit(request, pk: int):
    member = get_scoped_or_404(DealerUser.objects.select_related("user", "dealer"), request.dealer_user, pk=pk)
    if member.pk == request.dealer_user.pk:
        raise PermissionDenied("A dealer admin cannot change their own rights.")
    initial = {
        "role": member.role,
        "approval_limit": member.approval_limit,
        "sees_account": member.sees_account,
        "is_active": member.is_active,
    }
    form = MemberChangeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dealer_user_update(actor=request.user, dealer_user=member, **data)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The changes to %(email)s were saved.") % {"email": member.user.email})
            return redirect("dealers:user_list")
    return render(
        request, "dealers/user_edit.html", {"form": form, "member": member}, status=400 if form.errors else 200
    )


@require_POST
@dealer_admin_required
def invitation_resend(request, pk: int):
    member = get_scoped_or_404(DealerUser.objects.select_related("user", "dealer"), request.dealer_user, pk=pk)
    try:
        dealer_invitation_send(actor=request.user, dealer_user=member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The invitation was sent again to %(email)s.") % {"email": member.user.email})
    return redirect("dealers:user_list")


def invitation_accept(request, uidb64: str, token: str):
    """The invited user chooses a password. The link works once; afterwards they sign in as everyone does."""
    invitation = dealer_invitation_for_link(uidb64, token)
    if invitation is None:
        return render(request, "dealers/invitation_accept.html", {"validlink": False}, status=404)
    form = SetPasswordForm(invitation.dealer_user.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            dealer_invitation_accept(
                invitation_id=invitation.pk, token=token, password=form.cleaned_data["new_password1"]
            )
        except ValidationError:
            return render(request, "dealers/invitation_accept.html", {"validlink": False}, status=404)
        messages.success(request, _("Your password is set. Sign in with your e-mail address and the new password."))
        return redirect("accounts:login")
    return render(
        request,
        "dealers/invitation_accept.html",
        {"validlink": True, "form": form, "invitation": invitation},
        status=400 if form.errors else 200,
    )


@dealer_admin_required
def address_propose(request):
    form = AddressProposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            dealer_address_propose(
                actor=request.user,
                dealer=request.dealer_user.dealer,
                **{name: form.cleaned_data[name] for name in AddressProposalForm.Meta.fields},
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The address was sent for approval. It can be chosen once it is approved."))
            return redirect("dealers:address_list")
    return render(request, "dealers/address_propose.html", {"form": form}, status=400 if form.errors else 200)
