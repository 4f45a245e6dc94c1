"""Network-namespace "hosts" on one machine: N namespaces on a bridge of their own, ZooKeeper on the
bridge's address in the root namespace, and one `samsa broker` per namespace listening on (and
advertising) its namespace's address. The kernel's own tools (iptables, tc) then act on one broker's
host exactly as they would on a real machine: `ip netns exec NS iptables ...`.

Needs root and `ip`, `iptables`, `tc` (Debian's iproute2 and iptables). Every name carries the pid
of the process that made it, so two runs never collide, and `clean_leftovers()` (called on every
start) removes whatever a run that died left behind: its namespaces with their processes, its veths,
its bridge. `stop()` always removes this run's, and every wait is bounded.
"""
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

NS_PREFIX = "samsa-nh-"          # samsa-nh-<pid>-<cluster>-<broker>
BRIDGE_PREFIX = "snb"            # snb<pid>-<cluster> (interface names are at most 15 characters)
VETH_PREFIX = "snv"              # snv<pid>-<cluster><broker>
ZK_CLASSPATH = ":".join(["/usr/share/java/zookeeper.jar", "/usr/share/java/slf4j-log4j12.jar", "/usr/share/java/log4j-1.2.jar"])
BROKER_PORT = 9092
BROKER_PROPERTIES = {
    "zookeeper.session.timeout.ms": "2000",
    "zookeeper.connection.timeout.ms": "10000",
    "replica.lag.time.max.ms": "2000",
    "replica.fetch.backoff.ms": "100",
    "replica.socket.timeout.ms": "3000",
    "controller.socket.timeout.ms": "3000",
    "default.replication.factor": "3",
    "offsets.topic.replication.factor": "3",
    "offsets.topic.num.partitions": "3",
    "transaction.state.log.replication.factor": "3",
    "transaction.state.log.num.partitions": "3",
    "group.initial.rebalance.delay.ms": "0",
}

_clusters = 0


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    command = ["ip", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=20)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def in_namespace(namespace: str, *command: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["ip", "netns", "exec", namespace, *command], capture_output=True, text=True, timeout=20)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} in {namespace} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def missing_tools() -> str | None:
    """Why namespace hosts cannot be made here, or None."""
    if os.geteuid() != 0:
        return "network namespaces, veths and iptables need root"
    for tool in ["ip", "iptables", "tc", "java"]:
        if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode != 0:
            return f"'{tool}' is not installed (scripts/setup installs it)"
    return None


def clean_leftovers() -> list[str]:
    """Removes namespaces, veths and bridges whose maker is dead; returns what it removed."""
    removed = []
    namespaces = ip("netns", "list").stdout.split()
    for name in namespaces:
        match = re.fullmatch(rf"{NS_PREFIX}(\d+)-\d+-\d+", name)
        if match and not alive(int(match.group(1))):
            for pid in ip("netns", "pids", name, check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            ip("netns", "delete", name, check=False)
            removed.append(name)
    for line in ip("-o", "link", "show").stdout.splitlines():
        match = re.match(rf"\d+: (({BRIDGE_PREFIX}|{VETH_PREFIX})(\d+)-\d+)[@:]", line)
        if match and not alive(int(match.group(3))):
            ip("link", "delete", match.group(1), check=False)
            removed.append(match.group(1))
    return removed


def free_subnet() -> int:
    """A third octet x such that no interface of this machine has an address in 10.213.x.0/24."""
    used = set(int(m) for m in re.findall(r"inet 10\.213\.(\d+)\.", ip("-o", "addr", "show").stdout))
    start = os.getpid() % 250
    for step in range(250):
        octet = (start + step) % 250 + 1
        if octet not in used:
            return octet
    raise RuntimeError("every 10.213.x.0/24 subnet is in use")


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise TimeoutError(f"{what} after {timeout}s")


def reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class NamespaceCluster:
    """ZooKeeper plus `brokers` Samsa brokers, each broker alone in a network namespace."""

    def __init__(self, workdir: Path, samsa: str, brokers: int = 3):
        global _clusters
        _clusters += 1
        self.workdir = workdir
        self.samsa = samsa
        self.count = brokers
        self.tag = f"{os.getpid()}-{_clusters}"
        self.bridge = f"{BRIDGE_PREFIX}{self.tag}"
        self.octet = 0
        self.processes: dict[str, subprocess.Popen] = {}
        self.namespaces: list[str] = []
        self.veths: list[str] = []
        self.zk_port = 0

    def namespace(self, broker: int) -> str:
        return f"{NS_PREFIX}{self.tag}-{broker}"

    def host(self, broker: int) -> str:
        return f"10.213.{self.octet}.{10 + broker}"

    @property
    def gateway(self) -> str:
        return f"10.213.{self.octet}.1"

    @property
    def bootstrap(self) -> str:
        return ",".join(f"{self.host(i)}:{BROKER_PORT}" for i in range(1, self.count + 1))

    def start(self, timeout: float = 60) -> "NamespaceCluster":
        clean_leftovers()
        try:
            self._network()
            self._zookeeper()
            for broker in range(1, self.count + 1):
                self._broker(broker)
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _network(self) -> None:
        self.octet = free_subnet()
        ip("link", "add", self.bridge, "type", "bridge")
        ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        for broker in range(1, self.count + 1):
            namespace, veth = self.namespace(broker), f"{VETH_PREFIX}{self.tag}{broker}"
            ip("netns", "add", namespace)
            self.namespaces.append(namespace)
            ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", namespace)
            self.veths.append(veth)
            ip("link", "set", veth, "master", self.bridge, "up")
            ip("-n", namespace, "addr", "add", f"{self.host(broker)}/24", "dev", "eth0")
            ip("-n", namespace, "link", "set", "eth0", "up")
            ip("-n", namespace, "link", "set", "lo", "up")

    def _spawn(self, name: str, command: list[str], namespace: str | None = None) -> None:
        # setpriv: the child is SIGKILLed when the test process dies, whatever kills it.
        prefix = ["setpriv", "--pdeathsig", "KILL"] + (["ip", "netns", "exec", namespace] if namespace else [])
        log = open(self.workdir / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(prefix + command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                                start_new_session=True)
        log.close()

    def _zookeeper(self) -> None:
        directory = self.workdir / "zookeeper"
        (directory / "data").mkdir(parents=True, exist_ok=True)
        with socket.socket() as s:
            s.bind((self.gateway, 0))
            self.zk_port = s.getsockname()[1]
        (directory / "zoo.cfg").write_text(
            f"tickTime=200\ndataDir={directory / 'data'}\nclientPort={self.zk_port}\nclientPortAddress={self.gateway}\n"
            "minSessionTimeout=400\nmaxSessionTimeout=20000\nmaxClientCnxns=0\nadmin.enableServer=false\n"
            "4lw.commands.whitelist=ruok\nforceSync=no\n")
        (directory / "log4j.properties").write_text(
            f"log4j.rootLogger=INFO, FILE\nlog4j.appender.FILE=org.apache.log4j.FileAppender\n"
            f"log4j.appender.FILE.File={directory / 'zookeeper.log'}\nlog4j.appender.FILE.layout=org.apache.log4j.PatternLayout\n"
            "log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} %-5p %m%n\n")
        self._spawn("zookeeper", ["java", "-Xms32m", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
                                  f"-Dlog4j.configuration=file:{directory / 'log4j.properties'}", "-cp", ZK_CLASSPATH,
                                  "org.apache.zookeeper.server.quorum.QuorumPeerMain", str(directory / "zoo.cfg")])
        wait_for(lambda: self._alive("zookeeper") and reachable(self.gateway, self.zk_port, 0.5), 30, "ZooKeeper is not listening")

    def _alive(self, name: str) -> bool:
        process = self.processes[name]
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}; see {self.workdir / (name + '.log')}")
        return True

    def _broker(self, broker: int) -> None:
        directory = self.workdir / f"broker-{broker}"
        (directory / "data").mkdir(parents=True, exist_ok=True)
        properties = {
            "broker.id": str(broker),
            "listeners": f"PLAINTEXT://{self.host(broker)}:{BROKER_PORT}",
            "advertised.listeners": f"PLAINTEXT://{self.host(broker)}:{BROKER_PORT}",
            "log.dirs": str(directory / "data"),
            "zookeeper.connect": f"{self.gateway}:{self.zk_port}",
            "samsa.event.log": str(directory / "events.jsonl"),
            **BROKER_PROPERTIES,
        }
        (directory / "server.properties").write_text("".join(f"{k}={v}\n" for k, v in properties.items()))
        self._spawn(f"broker-{broker}", [self.samsa, "broker", "--config", str(directory / "server.properties")], self.namespace(broker))

    def metadata(self, timeout: float = 5.0) -> dict:
        from confluent_kafka.admin import AdminClient
        admin = AdminClient({"bootstrap.servers": self.bootstrap, "socket.timeout.ms": int(timeout * 1000)})
        meta = admin.list_topics(timeout=timeout)
        return {"brokers": sorted(meta.brokers), "controller": meta.controller_id,
                "topics": {name: {p: part.leader for p, part in t.partitions.items()} for name, t in meta.topics.items()}}

    def wait_ready(self, timeout: float) -> None:
        def ready():
            for name in self.processes:
                self._alive(name)
            try:
                meta = self.metadata(2.0)
            except Exception:
                return False
            return meta["brokers"] == list(range(1, self.count + 1)) and meta["controller"] > 0
        wait_for(ready, timeout, "the namespace brokers did not all register with a controller")

    def rules(self, broker: int) -> list[str]:
        """`iptables -S` in broker's namespace, without the policy lines."""
        return [line for line in in_namespace(self.namespace(broker), "iptables", "-S").stdout.splitlines() if not line.startswith("-P ")]

    def qdisc(self, broker: int) -> str:
        return in_namespace(self.namespace(broker), "tc", "qdisc", "show", "dev", "eth0").stdout

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        for namespace in self.namespaces:
            for pid in ip("netns", "pids", namespace, check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            ip("netns", "delete", namespace, check=False)
        for veth in self.veths:
            ip("link", "delete", veth, check=False)
        ip("link", "delete", self.bridge, check=False)
        self.namespaces, self.veths, self.processes = [], [], {}


def main() -> int:
    """`python3 Tests/Interop/netns_hosts.py [--brokers N] [--samsa PATH]`: starts the hosts, prints a
    `cluster:` block for a playbook, and tears everything down on Ctrl-C or SIGTERM."""
    import argparse
    import tempfile
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--brokers", type=int, default=3, choices=range(1, 10))
    parser.add_argument("--samsa", default=str(Path(__file__).resolve().parents[2] / ".build" / "release" / "samsa"))
    args = parser.parse_args()
    if (why := missing_tools()) is not None:
        print(f"netns_hosts: {why}")
        return 1
    cluster = NamespaceCluster(Path(tempfile.mkdtemp(prefix="samsa-netns-")), args.samsa, args.brokers)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        cluster.start()
        brokers = "".join(f"    {i}: {{host: {cluster.host(i)}, port: {BROKER_PORT}, vars: {{ns: {cluster.namespace(i)}}}}}\n"
                          for i in range(1, args.brokers + 1))
        print(f"READY bootstrap={cluster.bootstrap} logs={cluster.workdir}\ncluster:\n  bootstrap: \"{cluster.bootstrap}\"\n  brokers:\n{brokers}",
              flush=True)
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        return 0
    finally:
        cluster.stop()


if __name__ == "__main__":
    raise SystemExit(main())
