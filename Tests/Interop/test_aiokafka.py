"""aiokafka 0.14 against a real standalone broker: produce and consume by assign."""
import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from conftest import unique_topic


async def round_trip(bootstrap: str, topic: str, count: int) -> tuple[list, list]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        sent = [await producer.send_and_wait(topic, f"a{i}".encode(), key=f"k{i}".encode(), partition=0) for i in range(count)]
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    received = []
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        while len(received) < count:
            batch = await asyncio.wait_for(consumer.getmany(tp, timeout_ms=1000), timeout=20)
            for records in batch.values():
                received.extend(records)
    finally:
        await consumer.stop()
    return sent, received


def test_produce_and_consume(broker):
    topic = unique_topic("aio")
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    admin.close()
    sent, received = asyncio.run(asyncio.wait_for(round_trip(broker.bootstrap, topic, 150), timeout=60))
    assert [m.offset for m in sent] == list(range(150))
    assert [r.value for r in received] == [f"a{i}".encode() for i in range(150)]
    assert [r.offset for r in received] == list(range(150))
