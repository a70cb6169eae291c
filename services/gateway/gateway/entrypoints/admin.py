"""The coordinator account and group commands: `python -m gateway create-coordinator |
create-token | deactivate-coordinator | reactivate-coordinator | create-group | update-group`.
Each is audited as done through the CLI. And what `migrate` seeds: the network's own group."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import Any

from marshmallow import ValidationError
from sanctuary.config import ConfigError
from sanctuary.runtime import Service

from gateway.config import PLACEHOLDER_CONTACT, GatewayConfig
from gateway.domain import accounts
from gateway.entrypoints.schemas import GroupChangesSchema, GroupSchema
from gateway.service_layer import groups, staff

COMMANDS = (
    "create-coordinator",
    "create-token",
    "deactivate-coordinator",
    "reactivate-coordinator",
    "create-group",
    "update-group",
)
GROUP_COMMANDS = COMMANDS[4:]
CLI = staff.Principal(None, accounts.BOOTSTRAP)


def add_parsers(sub: Any) -> None:
    """The account and group commands, beside every service's (sanctuary.cli.main)."""
    create = sub.add_parser("create-coordinator", help="a new coordinator account")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True, help="the name other coordinators see")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    create.add_argument(
        "--group", action="append", default=[], help="a group they coordinate (repeat for more)"
    )
    create.add_argument(
        "--network-admin", action="store_true", help="every group, and the groups themselves"
    )
    token = sub.add_parser("create-token", help="print a new personal API token, once")
    token.add_argument("--email", required=True)
    token.add_argument("--name", default="cli", help="what the token is for")
    token.add_argument("--days", type=int, help="how long it works (default API_TOKEN_DAYS)")
    for name, what in zip(
        COMMANDS[2:4], ("switch an account off", "switch it on again"), strict=True
    ):
        sub.add_parser(name, help=what).add_argument("--email", required=True)
    for name, required in (("create-group", True), ("update-group", False)):
        group = sub.add_parser(name, help=f"{name.split('-')[0]} a local group")
        group.add_argument("--slug", required=True, help="its name in addresses: sheffield")
        group.add_argument("--name", required=required)
        group.add_argument("--contact", required=required, help="the safeguarding contact")
        group.add_argument("--area", action="append", help="S, S1, LS6 (repeat); * everywhere")
        group.add_argument("--timezone")
        group.add_argument("--description")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise ValueError("The two passwords differ.")
    return first


def _group_command(service: Service, args: argparse.Namespace) -> int:
    given = {
        "name": args.name,
        "contact": args.contact,
        "areas": args.area,
        "timezone": args.timezone,
        "description": args.description,
    }
    fields = {k: v for k, v in given.items() if v is not None}
    if args.command == "create-group":
        fields = GroupSchema().load({"slug": args.slug, **fields})
        made = groups.create(service.unit_of_work, fields)
    else:
        made = groups.update(service.unit_of_work, args.slug, GroupChangesSchema().load(fields))
    staff.record(
        service.unit_of_work, CLI, via="cli", action=args.command.replace("-", "_"),
        route=args.command, target=("group", str(made.id)),
    )  # fmt: skip
    print(f"{args.command.split('-')[0]}d group {made.slug} ({made.id})", file=sys.stderr)
    return 0


def _run(service: Service, args: argparse.Namespace) -> int:
    if args.command in GROUP_COMMANDS:
        return _group_command(service, args)
    units = service.unit_of_work
    with units() as uow:
        found = staff.find_by_email(uow.session, args.email)
    if args.command == "create-coordinator":
        new_id = staff.create_coordinator(
            units,
            args.email,
            args.name,
            _password(args.password_stdin),
            groups=args.group,
            network_admin=args.network_admin,
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
        config = service.config
        assert isinstance(config, GatewayConfig)
        days = args.days if args.days and args.days > 0 else config.api_token_days
        issued = staff.issue_token(units, found.id, args.name, days)
        print(issued.token)
        print(
            f"shown once: keep it in a password manager; it works until "
            f"{issued.expires_at:%Y-%m-%d}",
            file=sys.stderr,
        )
    else:
        staff.set_active(units, args.email, args.command == "reactivate-coordinator")
    staff.record(
        units, CLI, via="cli", action=args.command.replace("-", "_"), route=args.command,
        target=("coordinator", str(found.id)),
    )  # fmt: skip
    return 0


def run(bootstrap: Callable[[], Service], args: argparse.Namespace) -> int:
    """Run one account or group command; 1 with the reason on a refusal."""
    service = bootstrap()
    try:
        return _run(service, args)
    except ValidationError as exc:
        print(f"refused: {exc.messages}", file=sys.stderr)
        return 1
    except (ValueError, LookupError) as exc:  # AlreadyExists, GroupConflict, NoSuchGroup...
        print(exc, file=sys.stderr)
        return 1
    finally:
        service.engine.dispose()


def seed_default_group(service: Service) -> None:
    """After `migrate`: the network's own group from DEFAULT_GROUP_*, made and announced once;
    one line on standard error while its contact is still the placeholder."""
    config = service.config
    assert isinstance(config, GatewayConfig)
    try:
        fields = GroupSchema().load(config.default_group)
    except ValidationError as exc:
        raise ConfigError(f"DEFAULT_GROUP_* settings are invalid: {exc.messages}") from None
    made = groups.seed_default(service.unit_of_work, fields)
    if made is not None:
        print(f"created the network's group {made.slug}", file=sys.stderr)
    current = groups.by_slug(service.sessions, str(fields["slug"]))
    if current is not None and current.contact == PLACEHOLDER_CONTACT:
        print(
            f"Emails name {PLACEHOLDER_CONTACT} as the contact of group {current.slug!r}: "
            "set DEFAULT_GROUP_CONTACT before the first start, or run python -m gateway "
            f"update-group --slug {current.slug} --contact ADDRESS",
            file=sys.stderr,
        )
