"""Keys of stored user metadata (issue 10, item 3; core/metadata_keys.h): the reference daemon refuses a sequence or
topic whose `user_metadata` has a key that is empty, holds anything but ASCII letters, digits, space, '_' and '-',
or contains "--", at any nesting level, with INVALID_ARGUMENT containing "invalid json key". Nothing is created.
Through the real SDK 0.7.0 and raw pyarrow.flight, in both storage configurations."""

from __future__ import annotations

import pytest
from mosaicolabs import IMU, Message, MosaicoClient, Vector3d

from conftest import unique_name
from mosaico_testlib import action, app_md, create_session, expect_error, get_info

# The keys mosaicolabs 0.7.0's own suite sends, and a few more with a meaning in query paths.
BAD_KEYS = ["invalid--key", "(invalid-key)", "invalid-[key", "invalid~key", "", "a.b", "dollar$", "slash/key", "é"]
GOOD_METADATA = {"driver id": "d-7", "snake_case": 1, "kebab-case": {"nested key_1": [1, {"deep-er": True}]},
                 "values are free": "a--b (c) [d] ~e.f"}


@pytest.mark.parametrize("key", BAD_KEYS)
def test_raw_sequence_create_refuses_bad_keys(flight, key):
    seq = unique_name("mdkey_seq")
    expect_error("INVALID_ARGUMENT", action, flight, "sequence_create", {"locator": seq, "user_metadata": {key: 1}},
                 mentions=["invalid json key"], what=f"sequence_create with key {key!r}")
    expect_error("NOT_FOUND", get_info, flight, seq, what="the refused sequence must not exist")


@pytest.mark.parametrize("where", ["nested", "in_list"])
def test_raw_refuses_bad_keys_at_every_level(flight, where):
    seq = unique_name("mdkey_nested")
    md = {"ok": {"fine": {"invalid~key": 1}}} if where == "nested" else {"ok": [1, {"invalid--key": 2}]}
    exc = expect_error("INVALID_ARGUMENT", action, flight, "sequence_create", {"locator": seq, "user_metadata": md},
                       mentions=["invalid json key"])
    assert ("ok.fine" in str(exc)) if where == "nested" else ("ok[1]" in str(exc)), str(exc)
    expect_error("NOT_FOUND", get_info, flight, seq)


def test_raw_topic_create_refuses_bad_keys_and_creates_nothing(flight):
    seq = unique_name("mdkey_topic")
    action(flight, "sequence_create", {"locator": seq, "user_metadata": GOOD_METADATA})
    session_uuid, _ = create_session(flight, seq)
    for key in ("invalid--key", "(invalid-key)"):
        expect_error("INVALID_ARGUMENT", action, flight, "topic_create",
                     {"locator": f"{seq}/imu", "session_uuid": session_uuid, "serialization_format": "default",
                      "ontology_tag": "imu", "user_metadata": {"sensor": {key: 1}}},
                     mentions=["invalid json key"])
    expect_error("NOT_FOUND", get_info, flight, f"{seq}/imu")
    md = app_md(get_info(flight, seq))
    assert md["user_metadata"] == GOOD_METADATA, "valid keys (space, '_', '-', nesting) are stored as sent"
    assert all(not s["topics"] for s in md["sessions"])
    action(flight, "sequence_delete", {"locator": seq})


def test_sdk_refuses_bad_keys_and_keeps_good_ones(daemon):
    with MosaicoClient.connect(daemon.host, daemon.port, timeout=10) as c:
        for key in ("invalid--key", "(invalid-key)", "invalid-[key", "invalid~key"):
            seq = unique_name("mdkey_sdk_bad")
            with pytest.raises(Exception) as refused:
                with c.sequence_create(seq, {"good": 1, "nested": {key: "x"}}) as w:
                    w.topic_create("/imu", {}, IMU)
            assert "invalid json key" in str(refused.value), str(refused.value)[:500]
            assert not c.sequence_exists(seq)
        # topic_create: the SDK logs the refusal and gives no writer; the session finalizes without the topic.
        seq = unique_name("mdkey_sdk_topic")
        with c.sequence_create(seq, {"good": 1}) as w:
            assert w.topic_create("/imu", {"bad~key": 1}, IMU) is None
        c.clear_sequence_handlers_cache()
        assert c.sequence_handler(seq).topics == []
        c.sequence_delete(seq)

        seq = unique_name("mdkey_sdk_good")
        v = Vector3d(x=0.0, y=0.0, z=9.8)
        with c.sequence_create(seq, GOOD_METADATA) as w:
            w.topic_create("/imu", {"mount point": "front-left", "rate_hz": 100}, IMU).push(
                Message(timestamp_ns=1_700_000_000_000_000_000, data=IMU(acceleration=v, angular_velocity=v)))
        c.clear_sequence_handlers_cache()
        assert c.sequence_handler(seq).user_metadata == GOOD_METADATA
        assert c.topic_handler(seq, "/imu").user_metadata == {"mount point": "front-left", "rate_hz": 100}
        c.sequence_delete(seq)
