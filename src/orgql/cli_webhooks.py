"""``orgql webhook create|list|pause|resume|delete``: webhook subscriptions for operators,
through the same core service as the GraphQL and REST admin operations."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from orgql.core.events import webhooks
from orgql.db.engine import make_sessionmaker
from orgql.db.event_models import WebhookSubscription
from orgql.settings import Settings


def add_parser(commands: Any) -> None:
    webhook = commands.add_parser("webhook", help="create, list, pause, resume or delete webhooks")
    actions = webhook.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="print the new id and its secret (shown once)")
    create.add_argument("--url", required=True, help="absolute http(s) URL to POST events to")
    create.add_argument(
        "--event-type",
        action="append",
        default=[],
        dest="event_types",
        metavar="TYPE",
        help="an event type to receive (repeat it); none: every type",
    )
    create.add_argument("--description", default=None, help="what the webhook is for")
    actions.add_parser("list", help="id, created, active or paused, event types, url")
    for action, text in (("pause", "stop sending; pending deliveries wait"), ("resume", "resume")):
        actions.add_parser(action, help=text).add_argument("id", metavar="ID")
    actions.add_parser("delete", help="remove it and its deliveries").add_argument(
        "id", metavar="ID"
    )
    webhook.set_defaults(handler=cmd_webhook)


def _line(row: WebhookSubscription) -> str:
    return "\t".join(
        (
            str(row.id),
            row.created_at.isoformat(timespec="seconds"),
            "active" if row.active else "paused",
            ",".join(row.event_types) or "*",
            row.url,
        )
    )


def cmd_webhook(args: argparse.Namespace, settings: Settings) -> int:
    from orgql.cli import database_url, open_engine, require_current_schema

    async def run(url: str) -> tuple[list[str], str | None]:
        """(stdout lines, stderr note)."""
        async with open_engine(url) as engine:
            await require_current_schema(engine)
            async with make_sessionmaker(engine)() as session, session.begin():
                if args.action == "create":
                    new = webhooks.NewSubscription(args.url, args.event_types, args.description)
                    created = await webhooks.create(
                        session,
                        new,
                        allow_private_targets=settings.allows_private_webhook_targets,
                    )
                    note = "orgql: created webhook subscription; its secret is shown this once"
                    return [f"{created.subscription.id}\t{created.secret}"], note
                if args.action in ("pause", "resume"):
                    row = await webhooks.set_active(session, args.id, args.action == "resume")
                    return [_line(row)], None
                if args.action == "delete":
                    await webhooks.delete_subscription(session, args.id)
                    return [], f"orgql: deleted webhook subscription {args.id}"
                return [_line(row) for row in await webhooks.list_all(session)], None

    with database_url(settings) as url:
        lines, note = asyncio.run(run(url))
    for line in lines:
        print(line)
    if note is not None:
        print(note, file=sys.stderr)
    return 0
