"""The workload consumer's synchronous commit and close are bounded: librdkafka waits for them without a
limit while the group coordinator is unreachable, which once held a chaos run's consumer past its end.
These drive the bounding logic with a consumer whose commit blocks until released."""
import importlib.util
import sys
import threading
import time
from pathlib import Path

import pytest

# No bytecode next to the workload script: SwiftPM would find an undeclared file in the Lab target.
sys.dont_write_bytecode = True
WORKLOAD = Path(__file__).resolve().parents[2] / "Sources" / "Lab" / "Workload" / "kafka_workload.py"
spec = importlib.util.spec_from_file_location("kafka_workload", WORKLOAD)
workload = importlib.util.module_from_spec(spec)
spec.loader.exec_module(workload)


class BlockingCommitConsumer:
    def __init__(self):
        self.release = threading.Event()
        self.commits = 0

    def commit(self, asynchronous=True):
        assert asynchronous is False
        self.commits += 1
        if not self.release.wait(10):
            raise RuntimeError("never released")


def test_a_commit_that_does_not_answer_is_given_up_within_its_bound_and_blocks_no_further_commit():
    consumer = BlockingCommitConsumer()
    commits = workload.BoundedCommits(consumer)
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="unfinished after 0.3 s"):
        commits.commit(0.3)
    assert time.monotonic() - started < 2
    assert commits.pending()
    consumer.release.set()
    commits.running.join(2)
    assert not commits.pending()
    commits.commit(0.3)
    assert consumer.commits == 2


def test_a_commit_error_reaches_the_caller():
    class Failing:
        def commit(self, asynchronous=True):
            raise RuntimeError("COORDINATOR_NOT_AVAILABLE")

    with pytest.raises(RuntimeError, match="COORDINATOR_NOT_AVAILABLE"):
        workload.BoundedCommits(Failing()).commit(1)


def test_bounded_returns_whether_the_call_finished():
    assert workload.bounded(lambda: None, 1) is True
    gate = threading.Event()
    assert workload.bounded(lambda: gate.wait(5), 0.2) is False
    gate.set()
