"""A dealer admin's self-service: inviting users with a one-time link, their roles and limits (audited), and
proposing delivery addresses that staff approve. The rights: a dealer admin never raises their own, never reaches
another dealer's users (404), and a buyer reaches none of it (403)."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django import db
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from dealers.access import dealer_user_for
from dealers.models import DealerAddress, DealerChange, DealerInvitation, DealerUser
from dealers.services import (
    dealer_address_decide,
    dealer_address_propose,
    dealer_invitation_accept,
    dealer_invitation_for_link,
    dealer_invitation_send,
    dealer_user_invite,
    dealer_user_update,
)
from dealers.tests.factories import DealerAddressFactory, DealerUserFactory
from dealers.tokens import invitation_tokens
from orders.forms import CheckoutForm

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "kirmizi-Elma-2026!"
LINK = re.compile(r"https?://[^\s\"<]+/account/invitation/[^\s\"<]+/")


@pytest.fixture
def admin(db):
    return DealerUserFactory(role=DealerUser.Role.ADMIN, approval_limit=None)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def invite(admin, on_commit, email="yeni.alici@example.com", **extra) -> DealerInvitation:
    with on_commit():
        return dealer_user_invite(actor=admin.user, dealer=admin.dealer, email=email, **extra)


def link_in_mail(email: str) -> str:
    sent = [m for m in mail.outbox if m.to == [email]]
    assert sent, [m.to for m in mail.outbox]
    return LINK.search(sent[-1].body).group(0)


def link_parts(link: str) -> tuple[str, str]:
    uidb64, token = link.rstrip("/").split("/")[-2:]
    return uidb64, token


def signs_in(email: str, password: str) -> bool:
    """A real sign-in on the portal's page (the throttle and the backends as in production)."""
    response = Client().post(reverse("accounts:login"), {"username": email, "password": password})
    return response.status_code == 302


def changes(dealer, field):
    return list(DealerChange.objects.filter(dealer=dealer, field=field).order_by("id"))


# --- Inviting and the one-time link ---------------------------------------------------------------------------------


def test_an_invited_user_chooses_a_password_with_the_link_once_and_signs_in(client, admin, on_commit):
    invitation = invite(admin, on_commit, role=DealerUser.Role.BUYER, approval_limit=Decimal("5000"), language="en")
    user = invitation.dealer_user.user
    assert not user.has_usable_password()
    message = mail.outbox[-1]
    assert message.to == [user.email]
    assert "You are invited to the dealer portal of" in message.subject
    link = link_in_mail(user.email)
    path = link.split("://", 1)[1].split("/", 1)[1]

    assert client.get("/" + path).status_code == 200
    response = client.post("/" + path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    assert signs_in(user.email, NEW_PASSWORD)
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert [c.subject for c in changes(admin.dealer, "invitation_accepted")] == [user.email]

    # The link worked once: opening or posting it again changes nothing.
    assert client.get("/" + path).status_code == 404
    again = client.post("/" + path, {"new_password1": "baska-Parola-77", "new_password2": "baska-Parola-77"})
    assert again.status_code == 404
    assert signs_in(user.email, NEW_PASSWORD)


def test_the_invitation_is_written_in_the_language_chosen_for_the_invitee(admin, on_commit):
    invitation = invite(admin, on_commit, language="tr")
    assert mail.outbox[-1].to == [invitation.dealer_user.user.email]
    assert "davet" in mail.outbox[-1].subject.lower()


def test_the_invited_email_is_folded_as_sign_in_folds_it(admin, on_commit):
    invitation = invite(admin, on_commit, email="  Yeni.Alici@EXAMPLE.com ")
    assert invitation.dealer_user.user.email == "yeni.alici@example.com"
    _uidb64, token = link_parts(link_in_mail("yeni.alici@example.com"))
    dealer_invitation_accept(invitation_id=invitation.pk, token=token, password=NEW_PASSWORD)
    assert signs_in("YENI.alici@example.com ", NEW_PASSWORD)


def test_inviting_an_email_that_has_an_account_is_refused_clearly(admin, on_commit):
    colleague = DealerUserFactory(dealer=admin.dealer, role=DealerUser.Role.BUYER)
    with pytest.raises(ValidationError) as same_dealer:
        invite(admin, on_commit, email=colleague.user.email.upper())
    assert "already a user of your dealer" in str(same_dealer.value)

    stranger = DealerUserFactory()  # another dealer's user: which dealer is not told
    with pytest.raises(ValidationError) as other:
        invite(admin, on_commit, email=stranger.user.email)
    assert "already exists" in str(other.value) and stranger.dealer.title not in str(other.value)
    assert DealerUser.objects.filter(dealer=admin.dealer).count() == 2
    assert not mail.outbox


def test_an_invalid_email_or_role_is_refused(admin, on_commit):
    with pytest.raises(ValidationError):
        invite(admin, on_commit, email="not-an-address")
    with pytest.raises(ValidationError):
        invite(admin, on_commit, role="owner")
    assert not User.objects.filter(email="yeni.alici@example.com").exists()


def test_a_link_expires_after_the_configured_days(admin, on_commit, settings):
    settings.B2B_INVITATION_DAYS = 2
    invitation = invite(admin, on_commit)
    uidb64, token = link_parts(link_in_mail(invitation.dealer_user.user.email))
    soon = timezone.now() + timedelta(days=1)
    with mock.patch("django.utils.timezone.now", return_value=soon):
        assert dealer_invitation_for_link(uidb64, token) == invitation
    later = timezone.now() + timedelta(days=2, minutes=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert dealer_invitation_for_link(uidb64, token) is None
        with pytest.raises(ValidationError):
            dealer_invitation_accept(invitation_id=invitation.pk, token=token, password=NEW_PASSWORD)


def test_a_link_is_refused_once_the_user_is_deactivated(client, admin, on_commit):
    invitation = invite(admin, on_commit)
    link = link_in_mail(invitation.dealer_user.user.email)
    uidb64, token = link_parts(link)
    dealer_user_update(
        actor=admin.user,
        dealer_user=invitation.dealer_user,
        role=DealerUser.Role.BUYER,
        approval_limit=None,
        sees_account=False,
        is_active=False,
    )
    assert dealer_invitation_for_link(uidb64, token) is None
    assert client.get(reverse("dealers:invitation_accept", args=[uidb64, token])).status_code == 404
    with pytest.raises(ValidationError):
        dealer_invitation_accept(invitation_id=invitation.pk, token=token, password=NEW_PASSWORD)


def test_a_forged_or_foreign_token_is_refused(admin, on_commit):
    first = invite(admin, on_commit, email="bir@example.com")
    second = invite(admin, on_commit, email="iki@example.com")
    uid_first, token_first = link_parts(link_in_mail("bir@example.com"))
    uid_second, _token = link_parts(link_in_mail("iki@example.com"))
    assert dealer_invitation_for_link(uid_first, token_first) == first
    assert dealer_invitation_for_link(uid_second, token_first) is None  # another invitation's token
    assert dealer_invitation_for_link(uid_first, token_first[:-1] + "x") is None
    assert dealer_invitation_for_link("!!", token_first) is None
    assert second.accepted_at is None


def test_sending_again_replaces_the_link(admin, on_commit):
    invitation = invite(admin, on_commit)
    email = invitation.dealer_user.user.email
    old_uid, old_token = link_parts(link_in_mail(email))
    with on_commit():
        again = dealer_invitation_send(actor=admin.user, dealer_user=invitation.dealer_user)
    assert again.sent_count == 2
    new_uid, new_token = link_parts(link_in_mail(email))
    assert len([m for m in mail.outbox if m.to == [email]]) == 2
    assert dealer_invitation_for_link(old_uid, old_token) is None
    assert dealer_invitation_for_link(new_uid, new_token) == invitation
    assert [c.new_value for c in changes(admin.dealer, "invitation_sent")] == ["2"]


def test_sending_again_is_refused_once_accepted(admin, on_commit):
    invitation = invite(admin, on_commit)
    _uid, token = link_parts(link_in_mail(invitation.dealer_user.user.email))
    dealer_invitation_accept(invitation_id=invitation.pk, token=token, password=NEW_PASSWORD)
    with pytest.raises(ValidationError):
        dealer_invitation_send(actor=admin.user, dealer_user=invitation.dealer_user)


def test_staff_send_a_first_invitation_to_a_user_added_without_a_password(superuser, on_commit):
    member = DealerUserFactory(role=DealerUser.Role.BUYER, user=UserFactory(password=None))
    member.user.set_unusable_password()
    member.user.save()
    with on_commit():
        invitation = dealer_invitation_send(actor=superuser, dealer_user=member)
    assert invitation.invited_by == superuser
    uidb64, token = link_parts(link_in_mail(member.user.email))
    assert dealer_invitation_for_link(uidb64, token) == invitation

    with_password = DealerUserFactory(role=DealerUser.Role.BUYER)
    with pytest.raises(ValidationError):
        dealer_invitation_send(actor=superuser, dealer_user=with_password)


# --- Roles, limits, deactivation: audited, and no escalation ---------------------------------------------------------


def test_role_limit_and_deactivation_changes_are_audited(admin):
    member = DealerUserFactory(dealer=admin.dealer, role=DealerUser.Role.BUYER, approval_limit=Decimal("1000"))
    dealer_user_update(
        actor=admin.user,
        dealer_user=member,
        role=DealerUser.Role.APPROVER,
        approval_limit=Decimal("2500"),
        sees_account=False,
        is_active=True,
    )
    member.refresh_from_db()
    assert (member.role, member.approval_limit) == (DealerUser.Role.APPROVER, Decimal("2500.00"))
    role, limit = changes(admin.dealer, "user_role"), changes(admin.dealer, "user_approval_limit")
    assert [(c.subject, c.old_value, c.new_value, c.actor, c.source) for c in role] == [
        (member.user.email, "buyer", "approver", admin.user, DealerChange.Source.DEALER)
    ]
    assert [(c.old_value, c.new_value) for c in limit] == [("1000.00", "2500.00")]
    assert not changes(admin.dealer, "user_sees_account")  # unchanged fields leave no row

    dealer_user_update(
        actor=admin.user,
        dealer_user=member,
        role=DealerUser.Role.APPROVER,
        approval_limit=Decimal("2500"),
        sees_account=False,
        is_active=False,
    )
    assert [(c.old_value, c.new_value) for c in changes(admin.dealer, "user_is_active")] == [("True", "False")]
    assert dealer_user_for(User.objects.get(pk=member.user_id)) is None


def test_a_dealer_admin_cannot_change_their_own_rights(admin):
    with pytest.raises(PermissionDenied):
        dealer_user_update(
            actor=admin.user,
            dealer_user=admin,
            role=DealerUser.Role.ADMIN,
            approval_limit=Decimal("999999"),
            sees_account=True,
            is_active=True,
        )
    assert not DealerChange.objects.filter(dealer=admin.dealer).exists()


def test_a_dealer_admin_cannot_give_a_limit_above_their_own(on_commit):
    admin = DealerUserFactory(role=DealerUser.Role.ADMIN, approval_limit=Decimal("10000"))
    member = DealerUserFactory(dealer=admin.dealer, role=DealerUser.Role.BUYER, approval_limit=Decimal("500"))
    for limit in (Decimal("10000.01"), None):
        with pytest.raises(ValidationError):
            dealer_user_update(
                actor=admin.user,
                dealer_user=member,
                role=DealerUser.Role.BUYER,
                approval_limit=limit,
                sees_account=False,
                is_active=True,
            )
        with pytest.raises(ValidationError):
            invite(admin, on_commit, approval_limit=limit)
    dealer_user_update(
        actor=admin.user,
        dealer_user=member,
        role=DealerUser.Role.BUYER,
        approval_limit=Decimal("10000"),
        sees_account=False,
        is_active=True,
    )
    member.refresh_from_db()
    assert member.approval_limit == Decimal("10000.00")


def test_only_a_dealer_admin_of_that_dealer_manages_its_users(admin, on_commit):
    buyer = DealerUserFactory(dealer=admin.dealer, role=DealerUser.Role.BUYER)
    approver = DealerUserFactory(dealer=admin.dealer, role=DealerUser.Role.APPROVER)
    other_admin = DealerUserFactory(role=DealerUser.Role.ADMIN)
    for actor in (buyer.user, approver.user, other_admin.user):
        with pytest.raises(PermissionDenied):
            dealer_user_invite(actor=actor, dealer=admin.dealer, email="x@example.com")
        with pytest.raises(PermissionDenied):
            dealer_user_update(
                actor=actor,
                dealer_user=buyer if actor != buyer.user else approver,
                role=DealerUser.Role.ADMIN,
                approval_limit=None,
                sees_account=True,
                is_active=True,
            )
    assert not User.objects.filter(email="x@example.com").exists()
    buyer.refresh_from_db()
    assert buyer.role == DealerUser.Role.BUYER


# --- The pages ------------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin.user)
    return client


def test_the_users_page_lists_the_dealers_users_only(admin_client, admin):
    colleague = DealerUserFactory(dealer=admin.dealer, role=DealerUser.Role.BUYER)
    stranger = DealerUserFactory()
    body = admin_client.get(reverse("dealers:user_list")).content.decode()
    assert colleague.user.email in body and stranger.user.email not in body


def test_inviting_through_the_page(admin_client, admin, on_commit):
    data = {"email": "sayfa@example.com", "language": "en", "role": "approver", "approval_limit": "750"}
    with on_commit():
        response = admin_client.post(reverse("dealers:user_invite"), data)
    assert response.status_code == 302
    member = DealerUser.objects.get(user__email="sayfa@example.com")
    assert (member.dealer, member.role, member.approval_limit) == (admin.dealer, "approver", Decimal("750.00"))
    assert link_in_mail("sayfa@example.com")

    taken = admin_client.post(reverse("dealers:user_invite"), data)
    assert taken.status_code == 400
    assert "already a user of your dealer" in taken.content.decode()


def test_changing_a_user_through_the_page_and_ones_own_rights_refused(admin_client, admin):
    member = DealerUserFactory(dealer=admin.dealer, role=DealerUser.Role.BUYER)
    url = reverse("dealers:user_edit", args=[member.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"role": "approver", "approval_limit": "", "is_active": "on"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.role == DealerUser.Role.APPROVER

    own = reverse("dealers:user_edit", args=[admin.pk])
    assert admin_client.get(own).status_code == 403
    assert admin_client.post(own, {"role": "admin", "approval_limit": "", "is_active": "on"}).status_code == 403


def test_another_dealers_users_are_not_found(admin_client):
    stranger = DealerUserFactory(role=DealerUser.Role.BUYER)
    edit = reverse("dealers:user_edit", args=[stranger.pk])
    assert admin_client.get(edit).status_code == 404
    assert admin_client.post(edit, {"role": "admin", "is_active": "on"}).status_code == 404
    assert admin_client.post(reverse("dealers:invitation_resend", args=[stranger.pk])).status_code == 404
    stranger.refresh_from_db()
    assert stranger.role == DealerUser.Role.BUYER


@pytest.mark.parametrize("role", [DealerUser.Role.BUYER, DealerUser.Role.APPROVER])
def test_a_buyer_or_approver_is_refused_the_admin_pages(client, role):
    member = DealerUserFactory(role=role)
    colleague = DealerUserFactory(dealer=member.dealer, role=DealerUser.Role.BUYER)
    client.force_login(member.user)
    for url in (
        reverse("dealers:user_list"),
        reverse("dealers:user_invite"),
        reverse("dealers:user_edit", args=[colleague.pk]),
        reverse("dealers:address_propose"),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("dealers:invitation_resend", args=[colleague.pk])).status_code == 403
    assert client.post(reverse("dealers:user_invite"), {"email": "x@example.com", "role": "admin"}).status_code == 403
    assert not User.objects.filter(email="x@example.com").exists()


# --- Proposed addresses ---------------------------------------------------------------------------------------------


def test_a_proposed_address_waits_and_is_not_offered_until_approved(admin, superuser):
    address = dealer_address_propose(
        actor=admin.user, dealer=admin.dealer, name="Yeni Depo", line1="Sanayi Cad. 5", city="Bursa"
    )
    assert (address.status, address.is_active, address.kind) == ("proposed", False, "shipping")
    assert not DealerAddress.objects.filter(dealer=admin.dealer, is_active=True).exists()
    assert [c.actor for c in changes(admin.dealer, "address_proposed")] == [admin.user]

    approved = dealer_address_decide(actor=superuser, address=address, approve=True)
    assert (approved.status, approved.is_active, approved.decided_by) == ("approved", True, superuser)
    assert list(DealerAddress.objects.filter(dealer=admin.dealer, is_active=True)) == [approved]
    assert [c.actor for c in changes(admin.dealer, "address_approved")] == [superuser]
    with pytest.raises(ValidationError):
        dealer_address_decide(actor=superuser, address=approved, approve=False)


def test_a_proposed_address_keeps_a_valid_gln_and_refuses_a_wrong_check_digit(admin):
    address = dealer_address_propose(
        actor=admin.user, dealer=admin.dealer, name="Mağaza", line1="Cad. 2", city="İzmir", gln="8680000000051"
    )
    assert address.gln == "8680000000051"
    with pytest.raises(ValidationError) as refused:
        dealer_address_propose(
            actor=admin.user, dealer=admin.dealer, name="Mağaza 2", line1="Cad. 3", city="İzmir", gln="8680000000052"
        )
    assert "gln" in refused.value.message_dict
    assert DealerAddress.objects.filter(dealer=admin.dealer, name="Mağaza 2").count() == 0


def test_the_address_proposal_page_takes_a_gln_and_shows_the_check_digit_error(client, admin):
    client.force_login(admin.user)
    data = {"name": "Mağaza", "line1": "Cad. 2", "city": "İzmir", "gln": "8680000000052"}
    refused = client.post(reverse("dealers:address_propose"), data)
    assert refused.status_code == 400 and "8680000000052" in refused.content.decode()
    data["gln"] = "8680000000051"
    assert client.post(reverse("dealers:address_propose"), data).status_code == 302
    assert DealerAddress.objects.get(dealer=admin.dealer, name="Mağaza").gln == "8680000000051"
    DealerAddressFactory(dealer=admin.dealer, gln="8680000000037")
    listing = client.get(reverse("dealers:address_list")).content.decode()
    assert "8680000000037" in listing and "8680000000051" not in listing  # the proposal is not active yet


def test_an_address_gln_is_validated_where_the_dealer_gln_is():
    address = DealerAddressFactory.build(dealer=DealerAddressFactory().dealer, gln="8680000000038")
    with pytest.raises(ValidationError) as refused:
        address.full_clean()
    assert refused.value.message_dict["gln"] == ["8680000000038 is not a valid GLN (13 digits with a check digit)."]
    address.gln = "8680000000037"
    address.full_clean()


def test_checkout_offers_a_proposed_address_only_once_approved(admin, superuser):
    address = dealer_address_propose(actor=admin.user, dealer=admin.dealer, name="Depo", line1="Cad. 1", city="Bursa")
    assert address not in CheckoutForm(dealer=admin.dealer).fields["delivery_address"].queryset
    dealer_address_decide(actor=superuser, address=address, approve=True)
    assert address in CheckoutForm(dealer=admin.dealer).fields["delivery_address"].queryset


def test_a_proposed_address_can_be_refused_with_a_note(admin, superuser):
    address = dealer_address_propose(
        actor=admin.user, dealer=admin.dealer, name="Yanlış", line1="Bilinmeyen Sok.", city="Ankara"
    )
    refused = dealer_address_decide(actor=superuser, address=address, approve=False, note="Adres eksik")
    assert (refused.status, refused.is_active, refused.decision_note) == ("refused", False, "Adres eksik")
    assert [c.new_value for c in changes(admin.dealer, "address_refused")] == ["Adres eksik"]
    with pytest.raises(ValidationError):
        dealer_address_decide(actor=superuser, address=refused, approve=True)


def test_the_admin_who_proposed_an_address_is_told_of_the_decision(admin, superuser, on_commit):
    admin.user.language = "en"
    admin.user.save()
    one = dealer_address_propose(actor=admin.user, dealer=admin.dealer, name="Bir", line1="Cad. 1", city="Bursa")
    two = dealer_address_propose(actor=admin.user, dealer=admin.dealer, name="İki", line1="Cad. 2", city="Bursa")
    with on_commit():
        dealer_address_decide(actor=superuser, address=one, approve=True)
        dealer_address_decide(actor=superuser, address=two, approve=False, note="Posta kodu eksik")
    subjects = sorted(m.subject for m in mail.outbox if m.to == [admin.user.email])
    assert subjects == ["The delivery address Bir was approved", "The delivery address İki was refused"]
    refused = next(m for m in mail.outbox if "refused" in m.subject)
    assert "Posta kodu eksik" in refused.body


def test_proposing_and_deciding_addresses_is_refused_to_the_wrong_people(admin):
    buyer = DealerUserFactory(dealer=admin.dealer, role=DealerUser.Role.BUYER)
    with pytest.raises(PermissionDenied):
        dealer_address_propose(actor=buyer.user, dealer=admin.dealer, name="X", line1="Y", city="Z")
    with pytest.raises(ValidationError):
        dealer_address_propose(actor=admin.user, dealer=admin.dealer, name="Depo", line1="Cad. 1", city="")
    address = dealer_address_propose(actor=admin.user, dealer=admin.dealer, name="Depo", line1="Cad. 1", city="İzmir")
    with pytest.raises(PermissionDenied):
        dealer_address_decide(actor=admin.user, address=address, approve=True)
    address.refresh_from_db()
    assert address.status == DealerAddress.Status.PROPOSED


def test_a_proposed_address_cannot_be_active(admin):
    address = DealerAddressFactory.build(dealer=admin.dealer, status=DealerAddress.Status.PROPOSED, is_active=True)
    with pytest.raises(ValidationError):
        address.full_clean()


def test_proposing_through_the_page(admin_client, admin):
    data = {"name": "Şube Depo", "line1": "Organize Sanayi 3", "city": "Konya"}
    assert admin_client.post(reverse("dealers:address_propose"), data).status_code == 302
    body = admin_client.get(reverse("dealers:address_list")).content.decode()
    assert "Şube Depo" in body and 'data-testid="address-proposals"' in body
    assert admin_client.post(reverse("dealers:address_propose"), {"name": "Eksik"}).status_code == 400


def test_staff_approve_and_refuse_in_the_admin(staff_client, admin):
    one = dealer_address_propose(actor=admin.user, dealer=admin.dealer, name="Bir", line1="Cad. 1", city="Bursa")
    two = dealer_address_propose(actor=admin.user, dealer=admin.dealer, name="İki", line1="Cad. 2", city="Bursa")
    url = reverse("admin:dealers_dealeraddress_changelist")
    staff_client.post(url, {"action": "approve", "_selected_action": [one.pk]})
    staff_client.post(url, {"action": "refuse", "_selected_action": [two.pk]})
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.status, one.is_active, two.status, two.is_active) == ("approved", True, "refused", False)


def test_staff_changes_to_dealer_users_in_the_admin_are_audited(staff_client, superuser, admin, on_commit):
    member = DealerUserFactory(dealer=admin.dealer, role=DealerUser.Role.BUYER)
    url = reverse("admin:dealers_dealeruser_change", args=[member.pk])
    data = {"user": member.user_id, "dealer": admin.dealer_id, "role": "approver", "approval_limit": "300"}
    response = staff_client.post(url, {**data, "is_active": "on"})
    assert response.status_code == 302
    assert [(c.old_value, c.new_value, c.actor, c.source) for c in changes(admin.dealer, "user_role")] == [
        ("buyer", "approver", superuser, DealerChange.Source.STAFF)
    ]
    member.user.set_unusable_password()
    member.user.save()
    with on_commit():
        staff_client.post(
            reverse("admin:dealers_dealeruser_changelist"),
            {"action": "send_invitation", "_selected_action": [member.pk]},
        )
    assert link_in_mail(member.user.email)


@pytest.mark.django_db(transaction=True)
def test_two_tabs_accepting_one_link_at_once_set_one_password():
    admin = DealerUserFactory(role=DealerUser.Role.ADMIN)
    invitation = dealer_user_invite(actor=admin.user, dealer=admin.dealer, email="iki.sekme@example.com")
    token = invitation_tokens.make_token(invitation)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def tab(password: str) -> None:
        try:
            barrier.wait()
            dealer_invitation_accept(invitation_id=invitation.pk, token=token, password=password)
            results.append(password)
        except ValidationError:
            results.append("refused")
        finally:
            db.connection.close()

    tabs = [threading.Thread(target=tab, args=(p,)) for p in ("birinci-Sekme-1", "ikinci-Sekme-2")]
    for t in tabs:
        t.start()
    for t in tabs:
        t.join()
    assert results.count("refused") == 1
    [winner] = [r for r in results if r != "refused"]
    assert User.objects.get(email="iki.sekme@example.com").check_password(winner)
    assert DealerChange.objects.filter(field="invitation_accepted").count() == 1


def test_the_users_page_reads_a_fixed_number_of_queries(admin_client, admin):
    def page_queries() -> int:
        with CaptureQueriesContext(db.connection) as captured:
            response = admin_client.get(reverse("dealers:user_list"))
        assert response.status_code == 200
        return len(captured)

    def members(count: int) -> None:
        for _n in range(count):
            member = DealerUserFactory(dealer=admin.dealer, role=DealerUser.Role.BUYER)
            DealerInvitation.objects.create(dealer_user=member, expires_at=timezone.now() + timedelta(days=1))

    members(2)
    page_queries()  # warms the session
    few = page_queries()
    members(20)
    assert page_queries() == few
