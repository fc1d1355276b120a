"""The ``run_assistant.py catalog ...`` commands: serve, seed, token, basket, device,
customer."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from commerce.db import Database
from commerce.migrate import upgrade
from commerce.seed import seeder
from commerce.services import auth, basket, devices
from commerce.services.vocabulary import catalog_vocabulary
from commerce.settings import CommerceSettings

log = logging.getLogger(__name__)

TOKEN_HOURS = 8.0  # how long a `catalog token` works unless told otherwise
MAX_TOKEN_HOURS = 24 * 30


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    catalog = subparsers.add_parser("catalog", help="the catalog & order service")
    commands = catalog.add_subparsers(dest="catalog_command", required=True)

    serve = commands.add_parser("serve", help="serve the HTTP API (migrates and seeds if empty)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--database-url")

    seed = commands.add_parser("seed", help="seed the database deterministically")
    seed.add_argument("--customers", type=int, default=5)
    seed.add_argument("--products", type=int, default=None, help="at least this many products")
    seed.add_argument("--reset", action="store_true", help="delete all data first")
    seed.add_argument("--database-url")

    vocabulary = commands.add_parser(
        "vocabulary", help="print the catalog's vocabulary as JSON (GET /v1/catalog/vocabulary)"
    )
    vocabulary.add_argument("--output", type=Path, help="write it to this file instead")
    vocabulary.add_argument("--database-url")

    token = commands.add_parser(
        "token", help="print a new API token for a customer (it expires: --hours)"
    )
    token.add_argument("customer", help="handle (e.g. alice), loyalty number or id")
    token.add_argument(
        "--hours",
        type=_token_hours,
        default=TOKEN_HOURS,
        help=f"hours until it stops working (default {TOKEN_HOURS:g}, at most {MAX_TOKEN_HOURS})",
    )
    token.add_argument("--database-url")

    show = commands.add_parser("basket", help="print a customer's basket as JSON")
    show.add_argument("customer")
    show.add_argument("--database-url")

    device = commands.add_parser("device", help="home speakers and store kiosks")
    device_commands = device.add_subparsers(dest="device_command", required=True)
    add = device_commands.add_parser(
        "add", help="register a device and print its token (shown only this once)"
    )
    bound = add.add_mutually_exclusive_group(required=True)
    bound.add_argument("--home", metavar="CUSTOMER", help="the customer's handle, loyalty or id")
    bound.add_argument("--kiosk", metavar="STORE_ID", help="the store the kiosk stands in")
    add.add_argument("--name", help="a label for people (default from the customer or store)")
    add.add_argument("--database-url")
    listing = device_commands.add_parser("list", help="print the devices as JSON (no tokens)")
    listing.add_argument("--database-url")
    revoke = device_commands.add_parser(
        "revoke", help="stop a device's token and the customer tokens it was issued"
    )
    revoke.add_argument("device_id", type=int)
    revoke.add_argument("--database-url")
    unlock = device_commands.add_parser(
        "unlock", help="let a kiosk locked by failed sign-ins sign customers in again"
    )
    unlock.add_argument("device_id", type=int)
    unlock.add_argument("--database-url")

    customer = commands.add_parser("customer", help="customer accounts")
    customer_commands = customer.add_subparsers(dest="customer_command", required=True)
    unlock_pin = customer_commands.add_parser(
        "unlock", help="end a PIN lock now and clear the count of wrong PINs"
    )
    unlock_pin.add_argument("customer", help="handle (e.g. bob), loyalty number or id")
    unlock_pin.add_argument("--database-url")


def open_database(settings: CommerceSettings) -> Database:
    """Connect, creating the SQLite folder if needed, and migrate to the latest schema.
    ``settings.database_url`` is used as it is (``CommerceSettings.anchored`` anchors a
    relative SQLite path)."""
    url = settings.database_url
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    db = Database.connect(url)
    upgrade(db)
    return db


def run(args: argparse.Namespace, settings: CommerceSettings, root: Path | None = None) -> int:
    """Run a ``catalog`` command; a relative SQLite path is anchored at ``root`` (or here)."""
    settings = settings.with_database_url(args.database_url).anchored(root or Path.cwd())
    db = open_database(settings)
    try:
        return _COMMANDS[args.catalog_command](args, settings, db)
    finally:
        db.dispose()


def _serve(args: argparse.Namespace, settings: CommerceSettings, db: Database) -> int:
    import uvicorn

    from commerce.api.app import create_app
    from commerce.api.ratelimit import RateLimits

    summary = seeder.seed(db, customers=settings.seed_customers, slot_days=settings.slot_days_ahead)
    host = args.host or settings.host
    port = args.port or settings.port
    print(
        f"Catalog & order service on http://{host}:{port}  "
        f"(API docs: http://{host}:{port}/docs, {summary.products} products, "
        f"stores {', '.join(summary.stores)}; `run_assistant.py catalog token alice` "
        "prints a customer token)",
        flush=True,
    )
    app = create_app(db, settings.quote_ttl_seconds, RateLimits(), settings.operator_token)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0


def _seed(args: argparse.Namespace, settings: CommerceSettings, db: Database) -> int:
    if args.reset:
        seeder.reset(db)
    summary = seeder.seed(
        db,
        customers=args.customers,
        products=args.products,
        slot_days=settings.slot_days_ahead,
    )
    print(json.dumps(summary.as_dict()))
    return 0


def _vocabulary(args: argparse.Namespace, settings: CommerceSettings, db: Database) -> int:
    seeder.seed(db, customers=settings.seed_customers, slot_days=settings.slot_days_ahead)
    with db.session() as session:
        text = json.dumps(catalog_vocabulary(session))
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n")
    else:
        print(text)
    return 0


def _token_hours(text: str) -> float:
    try:
        hours = float(text)
    except ValueError:
        hours = -1.0
    if not 0 < hours <= MAX_TOKEN_HOURS:
        raise argparse.ArgumentTypeError(f"give hours above 0 and at most {MAX_TOKEN_HOURS}")
    return hours


def _token(args: argparse.Namespace, settings: CommerceSettings, db: Database) -> int:
    expires_at = datetime.now(UTC) + timedelta(hours=args.hours)
    with db.session(write=True) as session:
        customer = auth.find_customer(session, args.customer)
        token = auth.mint_token(session, customer, expires_at=expires_at)
    print(token)
    return 0


def _basket(args: argparse.Namespace, settings: CommerceSettings, db: Database) -> int:
    with db.session() as session:
        customer = auth.find_customer(session, args.customer)
        body = basket.view(session, customer, customer.home_store_id)
    json.dump(body, sys.stdout)
    print()
    return 0


def _device(args: argparse.Namespace, settings: CommerceSettings, db: Database) -> int:
    body: dict[str, object]
    with db.session(write=args.device_command != "list") as session:
        if args.device_command == "add":
            customer = auth.find_customer(session, args.home) if args.home else None
            device, token = devices.add_device(
                session,
                "home" if customer else "kiosk",
                customer=customer,
                store_id=args.kiosk,
                name=args.name,
            )
            body = {"device_id": device.id, "kind": device.kind, "name": device.name}
            body["token"] = token  # shown only this once; the database keeps its hash
            if customer:
                body["customer"] = customer.handle
            else:
                body["store_id"] = device.store_id
        elif args.device_command == "list":
            body = {
                "devices": [devices.device_dict(session, d) for d in devices.list_devices(session)]
            }
        elif args.device_command == "unlock":
            body = devices.device_dict(session, devices.unlock_device(session, args.device_id))
        else:
            body = devices.device_dict(session, devices.revoke_device(session, args.device_id))
    print(json.dumps(body))
    return 0


def _customer(args: argparse.Namespace, settings: CommerceSettings, db: Database) -> int:
    with db.session(write=True) as session:
        customer = auth.unlock_pin(auth.find_customer(session, args.customer))
        body = {"customer": customer.handle, "failed_pin_attempts": 0, "pin_locked_until": None}
    print(json.dumps(body))
    return 0


_COMMANDS = {
    "serve": _serve,
    "seed": _seed,
    "vocabulary": _vocabulary,
    "token": _token,
    "basket": _basket,
    "device": _device,
    "customer": _customer,
}
