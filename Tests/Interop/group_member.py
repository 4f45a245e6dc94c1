"""A consumer-group member run as its own process by the group tests: subscribes with one of the
real client libraries, writes every record it processes as a JSON line (topic, partition, offset,
value) to stdout, and commits after each batch, so the test can kill it mid-stream and check what
the group did next."""
import argparse
import asyncio
import json
import sys
import time


def emit(kind: str, **fields) -> None:
    sys.stdout.write(json.dumps({"kind": kind, **fields}) + "\n")
    sys.stdout.flush()


def run_confluent(args) -> None:
    from confluent_kafka import Consumer

    def on_assign(consumer, partitions):
        emit("assigned", partitions=sorted(p.partition for p in partitions))

    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": args.group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False, "session.timeout.ms": args.session_ms, "heartbeat.interval.ms": 500,
                         "client.id": args.name})
    consumer.subscribe([args.topic], on_assign=on_assign)
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        messages = consumer.consume(num_messages=50, timeout=0.3)
        good = [m for m in messages if m.error() is None]
        for m in good:
            emit("record", partition=m.partition(), offset=m.offset(), value=m.value().decode())
            time.sleep(args.delay)
        if good:
            consumer.commit(asynchronous=False)
    consumer.close()


def run_kafka_python(args) -> None:
    from kafka import KafkaConsumer
    consumer = KafkaConsumer(args.topic, bootstrap_servers=args.bootstrap, group_id=args.group, auto_offset_reset="earliest",
                             enable_auto_commit=False, session_timeout_ms=args.session_ms, heartbeat_interval_ms=500, client_id=args.name)
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        batch = consumer.poll(timeout_ms=300)
        for records in batch.values():
            for r in records:
                emit("record", partition=r.partition, offset=r.offset, value=r.value.decode())
        if batch:
            consumer.commit()
    consumer.close()


async def run_aiokafka(args) -> None:
    from aiokafka import AIOKafkaConsumer
    consumer = AIOKafkaConsumer(args.topic, bootstrap_servers=args.bootstrap, group_id=args.group, auto_offset_reset="earliest",
                                enable_auto_commit=False, session_timeout_ms=args.session_ms, heartbeat_interval_ms=500, client_id=args.name)
    await consumer.start()
    try:
        deadline = time.monotonic() + args.seconds
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for records in batch.values():
                for r in records:
                    emit("record", partition=r.partition, offset=r.offset, value=r.value.decode())
            if batch:
                await consumer.commit()
    finally:
        await consumer.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--client", choices=["confluent", "kafka-python", "aiokafka"], default="confluent")
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--name", default="member")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to spend on each record")
    parser.add_argument("--session-ms", type=int, default=6000)
    args = parser.parse_args()
    if args.client == "confluent":
        run_confluent(args)
    elif args.client == "kafka-python":
        run_kafka_python(args)
    else:
        asyncio.run(run_aiokafka(args))
