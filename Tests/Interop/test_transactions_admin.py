"""DescribeTransactions and ListTransactions against a standalone broker: `samsa transactions list|describe`
and kafka-python's admin client show a confluent-kafka producer's open transaction as Ongoing, with its
partitions, and a committed one as CompleteCommit."""
import json
import subprocess
import time

import pytest
from confluent_kafka import Producer

from conftest import SAMSA, unique_topic
from test_transactions import create_topic, transactional


def samsa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([SAMSA, "transactions", *args], capture_output=True, text=True, timeout=60)


def listed(bootstrap: str, *args: str) -> dict:
    result = samsa("list", "--bootstrap", bootstrap, "--json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def described(bootstrap: str, transactional_id: str) -> dict:
    result = samsa("describe", "--bootstrap", bootstrap, "--transactional-id", transactional_id, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def eventually(probe, expected, timeout: float = 15.0):
    """`probe()` once it equals `expected` (the Complete record follows the commit's answer), else its last value."""
    deadline = time.monotonic() + timeout
    value = probe()
    while value != expected and time.monotonic() < deadline:
        time.sleep(0.2)
        value = probe()
    return value


def open_and_committed(bootstrap: str, topic: str, suffix: str) -> tuple[Producer, str, str]:
    """A producer left inside a transaction on partitions 0 and 1, and an id whose transaction committed."""
    open_id, done_id = f"admin-open-{suffix}", f"admin-done-{suffix}"
    done = transactional(bootstrap, done_id)
    done.begin_transaction()
    done.produce(topic, value=b"committed", partition=1)
    done.commit_transaction(30)
    held = transactional(bootstrap, open_id)
    held.begin_transaction()
    held.produce(topic, value=b"open-0", partition=0)
    held.produce(topic, value=b"open-1", partition=1)
    held.flush(30)  # the partitions are added to the transaction before their records are sent
    return held, open_id, done_id


def test_samsa_transactions_list_and_describe(broker):
    topic = unique_topic("txadm")
    create_topic(broker.bootstrap, topic, 2)
    held, open_id, done_id = open_and_committed(broker.bootstrap, topic, "cli")
    try:
        def states() -> dict:
            return {t["transactional_id"]: t["state"] for t in listed(broker.bootstrap)["transactions"]}
        assert eventually(states, {open_id: "Ongoing", done_id: "CompleteCommit"}) == {open_id: "Ongoing", done_id: "CompleteCommit"}
        everything = listed(broker.bootstrap)
        assert everything["failed_brokers"] == [] and everything["unknown_state_filters"] == []
        assert {t["coordinator"] for t in everything["transactions"]} == {1}
        only_open = listed(broker.bootstrap, "--state", "Ongoing")["transactions"]
        assert [t["transactional_id"] for t in only_open] == [open_id]

        table = samsa("list", "--bootstrap", broker.bootstrap)
        assert table.returncode == 0, table.stderr
        lines = table.stdout.splitlines()
        assert lines[0].split() == ["TransactionalId", "Coordinator", "ProducerId", "TransactionState"]
        assert any(line.split()[0] == open_id and line.split()[-1] == "Ongoing" for line in lines[1:])

        ongoing = described(broker.bootstrap, open_id)
        assert ongoing["state"] == "Ongoing" and ongoing["coordinator_id"] == 1 and ongoing["producer_epoch"] == 0
        assert ongoing["topic_partitions"] == [{"topic": topic, "partition": 0}, {"topic": topic, "partition": 1}]
        assert ongoing["transaction_timeout_ms"] == 60000  # librdkafka's transaction.timeout.ms
        assert abs(ongoing["transaction_start_time_ms"] - time.time() * 1000) < 60_000
        assert ongoing["producer_id"] == next(t["producer_id"] for t in everything["transactions"] if t["transactional_id"] == open_id)

        committed = described(broker.bootstrap, done_id)
        assert committed["state"] == "CompleteCommit" and committed["topic_partitions"] == []
        assert committed.get("transaction_start_time_ms") is None

        table = samsa("describe", "--bootstrap", broker.bootstrap, "--transactional-id", open_id)
        assert table.returncode == 0, table.stderr
        header, row = table.stdout.splitlines()[:2]
        assert header.split() == ["CoordinatorId", "TransactionalId", "ProducerId", "ProducerEpoch", "TransactionState",
                                  "TransactionTimeoutMs", "CurrentTransactionStartTimeMs", "TransactionDurationMs", "TopicPartitions"]
        assert row.split()[4] == "Ongoing" and row.split()[-1] == f"{topic}-0,{topic}-1"
        done_row = samsa("describe", "--bootstrap", broker.bootstrap, "--transactional-id", done_id).stdout.splitlines()[1].split()
        assert done_row[4:8] == ["CompleteCommit", "60000", "None", "None"]
    finally:
        held.abort_transaction(30)

    assert eventually(lambda: described(broker.bootstrap, open_id)["state"], "CompleteAbort") == "CompleteAbort"
    unknown = samsa("describe", "--bootstrap", broker.bootstrap, "--transactional-id", "admin-never-used")
    assert unknown.returncode == 1 and "TRANSACTIONAL_ID_NOT_FOUND" in unknown.stderr
    bogus = samsa("list", "--bootstrap", broker.bootstrap, "--state", "Bogus")
    assert bogus.returncode == 1 and "unknown --state Bogus" in bogus.stderr


def test_kafka_python_admin_lists_and_describes_transactions(broker):
    kafka = pytest.importorskip("kafka")
    admin_module = pytest.importorskip("kafka.admin")
    if not hasattr(admin_module.KafkaAdminClient, "list_transactions"):
        pytest.skip(f"kafka-python {kafka.__version__} has no ListTransactions/DescribeTransactions admin calls")
    topic = unique_topic("txadm")
    create_topic(broker.bootstrap, topic, 2)
    held, open_id, done_id = open_and_committed(broker.bootstrap, topic, "kp")
    admin = admin_module.KafkaAdminClient(bootstrap_servers=broker.bootstrap, request_timeout_ms=10000)
    try:
        def states() -> dict:
            return {t.transactional_id: t.state.value for listings in admin.list_transactions().values() for t in listings}
        assert eventually(states, {open_id: "Ongoing", done_id: "CompleteCommit"}) == {open_id: "Ongoing", done_id: "CompleteCommit"}
        ongoing = admin.list_transactions(state_filters=["Ongoing"])
        assert [t.transactional_id for t in ongoing[1]] == [open_id]
        # v1's duration filter: the transaction opened well under an hour ago.
        assert admin.list_transactions(duration_filter_ms=3_600_000)[1] == []

        descriptions = admin.describe_transactions([open_id, done_id])
        assert descriptions[open_id].state.value == "Ongoing" and descriptions[open_id].coordinator_id == 1
        assert {(tp.topic, tp.partition) for tp in descriptions[open_id].topic_partitions} == {(topic, 0), (topic, 1)}
        assert descriptions[done_id].state.value == "CompleteCommit" and not descriptions[done_id].topic_partitions
        with pytest.raises(kafka.errors.TransactionalIdNotFoundError):
            admin.describe_transactions(["admin-never-used"])
    finally:
        admin.close()
        held.abort_transaction(30)
