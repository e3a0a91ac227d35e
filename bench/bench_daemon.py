"""Starting a mosaicod for a benchmark: one place for the command line, the log file and the wait until it serves.

launch(binary, data_dir, args, ...) runs `binary run --port <free> --data-dir data_dir *args` with stdout and stderr
in a log file under data_dir, and returns once the daemon answers the `info` action (RuntimeError naming the log
if it exits or does not answer within `timeout` seconds). wait_ready(client) is that wait, for other servers.
"""

import os
import subprocess
import time
from dataclasses import dataclass

import pyarrow.flight as fl

from flight_throughput import free_port  # bench/ is the script's directory, so on sys.path


@dataclass
class Launched:
    proc: subprocess.Popen
    client: fl.FlightClient
    port: int
    url: str
    log_path: str
    log_file: object


def launch(binary, data_dir, args=(), log_name=None, timeout=30.0, poll=0.05, port=None):
    port = port or free_port()
    log_path = os.path.join(data_dir, log_name or f"daemon-{port}.log")
    log_file = open(log_path, "w")
    proc = subprocess.Popen([binary, "run", "--port", str(port), "--data-dir", data_dir, *args],
                            stdout=log_file, stderr=log_file)
    url = f"grpc://127.0.0.1:{port}"
    client = fl.FlightClient(url)
    if not wait_ready(client, timeout, poll, alive=lambda: proc.poll() is None):
        raise RuntimeError(f"daemon did not start, see {log_path}")
    return Launched(proc, client, port, url, log_path, log_file)


def wait_ready(client, timeout=30.0, poll=0.05, alive=lambda: True):
    """True once the Flight server behind `client` answers the `info` action; False after `timeout` seconds or as
    soon as `alive()` says its process is gone."""
    deadline = time.time() + timeout
    while True:
        try:
            list(client.do_action(fl.Action("info", b"{}")))
            return True
        except Exception:
            if time.time() > deadline or not alive():
                return False
            time.sleep(poll)
