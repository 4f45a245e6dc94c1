"""Fixtures that run real `samsa broker` processes for interop and process tests.

Every process is started in its own process group and killed at teardown, so a failing test never
leaves a broker behind. Every wait is bounded.
"""
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

SAMSA = os.environ.get("SAMSA_BIN", str(Path(__file__).resolve().parents[2] / ".build" / "release" / "samsa"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"broker exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


class BrokerProcess:
    """One standalone broker with its own log dir, restartable on the same port and data."""

    def __init__(self, workdir: Path, extra: dict[str, str] | None = None):
        self.workdir = workdir
        self.port = free_port()
        self.metrics_port = free_port()
        self.log_dir = workdir / "data"
        self.config = workdir / "server.properties"
        props = {
            "broker.id": "1",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "log.dirs": str(self.log_dir),
            "num.partitions": "1",
            "samsa.metrics.port": str(self.metrics_port),
        }
        props.update(extra or {})
        self.config.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self.starts += 1
        log = open(self.workdir / f"broker-{self.starts}.log", "wb")
        self.process = subprocess.Popen([SAMSA, "broker", "--config", str(self.config)], stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        wait_for_port(self.port, process=self.process)

    def kill9(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self, timeout: float = 20.0) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def log_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.workdir.glob("broker-*.log")))

    def cleanup(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=10)


@pytest.fixture
def broker_factory(tmp_path):
    created: list[BrokerProcess] = []

    def make(extra: dict[str, str] | None = None, start: bool = True) -> BrokerProcess:
        workdir = tmp_path / f"broker{len(created)}"
        workdir.mkdir()
        broker = BrokerProcess(workdir, extra)
        created.append(broker)
        if start:
            broker.start()
        return broker

    yield make
    for broker in created:
        broker.cleanup()


@pytest.fixture
def broker(broker_factory):
    return broker_factory()


def unique_topic(prefix: str = "t") -> str:
    return f"{prefix}-{os.getpid()}-{time.monotonic_ns() % 10**9}"


@pytest.fixture
def lab_factory(tmp_path):
    from labcluster import LabCluster, alive
    created = []

    def make(brokers: int = 3, properties: dict[str, str] | None = None, extra_args: list[str] | None = None):
        workdir = tmp_path / f"lab{len(created)}"
        workdir.mkdir()
        cluster = LabCluster(workdir, brokers, properties, extra_args)
        created.append(cluster)
        return cluster

    yield make
    for cluster in created:
        pids = set(cluster.all_pids) | set(cluster.pids().values())
        cluster.stop()
        leftovers = [pid for pid in pids if alive(pid)]
        for pid in leftovers:
            os.kill(pid, signal.SIGKILL)
        assert not leftovers, f"processes left after the lab stopped: {leftovers}"
