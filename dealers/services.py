"""Writes on dealers, their users and addresses. Changes to what money depends on, and to who may order and
approve for a dealer, are audited in ``DealerChange``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User, email_key
from dealers import hooks
from dealers.audit import TRUE, dealer_changes, dealer_changes_write, record_changes
from dealers.models import Dealer, DealerAddress, DealerChange, DealerInvitation, DealerUser
from dealers.notifications import ADDRESS_DECIDED_KIND, INVITATION_KIND
from dealers.tokens import invitation_pk, invitation_tokens
from notifications.services import notify

AS_OF_FIELDS = {"credit_limit": "credit_limit_as_of", "credit_hold": "credit_hold_as_of"}


@transaction.atomic
def dealer_save(
    *,
    dealer: Dealer,
    actor=None,
    source: str = DealerChange.Source.STAFF,
    reason: str = "",
    fields: Iterable[str] | None = None,
) -> Dealer:
    """Save a dealer, writing one ``DealerChange`` row per audited field whose value changed.

    Validates the whole record first (``full_clean``): an invalid tax number or a negative limit is
    refused with ``ValidationError`` and nothing is written.
    """
    dealer.full_clean()
    before = None
    if dealer.pk is not None:
        before = Dealer.objects.select_for_update(of=("self",)).filter(pk=dealer.pk).first()
    now = timezone.now()
    changes: list[DealerChange] = []
    if before is not None:
        changes = dealer_changes(before=before, after=dealer, actor=actor, source=source, reason=reason)
        if source == DealerChange.Source.STAFF:
            for change in changes:
                if change.field in AS_OF_FIELDS:
                    setattr(dealer, AS_OF_FIELDS[change.field], now)
    if fields is not None:
        update = (
            set(fields)
            | {c.field for c in changes}
            | {AS_OF_FIELDS[c.field] for c in changes if c.field in AS_OF_FIELDS}
        )
        update.add("updated_at")
        dealer.save(update_fields=sorted(update))
    else:
        dealer.save()
    dealer_changes_write(changes)
    return dealer


CUSTOMER_QUEUED = _("Confirmed; queued for the ERP as a new customer account.")
CUSTOMER_PORTAL_ONLY = _(
    "Confirmed. The ERP connection does not create customer accounts: create %(code)s in the ERP by hand."
)


@dataclass(frozen=True)
class DealerConfirmation:
    """What confirming a dealer led to, for staff: ``message`` in their words, and whether the ERP connection was
    asked to create the customer account (``erp_queued``) or staff must create it in the ERP themselves."""

    message: str
    erp_queued: bool

    def __str__(self) -> str:
        return self.message


@transaction.atomic
def dealer_confirm(*, actor, dealer: Dealer, note: str = "") -> DealerConfirmation:
    """Staff confirm a dealer registered in the portal (saved inactive or quarantined, waiting for them): it becomes
    active, the confirmation is audited, and the ERP connection is asked to create it as a customer account under
    the dealer's code, in this same transaction (``hooks.dealer_confirmed``). Where the connection, as it is set
    up, creates no customer accounts, nothing is queued (no export that can only fail): the answer and the audit
    row's reason say that staff create the account by hand. Refused (``PermissionDenied``) for anyone but staff;
    (``ValidationError``) for a dealer already active."""
    if actor is None or not actor.is_staff:
        raise PermissionDenied("Only staff confirm dealers.")
    dealer = Dealer.objects.select_for_update(of=("self",)).get(pk=dealer.pk)
    if dealer.status == Dealer.Status.ACTIVE:
        raise ValidationError(_("This dealer is active already."))
    offered = bool(hooks.customer_export_offered.first(default=False))
    outcome = str(CUSTOMER_QUEUED if offered else CUSTOMER_PORTAL_ONLY % {"code": dealer.code})
    reason = f"{outcome} · {note.strip()}" if note.strip() else outcome  # the outcome first: it must not be cut
    dealer.status, dealer.status_reason = Dealer.Status.ACTIVE, ""
    dealer_save(dealer=dealer, actor=actor, source=DealerChange.Source.STAFF, reason=reason[:255],
                fields=["status", "status_reason"])  # fmt: skip
    hooks.dealer_confirmed.send(dealer=dealer)  # the outbox row, if any, commits with the confirmation
    return DealerConfirmation(message=outcome, erp_queued=offered)


# --- The dealer's users and addresses: the dealer admin's self-service, and staff in the admin -----------------------
#
# Who may act: staff (``is_staff``) on any dealer; otherwise only an active dealer admin of the dealer concerned.
# A dealer admin cannot change their own membership (role, limit, active), cannot give anyone an approval limit above
# their own, and never reaches another dealer's users (``PermissionDenied``; the views answer 404 before that).

MEMBER_FIELDS = ("role", "approval_limit", "sees_account", "is_active")
EMAIL_TAKEN = _("An account with this e-mail address already exists, so it cannot be invited. Ask us to link it.")


def _source(actor) -> str:
    return DealerChange.Source.STAFF if actor.is_staff else DealerChange.Source.DEALER


def _acting_admin(actor, dealer: Dealer) -> DealerUser | None:
    """The actor's admin membership of ``dealer``; None for staff. Anyone else is refused."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied("Sign in first.")
    if actor.is_staff:
        return None
    admin = (
        DealerUser.objects.filter(user=actor, dealer=dealer, is_active=True, role=DealerUser.Role.ADMIN)
        .exclude(dealer__status=Dealer.Status.INACTIVE)
        .first()
    )
    if admin is None:
        raise PermissionDenied("Only the dealer's admins manage its users and addresses.")
    return admin


def _check_limit(admin: DealerUser | None, limit: Decimal | None) -> None:
    """A dealer admin with a limit of their own cannot hand out more (nor no limit at all)."""
    if limit is not None and limit < 0:
        raise ValidationError({"approval_limit": _("The approval limit cannot be negative.")})
    if admin is None or admin.approval_limit is None:
        return
    if limit is None or limit > admin.approval_limit:
        raise ValidationError(
            {
                "approval_limit": _("You cannot give an approval limit above your own (%(limit)s).")
                % {"limit": admin.approval_limit}
            }
        )


def _check_role(role: str) -> None:
    if role not in DealerUser.Role.values:
        raise ValidationError({"role": _("Choose a role.")})


def _invitation_expiry():
    return timezone.now() + timedelta(days=settings.B2B_INVITATION_DAYS)


def _invitation_notify(invitation: DealerInvitation) -> None:
    notify(
        INVITATION_KIND,
        event=f"{invitation.pk}:{invitation.sent_count}",
        recipients=[invitation.dealer_user.user],
        params={"invitation_id": invitation.pk},
        url=reverse("accounts:login"),
    )


@transaction.atomic
def dealer_user_invite(
    *,
    actor,
    dealer: Dealer,
    email: str,
    full_name: str = "",
    role: str = DealerUser.Role.BUYER,
    approval_limit: Decimal | None = None,
    sees_account: bool = False,
    language: str = "",
) -> DealerInvitation:
    """Create a user of ``dealer`` without a password and e-mail them a one-time link to choose one.

    The e-mail address is folded as sign-in folds it (``email_key``). Refused with ``ValidationError`` when the
    address is invalid or already has an account (of this dealer, of another, or staff: which one is not told),
    when the role is unknown, or when a dealer admin gives a limit above their own; ``PermissionDenied`` when the
    actor is neither staff nor an admin of ``dealer``."""
    admin = _acting_admin(actor, dealer)
    key = email_key(email or "")
    try:
        validate_email(key)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    _check_role(role)
    _check_limit(admin, approval_limit)
    existing = User.objects.filter(email__iexact=key).select_related("dealer_user").first()
    if existing is not None:
        membership = getattr(existing, "dealer_user", None)
        if membership is not None and membership.dealer_id == dealer.pk:
            raise ValidationError({"email": _("%(email)s is already a user of your dealer.") % {"email": key}})
        raise ValidationError({"email": EMAIL_TAKEN})
    if language and language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError({"language": _("Choose a language.")})
    try:
        with transaction.atomic():
            user = User.objects.create_user(key, None, full_name=full_name.strip()[:150], language=language)
    except IntegrityError:  # invited at the same moment by someone else
        raise ValidationError({"email": EMAIL_TAKEN}) from None
    membership = DealerUser.objects.create(
        user=user, dealer=dealer, role=role, approval_limit=approval_limit, sees_account=sees_account
    )
    invitation = DealerInvitation.objects.create(
        dealer_user=membership, invited_by=actor, expires_at=_invitation_expiry()
    )
    dealer_changes_write(
        record_changes(
            dealer=dealer,
            subject=key,
            values=[("user_invited", None, role), ("user_approval_limit", None, approval_limit)]
            if approval_limit is not None
            else [("user_invited", None, role)],
            actor=actor,
            source=_source(actor),
        )
    )
    _invitation_notify(invitation)
    return invitation


@transaction.atomic
def dealer_invitation_send(*, actor, dealer_user: DealerUser) -> DealerInvitation:
    """Send a dealer user their invitation again, with a new expiry (the link sent before stops working), or a
    first one to a user staff added in the admin without a password. Refused (``ValidationError``) once accepted,
    for a user who has a password already, and for a deactivated user; (``PermissionDenied``) for anyone but staff
    and the dealer's admins."""
    _acting_admin(actor, dealer_user.dealer)
    membership = (
        DealerUser.objects.select_for_update(of=("self",)).select_related("user", "dealer").get(pk=dealer_user.pk)
    )
    invitation = DealerInvitation.objects.select_for_update(of=("self",)).filter(dealer_user=membership).first()
    if invitation is not None and invitation.accepted_at is not None:
        raise ValidationError(_("The invitation was accepted already."))
    if not membership.is_active or not membership.user.is_active:
        raise ValidationError(_("The user is deactivated; activate them first."))
    if invitation is None:
        if membership.user.has_usable_password():
            raise ValidationError(_("This user has a password already and signs in with it."))
        invitation = DealerInvitation.objects.create(
            dealer_user=membership, invited_by=actor, expires_at=_invitation_expiry()
        )
    else:
        invitation.expires_at = _invitation_expiry()
        invitation.sent_count += 1
        invitation.save(update_fields=["expires_at", "sent_count", "updated_at"])
    invitation.dealer_user = membership
    dealer_changes_write(
        record_changes(
            dealer=membership.dealer,
            subject=membership.user.email,
            values=[("invitation_sent", None, invitation.sent_count)],
            actor=actor,
            source=_source(actor),
        )
    )
    _invitation_notify(invitation)
    return invitation


def _invitation_usable(invitation: DealerInvitation | None, token: str) -> bool:
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= timezone.now():
        return False
    membership = invitation.dealer_user
    if not (membership.is_active and membership.user.is_active) or membership.dealer.status == Dealer.Status.INACTIVE:
        return False
    return invitation_tokens.check_token(invitation, token)


def dealer_invitation_for_link(uidb64: str, token: str) -> DealerInvitation | None:
    """The invitation a link names, when the link still works: not accepted, not expired, the user and their
    membership active, and the token made for the invitation as it is now. None otherwise (which is not told)."""
    pk = invitation_pk(uidb64)
    if pk is None:
        return None
    invitation = (
        DealerInvitation.objects.select_related("dealer_user__user", "dealer_user__dealer").filter(pk=pk).first()
    )
    return invitation if _invitation_usable(invitation, token) else None


@transaction.atomic
def dealer_invitation_accept(*, invitation_id: int, token: str, password: str) -> User:
    """Set the invited user's password and close the invitation: the link works once. The invitation is locked
    and checked again, so two tabs submitting at once set one password; the second gets ``ValidationError``.
    The password is expected to have passed the password validators (the form's job)."""
    invitation = (
        DealerInvitation.objects.select_for_update(of=("self",))
        .select_related("dealer_user__user", "dealer_user__dealer")
        .filter(pk=invitation_id)
        .first()
    )
    if not _invitation_usable(invitation, token):
        raise ValidationError(_("This invitation link does not work any more."), code="invalid_link")
    user = invitation.dealer_user.user
    user.set_password(password)
    user.save(update_fields=["password"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at", "updated_at"])
    dealer_changes_write(
        record_changes(
            dealer=invitation.dealer_user.dealer,
            subject=user.email,
            values=[("invitation_accepted", None, TRUE)],
            actor=user,
            source=DealerChange.Source.DEALER,
        )
    )
    return user


def _member_save(*, before: DealerUser | None, after: DealerUser, actor, reason: str) -> DealerUser:
    after.full_clean(exclude=["user", "dealer"])
    after.save()
    values = (
        [("user_added", None, after.role)]
        if before is None
        else [(f"user_{name}", getattr(before, name), getattr(after, name)) for name in MEMBER_FIELDS]
    )
    dealer_changes_write(
        record_changes(
            dealer=after.dealer,
            subject=after.user.email,
            values=values,
            actor=actor,
            source=_source(actor),
            reason=reason,
        )
    )
    return after


@transaction.atomic
def dealer_user_save(*, dealer_user: DealerUser, actor, reason: str = "") -> DealerUser:
    """Staff's save of a dealer user (the admin): every change of role, approval limit, statement access or
    active flag is audited, as is a new membership. Refused for anyone but staff."""
    if actor is None or not actor.is_staff:
        raise PermissionDenied("Only staff change dealer users in the admin.")
    before = None
    if dealer_user.pk is not None:
        before = DealerUser.objects.select_for_update(of=("self",)).filter(pk=dealer_user.pk).first()
    return _member_save(before=before, after=dealer_user, actor=actor, reason=reason)


@transaction.atomic
def dealer_user_update(
    *,
    actor,
    dealer_user: DealerUser,
    role: str,
    approval_limit: Decimal | None,
    sees_account: bool,
    is_active: bool,
) -> DealerUser:
    """A dealer admin (or staff) sets a user's role, approval limit, statement access and active flag; each change
    is audited. Refused (``PermissionDenied``) for the admin's own membership and for anyone but staff and the
    dealer's admins; (``ValidationError``) for an unknown role or a limit above the admin's own."""
    admin = _acting_admin(actor, dealer_user.dealer)
    if admin is not None and admin.pk == dealer_user.pk:
        raise PermissionDenied("A dealer admin cannot change their own rights.")
    _check_role(role)
    before = DealerUser.objects.select_for_update(of=("self",)).select_related("user", "dealer").get(pk=dealer_user.pk)
    if admin is not None and approval_limit != before.approval_limit:
        _check_limit(admin, approval_limit)
    after = DealerUser.objects.select_related("user", "dealer").get(pk=before.pk)
    after.role, after.approval_limit, after.sees_account, after.is_active = (
        role,
        approval_limit,
        sees_account,
        is_active,
    )
    return _member_save(before=before, after=after, actor=actor, reason="")


ADDRESS_FIELDS = ("name", "line1", "line2", "district", "city", "postal_code", "phone", "gln")
SHIP_TO_QUEUED = _("Queued for the ERP as a ship-to address.")
PORTAL_ONLY = _(
    "Stays in the portal only: the ERP connection does not create ship-to addresses. Orders carry it as text."
)
SHIP_TO_CREATED = _("In the ERP as ship-to address %(code)s.")


@transaction.atomic
def dealer_address_propose(*, actor, dealer: Dealer, **fields: str) -> DealerAddress:
    """A dealer admin proposes a delivery address: saved waiting for approval and inactive (orders do not offer it)
    until staff approve it. Refused (``PermissionDenied``) for anyone but the dealer's admins and staff;
    (``ValidationError``) without a name, address line or city."""
    _acting_admin(actor, dealer)
    unknown = set(fields) - set(ADDRESS_FIELDS)
    if unknown:
        raise TypeError(f"Unknown address fields: {sorted(unknown)}")
    address = DealerAddress(
        dealer=dealer,
        kind=DealerAddress.Kind.SHIPPING,
        status=DealerAddress.Status.PROPOSED,
        is_active=False,
        proposed_by=actor,
        **{name: (value or "").strip() for name, value in fields.items()},
    )
    address.full_clean()
    address.save()
    dealer_changes_write(
        record_changes(
            dealer=dealer,
            subject=str(address),
            values=[("address_proposed", None, address.as_text().replace("\n", ", "))],
            actor=actor,
            source=_source(actor),
        )
    )
    return address


@transaction.atomic
def dealer_address_decide(*, actor, address: DealerAddress, approve: bool, note: str = "") -> DealerAddress:
    """Staff approve a proposed address (it becomes an active delivery address, offered at checkout and sent to
    the ERP with the orders that use it) or refuse it, with a note to the dealer; the admin who proposed it is
    told (by e-mail, in their language). Refused (``PermissionDenied``)
    for anyone but staff; (``ValidationError``) for an address not waiting for approval."""
    if actor is None or not actor.is_staff:
        raise PermissionDenied("Only staff approve addresses.")
    address = DealerAddress.objects.select_for_update(of=("self",)).select_related("dealer").get(pk=address.pk)
    if address.status != DealerAddress.Status.PROPOSED:
        raise ValidationError(_("This address is not waiting for approval."))
    address.status = DealerAddress.Status.APPROVED if approve else DealerAddress.Status.REFUSED
    address.is_active = approve
    address.decided_by, address.decided_at, address.decision_note = actor, timezone.now(), note.strip()[:255]
    if approve:
        address.erp_note = str(SHIP_TO_QUEUED if hooks.ship_to_offered.first(default=False) else PORTAL_ONLY)
    fields = ["status", "is_active", "decided_by", "decided_at", "decision_note", "erp_note", "updated_at"]
    address.save(update_fields=fields)
    dealer_changes_write(
        record_changes(
            dealer=address.dealer,
            subject=str(address),
            values=[("address_approved" if approve else "address_refused", None, address.decision_note)],
            actor=actor,
            source=DealerChange.Source.STAFF,
            reason=address.erp_note,
        )
    )
    if approve:
        hooks.address_approved.send(address=address)  # the outbox row commits with the approval
    notify(
        ADDRESS_DECIDED_KIND,
        event=str(address.pk),
        recipients=[address.proposed_by],
        params={"address_id": address.pk, "approved": approve, "note": address.decision_note},
        url=reverse("dealers:address_list"),
    )
    return address


@transaction.atomic
def dealer_address_erp_code_set(*, address_id: int, code: str) -> DealerAddress:
    """The ERP created (or already had) the approved address as a ship-to address under ``code``: the address takes
    that code, so orders name it and the ERP's customer import keeps it matched. Refused (``ValidationError``) for an
    address that is not approved, one that has another code already, or a code another address of the dealer has."""
    address = DealerAddress.objects.select_for_update(of=("self",)).select_related("dealer").get(pk=address_id)
    if address.status != DealerAddress.Status.APPROVED:
        raise ValidationError(_("This address is not approved."))
    code = code.strip()
    if not code or len(code) > 40:
        raise ValidationError(_("The ERP's address code must be 1 to 40 characters."))
    if address.code == code:
        return address
    if address.code:
        raise ValidationError(_("This address already has the ERP code %(code)s.") % {"code": address.code})
    if DealerAddress.objects.filter(dealer=address.dealer_id, code=code).exclude(pk=address.pk).exists():
        raise ValidationError(_("Another address of this dealer already has the ERP code %(code)s.") % {"code": code})
    address.code, address.erp_note = code, str(SHIP_TO_CREATED % {"code": code})
    address.save(update_fields=["code", "erp_note", "updated_at"])
    dealer_changes_write(
        record_changes(
            dealer=address.dealer,
            subject=str(address),
            values=[("address_erp_code", None, code)],
            actor=None,
            source=DealerChange.Source.ERP,
        )
    )
    return address
