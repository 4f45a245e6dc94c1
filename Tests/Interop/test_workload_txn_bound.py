"""The transform's send_offsets_to_transaction is bounded: librdkafka can wait for it without a limit
when the group coordinator's broker leaves the metadata (seen in a rolling restart: the transform sat
until the lab killed it). These drive run_transform with stand-in clients whose first producer never
returns from send_offsets_to_transaction: the transaction must be recorded unknown, a new producer
with the same transactional.id must take over, and the next transaction must commit."""
import json
import threading
import time
from argparse import Namespace

from workload_standins import load_workload as load_module, Message as StandInMessage


def load_workload():
    return load_module("kafka_workload_txn_bound")


def Message(offset):
    return StandInMessage(offset, "in")


class FakeConsumer:
    """Returns offsets 0 and 1 once, then (after an abort's seek back) again, then nothing."""
    def __init__(self, config):
        self.position_ = 0
        self.ends = 2

    def subscribe(self, topics, on_assign=None, on_revoke=None): pass
    def consume(self, num_messages=1, timeout=0.2):
        if self.position_ >= self.ends:
            time.sleep(0.01)
            return []
        batch = [Message(o) for o in range(self.position_, self.ends)]
        self.position_ = self.ends
        return batch
    def seek(self, tp): self.position_ = tp.offset
    def assignment(self): return []
    def consumer_group_metadata(self): return object()
    def close(self): pass


class FakeProducer:
    made = []

    def __init__(self, config):
        self.config = config
        self.hang = not FakeProducer.made  # the first producer's send_offsets never returns
        self.committed = 0
        self.inits = 0
        self.callbacks = []
        FakeProducer.made.append(self)

    def init_transactions(self, timeout): self.inits += 1
    def begin_transaction(self): pass
    def produce(self, topic, value=None, on_delivery=None, partition=None):
        self.callbacks.append((on_delivery, topic, value))
    def poll(self, timeout): self.deliver()
    def flush(self, timeout): self.deliver()
    def deliver(self):
        callbacks, self.callbacks = self.callbacks, []
        for index, (callback, topic, value) in enumerate(callbacks):
            message = Namespace(topic=lambda t=topic: t, partition=lambda: 0, offset=lambda i=index: i)
            callback(None, message)
    def send_offsets_to_transaction(self, positions, metadata, timeout):
        if self.hang:
            threading.Event().wait(30)  # long past the bound: without it the test fails on time, not hangs
    def commit_transaction(self, timeout): self.committed += 1
    def abort_transaction(self, timeout): pass


def test_a_send_offsets_that_never_returns_is_given_up_and_a_new_producer_commits(tmp_path, monkeypatch):
    workload = load_workload()
    monkeypatch.setattr(workload, "Consumer", FakeConsumer)
    monkeypatch.setattr(workload, "Producer", FakeProducer)
    FakeProducer.made = []
    history_path = tmp_path / "h.jsonl"
    history = workload.History(str(history_path), "transform-1")
    args = Namespace(bootstrap="127.0.0.1:1", group="g", session_timeout_ms=6000, process="transform-1", transactional_id="transform-1",
                     topic="in", output="out", duration=8.0, drain=0.0, txn_records=10, value_size=8, abort_rate=0.0,
                     txn_timeout=0.5, commit_timeout=1.0, linger_ms=5, compression="none", delivery_timeout_ms=30000,
                     request_timeout_ms=5000, transaction_timeout_ms=0)
    started = time.monotonic()
    code = workload.run_transform(args, history)
    history.close()
    assert time.monotonic() - started < 15
    assert code == 0
    ops = [json.loads(line) for line in history_path.read_text().splitlines()]
    aborts = [op for op in ops if op["f"] == "txn_abort" and op["type"] != "invoke"]
    assert len(aborts) == 1 and aborts[0]["type"] == "info", aborts
    assert "did not return within" in aborts[0]["error"]
    assert len(FakeProducer.made) == 2, "a new producer with the same transactional.id took over"
    assert FakeProducer.made[1].config["transactional.id"] == "transform-1" and FakeProducer.made[1].inits == 1
    commits = [op for op in ops if op["f"] == "txn_commit" and op["type"] == "ok"]
    assert len(commits) == 1 and [i["offset"] for i in commits[0]["value"]["inputs"]] == [0, 1], "the inputs were read again and committed"
    assert workload.ABANDONED_CLIENTS == [FakeProducer.made[0]]


class HangingFirstConsumer(FakeConsumer):
    """The first consumer's consume() never returns; later ones read offsets 0 and 1."""
    made = []

    def __init__(self, config):
        super().__init__(config)
        self.config = config
        self.hang = not HangingFirstConsumer.made
        HangingFirstConsumer.made.append(self)

    def consume(self, num_messages=1, timeout=0.2):
        if self.hang:
            threading.Event().wait(30)  # long past the bound: without it the test fails on time, not hangs
            return []
        return super().consume(num_messages, timeout)


class CommittingProducer(FakeProducer):
    def __init__(self, config):
        super().__init__(config)
        self.hang = False


def test_a_transform_consume_that_never_returns_is_given_up_and_a_new_consumer_goes_on(tmp_path, monkeypatch):
    workload = load_workload()
    monkeypatch.setattr(workload, "Consumer", HangingFirstConsumer)
    monkeypatch.setattr(workload, "Producer", CommittingProducer)
    HangingFirstConsumer.made = []
    FakeProducer.made = []
    history_path = tmp_path / "h.jsonl"
    history = workload.History(str(history_path), "transform-1")
    args = Namespace(bootstrap="127.0.0.1:1", group="g", session_timeout_ms=100, process="transform-1", transactional_id="transform-1",
                     topic="in", output="out", duration=12.0, drain=0.0, txn_records=10, value_size=8, abort_rate=0.0,
                     txn_timeout=0.5, commit_timeout=1.0, linger_ms=5, compression="none", delivery_timeout_ms=30000,
                     request_timeout_ms=5000, transaction_timeout_ms=0)
    started = time.monotonic()
    code = workload.run_transform(args, history)
    history.close()
    assert time.monotonic() - started < 25
    assert code == 0
    ops = [json.loads(line) for line in history_path.read_text().splitlines()]
    polls = [op for op in ops if op["f"] == "poll" and op["type"] != "invoke"]
    assert polls[0]["type"] == "info" and "did not return within" in polls[0]["error"], polls[:2]
    assert len(HangingFirstConsumer.made) == 2 and HangingFirstConsumer.made[1].config["group.id"] == "g"
    commits = [op for op in ops if op["f"] == "txn_commit" and op["type"] == "ok"]
    assert len(commits) == 1 and [i["offset"] for i in commits[0]["value"]["inputs"]] == [0, 1], "the new consumer's inputs were committed"
    assert workload.ABANDONED_CLIENTS == [HangingFirstConsumer.made[0]]
