"""The coordinator account commands: `python -m gateway create-coordinator | create-token |
deactivate-coordinator | reactivate-coordinator`. Each is audited as done through the CLI."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Sequence

from sanctuary.runtime import Service

from gateway.domain import accounts
from gateway.service_layer import staff

COMMANDS = (
    "create-coordinator",
    "create-token",
    "deactivate-coordinator",
    "reactivate-coordinator",
)
CLI = staff.Principal(None, accounts.BOOTSTRAP)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gateway")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-coordinator", help="a new coordinator account")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True, help="the name other coordinators see")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    token = sub.add_parser("create-token", help="print a new personal API token, once")
    token.add_argument("--email", required=True)
    token.add_argument("--name", default="cli", help="what the token is for")
    for name in COMMANDS[2:]:
        sub.add_parser(name, help="switch an account off or on").add_argument(
            "--email", required=True
        )
    return parser


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise ValueError("The two passwords differ.")
    return first


def _run(service: Service, args: argparse.Namespace) -> int:
    units = service.unit_of_work
    with units() as uow:
        found = staff.find_by_email(uow.session, args.email)
    if args.command == "create-coordinator":
        new_id = staff.create_coordinator(
            units, args.email, args.name, _password(args.password_stdin)
        )
        staff.record(
            units, CLI, via="cli", action="create_coordinator", route=args.command,
            target=("coordinator", str(new_id)),
        )  # fmt: skip
        print(f"created coordinator {new_id}", file=sys.stderr)
        return 0
    if found is None:
        print("no coordinator has this email", file=sys.stderr)
        return 1
    if args.command == "create-token":
        print(staff.issue_token(units, found.id, args.name))
        print("shown once: keep it in a password manager", file=sys.stderr)
    else:
        staff.set_active(units, args.email, args.command == "reactivate-coordinator")
    staff.record(
        units, CLI, via="cli", action=args.command.replace("-", "_"), route=args.command,
        target=("coordinator", str(found.id)),
    )  # fmt: skip
    return 0


def main(bootstrap: Callable[[], Service], argv: Sequence[str]) -> int:
    """Run one account command; 1 with the reason on a refusal."""
    args = _parser().parse_args(argv)
    service = bootstrap()
    try:
        return _run(service, args)
    except (ValueError, staff.AlreadyExists) as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        service.engine.dispose()
