"""EDI orders through the file connection's drop folder, one folder per dealer.

A dealer's purchasing system (or its EDI provider) puts each order message — a UBL Order (``.xml``) or an EDIFACT
interchange (``.edi``, ``.edifact``, ``.txt``) — into ``{root}/edi/{dealer code}/in/``. On a schedule
(``erpsync:{connection}:edi``, every minute) each file, in name order, goes to ``orders.edi.intake`` bound to that
folder's dealer (a message whose buyer is another dealer is refused), then:

- the answer (OrderResponse / the ORDRSP interchange, one ORDRSP per ORDERS message) is written to
  ``{root}/edi/{dealer code}/out/{name}.response.xml|.edi``, and next to it ``{name}.contrl.edi``, the CONTRL
  syntax report, when the interchange asked for one (UNB 0031 = 1) or was refused for its syntax;
- the file moves to ``in/done/`` — also when every line was rejected: the answer says why — or, when it cannot be
  read or names another dealer, to ``in/error/`` with ``{name}.error.txt`` saying where and why.

Names ending in ``.tmp``/``.part`` or starting with ``.``/``~`` are ignored until renamed (write, then rename).
A file placed twice (the same interchange reference) is answered with the stored first answer, never a second
order. docs/edi.md describes the folder for integrators.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from dealers.models import Dealer
from erpsync.adapters.file.layout import write_atomic
from orders.edi.intake import EdiInProgress, EdiPartyMismatch, edi_order_receive
from orders.models import EdiMessage

logger = logging.getLogger(__name__)
SUFFIXES = {".xml", ".edi", ".edifact", ".txt"}
ANSWER_SUFFIX = {EdiMessage.Format.UBL: ".response.xml", EdiMessage.Format.EDIFACT: ".response.edi"}
CONTRL_SUFFIX = ".contrl.edi"
MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class InboxResult:
    dealer: str
    file: str
    outcome: str  # the message's status, "party_mismatch", "too_large" or "unknown_dealer"


def _waiting(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file()
        and path.suffix.lower() in SUFFIXES
        and not path.name.startswith((".", "~"))
        and not path.name.endswith((".tmp", ".part"))
    )


def _settle(path: Path, where: str, note: str = "") -> None:
    target = path.parent / where
    target.mkdir(exist_ok=True)
    if note:
        write_atomic(target / f"{path.name}.error.txt", note.encode())
    path.replace(target / path.name)


def edi_inbox_scan(root: Path) -> list[InboxResult]:
    """Process every file waiting in ``{root}/edi/*/in/``; returns what became of each."""
    results: list[InboxResult] = []
    base = root / "edi"
    if not base.is_dir():
        return results
    for dealer_dir in sorted(p for p in base.iterdir() if p.is_dir()):
        files = _waiting(dealer_dir / "in")
        if not files:
            continue
        dealer = Dealer.objects.filter(code=dealer_dir.name).first()
        if dealer is None:
            logger.warning("EDI drop folder %s names no dealer; its files are left alone", dealer_dir)
            results.extend(InboxResult(dealer_dir.name, f.name, "unknown_dealer") for f in files)
            continue
        for path in files:
            results.append(InboxResult(dealer.code, path.name, _one(dealer, dealer_dir, path)))
    return results


def _one(dealer: Dealer, dealer_dir: Path, path: Path) -> str:
    if path.stat().st_size > MAX_BYTES:
        _settle(path, "error", f"The file is larger than {MAX_BYTES} bytes.\n")
        return "too_large"
    payload = path.read_bytes()
    try:
        received = edi_order_receive(payload=payload, channel=EdiMessage.Channel.FOLDER, only_dealer=dealer)
    except EdiPartyMismatch as exc:
        _settle(path, "error", f"The buyer party {exc} is not dealer {dealer.code}.\n")
        return "party_mismatch"
    except EdiInProgress:
        # Another worker is placing the same interchange: the file stays in in/ for the next run.
        return "in_progress"
    message = received.message
    out = dealer_dir / "out"
    if message.contrl:
        out.mkdir(exist_ok=True)
        write_atomic(out / f"{path.stem}{CONTRL_SUFFIX}", message.contrl.encode())
    if message.status == EdiMessage.Status.MALFORMED:
        _settle(path, "error", message.error + "\n")
        return message.status
    out.mkdir(exist_ok=True)
    write_atomic(out / f"{path.stem}{ANSWER_SUFFIX[message.format]}", message.response.encode())
    _settle(path, "done")
    return received.status
