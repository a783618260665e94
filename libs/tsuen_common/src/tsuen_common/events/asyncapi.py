"""``tsuen-asyncapi``: the AsyncAPI 3.0 document of every tsuen event, from the schemas.

    tsuen-asyncapi > docs/asyncapi.json

Generated, never hand-written: a test checks that the committed document matches the code.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from tsuen_common.events.catalog import ALL_EVENTS
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.events.topics import Topic

# Who reads each topic; the services' subscriptions must stay within this map.
CONSUMERS: dict[Topic, list[str]] = {
    Topic.ELIGIBILITY: ["booking", "attendance", "notification", "identity", "billing"],
    Topic.BOOKING: ["attendance", "notification", "billing"],
    Topic.ATTENDANCE: ["booking", "notification", "billing"],
    Topic.NOTIFICATION: [],
    Topic.IDENTITY: ["notification"],
    Topic.BILLING: [],
}
PRODUCERS: dict[Topic, str] = {
    Topic.ELIGIBILITY: "eligibility",
    Topic.BOOKING: "booking",
    Topic.ATTENDANCE: "attendance",
    Topic.NOTIFICATION: "notification",
    Topic.IDENTITY: "identity",
    Topic.BILLING: "billing",
}


def _message_name(event_type: str, version: int) -> str:
    return f"{event_type.replace('.', '_')}_v{version}"


def build_document() -> dict[str, Any]:
    envelope_schema = EventEnvelope.model_json_schema()
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {"EventEnvelope": envelope_schema}
    for topic in Topic:
        events = [cls for cls in ALL_EVENTS if cls.topic == topic]
        channel_messages = {}
        for cls in events:
            name = _message_name(cls.event_type, cls.version)
            schemas[name] = cls.model_json_schema()
            messages[name] = {
                "name": cls.event_type,
                "title": f"{cls.event_type} v{cls.version}",
                "summary": (cls.__doc__ or "").strip().split("\n")[0],
                "contentType": "application/json",
                "headers": {
                    "type": "object",
                    "properties": {
                        "event_id": {"type": "string", "format": "uuid"},
                        "event_type": {"const": cls.event_type},
                        "event_version": {"const": str(cls.version)},
                        "municipality": {"type": "string", "pattern": r"^\d{6}$"},
                        "traceparent": {"type": "string"},
                    },
                },
                "payload": {
                    "allOf": [
                        {"$ref": "#/components/schemas/EventEnvelope"},
                        {
                            "type": "object",
                            "properties": {
                                "event_type": {"const": cls.event_type},
                                "event_version": {"const": cls.version},
                                "payload": {"$ref": f"#/components/schemas/{name}"},
                            },
                        },
                    ]
                },
                "bindings": {
                    "kafka": {"key": {"type": "string", "description": cls.aggregate_field}}
                },
            }
            channel_messages[name] = {"$ref": f"#/components/messages/{name}"}
        channel_id = topic.name.lower()
        channels[channel_id] = {
            "address": topic.value,
            "description": f"Produced by {PRODUCERS[topic]}; consumed by "
            f"{', '.join(CONSUMERS[topic]) or 'nobody yet'}. Dead letters: {topic.value}.dlq",
            "messages": channel_messages,
        }
        operations[f"{PRODUCERS[topic]}_publishes_{channel_id}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel_id}"},
        }
        for consumer in CONSUMERS[topic]:
            operations[f"{consumer}_consumes_{channel_id}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{channel_id}"},
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "tsuen events",
            "version": "1",
            "description": "Events exchanged by the tsuen services (こども誰でも通園制度). "
            "Key = aggregate id (the child id for booking and attendance events).",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def render() -> str:
    return json.dumps(build_document(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(prog="tsuen-asyncapi", description=__doc__.split("\n")[0]).parse_args(
        argv
    )
    print(render(), end="")


if __name__ == "__main__":
    main()
