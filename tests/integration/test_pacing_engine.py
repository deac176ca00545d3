"""The bulk engine's adaptive pacing over real HTTP, against each of the emulator's rate-limit models.

Small counts at high rates keep these quick. Nothing here asserts a speed (the benchmark measures that):
every record must be deleted exactly once, the 429s stay loosely bounded, the summary reports them and
the pace settled on, and a rate-limited DELETE is retried through the engine's pacer, not the hook's
own sleep.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import Any

import pytest

from airflow_provider_attio import bulk
from airflow_provider_attio.exceptions import AttioRateLimitError, AttioServerError
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.pacing import Pacer, Slot
from airflow_provider_attio.testing import RATE_LIMIT_MODELS, AttioEmulator

MODELS = list(RATE_LIMIT_MODELS)
RECORD_PATH = "/v2/objects/people/records/{}"


@pytest.fixture(params=MODELS)
def limited(request: pytest.FixtureRequest, attio: AttioEmulator) -> AttioEmulator:
    """The emulator with a budget of 50 writes/s under each model, the connection pointing at it."""
    attio.set_rate_limits(reads_per_second=None, writes_per_second=50, model=request.param)
    assert attio.rate_limit_model == request.param
    return attio


def _seed(emu: AttioEmulator, count: int) -> list[str]:
    return [r["id"]["record_id"] for r in emu.seed("people", count)]


def _deleted_once(emu: AttioEmulator, ids: list[str]) -> None:
    applied = Counter(r.path for r in emu.requests if r.method == "DELETE" and r.status == 200)
    assert applied == Counter(RECORD_PATH.format(i) for i in ids)  # each exactly once, no other
    assert not set(emu.record_ids("people")) & set(ids)
    assert emu.count(method="DELETE", status=404) == 0


def test_every_record_deleted_once_at_the_budget(limited: AttioEmulator) -> None:
    ids = _seed(limited, 100)
    limited.clear_log()
    summary = AttioHook().delete_records("people", record_ids=ids, writes_per_second=50)
    assert summary["deleted"] == 100 and summary["failed"] == 0
    _deleted_once(limited, ids)
    rate_limited = limited.count(method="DELETE", status=429)
    assert summary["rate_limited"] == rate_limited
    assert rate_limited <= 25  # loose: pacing at the budget, 429s are the exception
    assert summary["final_writes_per_second"] is not None
    assert 0 < summary["final_writes_per_second"] <= 50


def test_a_pace_over_the_budget_comes_down(limited: AttioEmulator) -> None:
    # Three times the workspace's budget: Attio's 429s bring the pace down; every record is still
    # deleted once (a 429 is never applied, and the engine sends it again).
    ids = _seed(limited, 100)
    limited.clear_log()
    summary = AttioHook().delete_records("people", record_ids=ids, writes_per_second=150)
    assert summary["deleted"] == 100 and summary["failed"] == 0
    _deleted_once(limited, ids)
    assert summary["rate_limited"] == limited.count(method="DELETE", status=429) > 0
    assert summary["final_writes_per_second"] is not None
    assert summary["final_writes_per_second"] < 150
    assert summary["rate_limited"] <= 60  # loose: a few per congestion event, not a flood


def test_concurrent_runs_share_the_workspace(limited: AttioEmulator) -> None:
    # Three runs at once, each believing it owns the budget (no pool): together they delete everything,
    # each record once, without a flood of 429s.
    shares = [_seed(limited, 60) for _ in range(3)]
    limited.clear_log()
    summaries: list[Any] = []
    errors: list[BaseException] = []

    def run(ids: list[str]) -> None:
        try:
            summaries.append(AttioHook().delete_records("people", record_ids=ids, writes_per_second=50))
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=run, args=(ids,)) for ids in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(s["deleted"] for s in summaries) == [60, 60, 60]
    _deleted_once(limited, [i for ids in shares for i in ids])
    requests = limited.count(method="DELETE")
    assert sum(s["rate_limited"] for s in summaries) == requests - 180
    assert requests - 180 <= 0.5 * requests  # loose; the benchmark measures the real share


def test_the_progress_log_and_summary_report_the_pace_and_the_429s(
    limited: AttioEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    ids = _seed(limited, 60)
    log = logging.getLogger("test.bulk")
    summary = AttioHook().delete_records("people", record_ids=ids, writes_per_second=100, log=log)
    pace = summary["final_writes_per_second"]
    assert pace is not None
    assert f"the pace settled at {pace:g} writes/s" in caplog.text
    assert f"{summary['rate_limited']} rate-limited answer(s) (429) absorbed" in caplog.text


# -- the hook's rate-limit gate ----------------------------------------------------------------------


def test_a_rate_limit_gate_replaces_the_hooks_sleep(attio: AttioEmulator) -> None:
    (record_id,) = _seed(attio, 1)
    attio.fail_next(2, 429, method="DELETE", retry_after="3")
    heard: list[float | None] = []

    def gate(retry_after: float | None) -> bool:
        heard.append(retry_after)
        return True  # retry at once: the caller's pacing decided when

    assert AttioHook().delete_record("people", record_id, rate_limit_gate=gate) == "deleted"
    assert heard == [3.0, 3.0]  # told what Retry-After said, and the hook itself didn't sleep 3 s twice
    assert [r.status for r in attio.requests if r.method == "DELETE"] == [429, 429, 200]


def test_a_gate_that_declines_ends_the_call_with_the_429(attio: AttioEmulator) -> None:
    (record_id,) = _seed(attio, 1)
    attio.fail_next(1, 429, method="DELETE")
    with pytest.raises(AttioRateLimitError):
        AttioHook().delete_record("people", record_id, rate_limit_gate=lambda retry_after: False)
    assert attio.count(method="DELETE") == 1
    assert record_id in attio.record_ids("people")  # a 429 is never applied


def test_without_a_gate_the_hook_still_waits_for_retry_after(attio: AttioEmulator) -> None:
    # The single-record behaviour is unchanged: the hook waits as Retry-After says (at least its floor).
    (record_id,) = _seed(attio, 1)
    attio.fail_next(1, 429, method="DELETE", retry_after="1")
    assert AttioHook().delete_record("people", record_id) == "deleted"
    first, second = (r.time for r in attio.requests if r.method == "DELETE")
    assert second - first >= 0.9


# -- resends after other failures go through the caller's pace too ------------------------------------


def test_a_resend_gate_is_asked_before_resending_after_a_5xx(attio: AttioEmulator) -> None:
    (record_id,) = _seed(attio, 1)
    attio.fail_next(2, 503, method="DELETE")
    asked: list[int] = []

    def resend() -> bool:
        asked.append(attio.count(method="DELETE"))  # how many DELETEs had been sent when asked
        return True

    outcome = AttioHook().delete_record(
        "people", record_id, rate_limit_gate=lambda _: True, resend_gate=resend
    )
    assert outcome == "deleted"
    assert asked == [1, 2]  # before each resend, after the failure it follows
    assert [r.status for r in attio.requests if r.method == "DELETE"] == [503, 503, 200]


def test_a_resend_gate_is_not_asked_after_a_429_the_rate_limit_gate_paced(attio: AttioEmulator) -> None:
    (record_id,) = _seed(attio, 1)
    attio.fail_next(1, 429, method="DELETE")
    asked: list[str] = []
    hook = AttioHook()
    outcome = hook.delete_record(
        "people",
        record_id,
        rate_limit_gate=lambda _: asked.append("rate limit") is None,
        resend_gate=lambda: asked.append("resend") is None,
    )
    assert outcome == "deleted"
    assert asked == ["rate limit"]


def test_a_resend_gate_that_declines_ends_the_call_with_the_failure(attio: AttioEmulator) -> None:
    (record_id,) = _seed(attio, 1)
    attio.fail_next(1, 503, method="DELETE")
    with pytest.raises(AttioServerError):
        AttioHook().delete_record("people", record_id, resend_gate=lambda: False)
    assert attio.count(method="DELETE") == 1  # not sent again


def test_bulk_resends_after_5xx_take_a_slot_of_the_pacer(
    attio: AttioEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every DELETE the engine sends, first tries and resends alike, is sent in a slot of its pacer:
    # resends after 5xx no longer slip past the pace (each slot counted by a pacer that records them).
    slots: list[Slot] = []

    class CountingPacer(Pacer):
        def acquire(self, stop: Any) -> Slot | None:
            slot = super().acquire(stop)
            if slot is not None:
                slots.append(slot)
            return slot

    monkeypatch.setattr(bulk, "Pacer", CountingPacer)
    ids = _seed(attio, 20)
    attio.clear_log()
    attio.fail_next(6, 503, method="DELETE")
    summary = AttioHook().delete_records("people", record_ids=ids, writes_per_second=200)
    assert summary["deleted"] == 20 and summary["failed"] == 0
    assert attio.count(method="DELETE") == 26
    assert len(slots) == 26  # one slot per DELETE sent
