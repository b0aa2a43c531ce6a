"""The hosted payment page: the card form, the 3-D Secure step and the auto-submitting return to the shop."""

from __future__ import annotations

import html

from payments.simulators.iyzico.api import PAGE, THREE_D_SECURE_CODE, plain
from payments.simulators.iyzico.cards import TEST_CARDS, CheckoutForm


def page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="tr"><head><meta charset="utf-8"><title>'
        f"{html.escape(title)} · iyzico simulator</title></head><body>"
        f'<main style="max-width:32rem;margin:2rem auto;font-family:sans-serif">{body}</main></body></html>'
    )


def card_page(form: CheckoutForm, error: str = "") -> str:
    e = html.escape
    cards = "".join(
        f"<tr><td><code>{e(card.number)}</code></td><td>{e(card.label)}</td></tr>" for card in TEST_CARDS.values()
    )
    alert = f'<p role="alert" data-testid="card-error">{e(error)}</p>' if error else ""
    return page(
        "Ödeme",
        f'<h1 data-testid="iyzico-page">iyzico ile öde</h1><p>Tutar: <strong>{e(plain(form.paid_price))} '
        f"{e(form.currency)}</strong></p>{alert}"
        f'<form method="post" action="{PAGE}pay" autocomplete="off">'
        f'<input type="hidden" name="token" value="{e(form.token)}">'
        '<p><label>Kart üzerindeki isim <input name="cardHolderName" required></label></p>'
        '<p><label>Kart numarası <input name="cardNumber" inputmode="numeric" required></label></p>'
        '<p><label>Ay <input name="expireMonth" size="2" required></label> '
        '<label>Yıl <input name="expireYear" size="4" required></label> '
        '<label>CVC <input name="cvc" size="4" required></label></p>'
        '<p><button type="submit">Öde</button></p></form>'
        f"<h2>Test kartları</h2><table>{cards}</table><p>Son kullanma: ileri bir tarih; CVC: herhangi üç hane.</p>",
    )


def three_d_secure_page(form: CheckoutForm) -> str:
    e = html.escape
    return page(
        "3-D Secure",
        '<h1 data-testid="iyzico-3ds">3-D Secure doğrulaması</h1>'
        f"<p>Bankanız ···· {e(form.last_four)} ile biten kart için bir kod gönderdi "
        f"(simülatör: <code>{THREE_D_SECURE_CODE}</code>).</p>"
        f'<form method="post" action="{PAGE}3ds"><input type="hidden" name="token" value="{e(form.token)}">'
        '<p><label>SMS kodu <input name="code" inputmode="numeric" required></label></p>'
        '<p><button type="submit">Onayla</button></p></form>',
    )


def callback_page(form: CheckoutForm) -> str:
    """Back to the merchant: an auto-submitting form with the token, as iyzico's page does."""
    e = html.escape
    return page(
        "Yönlendiriliyor",
        f'<form id="iyzico-callback" method="post" action="{e(form.callback_url)}">'
        f'<input type="hidden" name="token" value="{e(form.token)}">'
        '<noscript><button type="submit">Devam</button></noscript></form>'
        "<script>document.getElementById('iyzico-callback').submit();</script>",
    )
