"""The demo's users and dealer memberships, and the logins the command prints."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password

from accounts.models import User
from dealers.models import DealerUser
from demo.company import BUYER_APPROVAL_LIMIT, EMAIL_DOMAIN
from demo.customers import EGE, KUZEY, YILDIZ
from demo.rows import Context, insert_missing

# Published on purpose: the command prints them, and demo_load refuses to run in production.
DEMO_PASSWORD = "demo12345!"  # noqa: S105
ADMIN_PASSWORD = "admin12345!"  # noqa: S105
ADMIN_EMAIL = f"admin@{EMAIL_DOMAIN}"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: str
    dealer: str
    language: str


DEALER_LOGINS = [
    ("bayi", "Selin Yıldız", YILDIZ, DealerUser.Role.ADMIN, None, "tr"),
    ("alici", "Emre Demir", YILDIZ, DealerUser.Role.BUYER, BUYER_APPROVAL_LIMIT, "tr"),
    ("onay", "Ayşe Kaya", YILDIZ, DealerUser.Role.APPROVER, None, "tr"),
    ("buyer", "Daniel Weber", EGE, DealerUser.Role.BUYER, None, "en"),
    ("kuzey", "Hakan Kuzey", KUZEY, DealerUser.Role.ADMIN, None, "tr"),
]


def _role_text(role: str, limit: Decimal | None) -> str:
    """English, like the rest of the command's output, whatever LANGUAGE_CODE says."""
    text = {"admin": "dealer admin", "buyer": "buyer", "approver": "approver"}[role]
    return f"{text} (approval limit {limit:,.0f} TRY)" if limit is not None else text


def load_users(
    ctx: Context, dealer_ids: dict[str, int], titles: dict[str, str]
) -> tuple[dict[str, int], list[DemoLogin]]:
    """Demo users, dealer memberships and the logins to print. Existing users keep their password."""
    ctx.log("Users")
    existing = set(User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").values_list("email", flat=True))
    hashes = {}
    # One hash per password, and only when a user is missing: hashing is deliberately slow.
    if any(f"{local}@{EMAIL_DOMAIN}" not in existing for local, *_ in DEALER_LOGINS):
        hashes[DEMO_PASSWORD] = make_password(DEMO_PASSWORD)
    if ADMIN_EMAIL not in existing:
        hashes[ADMIN_PASSWORD] = make_password(ADMIN_PASSWORD)
    users = [
        User(email=f"{local}@{EMAIL_DOMAIN}", full_name=name, language=language, password=hashes.get(DEMO_PASSWORD, ""))
        for local, name, _dealer, _role, _limit, language in DEALER_LOGINS
    ]
    users.append(
        User(
            email=ADMIN_EMAIL,
            full_name="Demo Admin",
            language="en",
            is_staff=True,
            is_superuser=True,
            password=hashes.get(ADMIN_PASSWORD, ""),
        )
    )
    insert_missing(ctx, users, ("email",))
    user_ids = dict(User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").values_list("email", "id"))
    memberships = [
        DealerUser(
            user_id=user_ids[f"{local}@{EMAIL_DOMAIN}"], dealer_id=dealer_ids[dealer], role=role, approval_limit=limit
        )
        for local, _name, dealer, role, limit, _language in DEALER_LOGINS
    ]
    insert_missing(ctx, memberships, ("user_id",))
    logins = [
        DemoLogin(
            f"{local}@{EMAIL_DOMAIN}", DEMO_PASSWORD, _role_text(role, limit), f"{dealer} {titles[dealer]}", language
        )
        for local, _name, dealer, role, limit, language in DEALER_LOGINS
    ]
    logins.append(DemoLogin(ADMIN_EMAIL, ADMIN_PASSWORD, "staff superuser", "", "en"))
    return user_ids, logins
