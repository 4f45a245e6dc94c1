"""The workload consumer's consume() is bounded: librdkafka can block in it without a limit while a
group coordinator request waits for a broker dropped from the metadata (a chaos case's consumer once
sat there until the lab killed it). These drive run_consumer with stand-in consumers whose first
instance never returns from consume(): the poll must be recorded unknown, a new consumer in the same
group must take over, and its reads must be recorded."""
import json
import threading
import time
from argparse import Namespace

from workload_standins import load_workload as load_module, Message as StandInMessage


def load_workload():
    return load_module("kafka_workload_poll_bound")


def Message(offset):
    return StandInMessage(offset, "orders")


class FakeConsumer:
    made = []

    def __init__(self, config):
        self.config = config
        self.hang = not FakeConsumer.made  # the first consumer's consume() never returns
        self.given = False
        self.subscribed = None
        FakeConsumer.made.append(self)

    def subscribe(self, topics, on_assign=None, on_revoke=None):
        self.subscribed = topics
        self.on_assign = on_assign

    def consume(self, num_messages=1, timeout=0.2):
        if self.hang:
            threading.Event().wait(30)  # long past the bound: without it the test fails on time, not hangs
            return []
        if not self.given:
            self.given = True
            self.on_assign(self, [Namespace(topic="orders", partition=0)])
            return [Message(0), Message(1)]
        time.sleep(0.01)
        return []

    def assignment(self): return []
    def get_watermark_offsets(self, tp, cached=True, timeout=None): return (0, 2)
    def commit(self, asynchronous=True): pass
    def close(self): pass


def test_a_consume_that_never_returns_is_given_up_and_a_new_consumer_reads_on(tmp_path, monkeypatch):
    workload = load_workload()
    monkeypatch.setattr(workload, "Consumer", FakeConsumer)
    FakeConsumer.made = []
    history_path = tmp_path / "h.jsonl"
    history = workload.History(str(history_path), "consumer-1-1")
    args = Namespace(bootstrap="127.0.0.1:1", group="billing", isolation="read_uncommitted", commit="sync", session_timeout_ms=100,
                     process="consumer-1-1", topic="orders", assign=[], count=0, duration=12.0, drain=0.0, commit_timeout=1.0)
    started = time.monotonic()
    code = workload.run_consumer(args, history)
    history.close()
    assert time.monotonic() - started < 25
    assert code == 0
    ops = [json.loads(line) for line in history_path.read_text().splitlines()]
    polls = [op for op in ops if op["f"] == "poll" and op["type"] != "invoke"]
    assert polls[0]["type"] == "info" and "did not return within" in polls[0]["error"], polls[:2]
    assert len(FakeConsumer.made) == 2 and FakeConsumer.made[1].config["group.id"] == "billing"
    assert FakeConsumer.made[1].subscribed == ["orders"]
    read = [r["offset"] for op in polls if op["type"] == "ok" for r in op["value"]["records"]]
    assert read == [0, 1], "the new consumer's reads are recorded"
    assigns = [op for op in ops if op["f"] == "assign" and op["type"] == "ok"]
    assert assigns and assigns[-1]["value"]["partitions"] == [{"topic": "orders", "partition": 0}]
    assert workload.ABANDONED_CLIENTS == [FakeConsumer.made[0]]


class AlwaysHangingConsumer(FakeConsumer):
    def __init__(self, config):
        super().__init__(config)
        self.hang = True


def test_a_hang_near_the_end_does_not_hold_the_consumer_past_its_drain(tmp_path, monkeypatch):
    # Every consume() hangs: the bound is clipped to the end of the drain (duration + drain), so the
    # process ends near it instead of one poll bound (session timeout + 10 s) per replacement later.
    workload = load_workload()
    monkeypatch.setattr(workload, "Consumer", AlwaysHangingConsumer)
    FakeConsumer.made = []
    history_path = tmp_path / "h.jsonl"
    history = workload.History(str(history_path), "consumer-1-1")
    args = Namespace(bootstrap="127.0.0.1:1", group="billing", isolation="read_uncommitted", commit="sync", session_timeout_ms=6000,
                     process="consumer-1-1", topic="orders", assign=[], count=0, duration=3.0, drain=2.0, commit_timeout=1.0)
    started = time.monotonic()
    code = workload.run_consumer(args, history)
    history.close()
    elapsed = time.monotonic() - started
    assert code == 0
    assert elapsed < 9, f"the consumer ran {elapsed:.1f} s, past its 3 s + 2 s drain (poll bound 16 s)"
    ops = [json.loads(line) for line in history_path.read_text().splitlines()]
    polls = [op for op in ops if op["f"] == "poll" and op["type"] != "invoke"]
    assert polls and all(op["type"] == "info" for op in polls), polls
