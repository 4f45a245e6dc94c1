"""For tests that drive the workload script's functions with stand-in clients: a fresh copy of the
script's module (its globals, such as the abandoned clients, start empty in each test) and a
stand-in for confluent-kafka's Message."""
import importlib.util
import sys
from pathlib import Path

# No bytecode next to the workload script: SwiftPM would find an undeclared file in the Lab target.
sys.dont_write_bytecode = True
WORKLOAD = Path(__file__).resolve().parents[2] / "Sources" / "Lab" / "Workload" / "kafka_workload.py"


def load_workload(name: str):
    spec = importlib.util.spec_from_file_location(name, WORKLOAD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Message:
    def __init__(self, offset, topic: str):
        self._offset = offset
        self._topic = topic

    def error(self): return None
    def topic(self): return self._topic
    def partition(self): return 0
    def offset(self): return self._offset
    def value(self): return f"v{self._offset}".encode()
    def key(self): return None
