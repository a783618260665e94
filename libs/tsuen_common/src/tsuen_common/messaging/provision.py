"""``tsuen-topics``: create every topic in the registry (and its dead-letter topic).

Used by the dev stack, the Helm topic job and the tests. Creating an existing topic is fine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from tsuen_common.events.topics import PARTITIONS, Topic, dlq_name, topic_name
from tsuen_common.messaging.security import client_options
from tsuen_common.settings import ServiceSettings


def _security() -> dict[str, Any]:
    # An operator's command talks to the cluster the way the services do (TLS, SASL).
    return client_options(ServiceSettings())


def planned_topics(prefix: str = "") -> dict[str, int]:
    plan: dict[str, int] = {}
    for topic in Topic:
        name = topic_name(topic, prefix)
        plan[name] = PARTITIONS[topic]
        # Dead letters are rare; one partition keeps `tsuen-dlq list` in failure order.
        plan[dlq_name(name)] = 1
    return plan


async def ensure_topics(
    bootstrap: str,
    prefix: str = "",
    *,
    replication_factor: int = 1,
    partitions: dict[str, int] | None = None,
) -> list[str]:
    """Create missing topics; return the names created.

    ``partitions`` overrides the plan per registry topic name (without prefix), as the Helm
    chart's ``topics.partitions`` does. Existing topics are left alone (Kafka can only grow
    partitions, and that changes key placement: an operator decision, see the runbook).
    """
    overrides = partitions or {}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **_security())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name, overrides.get(name.removeprefix(prefix), count), replication_factor)
            for name, count in planned_topics(prefix).items()
            if name not in existing
        ]
        if wanted:
            # Another provisioner may win the race; its topics are as good as ours.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
        return [t.name for t in wanted]
    finally:
        await admin.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="tsuen-topics", description=__doc__.split("\n")[0])
    parser.add_argument("--bootstrap", help="default from TSUEN_KAFKA_BOOTSTRAP_SERVERS")
    parser.add_argument("--prefix", default=None, help="default from TSUEN_KAFKA_TOPIC_PREFIX")
    parser.add_argument("--replication-factor", type=int, default=1)
    parser.add_argument(
        "--partitions",
        action="append",
        default=[],
        metavar="TOPIC=N",
        help="partitions for a registry topic, e.g. tsuen.booking.events=24 (repeatable)",
    )
    args = parser.parse_args(argv)
    try:
        partitions = {
            name: int(count) for name, count in (item.split("=", 1) for item in args.partitions)
        }
    except ValueError:
        parser.error("--partitions takes TOPIC=N, e.g. tsuen.booking.events=24")
    settings = ServiceSettings()
    created = asyncio.run(
        ensure_topics(
            args.bootstrap or settings.kafka_bootstrap_servers,
            settings.kafka_topic_prefix if args.prefix is None else args.prefix,
            replication_factor=args.replication_factor,
            partitions=partitions,
        )
    )
    print(f"created {len(created)} topic(s): {', '.join(created) or '-'}")


if __name__ == "__main__":
    main()
