"""kafka-python 3.x against a real standalone broker: producer, consumer by assign, admin client."""
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError, UnknownTopicOrPartitionError
import pytest

from conftest import unique_topic


def test_admin_creates_and_deletes_topics(broker):
    topic = unique_topic("kp-admin")
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap, request_timeout_ms=10000)
    admin.create_topics([NewTopic(topic, num_partitions=4, replication_factor=1)])
    assert topic in admin.list_topics()
    with pytest.raises(TopicAlreadyExistsError):
        admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    described = admin.describe_topics([topic])
    assert len(described[0]["partitions"]) == 4
    admin.delete_topics([topic])
    assert topic not in admin.list_topics()
    with pytest.raises(UnknownTopicOrPartitionError):
        admin.delete_topics([topic])
    admin.close()


def test_produce_and_consume_by_assign(broker):
    topic = unique_topic("kp-rt")
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    metadata = [producer.send(topic, key=f"k{i}".encode(), value=f"v{i}".encode(), partition=i % 2).get(timeout=15)
                for i in range(100)]
    producer.close()
    by_partition = {0: [], 1: []}
    for m in metadata:
        by_partition[m.partition].append(m.offset)
    assert by_partition[0] == list(range(50)) and by_partition[1] == list(range(50))

    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap, enable_auto_commit=False, consumer_timeout_ms=5000)
    consumer.assign([TopicPartition(topic, 0), TopicPartition(topic, 1)])
    consumer.seek_to_beginning()
    seen = {0: [], 1: []}
    for record in consumer:
        seen[record.partition].append((record.offset, record.key, record.value))
        if sum(len(v) for v in seen.values()) == 100:
            break
    consumer.close()
    assert [o for o, _, _ in seen[0]] == list(range(50))
    assert [v for _, _, v in seen[1]] == [f"v{i}".encode() for i in range(1, 100, 2)]
