"""confluent-kafka transactional producers and isolation-level readers shared by the transaction tests
(a standalone broker in test_transactions.py, a three-broker lab in test_transactions_cluster.py)."""
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition


def transactional(bootstrap: str, transactional_id: str, **config) -> Producer:
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": transactional_id, "linger.ms": 5, **config})
    producer.init_transactions(30)
    return producer


def transaction(producer: Producer, topic: str, values: list[str], commit: bool, partitions: int) -> None:
    """One transaction writing `values` round-robin over `partitions`, then committed or aborted."""
    producer.begin_transaction()
    for index, value in enumerate(values):
        producer.produce(topic, value=value.encode(), partition=index % partitions)
    if commit:
        producer.commit_transaction(30)
    else:
        producer.flush(30)
        producer.abort_transaction(30)


def read_all(bootstrap: str, topic: str, isolation: str, partitions: int, expect: int | None = None,
             settle: float = 2.0, timeout: float = 20.0) -> list[str]:
    """Every value a consumer with `isolation` reads from the start: until `expect` values arrived (any
    number when None) and nothing more came for `settle` seconds (so an extra record is still caught),
    within `timeout`."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused-assign-only", "enable.auto.commit": False,
                         "isolation.level": isolation})
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    values: list[str] = []
    deadline = time.monotonic() + timeout
    quiet_since = time.monotonic()
    try:
        while time.monotonic() < deadline:
            if time.monotonic() - quiet_since >= settle and (expect is None or len(values) >= expect):
                break
            msg = consumer.poll(0.2)
            if msg is None or msg.error() is not None:
                continue
            values.append(msg.value().decode())
            quiet_since = time.monotonic()
    finally:
        consumer.close()
    return values
