"""Import a bank statement file: ``manage.py bank_statement_import FILE --format mt940|camt053|csv|auto``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from payments.statements.importer import FORMATS, detect_format, statement_import
from payments.statements.records import MAX_STATEMENT_BYTES, StatementError


class Command(BaseCommand):
    help = (
        "Import a bank statement file (MT940, CAMT.053 or CSV with a profile). Importing the same file again, or "
        "an overlapping statement, adds nothing twice."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="the statement file")
        parser.add_argument(
            "--format", required=True, choices=[*FORMATS, "auto"], help="the file's format; auto recognises it"
        )
        parser.add_argument("--profile", default=None, help="CSV profile name (CSV files only)")
        parser.add_argument("--account-iban", default="", help="the account's IBAN, for a CSV file that lacks it")

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        if path.stat().st_size > MAX_STATEMENT_BYTES:
            raise CommandError(f"{path}: larger than {MAX_STATEMENT_BYTES // (1024 * 1024)} MB")
        # The file is read a piece at a time, never held in memory whole: the import is bounded in memory.
        with path.open("rb") as file:
            try:
                file_format = detect_format(file.read(4096)) if options["format"] == "auto" else options["format"]
                result = statement_import(
                    file_name=path.name,
                    file=file,
                    format=file_format,
                    profile=options["profile"],
                    account_iban=options["account_iban"],
                )
            except StatementError as exc:
                raise CommandError(str(exc.located(file_name=path.name))) from None
        self.stdout.write(result.summary())
        for warning in result.warning_texts():
            self.stderr.write(self.style.WARNING(warning))
