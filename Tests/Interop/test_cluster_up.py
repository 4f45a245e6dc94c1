"""`samsa cluster up` leaves no process behind, after SIGINT and after SIGKILL of itself."""
import json
import os
import signal
import subprocess
import time

from conftest import SAMSA
from labcluster import alive, pick_base_port


def start(tmp_path):
    base = pick_base_port(3)
    process = subprocess.Popen([SAMSA, "cluster", "up", "--brokers", "3", "--base-port", str(base), "--dir", str(tmp_path / "lab")],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
    line = process.stdout.readline().decode()
    assert line.startswith("READY bootstrap=127.0.0.1:"), line
    pids = [p["pid"] for p in json.loads((tmp_path / "lab" / "processes.json").read_text())]
    assert len(pids) == 4 and all(alive(pid) for pid in pids)
    return process, pids


def wait_dead(pids, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.1)
    return [pid for pid in pids if alive(pid)]


def test_sigint_stops_everything(tmp_path):
    process, pids = start(tmp_path)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0
    assert wait_dead(pids) == []


def test_sigkill_of_the_lab_kills_its_children(tmp_path):
    process, pids = start(tmp_path)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    left = wait_dead(pids, timeout=15)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == []
    # The stale run directory is cleaned by the next start in the same place.
    process, pids = start(tmp_path)
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)
    assert wait_dead(pids) == []
