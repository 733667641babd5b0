#!/usr/bin/env python3
"""An ops client for the Maxis fleet in Python, with nats-py's standard calls only.

    ops_events.py --url nats://127.0.0.1:4222 --seed .local/fleet/keys/ops-ops.nk --name ops tail --seconds 10
    ops_events.py --url ... --seed ... --name ops replay --since-seconds 86400

`tail` prints new events as they happen through an ordered consumer (`js.subscribe(...,
ordered_consumer=True)`); `replay` prints the stored events of a period, in stream order, through
the operator's own durable pull consumer `ops_<name>` (`js.pull_subscribe`), deleted afterwards.
Each line is one event as JSON. The client keeps to what the `ops-<name>` credential may do
(README, Security): its own inbox prefix `_INBOX_ops_<name>`, never `_INBOX`.

Events are attributed by their subject, never by their payload (subjects/README.md §6): an event
whose `instance` or `kind` differs from its subject is a forgery and is dropped (reported on
stderr).
"""

import argparse
import asyncio
import datetime
import json
import sys

import nats
from nats.js.api import ConsumerConfig, DeliverPolicy

STREAM = "MAXIS_EVENTS"
EVENTS = "maxis.*.events.>"


def attributed(subject, payload):
    """The event if its subject's shop and kind are the ones it claims, else None."""
    parts = subject.split(".", 3)
    try:
        event = json.loads(payload)
    except ValueError:
        return None
    if len(parts) != 4 or parts[0] != "maxis" or parts[2] != "events":
        return None
    if event.get("instance") != parts[1] or event.get("kind") != parts[3]:
        print(f"forgery dropped: {subject} claims {str(event.get('instance'))[:64]!r}", file=sys.stderr)
        return None
    return event


async def tail(js, seconds):
    sub = await js.subscribe(EVENTS, stream=STREAM, ordered_consumer=True,
                             deliver_policy=DeliverPolicy.NEW)
    print("ready", file=sys.stderr, flush=True)
    deadline = asyncio.get_running_loop().time() + seconds
    while (left := deadline - asyncio.get_running_loop().time()) > 0:
        try:
            msg = await sub.next_msg(timeout=left)
        except nats.errors.TimeoutError:
            break
        event = attributed(msg.subject, msg.data)
        if event is not None:
            print(json.dumps(event), flush=True)
    await sub.unsubscribe()


async def replay(js, name, since_seconds):
    durable = f"ops_{name}"
    since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=since_seconds)
    config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_TIME,
                            opt_start_time=since.isoformat().replace("+00:00", "Z"))
    sub = await js.pull_subscribe(EVENTS, durable=durable, stream=STREAM, config=config)
    try:
        while True:
            try:
                msgs = await sub.fetch(256, timeout=1)
            except nats.errors.TimeoutError:
                break
            for msg in msgs:
                event = attributed(msg.subject, msg.data)
                if event is not None:
                    print(json.dumps(event), flush=True)
                await msg.ack()
            if msgs and msgs[-1].metadata.num_pending == 0:
                break
    finally:
        await js.delete_consumer(STREAM, durable)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--seed", required=True, help="the ops identity's nkey seed file")
    parser.add_argument("--name", required=True, help="the ops identity's name (ops-<name>)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("tail").add_argument("--seconds", type=float, default=10)
    commands.add_parser("replay").add_argument("--since-seconds", type=float, default=86400)
    args = parser.parse_args()

    nc = await nats.connect(args.url, nkeys_seed=args.seed, inbox_prefix=f"_INBOX_ops_{args.name}",
                            name=f"ops-{args.name}-python")
    js = nc.jetstream()
    try:
        if args.command == "tail":
            await tail(js, args.seconds)
        else:
            await replay(js, args.name, args.since_seconds)
    finally:
        await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
