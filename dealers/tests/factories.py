from decimal import Decimal

import factory

from accounts.tests.factories import UserFactory
from dealers.models import Dealer, DealerAddress, DealerUser


def _valid_vkn(n: int) -> str:
    """A checksum-valid VKN derived from n (Turkish tax numbers carry a check digit)."""
    from stdnum.tr import vkn

    base = f"{(n * 7919 + 1000) % 10**9:09d}"
    return base + vkn.calc_check_digit(base)


class DealerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dealer

    code = factory.Sequence(lambda n: f"120.{n:05d}")
    title = factory.Sequence(lambda n: f"Bayi {n} Ticaret A.Ş.")
    tax_number = factory.Sequence(_valid_vkn)
    tax_office = "Kadıköy"
    currency = "TRY"
    credit_limit = Decimal("100000.00")
    erp_balance = Decimal("25000.00")


class DealerUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DealerUser

    user = factory.SubFactory(UserFactory)
    dealer = factory.SubFactory(DealerFactory)
    role = DealerUser.Role.ADMIN


class DealerAddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DealerAddress

    dealer = factory.SubFactory(DealerFactory)
    kind = DealerAddress.Kind.SHIPPING
    name = factory.Sequence(lambda n: f"Depo {n}")
    line1 = "Atatürk Cad. No: 1"
    city = "İstanbul"
