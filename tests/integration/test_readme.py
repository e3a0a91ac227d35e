"""Every command in README.md is run by a test (issue 11, part 5).

The README's ```sh blocks are read command by command (a trailing backslash continues a line; `#` comments are
dropped). Each command is either
  - run here, block by block, in a scratch directory: `build/mosaicod` is the binary under test, the default port
    6726 and `./data` are replaced by a free port and a scratch data dir, a command that starts the daemon
    (`mosaicod server|run`, `scripts/run.sh`) is started in the background and waited for, and every other command
    must exit 0; or
  - listed in ELSEWHERE with the test that runs it (the test command itself, the package install, ...).
A command that is neither fails the test: a README line nobody runs is how a README goes stale.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import CATALOG_MODE, MOSAICOD_BIN, STORE_MODE

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
VENV_BIN = ROOT / ".venv" / "bin"

# Commands run by another test (or by CI itself), by prefix after substitution of `build/mosaicod` -> `mosaicod`.
ELSEWHERE = {
    "scripts/test.sh": ".ci/run runs exactly this",
    "scripts/setup.sh": "scripts/test.sh runs it first",
    "scripts/package.sh": "tests/integration/test_install.py builds the .deb",
    "cmake --install": "tests/integration/test_install.py installs and moves the tree",
    "cmake -S": "scripts/setup.sh configures the build this way",
    "cmake --build": "scripts/setup.sh builds this way",
    "sudo apt install ./build/mosaicod_": "tests/integration/test_install.py installs the .deb (dpkg -i)",
    "sudo apt-get install ./build/mosaicod_": "tests/integration/test_install.py installs the .deb (dpkg -i)",
    "mosaicod rebuild": "tests/integration/test_recovery.py rebuilds from the store (here the catalog exists)",
    "mosaicod check --repair": "tests/integration/test_crash_safety.py and test_recovery.py repair damaged stores",
    "mosaicod import --from": "tests/integration/test_recovery.py imports another store",
    "runuser -u mosaicod": "tests/integration/test_install.py runs commands as the mosaicod user",
    ".venv/bin/python -m pytest": "scripts/test.sh runs the integration suite this way",
    "ctest": "scripts/test.sh runs the unit tests this way",
    "sudo dpkg -i": "tests/integration/test_install.py installs the .deb",
    "sudo systemctl": "tests/integration/test_install.py runs the unit's ExecStart (no systemd in CI)",
    "sudo -u mosaicod": "tests/integration/test_install.py runs commands as the mosaicod user",
    "mosaicod server --config /etc/mosaicod/config.toml": "tests/integration/test_install.py (the unit's line)",
    "scripts/fuzz.sh": "scripts/test.sh runs it",
    "scripts/pg_test_server.sh": "scripts/test.sh runs it",
    ".venv/bin/python bench/": "benchmarks: bench/README.md records their output; not part of the suite",
    "python bench/": "benchmarks: bench/README.md records their output; not part of the suite",
    "prometheus": "tests/integration/test_metrics.py runs a real Prometheus",
}


def commands_of(text: str) -> list[list[str]]:
    """The ```sh blocks of `text`, each a list of commands."""
    blocks = []
    for block in re.findall(r"```(?:sh|bash|console)\n(.*?)```", text, flags=re.S):
        cmds, current = [], ""
        for raw in block.splitlines():
            line = raw.rstrip()
            if current:
                line = current + " " + line.strip()
                current = ""
            if line.endswith("\\"):
                current = line[:-1].rstrip()
                continue
            stripped = strip_comment(line).strip()
            if stripped:
                cmds.append(stripped)
        blocks.append(cmds)
    return blocks


def strip_comment(line: str) -> str:
    """`line` without a trailing `# comment` (a `#` outside quotes, at the start or after whitespace)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def normalized(cmd: str) -> str:
    return re.sub(r"^(\S*/)?build/mosaicod\b", "mosaicod", cmd)


def elsewhere(cmd: str) -> str | None:
    n = normalized(cmd)
    for prefix, reason in ELSEWHERE.items():
        if n.startswith(prefix) or cmd.startswith(prefix):
            return reason
    return None


def starts_daemon(cmd: str) -> bool:
    n = normalized(cmd)
    return bool(re.match(r"^(mosaicod (server|run)\b(?!.*--help))|^scripts/run\.sh\b", n)) and "--version" not in n


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, log: Path, timeout: float = 600.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the daemon exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port} after {timeout} s:\n{log.read_text()[-3000:]}")


def stop_all(daemons: list) -> None:
    for proc, _ in daemons:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    daemons.clear()


def test_readme_parser_reads_commands_continuations_and_comments():
    sample = "text\n```sh\nmosaicod server \\\n  --port 1   # start\n# only a comment\necho '#not a comment'\n```\n"
    assert commands_of(sample) == [["mosaicod server --port 1", "echo '#not a comment'"]]
    assert elsewhere("scripts/test.sh -k x") and not elsewhere("mosaicod --version")
    assert starts_daemon("build/mosaicod server --data-dir ./data") and not starts_daemon("mosaicod server --help")
    assert len([c for b in commands_of(README.read_text()) for c in b]) >= 10, "README.md: parser broken?"


@pytest.mark.skipif(STORE_MODE != "local" or CATALOG_MODE != "sqlite",
                    reason="the README's commands use the embedded defaults; they run once, in the first pass")
def test_readme_commands_run(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "mosaicod").symlink_to(MOSAICOD_BIN)
    for link in ("examples", "docs", ".venv"):
        (work / link).symlink_to(ROOT / link)
    (work / "build").mkdir()
    (work / "build" / "mosaicod").symlink_to(MOSAICOD_BIN)
    (work / "build" / "client").symlink_to(ROOT / "build" / "client")  # the C++ client's examples (README)
    port, http_port = free_port(), free_port()
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}", COLUMNS="120", MOSAICOD_DATA_DIR=str(work / "data"))
    env.pop("MOSAICOD_BIN", None)
    env.pop("MOSAICOD_TEST_STORE", None)
    env.pop("MOSAICOD_TEST_CATALOG", None)

    def substitute(cmd: str) -> str:
        if cmd.startswith("scripts/"):  # the checkout's scripts, on the checkout (they find .venv and build there)
            cmd = f"{ROOT}/{cmd}"
        cmd = cmd.replace("127.0.0.1:6726", f"127.0.0.1:{port}").replace("--port 6726", f"--port {port}")
        cmd = cmd.replace("127.0.0.1:6727", f"127.0.0.1:{http_port}")
        cmd = re.sub(r"(?<![\w/.])\./data\b", str(work / "data"), cmd)
        if starts_daemon(cmd) or "scripts/run.sh" in cmd:
            cmd = cmd.rstrip(" &")  # started in the background by the test itself
            if "--port" not in cmd and "scripts/run.sh" not in cmd:
                cmd += f" --port {port}"
            if "--http-port" not in cmd:
                cmd += f" --http-port {http_port}"
            if "scripts/run.sh" in cmd and "--port" not in cmd:
                cmd += f" --port {port}"
        if " --port" not in cmd and re.search(r"(ros_injector|bag_to_pandas)", cmd):
            cmd += f" --port {port}"
        return cmd

    ran, skipped = [], []
    daemons: list[tuple[subprocess.Popen, Path]] = []  # the README's daemon serves the blocks that follow it
    try:
        for block in commands_of(README.read_text()):
            for raw in block:
                if elsewhere(raw):
                    skipped.append(raw)
                    continue
                cmd = substitute(raw)
                exported = re.fullmatch(r"export (\w+)=(\S+)", cmd)
                if exported:  # each command runs in its own shell: keep the variable for the next ones
                    env[exported.group(1)] = exported.group(2)
                    ran.append(raw)
                    continue
                if starts_daemon(raw):
                    stop_all(daemons)  # one daemon at a time on the README's port
                    log = tmp_path / f"daemon-{len(ran)}.log"
                    proc = subprocess.Popen(["bash", "-c", "exec " + cmd], cwd=work, env=env,
                                            stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
                    daemons.append((proc, log))
                    wait_listening(port, proc, log)
                    ran.append(raw)
                    continue
                # Which element of a pipeline failed goes to stderr (for the failure message below).
                script = cmd + '\nrc=("${PIPESTATUS[@]}"); echo "pipestatus: ${rc[*]}" >&2\n' \
                               'for r in "${rc[@]}"; do [ "$r" = 0 ] || exit "$r"; done'
                out = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True,
                                     timeout=600)
                assert out.returncode == 0, (f"README command failed ({out.returncode}): {raw}\nran: {cmd}\n"
                                             f"stdout:\n{out.stdout[-3000:]}\nstderr:\n{out.stderr[-3000:]}")
                ran.append(raw)
    finally:
        stop_all(daemons)
    assert ran, "no README command was run"
    print(f"ran {len(ran)} README commands; {len(skipped)} are run by other tests: "
          + "; ".join(f"{shlex.split(c)[0]}…" for c in skipped[:5]))
