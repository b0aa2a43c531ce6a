"""``manage.py erp_simulator sap_b1|logo``: serve a simulated ERP on this machine until Ctrl-C.

manage.py erp_simulator sap_b1 [--host 127.0.0.1] [--port 50000] [--seed N] [--items N] [--customers N]
    [--company SBODEMOTR] [--user manager] [--password 1234] [--session-timeout 30]
manage.py erp_simulator logo [--host 127.0.0.1] [--port 32001] [--firm 1] [--user PORTAL] [--password Gizli-1]
    (Logo Objects REST with the demo firm; client id LOGO, secret LOGO-SECRET)
manage.py erp_simulator dia [--port 32002] [--items N] [--customers N] [--user ws] [--password Gizli-1]
    (DİA web service API v3 with the demo company; API key dia-test-apikey; sessions end after 60 idle minutes)
manage.py erp_simulator netsis [--host 127.0.0.1] [--port 7070] [--user NETSIS] [--password net1]
    (NetOpenX REST with the demo company NETSISDEMO, database user TEMELSET)
manage.py erp_simulator nebim [--port 32003] [--user B2B] [--password Gizli-1] [--nebim-session-mode token|session]
    (Nebim V3 Integrator with a demo company and the reads of erpsync/adapters/profile/examples/nebim.json)
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from b2bportal.languages import for_operators
from erpsync.simulators import SapB1Simulator
from erpsync.simulators.dia import DiaSimulator
from erpsync.simulators.logo import LogoSimulator
from erpsync.simulators.nebim import NebimSimulator, demo_company
from erpsync.simulators.netsis import NetsisSimulator


class Command(BaseCommand):
    help = (
        "Serve a simulated ERP (SAP Business One Service Layer or Logo Objects REST) with demo data until interrupted."
    )
    # The simulator needs neither the database nor the project's checks; it should start at once.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("erp", choices=["sap_b1", "logo", "dia", "netsis", "nebim"], help="Which ERP to simulate.")
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument(
            "--port",
            type=int,
            default=None,
            help="Port (default: sap_b1 50000, logo 32001, dia 32002, nebim 32003, netsis 7070; 0 = any).",
        )
        parser.add_argument("--firm", type=int, default=1, help="Logo: the firm number the token endpoint accepts.")
        parser.add_argument("--seed", type=int, default=0, help="Seed of the demo data.")
        parser.add_argument("--items", type=int, default=25, help="Number of demo items.")
        parser.add_argument("--customers", type=int, default=5, help="Number of demo customers.")
        parser.add_argument("--company", default="SBODEMOTR", help="CompanyDB that Login accepts.")
        parser.add_argument("--user", default=None, help="User name that Login accepts (manager; Logo: PORTAL).")
        parser.add_argument("--password", default=None, help="Password that Login accepts (1234; Logo: Gizli-1).")
        parser.add_argument("--nebim-session-mode", choices=["token", "session"], default="token")
        parser.add_argument("--session-timeout", type=float, default=30, help="Idle minutes before a session ends.")

    @for_operators
    def handle(self, *args, erp: str, **options) -> None:
        if erp == "logo":
            self._logo(options)
            return
        if erp == "dia":
            self._dia(options)
            return
        if erp == "netsis":
            self._netsis(options)
            return
        if erp == "nebim":
            self._nebim(options)
            return
        options["port"] = 50000 if options["port"] is None else options["port"]
        options["user"] = options["user"] or "manager"
        options["password"] = options["password"] or "1234"
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
        self._start(simulator, options)
        login = {"CompanyDB": options["company"], "UserName": options["user"], "Password": options["password"]}
        self.stdout.write(
            f"SAP Business One Service Layer simulator at {simulator.base_url_v2} (v2) and {simulator.base_url} (v1)"
        )
        self.stdout.write(f"Log in with: POST {simulator.base_url_v2}Login {json.dumps(login)}")
        self._serve(simulator)

    def _logo(self, options) -> None:
        simulator = LogoSimulator(
            firm=options["firm"],
            username=options["user"] or "PORTAL",
            password=options["password"] or "Gizli-1",
            demo=True,
            host=options["host"],
            port=32001 if options["port"] is None else options["port"],
        )
        self._start(simulator, options)
        self.stdout.write(f"Logo Objects REST simulator at {simulator.base_url} (firm {simulator.firm.firm})")
        self.stdout.write(
            f"Token: POST {simulator.token_url} grant_type=password&username={simulator.username}&password=…"
            f"&firmno={simulator.firm.firm} with Basic {simulator.client_id}:{simulator.client_secret}"
        )
        self._serve(simulator)

    def _dia(self, options) -> None:
        simulator = DiaSimulator(
            username=options["user"] or "ws",
            password=options["password"] or "Gizli-1",
            demo=True,
            items=options["items"],
            customers=options["customers"],
            seed=options["seed"],
            host=options["host"],
            port=32002 if options["port"] is None else options["port"],
        )
        self._start(simulator, options)
        self.stdout.write(f"DİA web service simulator at {simulator.base_url}{{module}}/json")
        self.stdout.write(
            f"Log in: POST {simulator.url('sis')} with user {simulator.username}, API key {simulator.apikey}"
        )
        self._serve(simulator)

    def _netsis(self, options) -> None:
        port = 7070 if options["port"] is None else options["port"]
        simulator = NetsisSimulator(
            username=options["user"] or "NETSIS", password=options["password"] or "net1", demo=True,
            host=options["host"], port=port,
        )  # fmt: skip
        self._start(simulator, options)
        self.stdout.write(f"NetOpenX REST simulator at {simulator.base_url} (company {simulator.db_name})")
        self.stdout.write(
            f"Token: POST {simulator.token_url} grant_type=password&branchcode=0&username={simulator.username}"
            f"&password=…&dbname={simulator.db_name}&dbuser={simulator.db_user}&dbpassword=&dbtype=vtMSSQL"
        )
        self._serve(simulator)

    def _nebim(self, options) -> None:
        simulator = NebimSimulator(username=options["user"] or "B2B", password=options["password"] or "Gizli-1",
                                   mode=options["nebim_session_mode"], company=demo_company(), host=options["host"],
                                   port=32003 if options["port"] is None else options["port"])  # fmt: skip
        self._start(simulator, options)
        self.stdout.write(f"Nebim V3 Integrator simulator at {simulator.root_url}IntegratorService/ "
                          f"({simulator.mode} mode, database {simulator.company.database})")  # fmt: skip
        self._serve(simulator)

    def _start(self, simulator, options) -> None:
        try:
            simulator.start()
        except OSError as exc:
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port'] or 'the default port'}: {exc}"
            ) from exc

    def _serve(self, simulator) -> None:
        self.stdout.write("Press Ctrl-C to stop.")
        self.stdout.flush()
        try:
            simulator.wait()
        except KeyboardInterrupt:
            self.stdout.write("Stopping.")
        finally:
            simulator.stop()
