"""A real multi-process cluster for tests, started with `samsa cluster up` (ZooKeeper + N brokers).

Brokers are crashed, stopped, paused and restarted by signalling their real processes. Every wait is
bounded; teardown stops the lab with SIGINT and checks that no process of it remains.
"""
import json
import os
import random
import signal
import socket
import struct
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka.admin import AdminClient, NewTopic

from conftest import SAMSA


def ports_free(base: int, count: int) -> bool:
    for port in [base + offset + i for offset in (0, 100, 200) for i in range(count)]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def ephemeral_floor() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def pick_base_port(count: int) -> int:
    """Client, metrics and internal ports below the ephemeral range, where no proxy listener or
    outgoing connection opened later can take them."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(10000, ephemeral_floor() - 300, 10)
        if ports_free(base, count):
            return base
    raise RuntimeError("no free port range")


@dataclass
class PartitionState:
    leader: int
    replicas: list[int]
    isrs: list[int]
    error: int


class MetadataReader:
    """Metadata v2 over one short-lived connection per request, read straight off the wire. Unlike a
    client library it never waits on a paused or cut-off broker longer than `timeout`: the next
    broker is asked instead."""

    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def take(self, fmt: str):
        values = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return values[0] if len(values) == 1 else values

    def string(self):
        size = self.take(">h")
        if size < 0:
            return None
        text = self.data[self.at:self.at + size].decode()
        self.at += size
        return text

    def array(self, read):
        return [read() for _ in range(self.take(">i"))]

    @staticmethod
    def request(port: int, topics: list[str] | None, timeout: float) -> dict:
        names = b"".join(struct.pack(">h", len(t)) + t.encode() for t in topics or [])
        body = struct.pack(">hhih", 3, 2, 7, 3) + b"lab" + struct.pack(">i", len(topics) if topics is not None else -1) + names
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(struct.pack(">i", len(body)) + body)
            data = b""
            while len(data) < 4 or len(data) < 4 + struct.unpack(">i", data[:4])[0]:
                chunk = s.recv(65536)
                if not chunk:
                    raise ConnectionError(f"broker on {port} closed the connection")
                data += chunk
        r = MetadataReader(data[8:])  # size, correlation id
        brokers = r.array(lambda: (r.take(">i"), r.string(), r.take(">i"), r.string()))
        cluster_id = r.string()
        controller = r.take(">i")

        def partition():
            error, index, leader = r.take(">hii")
            replicas = r.array(lambda: r.take(">i"))
            isrs = r.array(lambda: r.take(">i"))
            return index, PartitionState(leader, replicas, isrs, error)

        def topic():
            error, name, _internal = r.take(">h"), r.string(), r.take(">?")
            return name, (error, dict(r.array(partition)))

        return {"cluster_id": cluster_id, "controller": controller, "brokers": sorted(b[0] for b in brokers), "topics": dict(r.array(topic))}


class LabCluster:
    def __init__(self, workdir: Path, brokers: int = 3, properties: dict[str, str] | None = None,
                 extra_args: list[str] | None = None):
        self.dir = workdir / "lab"
        self.brokers = brokers
        self.base_port = pick_base_port(brokers)
        args = [SAMSA, "cluster", "up", "--brokers", str(brokers), "--base-port", str(self.base_port), "--dir", str(self.dir)]
        for key, value in (properties or {}).items():
            args += ["--broker-config", f"{key}={value}"]
        args += extra_args or []
        self.out = open(workdir / "lab.out", "wb")
        self.err = open(workdir / "lab.err", "wb")
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.err, start_new_session=True)
        self.bootstrap = self._wait_ready(timeout=90)
        self.restarted: dict[int, subprocess.Popen] = {}
        self.all_pids: set[int] = set(self.pids().values())

    def _wait_ready(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        os.set_blocking(self.process.stdout.fileno(), False)
        buffer = b""
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"cluster up exited {self.process.returncode}: {Path(self.err.name).read_text()[-3000:]}")
            chunk = self.process.stdout.read()
            if chunk:
                buffer += chunk
                for line in buffer.decode().splitlines():
                    if line.startswith("READY bootstrap="):
                        return line.split("=", 1)[1]
            time.sleep(0.05)
        raise TimeoutError("cluster not READY")

    # Processes

    def pids(self) -> dict[str, int]:
        recorded = json.loads((self.dir / "processes.json").read_text())
        pids = {p["name"]: p["pid"] for p in recorded}
        for broker_id, process in self.restarted.items():
            pids[f"broker-{broker_id}"] = process.pid
        return pids

    def pid(self, broker_id: int) -> int:
        return self.pids()[f"broker-{broker_id}"]

    def signal(self, broker_id: int, sig: int) -> None:
        os.kill(self.pid(broker_id), sig)

    def kill9(self, broker_id: int) -> None:
        pid = self.pid(broker_id)
        os.kill(pid, signal.SIGKILL)
        self._wait_gone(pid)

    def terminate(self, broker_id: int, timeout: float = 30) -> None:
        pid = self.pid(broker_id)
        os.kill(pid, signal.SIGTERM)
        self._wait_gone(pid, timeout)

    def _wait_gone(self, pid: int, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if broker_process := self.restarted_by_pid(pid):
                if broker_process.poll() is not None:
                    return
            elif not alive(pid):
                return
            time.sleep(0.05)
        raise TimeoutError(f"process {pid} still alive")

    def restarted_by_pid(self, pid: int):
        return next((p for p in self.restarted.values() if p.pid == pid), None)

    def restart(self, broker_id: int) -> None:
        """Starts broker `broker_id` again on its existing data and config."""
        directory = self.dir / f"broker-{broker_id}"
        log = open(directory / "broker.log", "ab")
        process = subprocess.Popen([SAMSA, "broker", "--config", str(directory / "server.properties")], stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.restarted[broker_id] = process
        self.all_pids.add(process.pid)

    # Observation

    def admin(self) -> AdminClient:
        if getattr(self, "_admin", None) is None:
            self._admin = AdminClient({"bootstrap.servers": self.bootstrap})
        return self._admin

    def create_topic(self, name: str, partitions: int = 1, replication: int = 3, config: dict | None = None) -> None:
        futures = self.admin().create_topics([NewTopic(name, num_partitions=partitions, replication_factor=replication, config=config or {})])
        futures[name].result(timeout=20)

    def metadata(self, topics: list[str] | None = None, timeout: float = 2.0) -> dict:
        """Asks the brokers in turn (a different one first each call) until one answers."""
        self._next = (getattr(self, "_next", -1) + 1) % self.brokers
        errors = []
        for i in range(self.brokers):
            port = self.base_port + (self._next + i) % self.brokers
            try:
                return MetadataReader.request(port, topics, timeout)
            except (OSError, struct.error) as error:
                errors.append(f"{port}: {error}")
        raise ConnectionError("no broker answered Metadata: " + "; ".join(errors))

    def partition(self, topic: str, partition: int = 0) -> PartitionState:
        error, partitions = self.metadata([topic])["topics"][topic]
        if partition not in partitions:
            raise LookupError(f"{topic}/{partition} not in metadata (topic error {error})")
        return partitions[partition]

    def wait_for(self, predicate, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = predicate()
                if last:
                    return last
            except Exception as error:  # metadata requests fail while brokers move
                last = error
            time.sleep(0.1)
        raise TimeoutError(f"{what} not reached within {timeout}s (last: {last})")

    def events(self, broker_id: int) -> list[dict]:
        path = self.dir / f"broker-{broker_id}" / "events.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []

    def all_events(self) -> list[dict]:
        return sorted((e for b in range(1, self.brokers + 1) for e in self.events(b)), key=lambda e: e["time_ns"])

    def metrics(self, broker_id: int) -> dict[str, float]:
        body = urllib.request.urlopen(f"http://127.0.0.1:{self.base_port + 100 + broker_id - 1}/metrics", timeout=5).read().decode()
        values = {}
        for line in body.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name.split("{")[0]] = float(value)
        return values

    def controller(self) -> int:
        return self.metadata([])["controller"]

    def log(self, broker_id: int) -> str:
        return (self.dir / f"broker-{broker_id}" / "broker.log").read_text(errors="replace")

    def fault(self, *words: str) -> dict:
        """Injects a fault through `samsa fault` from this (second) process; returns its JSON answer."""
        out = subprocess.run([SAMSA, "fault", "--dir", str(self.dir), "--json", *words], capture_output=True, text=True, timeout=120)
        answer = json.loads(out.stdout) if out.stdout.strip() else {"ok": False, "error": out.stderr}
        assert answer.get("ok"), f"samsa fault {' '.join(words)}: {answer.get('error')}"
        return answer

    def timeline(self) -> list[dict]:
        path = self.dir / "timeline.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []

    def status(self) -> dict:
        out = subprocess.run([SAMSA, "cluster", "status", "--dir", str(self.dir), "--json"], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    # Teardown

    def stop(self) -> None:
        for process in self.restarted.values():
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
        for name, pid in self.pids().items():
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        for process in self.restarted.values():
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")
