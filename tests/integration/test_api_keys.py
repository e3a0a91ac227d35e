"""API keys (docs/SECURITY.md): the real SDK (MosaicoClient.connect(..., api_key=...)) and raw pyarrow.flight calls
against a daemon started with `--auth on`, keys made with the real `mosaicod api-key` CLI.

Permissions are independent flags, as in mosaicolabs 0.7.0: `read`, `write`, `delete` each grant only themselves and
combine as `read|write`. The SDK's own permission scenarios: every valid key connects (`info`); a read key
lists/queries/reads but cannot create or delete; a write-only key uploads but cannot list, query, read or open
handlers; a delete-only key deletes and purges but can neither read nor write; read|write creates, updates and reads
back; the Delete error policy needs delete; no key or a wrong key fails to connect; there are no api_key_* actions.
Plus revoked and expired keys, status codes on the wire, the CLI, keys surviving `mosaicod rebuild`, and key records
written while permissions were a ladder (store version 1) keeping what they granted.
"""

from __future__ import annotations

import hmac
import json
import os
import random
import re
import subprocess
import time
import zlib

import pyarrow as pa
import pyarrow.flight as fl
import pytest
from mosaicolabs import IMU, Message, MosaicoClient, QuerySequence, SessionLevelErrorPolicy, Vector3d
from mosaicolabs.comm.middlewares import MosaicoAuthMiddlewareFactory

from conftest import CATALOG_MODE, MOSAICOD_BIN, unique_name
from mosaico_testlib import (
    action,
    create_session,
    create_topic,
    expect_error,
    get_info,
    put_batches,
    simple_batch,
    simple_schema,
    wait_until,
)

TOKEN_RE = re.compile(r"msco_[a-z0-9]{32}_[0-9a-f]{8}")
BASE = 1_700_000_000_000_000_000
MS = 1_000_000
AUTH_ON = ["--auth", "on"]


# ----------------------------------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------------------------------


def cli(d, *args, check=True) -> subprocess.CompletedProcess:
    """`mosaicod <args>` on daemon `d`'s catalog and store."""
    proc = subprocess.run([MOSAICOD_BIN, *args, "--data-dir", d.data_dir, *d.storage_args()], capture_output=True,
                          text=True, timeout=60)
    if check:
        assert proc.returncode == 0, f"mosaicod {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def cli_create(d, permissions: str, *extra) -> str:
    out = cli(d, "api-key", "create", "--permissions", permissions, "--token-only", *extra).stdout.strip()
    assert TOKEN_RE.fullmatch(out), f"--token-only printed {out!r}"
    return out


def fingerprint(token: str) -> str:
    return token.rsplit("_", 1)[1]


def forged_token() -> str:
    """A well-formed token (right fingerprint checksum) that no daemon ever issued."""
    rnd = random.Random()
    payload = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(32))
    return f"msco_{payload}_{zlib.crc32(payload.encode()):08x}"


def connect(d, token=None, timeout=10) -> MosaicoClient:
    return MosaicoClient.connect(d.host, d.port, timeout=timeout, api_key=token)


def raw(d, token=None) -> fl.FlightClient:
    """A raw Flight client sending the token the way the SDK does (its own middleware)."""
    mw = [MosaicoAuthMiddlewareFactory(token)] if token else []
    return fl.FlightClient(d.location, middleware=mw)


def imu_msgs(n: int, t0: int = BASE):
    rnd = random.Random(n)
    v = lambda: Vector3d(x=rnd.uniform(-1, 1), y=rnd.uniform(-1, 1), z=9.8)  # noqa: E731
    return [Message(timestamp_ns=t0 + i * MS, data=IMU(acceleration=v(), angular_velocity=v())) for i in range(n)]


def write_sequence(client: MosaicoClient, name: str, n: int = 20, on_error=SessionLevelErrorPolicy.Report):
    with client.sequence_create(name, {"who": "test_api_keys"}, on_error=on_error) as w:
        tw = w.topic_create("/imu", {}, IMU)
        assert tw is not None
        for m in imu_msgs(n):
            tw.push(m)


def read_topic(client: MosaicoClient, seq: str, topic: str = "/imu") -> list:
    client.clear_topic_handlers_cache()
    th = client.topic_handler(seq, topic)
    assert th is not None, f"topic_handler({seq}, {topic}) is None"
    out = list(th.get_data_streamer())
    th.close()
    return out


def expect_denied(fn, *args, needs: str, token: str, what: str):
    """The SDK call fails, and the error carries our PERMISSION_DENIED message: the permission needed and the key."""
    with pytest.raises(Exception) as info:
        fn(*args)
    msg = str(info.value)
    assert f"'{needs}' permission" in msg and fingerprint(token) in msg, f"{what}: unexpected error {msg[:600]!r}"
    return info.value


class Boom(RuntimeError):
    pass


# ----------------------------------------------------------------------------------------------------------------------
# One daemon with auth on for the module, keys of every permission made with the CLI while it runs
# ----------------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def authd(module_daemon_factory):
    return module_daemon_factory(extra_args=AUTH_ON)


KEY_FLAGS = ("read", "write", "delete", "read|write", "read|write|delete")


@pytest.fixture(scope="module")
def keys(authd) -> dict:
    return {p: cli_create(authd, p, "--description", f"{p} key of test_api_keys") for p in KEY_FLAGS}


@pytest.fixture(scope="module")
def existing(authd, keys) -> str:
    """A sequence written with the read|write key, for the read scenarios."""
    name = unique_name("apikeys_existing")
    with connect(authd, keys["read|write"]) as c:
        write_sequence(c, name, n=30)
    return name


# ----------------------------------------------------------------------------------------------------------------------
# Connecting
# ----------------------------------------------------------------------------------------------------------------------


def test_no_key_fails_to_connect(authd, keys):
    since = authd.log_size()
    with pytest.raises(ConnectionError):
        connect(authd, None, timeout=1)
    log = authd.log_text(since)
    assert "event=auth_rejected" in log and "reason=missing_key" in log
    # The SDK's probe retries every 25 ms for the whole timeout: one warning for the connection, not one per probe.
    warnings = [line for line in log.splitlines() if " warning event=auth_rejected" in line]
    assert 1 <= len(warnings) <= 3, warnings


@pytest.mark.parametrize("token", [
    "forged",
    "msco_s3l8gcdwuadege3pkhou0k0n2t5omfij_f9010b9e",  # the SDK docstring's example: well formed, never issued here
    "msco_s3l8gcdwuadege3pkhou0k0n2t5omfij_00000000",  # fingerprint does not match the payload
    "not-a-key",
])
def test_wrong_key_fails_to_connect(authd, keys, token):
    token = forged_token() if token == "forged" else token
    since = authd.log_size()
    with pytest.raises(ConnectionError):
        connect(authd, token, timeout=1)
    log = authd.log_text(since)
    assert "event=auth_rejected" in log
    if len(token) > 20:
        assert token[5:37] not in log, "the daemon must never log a token"


def test_every_key_connects_and_info_answers(authd, keys):
    # `info` needs no flag: the SDK calls it to connect, so a write-only or delete-only key must get through.
    for permission, token in keys.items():
        with connect(authd, token) as c:
            assert c.info() is not None, permission


# ----------------------------------------------------------------------------------------------------------------------
# Independent flags through the SDK
# ----------------------------------------------------------------------------------------------------------------------


def test_read_key_lists_queries_and_reads_but_cannot_create_or_delete(authd, keys, existing):
    token = keys["read"]
    with connect(authd, token) as c:
        assert existing in c.list_sequences()
        assert c.sequence_exists(existing)
        sh = c.sequence_handler(existing)
        assert sh is not None and sh.topics == ["/imu"]
        assert len(read_topic(c, existing)) == 30
        resp = c.query(QuerySequence().with_name(existing))
        assert resp is not None and [item.sequence.name for item in resp] == [existing]
        assert c.list_sequence_notifications(existing) == []

        seq = unique_name("apikeys_read_create")
        expect_denied(write_sequence, c, seq, needs="write", token=token, what="sequence_create with a read key")
        assert seq not in c.list_sequences()
        expect_denied(c.sequence_delete, existing, needs="delete", token=token, what="sequence_delete with read key")
        expect_denied(c.clear_sequence_notifications, existing, needs="delete", token=token,
                      what="notification purge with a read key")
        assert c.sequence_exists(existing)


def test_read_write_key_creates_updates_and_reads_but_cannot_delete(authd, keys):
    token = keys["read|write"]
    seq = unique_name("apikeys_write")
    with connect(authd, token) as c:
        write_sequence(c, seq, n=10)
        with c.sequence_update(seq) as u:
            tw = u.topic_create("/more", {}, IMU)
            for m in imu_msgs(5):
                tw.push(m)
        assert len(read_topic(c, seq, "/more")) == 5
        # Report policy: notification + finalize, both write.
        with pytest.raises(Boom):
            with c.sequence_update(seq, on_error=SessionLevelErrorPolicy.Report) as u:
                u.topic_create("/broken", {}, IMU).push(imu_msgs(1)[0])
                raise Boom("reported")
        assert any("reported" in n.message for n in c.list_sequence_notifications(seq))
        expect_denied(c.sequence_delete, seq, needs="delete", token=token, what="sequence_delete with a write key")
        expect_denied(c.clear_sequence_notifications, seq, needs="delete", token=token, what="purge with write key")
        assert c.sequence_exists(seq)
    with connect(authd, keys["delete"]) as c:
        c.sequence_delete(seq)
    with connect(authd, keys["read"]) as c:
        assert not c.sequence_exists(seq)


def test_write_only_key_uploads_but_cannot_read_list_query_or_delete(authd, keys, existing):
    token = keys["write"]
    seq = unique_name("apikeys_writeonly")
    with connect(authd, token) as c:
        write_sequence(c, seq, n=12)  # sequence_create, topic_create, DoPut, session_finalize: all write
        expect_denied(c.list_sequences, needs="read", token=token, what="list_sequences with a write key")
        expect_denied(c.list_sequence_notifications, existing, needs="read", token=token,
                      what="sequence notification list with a write key")
        expect_denied(c.list_topic_notifications, existing, "/imu", needs="read", token=token,
                      what="topic notification list with a write key")
        expect_denied(c.query, QuerySequence().with_name(existing), needs="read", token=token,
                      what="query with a write key")
        for what, call in (("sequence_handler", lambda: c.sequence_handler(existing)),
                           ("topic_handler", lambda: c.topic_handler(existing, "/imu"))):
            # The SDK logs the refusal and returns None rather than raising: either way nothing is read.
            try:
                handler = call()
            except Exception as e:  # noqa: BLE001
                assert "'read' permission" in str(e), f"{what}: {e}"
            else:
                assert handler is None, f"{what} with a write-only key returned {handler!r}"
        expect_denied(c.sequence_delete, seq, needs="delete", token=token, what="sequence_delete with a write key")
    w = raw(authd, token)
    locator = f"{existing}/imu"
    desc = fl.FlightDescriptor.for_command(json.dumps({"resource_locator": locator}))
    for name, call in (("ListFlights", lambda: list(w.list_flights())),
                       ("GetFlightInfo", lambda: w.get_flight_info(desc)),
                       ("DoGet", lambda: w.do_get(fl.Ticket(json.dumps({"v": 1, "resource_locator": locator})
                                                            .encode())).read_all()),
                       ("query", lambda: action(w, "query", {"sequence": {"name": {"$eq": existing}}})),
                       ("topic_filter_clusterize", lambda: action(w, "topic_filter_clusterize", {}))):
        expect_error("PERMISSION_DENIED", call, mentions=["'read' permission", fingerprint(token)],
                     what=f"{name} with a write key")
    w.close()
    with connect(authd, keys["read"]) as c:
        assert len(read_topic(c, seq)) == 12, "what the write-only key uploaded is stored"


def test_delete_only_key_deletes_but_cannot_read_or_write(authd, keys):
    seq = unique_name("apikeys_deleteonly")
    with connect(authd, keys["read|write"]) as c:
        write_sequence(c, seq, n=3)
        with pytest.raises(Boom):
            with c.sequence_update(seq, on_error=SessionLevelErrorPolicy.Report) as u:
                u.topic_create("/x", {}, IMU).push(imu_msgs(1)[0])
                raise Boom("note")
    token = keys["delete"]
    with connect(authd, token) as c:
        expect_denied(c.list_sequences, needs="read", token=token, what="list_sequences with a delete key")
        expect_denied(write_sequence, c, unique_name("apikeys_del_create"), needs="write", token=token,
                      what="sequence_create with a delete key")
        c.clear_sequence_notifications(seq)
        c.sequence_delete(seq)
    d = raw(authd, token)
    schema = simple_schema()
    expect_error("PERMISSION_DENIED", put_batches, d, f"{seq}/imu", "00000000-0000-0000-0000-000000000000", schema,
                 [simple_batch(schema, [1, 2])], mentions=["'write' permission"], what="DoPut with a delete key")
    expect_error("PERMISSION_DENIED", lambda: list(d.list_flights()), mentions=["'read' permission"],
                 what="ListFlights with a delete key")
    d.close()
    with connect(authd, keys["read"]) as c:
        assert not c.sequence_exists(seq)


def test_delete_error_policy_needs_the_delete_permission(authd, keys):
    # A read|write key cannot abort: the SDK's session_delete and then sequence_delete are refused (the SDK raises
    # the refusal), so the partial sequence stays.
    seq_w = unique_name("apikeys_delpol_write")
    with connect(authd, keys["read|write"]) as c:
        with pytest.raises(Exception) as refused:
            with c.sequence_create(seq_w, {}, on_error=SessionLevelErrorPolicy.Delete) as w:
                w.topic_create("/imu", {}, IMU).push(imu_msgs(1)[0])
                raise Boom("abort me")
        assert "'delete' permission" in str(refused.value) and fingerprint(keys["read|write"]) in str(refused.value)
        assert c.sequence_exists(seq_w), "with a write key the Delete policy's deletes must be refused"
    # A delete key aborts: nothing is left.
    seq_d = unique_name("apikeys_delpol_delete")
    with connect(authd, keys["read|write|delete"]) as c:
        with pytest.raises(Boom):
            with c.sequence_create(seq_d, {}, on_error=SessionLevelErrorPolicy.Delete) as w:
                w.topic_create("/imu", {}, IMU).push(imu_msgs(1)[0])
                raise Boom("abort me")
        assert not c.sequence_exists(seq_d), "with a delete key the Delete policy removes the sequence"
        c.sequence_delete(seq_w)


def test_all_flags_key_writes_purges_and_deletes(authd, keys):
    token = keys["read|write|delete"]
    seq = unique_name("apikeys_all")
    with connect(authd, token) as c:
        write_sequence(c, seq, n=5)
        with pytest.raises(Boom):
            with c.sequence_update(seq, on_error=SessionLevelErrorPolicy.Report) as u:
                u.topic_create("/x", {}, IMU).push(imu_msgs(1)[0])
                raise Boom("note")
        assert c.list_sequence_notifications(seq)
        c.clear_sequence_notifications(seq)
        assert c.list_sequence_notifications(seq) == []
        c.sequence_delete(seq)
        assert not c.sequence_exists(seq)


def test_there_are_no_key_actions(authd, keys):
    # Keys are managed by `mosaicod api-key` only (mosaicolabs 0.7.0 has no key actions): even a key with every flag
    # gets "unknown action", and list_actions does not offer them.
    admin = raw(authd, keys["read|write|delete"])
    for name in ("api_key_create", "api_key_list", "api_key_status", "api_key_revoke", "api_key_purge"):
        expect_error("INVALID_ARGUMENT", action, admin, name, {}, mentions=[name], what=name)
    names = [a.type for a in admin.list_actions()]
    assert "info" in names and not any(n.startswith("api_key_") for n in names)
    admin.close()


def test_expired_key_is_refused(authd, keys):
    expires_s = int(time.time()) + 3
    token = cli_create(authd, "read", "--expires-at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires_s)))
    fp = fingerprint(token)
    expires_ns = expires_s * 10**9
    wait_until(lambda: time.time_ns() > expires_ns + 100_000_000, timeout=30, what="the key's expiry")
    client = raw(authd, token)
    expect_error("UNAUTHENTICATED", action, client, "info", {}, mentions=["expired"])
    with pytest.raises(ConnectionError):
        connect(authd, token, timeout=1)
    assert re.search(r"status\s+expired", cli(authd, "api-key", "status", fp).stdout)
    client.close()


# ----------------------------------------------------------------------------------------------------------------------
# Status codes on the wire (raw pyarrow.flight)
# ----------------------------------------------------------------------------------------------------------------------


def test_every_rpc_without_a_key_is_unauthenticated(authd, keys, existing):
    c = raw(authd, None)
    locator = f"{existing}/imu"
    desc = fl.FlightDescriptor.for_command(json.dumps({"resource_locator": locator}))
    calls = {
        "ListFlights": lambda: list(c.list_flights()),
        "GetFlightInfo": lambda: c.get_flight_info(desc),
        "DoGet": lambda: c.do_get(fl.Ticket(json.dumps({"v": 1, "resource_locator": locator}).encode())).read_all(),
        "DoAction": lambda: action(c, "info", {}),
        "ListActions": lambda: c.list_actions(),
    }
    for name, call in calls.items():
        expect_error("UNAUTHENTICATED", call, mentions=["mosaico-api-key-token"], what=f"{name} without a key")
    # pyarrow's client turns a failed GetSchema into a plain OSError; the Flight status detail still says which.
    with pytest.raises(OSError) as schema_err:
        c.get_schema(desc)
    assert "Unauthenticated" in str(schema_err.value) and "mosaico-api-key-token" in str(schema_err.value)
    schema = simple_schema()
    expect_error("UNAUTHENTICATED", put_batches, c, locator, "00000000-0000-0000-0000-000000000000", schema,
                 [simple_batch(schema, [1, 2])], mentions=["API key"], what="DoPut without a key")
    c.close()


def test_bad_tokens_are_unauthenticated_and_never_echoed(authd, keys):
    for token in (forged_token(), "garbage", keys["read"][:-1] + ("0" if keys["read"][-1] != "0" else "1")):
        c = raw(authd, token)
        exc = expect_error("UNAUTHENTICATED", lambda: list(c.list_flights()), what=f"list_flights with {token[:8]}...")
        assert token[5:37] not in str(exc) or len(token) < 20
        c.close()


def test_missing_permission_is_permission_denied_naming_it(authd, keys, existing):
    reader = raw(authd, keys["read"])
    exc = expect_error("PERMISSION_DENIED", action, reader, "sequence_create", {"locator": unique_name("x")},
                       mentions=["'write' permission"])
    assert fingerprint(keys["read"]) in str(exc)
    # DoPut needs write: refused before the stream is read.
    schema = simple_schema()
    expect_error("PERMISSION_DENIED", put_batches, reader, f"{existing}/imu", "00000000-0000-0000-0000-000000000000",
                 schema, [simple_batch(schema, [1, 2])], mentions=["'write' permission"], what="DoPut with read key")
    # Auth happens before the action is looked at, but an unknown action with a valid key is still a bad request.
    expect_error("INVALID_ARGUMENT", action, reader, "no_such_action", {}, mentions=["no_such_action"])
    assert get_info(reader, existing) is not None
    names = [a.type for a in reader.list_actions()]
    assert "query" in names and "info" in names
    reader.close()


def test_raw_upload_with_write_only_key(authd, keys):
    w = raw(authd, keys["write"])
    seq = unique_name("apikeys_raw")
    action(w, "sequence_create", {"locator": seq, "user_metadata": {}})
    session_uuid, _ = create_session(w, seq)
    topic_uuid = create_topic(w, session_uuid, f"{seq}/t")
    schema = simple_schema()
    put_batches(w, f"{seq}/t", topic_uuid, schema, [simple_batch(schema, [1, 2, 3])])
    action(w, "session_finalize", {"session_uuid": session_uuid})
    expect_error("PERMISSION_DENIED", action, w, "sequence_delete", {"locator": seq}, mentions=["'delete' permission"])
    d = raw(authd, keys["delete"])
    action(d, "sequence_delete", {"locator": seq})
    w.close()
    d.close()


# ----------------------------------------------------------------------------------------------------------------------
# The CLI
# ----------------------------------------------------------------------------------------------------------------------


def test_cli_create_use_revoke_purge(authd, keys):
    out = cli(authd, "api-key", "create", "--permissions", "read|write", "--description", "cli key",
              "--expires-in", "1d").stdout
    tokens = TOKEN_RE.findall(out)
    assert len(tokens) == 1, f"create should print the token once: {out!r}"
    token, fp = tokens[0], fingerprint(tokens[0])
    with connect(authd, token) as c:
        c.list_sequences()

    listing = cli(authd, "api-key", "list").stdout
    line = next(ln for ln in listing.splitlines() if ln.startswith(fp))
    assert "read|write" in line and "active" in line and "cli key" in line
    assert token not in listing and "token_hash" not in listing

    status = cli(authd, "api-key", "status", fp).stdout
    assert re.search(r"permissions\s+read\|write\n", status) and re.search(r"status\s+active", status)

    cli(authd, "api-key", "revoke", fp)
    assert re.search(r"status\s+revoked", cli(authd, "api-key", "status", fp).stdout)
    # Revoked by another process: the daemon refuses the key once its cache entry is older than
    # --auth-cache-seconds (5 s by default).
    revoked = raw(authd, token)
    wait_until(lambda: expect_error("UNAUTHENTICATED", action, revoked, "info", {}, mentions=["revoked"]),
               timeout=30, interval=0.5, what="the CLI revocation to reach the daemon")
    revoked.close()

    purged = cli(authd, "api-key", "purge").stdout
    assert fp in purged
    gone = cli(authd, "api-key", "status", fp, check=False)
    assert gone.returncode == 1 and fp in gone.stderr


def test_cli_rejects_bad_input(authd, keys):
    assert cli(authd, "api-key", "create", "--permissions", "admin", check=False).returncode != 0
    manage = cli(authd, "api-key", "create", "--permissions", "manage", check=False)
    assert manage.returncode == 1 and "no longer exists" in manage.stderr, manage.stderr
    for bad in ("", "read|", "read,write"):
        refused = cli(authd, "api-key", "create", "--permissions", bad, check=False)
        assert refused.returncode == 1 and "--permissions" in refused.stderr, (bad, refused.stderr)
    # The order of flags does not matter, and the ladder-era spelling --permission still works.
    token = cli(authd, "api-key", "create", "--permission", "delete|read", "--token-only").stdout.strip()
    assert re.search(r"permissions\s+read\|delete\n", cli(authd, "api-key", "status", fingerprint(token)).stdout)
    assert cli(authd, "api-key", "create", "--permission", "read", "--expires-in", "soon", check=False).returncode == 1
    assert cli(authd, "api-key", "create", "--permission", "read", "--expires-at", "2001-01-01",
               check=False).returncode == 1
    assert cli(authd, "api-key", "revoke", "nothex!!", check=False).returncode == 1
    assert cli(authd, "api-key", "revoke", "00000000", check=False).returncode == 1
    bad = cli(authd, "api-key", "create", "--permission", "read", "--expires-in", "1d", "--expires-at", "2100-01-01",
              check=False)
    assert bad.returncode != 0


# ----------------------------------------------------------------------------------------------------------------------
# Modes and start-up; keys survive a rebuild from the store
# ----------------------------------------------------------------------------------------------------------------------


def test_auth_is_off_on_loopback_by_default_and_says_so(daemon_factory):
    d = daemon_factory()
    assert "event=auth mode=off" in d.log_text()
    with MosaicoClient.connect(d.host, d.port, timeout=10) as c:  # no key needed
        c.list_sequences()
    with MosaicoClient.connect(d.host, d.port, timeout=10, api_key=forged_token()) as c:  # keys are ignored
        c.list_sequences()


def test_auth_on_without_keys_warns_with_the_cli_hint(daemon_factory):
    d = daemon_factory(extra_args=AUTH_ON)
    log = d.log_text()
    assert "event=auth mode=on" in log and "event=auth_no_keys" in log and "mosaicod api-key create" in log
    with pytest.raises(ConnectionError):
        connect(d, None, timeout=1)


def test_keys_survive_a_rebuild_from_the_store(daemon_factory):
    d = daemon_factory(extra_args=AUTH_ON)
    manage = cli_create(d, "read|write")
    reader = cli_create(d, "read")
    writer = cli_create(d, "write")
    cli(d, "api-key", "revoke", fingerprint(reader))
    with connect(d, manage) as c:
        seq = unique_name("apikeys_rebuild")
        write_sequence(c, seq, n=4)
    assert d.stop() == 0
    rebuilt = cli(d, "rebuild", "--force", check=False)
    if rebuilt.returncode != 0 and "NotImplemented" in rebuilt.stderr + rebuilt.stdout:
        pytest.skip(f"rebuild of this catalog backend is not available: {rebuilt.stderr.strip()[:200]}")
    assert rebuilt.returncode == 0, rebuilt.stderr
    d.start()
    with connect(d, manage) as c:
        assert seq in c.list_sequences()
    with pytest.raises(ConnectionError):
        connect(d, reader, timeout=1)
    status = cli(d, "api-key", "status", fingerprint(reader)).stdout
    assert re.search(r"status\s+revoked", status), "a revoked key stays revoked after a rebuild"
    assert re.search(r"permissions\s+write\n", cli(d, "api-key", "status", fingerprint(writer)).stdout), \
        "a write-only key stays write-only after a rebuild"
    with connect(d, writer) as c:
        expect_denied(c.list_sequences, needs="read", token=writer, what="list_sequences after rebuild")


def _ladder_record(token: str, ladder: str) -> str:
    """A key object as the store held it while permissions were a ladder (version 1), for `token`."""
    salt = os.urandom(16).hex()
    digest = hmac.new(bytes.fromhex(salt), token.encode(), "sha256").hexdigest()
    return json.dumps({"v": 1, "fingerprint": fingerprint(token), "token_hash": digest, "salt": salt,
                       "permission": ladder, "description": f"ladder {ladder}", "created_at_ns": time.time_ns(),
                       "expires_at_ns": None, "revoked_at_ns": None})


@pytest.mark.local_store
def test_ladder_key_records_keep_what_they_granted(daemon_factory):
    """Keys from before the flags: a ladder `write` key could read and write, so after the upgrade it holds read|write;
    `manage` becomes read|write|delete. A rebuild from such a store restores those flags, and the daemon's start
    rewrites the objects in the current version."""
    d = daemon_factory(extra_args=AUTH_ON)
    assert d.stop() == 0
    tokens = {ladder: forged_token() for ladder in ("write", "manage")}
    key_dir = os.path.join(d.data_dir, "store", "api_keys")
    os.makedirs(key_dir, exist_ok=True)
    for ladder, token in tokens.items():
        with open(os.path.join(key_dir, f"{fingerprint(token)}.json"), "w") as f:
            f.write(_ladder_record(token, ladder))
    assert cli(d, "rebuild", "--force").returncode == 0
    d.start()
    for ladder, want in (("write", "read|write"), ("manage", "read|write|delete")):
        status = cli(d, "api-key", "status", fingerprint(tokens[ladder])).stdout
        assert re.search(rf"permissions\s+{re.escape(want)}\n", status), (ladder, status)
        with open(os.path.join(key_dir, f"{fingerprint(tokens[ladder])}.json")) as f:
            record = json.load(f)
        assert record["v"] == 2 and record["permissions"] == want and "permission" not in record, record
    seq = unique_name("apikeys_ladder")
    with connect(d, tokens["write"]) as c:
        write_sequence(c, seq, n=3)
        assert seq in c.list_sequences()
        expect_denied(c.sequence_delete, seq, needs="delete", token=tokens["write"], what="delete with ladder write")
    with connect(d, tokens["manage"]) as c:
        c.sequence_delete(seq)
