"""``manage.py erp_simulator sap_b1``: serve a simulated ERP on this machine until Ctrl-C.

manage.py erp_simulator sap_b1 [--host 127.0.0.1] [--port 50000] [--seed N] [--items N] [--customers N]
    [--company SBODEMOTR] [--user manager] [--password 1234] [--session-timeout 30]
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from b2bportal.languages import for_operators
from erpsync.simulators import SapB1Simulator


class Command(BaseCommand):
    help = "Serve a simulated ERP (SAP Business One Service Layer) with demo data until interrupted."
    # The simulator needs neither the database nor the project's checks; it should start at once.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("erp", choices=["sap_b1"], help="Which ERP to simulate.")
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument(
            "--port", type=int, default=50000, help="Port (default 50000, the Service Layer's; 0 = any)."
        )
        parser.add_argument("--seed", type=int, default=0, help="Seed of the demo data.")
        parser.add_argument("--items", type=int, default=25, help="Number of demo items.")
        parser.add_argument("--customers", type=int, default=5, help="Number of demo customers.")
        parser.add_argument("--company", default="SBODEMOTR", help="CompanyDB that Login accepts.")
        parser.add_argument("--user", default="manager", help="UserName that Login accepts.")
        parser.add_argument("--password", default="1234", help="Password that Login accepts.")
        parser.add_argument("--session-timeout", type=float, default=30, help="Idle minutes before a session ends.")

    @for_operators
    def handle(self, *args, erp: str, **options) -> None:
        simulator = SapB1Simulator(
            company_db=options["company"],
            users={options["user"]: options["password"]},
            host=options["host"],
            port=options["port"],
            session_timeout=options["session_timeout"],
            items=options["items"],
            customers=options["customers"],
            seed=options["seed"],
        )
        try:
            simulator.start()
        except OSError as exc:
            raise CommandError(f"Cannot listen on {options['host']}:{options['port']}: {exc}") from exc
        login = {"CompanyDB": options["company"], "UserName": options["user"], "Password": options["password"]}
        self.stdout.write(
            f"SAP Business One Service Layer simulator at {simulator.base_url_v2} (v2) and {simulator.base_url} (v1)"
        )
        self.stdout.write(f"Log in with: POST {simulator.base_url_v2}Login {json.dumps(login)}")
        self.stdout.write("Press Ctrl-C to stop.")
        self.stdout.flush()
        try:
            simulator.wait()
        except KeyboardInterrupt:
            self.stdout.write("Stopping.")
        finally:
            simulator.stop()
