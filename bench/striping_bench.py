#!/usr/bin/env python3
"""Striped reads (issue 13): one large topic read with 1, 2, 4, 8 stripes, as ratios to 1 stripe in the same run.

Setups (bench/README.md "striping_bench.py"):
  loopback     one daemon on 127.0.0.1; each stripe on its own connection (the gain: decoding on more cores).
  netns        the daemon in one network namespace, the client in another, joined by a veth pair whose server side
               is shaped with tc htb: each connection capped at --rate-mbit (the daemon listens on 0.0.0.0 and has
               8 addresses, stripe i connects to address i, and one htb class per source address caps it: a
               deterministic per-connection cap). Needs root and iproute2; no netem.
  two_daemons  two daemons on one catalog + store (SQLite + local directory), both with --advertise-uri; each stripe
               is fetched from the first location its endpoint names (they alternate between the daemons).
Every configuration is measured --repeats times, interleaved (none, 1, 2, 4, 8, none, 1, ...), and reported as the
median; "none" is the request without "stripes" (the SDK's, i.e. today's path) and must match 1 stripe. Each read
runs in a fresh client process (in the client namespace for netns): GetFlightInfo with "stripes": N, then every
endpoint on its own connection in its own thread, all rows received (timed end to end, GetFlightInfo included).

    sudo .venv/bin/python bench/striping_bench.py --binary build/mosaicod --mb 256 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import pyarrow.flight as fl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_daemon import launch  # noqa: E402
from flight_throughput import cpu_seconds, free_port, imu_batches, mosaicod_put, stop  # noqa: E402

STRIPES = ["none", 1, 2, 4, 8]
NS_SRV, NS_CLI = "mosaico_bench_srv", "mosaico_bench_cli"
VETH_SRV, VETH_CLI = "mbench0", "mbench1"
SRV_IPS = [f"10.231.0.{10 + i}" for i in range(8)]
CLI_IP = "10.231.0.2"


# ---------------------------------------------------------------- the read (a child process)

def read_topic(urls: list[str], locator: str, stripes, use_locations: bool) -> dict:
    t0 = time.perf_counter()
    cmd = {"resource_locator": locator}
    if stripes != "none":
        cmd["stripes"] = int(stripes)
    head = fl.FlightClient(urls[0])
    info = head.get_flight_info(fl.FlightDescriptor.for_command(json.dumps(cmd)))
    results = [None] * len(info.endpoints)
    errors = []

    def fetch(i, ep):
        try:
            if use_locations and ep.locations:
                uri = ep.locations[0].uri
                url = uri.decode() if isinstance(uri, bytes) else str(uri)
            else:
                url = urls[i % len(urls)]
            client = fl.FlightClient(url)
            rows = nbytes = 0
            for chunk in client.do_get(ep.ticket):
                rows += chunk.data.num_rows
                nbytes += chunk.data.nbytes
            results[i] = (rows, nbytes, url)
            client.close()
        except Exception as e:  # noqa: BLE001 - reported
            errors.append(repr(e))

    threads = [threading.Thread(target=fetch, args=(i, ep)) for i, ep in enumerate(info.endpoints)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    if errors:
        raise RuntimeError("; ".join(errors))
    return {"seconds": seconds, "rows": sum(r[0] for r in results), "bytes": sum(r[1] for r in results),
            "endpoints": len(info.endpoints), "urls": len({r[2] for r in results})}


def child_main(args) -> None:
    print(json.dumps(read_topic(args.urls.split(","), args.locator, args.stripes, args.use_locations)))


def run_child(prefix: list[str], urls: list[str], locator: str, stripes, use_locations=False) -> dict:
    cmd = [*prefix, sys.executable, os.path.abspath(__file__), "--child", "--urls", ",".join(urls),
           "--locator", locator, "--stripes", str(stripes)] + (["--use-locations"] if use_locations else [])
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(f"read failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- setups

def upload(client, mb: int) -> tuple[str, int]:
    rows = mb * (1 << 20) // 88  # imu_schema: 11 x 8 bytes per row
    schema, batches = imu_batches(rows, 65536)
    _, locator = mosaicod_put(client, "striping", schema, batches)
    return locator, rows


def sh(*cmd, check=True):
    return subprocess.run(list(cmd), check=check, capture_output=True, text=True)


def netns_up(rate_mbit: float):
    netns_down()
    sh("ip", "netns", "add", NS_SRV)
    sh("ip", "netns", "add", NS_CLI)
    sh("ip", "link", "add", VETH_SRV, "type", "veth", "peer", "name", VETH_CLI)
    sh("ip", "link", "set", VETH_SRV, "netns", NS_SRV)
    sh("ip", "link", "set", VETH_CLI, "netns", NS_CLI)
    for ip in SRV_IPS:
        sh("ip", "-n", NS_SRV, "addr", "add", f"{ip}/24", "dev", VETH_SRV)
    sh("ip", "-n", NS_CLI, "addr", "add", f"{CLI_IP}/24", "dev", VETH_CLI)
    for ns, dev in ((NS_SRV, VETH_SRV), (NS_CLI, VETH_CLI)):
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", ns, "link", "set", dev, "up")
    # Server egress (the DoGet direction): htb, one class per server address = per stripe connection.
    tc = ["ip", "netns", "exec", NS_SRV, "tc"]
    sh(*tc, "qdisc", "add", "dev", VETH_SRV, "root", "handle", "1:", "htb", "default", "1", "r2q", "1000")
    sh(*tc, "class", "add", "dev", VETH_SRV, "parent", "1:", "classid", "1:1", "htb", "rate", "20gbit")
    for i, ip in enumerate(SRV_IPS):
        cls = f"1:{10 + i}"
        sh(*tc, "class", "add", "dev", VETH_SRV, "parent", "1:", "classid", cls, "htb", "rate", f"{rate_mbit}mbit",
           "ceil", f"{rate_mbit}mbit", "burst", "256k", "cburst", "256k")
        sh(*tc, "filter", "add", "dev", VETH_SRV, "parent", "1:", "protocol", "ip", "prio", "1", "u32", "match", "ip",
           "src", f"{ip}/32", "flowid", cls)


def netns_down():
    for ns in (NS_SRV, NS_CLI):
        sh("ip", "netns", "del", ns, check=False)


def launch_in_netns(binary, data_dir, port):
    log = open(os.path.join(data_dir, "daemon.log"), "w")
    proc = subprocess.Popen(["ip", "netns", "exec", NS_SRV, binary, "run", "--host", "0.0.0.0", "--port", str(port),
                             "--data-dir", data_dir, "--http-port", "0", "--auth", "off"], stdout=log, stderr=log)
    deadline = time.time() + 30
    while True:
        try:
            out = run_probe(port)
            if out:
                return proc
        except Exception:  # noqa: BLE001
            pass
        if time.time() > deadline or proc.poll() is not None:
            raise RuntimeError(f"daemon in netns did not start: {data_dir}/daemon.log")
        time.sleep(0.2)


def run_probe(port) -> bool:
    code = ("import pyarrow.flight as fl; c = fl.FlightClient('grpc://%s:%d'); "
            "list(c.do_action(fl.Action('info', b'{}'))); print('ok')" % (SRV_IPS[0], port))
    out = subprocess.run(["ip", "netns", "exec", NS_CLI, sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=30)
    return out.stdout.strip() == "ok"


# ---------------------------------------------------------------- measuring and reporting

def measure(name, repeats, read, pids) -> dict:
    runs = {s: [] for s in STRIPES}
    for r in range(repeats):
        for s in STRIPES:
            cpu0 = sum(cpu_seconds(p) for p in pids)
            res = read(s)
            res["daemon_cpu"] = sum(cpu_seconds(p) for p in pids) - cpu0
            runs[s].append(res)
            print(f"  {name} run {r + 1}/{repeats} stripes={s}: {res['seconds']:.2f} s, {res['endpoints']} endpoints, "
                  f"{res['urls']} url(s), {res['bytes'] / res['seconds'] / 1e6:.0f} MB/s", flush=True)
    return runs


def report(name, runs, note):
    base = statistics.median(r["seconds"] for r in runs[1])
    rows = runs[1][0]["rows"]
    print(f"\n{name}: {note}")
    print("| stripes | endpoints | distinct urls | median s | MB/s (Arrow) | vs 1 stripe | daemon CPU s/GB |")
    print("|---|---|---|---|---|---|---|")
    for s in STRIPES:
        sec = statistics.median(r["seconds"] for r in runs[s])
        assert all(r["rows"] == rows for r in runs[s]), f"{name} stripes={s}: row count differs"
        mb = runs[s][0]["bytes"] / sec / 1e6
        cpu = statistics.median(r["daemon_cpu"] / (r["bytes"] / 1e9) for r in runs[s])
        print(f"| {s} | {runs[s][0]['endpoints']} | {runs[s][0]['urls']} | {sec:.2f} | {mb:.0f} | "
              f"{base / sec:.2f}x | {cpu:.2f} |")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default="build/mosaicod")
    p.add_argument("--mb", type=int, default=256, help="Arrow size of the topic")
    p.add_argument("--repeats", type=int, default=3, help="netns repeats; loopback and two_daemons run 3x as many")
    p.add_argument("--rate-mbit", type=float, default=200, help="netns: per-connection cap")
    p.add_argument("--setups", default="loopback,netns,two_daemons")
    p.add_argument("--work", default=None, help="data directory (default: a temp dir, removed)")
    p.add_argument("--before", default=None,
                   help="setup 'before': this binary (e.g. built before striping) unstriped against --binary's "
                        "unstriped and 1-stripe reads, on loopback, interleaved")
    # child mode
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--urls", help=argparse.SUPPRESS)
    p.add_argument("--locator", help=argparse.SUPPRESS)
    p.add_argument("--stripes", help=argparse.SUPPRESS)
    p.add_argument("--use-locations", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        return child_main(args)

    binary = os.path.abspath(args.binary)
    work = args.work or tempfile.mkdtemp(prefix="striping-bench-")
    setups = args.setups.split(",")
    print(f"load at start: {open('/proc/loadavg').read().strip()}; cores: {os.cpu_count()}; topic {args.mb} MB (Arrow)")
    results = []
    try:
        if "loopback" in setups:
            os.makedirs(os.path.join(work, "loopback"), exist_ok=True)
            d = launch(binary, os.path.join(work, "loopback"), ["--http-port", "0", "--auth", "off"])
            try:
                locator, _ = upload(d.client, args.mb)
                runs = measure("loopback", 3 * args.repeats, lambda s: run_child([], [d.url], locator, s),
                               [d.proc.pid])
                results.append(("loopback", runs, "one daemon on 127.0.0.1, every stripe its own connection"))
            finally:
                stop(d.proc)
        if "netns" in setups:
            netns_up(args.rate_mbit)
            try:
                data = os.path.join(work, "netns")
                os.makedirs(data, exist_ok=True)
                port = free_port()
                proc = launch_in_netns(binary, data, port)
                try:
                    urls = [f"grpc://{ip}:{port}" for ip in SRV_IPS]
                    # The root namespace cannot reach the server's: upload from a child in the client namespace
                    # (the upload direction is not shaped).
                    locator = upload_in_netns(urls[0], args.mb)
                    prefix = ["ip", "netns", "exec", NS_CLI]
                    runs = measure("netns", args.repeats, lambda s: run_child(prefix, urls, locator, s), [proc.pid])
                    results.append(("netns", runs, f"veth between two namespaces, each connection capped at "
                                                   f"{args.rate_mbit:g} Mbit/s (htb, one class per server address)"))
                finally:
                    stop(proc)
            finally:
                netns_down()
        if "two_daemons" in setups:
            shared = os.path.join(work, "two")
            os.makedirs(shared, exist_ok=True)
            backend = ["--store", os.path.join(shared, "store"), "--catalog",
                       "sqlite://" + os.path.join(shared, "catalog.db"), "--http-port", "0", "--auth", "off",
                       "--heartbeat-seconds", "0.5"]
            ds = []
            try:
                for i in range(2):
                    port = free_port()
                    dd = os.path.join(shared, f"d{i}")
                    os.makedirs(dd, exist_ok=True)
                    ds.append(launch(binary, dd, [*backend, "--advertise-uri", f"grpc://127.0.0.1:{port}"],
                                     port=port))
                locator, _ = upload(ds[0].client, args.mb)
                time.sleep(1.5)  # both heartbeats seen by both
                runs = measure("two_daemons", 3 * args.repeats,
                               lambda s: run_child([], [ds[0].url], locator, s, use_locations=True),
                               [d.proc.pid for d in ds])
                results.append(("two_daemons", runs, "two daemons on one catalog (SQLite + local store) on this "
                                                      "machine; each stripe from its endpoint's first location"))
            finally:
                for d in ds:
                    stop(d.proc)
        if "before" in setups and args.before:
            before_vs_after(os.path.abspath(args.before), binary, work, args)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    for name, runs, note in results:
        report(name, runs, note)
    print(f"\nload at end: {open('/proc/loadavg').read().strip()}")


def before_vs_after(before_bin: str, after_bin: str, work: str, args) -> None:
    """1 stripe against today: the same topic on a daemon of each binary, reads interleaved, medians."""
    ds, locs = {}, {}
    try:
        for name, binary in (("before", before_bin), ("after", after_bin)):
            dd = os.path.join(work, f"ab-{name}")
            os.makedirs(dd, exist_ok=True)
            ds[name] = launch(binary, dd, ["--http-port", "0", "--auth", "off"])
            locs[name] = upload(ds[name].client, args.mb)[0]
        cases = [("before", "none"), ("after", "none"), ("after", 1)]
        secs = {c: [] for c in cases}
        cpu = {c: [] for c in cases}
        for _ in range(3 * args.repeats):
            for c in cases:
                pid = ds[c[0]].proc.pid
                c0 = cpu_seconds(pid)
                res = run_child([], [ds[c[0]].url], locs[c[0]], c[1])
                secs[c].append(res["seconds"])
                cpu[c].append((cpu_seconds(pid) - c0) / (res["bytes"] / 1e9))
        base = statistics.median(secs[cases[0]])
        print("\nbefore: loopback, the same topic on a daemon of each binary; reads interleaved")
        print("| binary | request | median s | vs before | daemon CPU s/GB |")
        print("|---|---|---|---|---|")
        for c in cases:
            sec = statistics.median(secs[c])
            print(f"| {c[0]} | stripes={c[1]} | {sec:.2f} | {base / sec:.2f}x | {statistics.median(cpu[c]):.2f} |")
    finally:
        for d in ds.values():
            stop(d.proc)


def upload_in_netns(url: str, mb: int) -> str:
    code = ("import sys; sys.path.insert(0, %r); import pyarrow.flight as fl; import striping_bench as b; "
            "print(b.upload(fl.FlightClient(%r), %d)[0])" % (os.path.dirname(os.path.abspath(__file__)), url, mb))
    out = subprocess.run(["ip", "netns", "exec", NS_CLI, sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=900)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return out.stdout.strip().splitlines()[-1]


if __name__ == "__main__":
    main()
