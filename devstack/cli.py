"""The `v360` command: `up` runs the whole stack locally, `token` mints bearer tokens, `tenant add` creates tenants."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

import grpc
from google.protobuf import json_format
from pydantic import ValidationError

from devstack.demo import Demo, DemoReport
from devstack.options import parse_replicas, validate_region, validate_slug, validate_timezone
from devstack.seed import upsert_provider_account, upsert_tenant
from devstack.settings import DevSettings
from devstack.stackfile import StackNotRunning, load_secret, running_stack
from devstack.up import Stack, UpOptions
from libs.common.auth import DEFAULT_TTL_SECONDS, SYSTEM_TENANT, Role, issue_token
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2

EXIT_USAGE = 2
SECRET_FIELDS = ("meta_app_secret", "meta_verify_token", "gupshup_token")


def _argument(check: Callable[[str], object]) -> Callable[[str], object]:
    """Wraps a validator so argparse reports its ValueError as a usage error (exit 2)."""

    def parse(value: str) -> object:
        try:
            return check(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = check.__name__
    return parse


def _port(value: str) -> int:
    port = int(value)
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is outside 1-65535")
    return port


def _port_or_off(value: str) -> int:
    return 0 if int(value) == 0 else _port(value)


def _positive(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError(f"{number} must be greater than 0")
    return number


def _token_tenant(value: str) -> str:
    return value if value == SYSTEM_TENANT else validate_slug(value)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every `v360` subcommand."""
    parser = argparse.ArgumentParser(prog="v360", description="Vertice360 dev runner.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser(
        "up",
        help="run Postgres, Redis, the three services and the gateway until Ctrl-C",
        description="Runs the whole stack locally. Postgres and Redis are embedded (data in --data-dir) "
        "unless DATABASE_URL / REDIS_URL are set.",
    )
    up.add_argument("--port", type=_argument(_port), default=8080, help="gateway port (default 8080)")
    up.add_argument("--host", default="127.0.0.1", help="gateway address (default 127.0.0.1)")
    up.add_argument(
        "--replicas",
        type=_argument(parse_replicas),
        default=parse_replicas(""),
        metavar="SVC=N,...",
        help="processes per gRPC service and of the gateway, e.g. ingest=2,gateway=2 (default 1 each)",
    )
    up.add_argument("--no-seed", dest="seed", action="store_false", help="do not upsert the demo tenant")
    up.add_argument(
        "--console-port", type=_argument(_port_or_off), default=8090, help="web console port (default 8090; 0: none)"
    )
    _data_dir_option(up)
    up.set_defaults(handler=_up)

    demo = commands.add_parser(
        "demo",
        help="play leads writing in through the running stack's signed webhook for a few minutes",
        description="Leads of a few demo companies write in (texts, a photo, a location, a tap on a visit "
        "proposal) through the gateway's signed Meta webhook; the demo's agent answers some and proposes visits. "
        "Watch it in the console (the URL `v360 up` printed).",
    )
    demo.add_argument("--minutes", type=float, default=3.0, help="how long new leads keep coming (default 3)")
    demo.add_argument("--rate", type=float, default=0.5, help="new leads per second (default 0.5)")
    demo.add_argument("--seed", type=int, default=None, help="random seed, to replay the same demo")
    _data_dir_option(demo)
    demo.set_defaults(handler=_demo)

    token = commands.add_parser("token", help="print a bearer token signed with the stack's secret")
    token.add_argument("--tenant", required=True, type=_argument(_token_tenant), help="tenant slug")
    token.add_argument(
        "--role", choices=[role.value for role in Role], default=Role.ADMIN.value, help="role (default admin)"
    )
    token.add_argument("--user-id", default="", help="user id carried by the token (default none)")
    token.add_argument(
        "--ttl", type=_argument(_positive), default=DEFAULT_TTL_SECONDS, help="lifetime in seconds (default 12 h)"
    )
    _data_dir_option(token)
    token.set_defaults(handler=_token)

    tenant = commands.add_parser("tenant", help="manage tenants on the running stack")
    tenant_commands = tenant.add_subparsers(dest="tenant_command", required=True, metavar="COMMAND")
    add = tenant_commands.add_parser("add", help="create a tenant, or update it if the slug exists")
    add.add_argument("slug", type=_argument(validate_slug), help="tenant slug, e.g. acme-desarrollos")
    add.add_argument("--name", help="display name (default: the slug)")
    add.add_argument("--meta-phone-number-id", default="", help="Meta WhatsApp phone_number_id")
    add.add_argument("--meta-app-secret", default="", help="Meta app secret (webhook signatures)")
    add.add_argument("--meta-verify-token", default="", help="Meta webhook verify token")
    add.add_argument("--gupshup-app", default="", help="Gupshup app name")
    add.add_argument("--gupshup-token", default="", help="Gupshup callback token")
    add.add_argument(
        "--meta-access-token", default="", help="Meta Cloud API token for sending replies (with --meta-phone-number-id)"
    )
    add.add_argument("--gupshup-api-key", default="", help="Gupshup api key for sending replies")
    add.add_argument("--gupshup-source", default="", help="Gupshup sender number (with --gupshup-api-key)")
    add.add_argument("--region", type=_argument(validate_region), default="AR", help="ISO 3166 region (default AR)")
    add.add_argument(
        "--timezone",
        type=_argument(validate_timezone),
        default="America/Argentina/Buenos_Aires",
        help="IANA time zone (default America/Argentina/Buenos_Aires)",
    )
    _data_dir_option(add)
    add.set_defaults(handler=_tenant_add)
    return parser


def _data_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="where the stack keeps its data (default $V360_DATA_DIR or .v360)"
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `v360` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        settings = DevSettings()
    except ValidationError as exc:
        print(f"v360: bad settings:\n{exc}", file=sys.stderr)
        return EXIT_USAGE
    data_dir = (args.data_dir or settings.data_dir).resolve()
    handler: Callable[[argparse.Namespace, DevSettings, Path], int] = args.handler
    return handler(args, settings, data_dir)


def _up(args: argparse.Namespace, settings: DevSettings, data_dir: Path) -> int:
    options = UpOptions(
        data_dir=data_dir,
        host=args.host,
        port=args.port,
        replicas=args.replicas,
        seed=args.seed,
        console_port=args.console_port,
    )
    return asyncio.run(Stack(options=options, settings=settings).run())


def _demo(args: argparse.Namespace, settings: DevSettings, data_dir: Path) -> int:
    if args.minutes <= 0 or args.rate <= 0:
        print("v360 demo: --minutes and --rate must be greater than 0", file=sys.stderr)
        return EXIT_USAGE
    try:
        stack = running_stack(data_dir)
    except StackNotRunning as exc:
        print(f"v360 demo: {exc}", file=sys.stderr)
        return 1
    secret = _secret(settings, data_dir)
    if secret is None:
        print(f"v360 demo: no secret in {data_dir} and V360_AUTH_SECRET is not set", file=sys.stderr)
        return 1

    async def play() -> DemoReport:
        demo = Demo(
            gateway_url=stack["gateway_url"],
            targets=stack["targets"],
            secret=secret,
            settings=settings,
            rng=random.Random(args.seed),
        )
        try:
            return await demo.run(minutes=args.minutes, rate=args.rate)
        finally:
            await demo.close()

    if stack.get("console_url"):
        print(f"demo: watch it live in {stack['console_url']} (empresa vertice360, rio-desarrollos or alto-belgrano)")
    report = asyncio.run(play())
    print(f"demo: done: {report.line()}")
    for failure in report.failures[:10]:
        print(f"demo: failed: {failure}", file=sys.stderr)
    return 1 if report.failures and not report.leads else 0


def _secret(settings: DevSettings, data_dir: Path) -> str | None:
    """The secret `v360 up` signs with: V360_AUTH_SECRET if set, else the data dir's."""
    return settings.explicit_auth_secret() or load_secret(data_dir)


def _token(args: argparse.Namespace, settings: DevSettings, data_dir: Path) -> int:
    secret = _secret(settings, data_dir)
    if secret is None:
        print(
            f"v360 token: no secret: set V360_AUTH_SECRET, or run `v360 up --data-dir {data_dir}` once", file=sys.stderr
        )
        return 1
    print(issue_token(secret, tenant=args.tenant, role=Role(args.role), user_id=args.user_id, ttl_seconds=args.ttl))
    return 0


def _tenant_add(args: argparse.Namespace, settings: DevSettings, data_dir: Path) -> int:
    try:
        stack = running_stack(data_dir)
    except StackNotRunning as exc:
        print(f"v360 tenant add: {exc}", file=sys.stderr)
        return 1
    secret = _secret(settings, data_dir)
    if secret is None:
        print(f"v360 tenant add: no secret in {data_dir} and V360_AUTH_SECRET is not set", file=sys.stderr)
        return 1
    tenant = ingest_pb2.Tenant(
        slug=args.slug,
        name=args.name or args.slug,
        region=args.region,
        timezone=args.timezone,
        meta_phone_number_id=args.meta_phone_number_id,
        meta_app_secret=args.meta_app_secret,
        meta_verify_token=args.meta_verify_token,
        gupshup_app=args.gupshup_app,
        gupshup_token=args.gupshup_token,
    )
    accounts = []
    if args.meta_access_token:
        if not args.meta_phone_number_id:
            print("v360 tenant add: --meta-access-token needs --meta-phone-number-id", file=sys.stderr)
            return EXIT_USAGE
        accounts.append(
            supervisor_pb2.ProviderAccount(
                provider="meta", sender_id=args.meta_phone_number_id, secret=args.meta_access_token
            )
        )
    if args.gupshup_api_key:
        if not (args.gupshup_source and args.gupshup_app):
            print("v360 tenant add: --gupshup-api-key needs --gupshup-source and --gupshup-app", file=sys.stderr)
            return EXIT_USAGE
        accounts.append(
            supervisor_pb2.ProviderAccount(
                provider="gupshup",
                sender_id=args.gupshup_source,
                secret=args.gupshup_api_key,
                app_name=args.gupshup_app,
            )
        )
    try:
        response = asyncio.run(upsert_tenant(target=stack["targets"]["ingest"], secret=secret, tenant=tenant))
        for account in accounts:
            asyncio.run(
                upsert_provider_account(
                    target=stack["targets"]["supervisor"], secret=secret, tenant=args.slug, account=account
                )
            )
    except grpc.aio.AioRpcError as exc:
        print(f"v360 tenant add: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return EXIT_USAGE if exc.code() == grpc.StatusCode.INVALID_ARGUMENT else 1
    shown = json_format.MessageToDict(response.tenant, preserving_proto_field_name=True)
    for name in SECRET_FIELDS:
        if shown.get(name):
            shown[name] = "***"
    print(f"tenant {response.tenant.slug} {'created' if response.created else 'updated'}")
    for account in accounts:
        print(f"sending account: {account.provider} {account.sender_id}")
    print(json.dumps(shown, indent=2, ensure_ascii=False))
    return 0
