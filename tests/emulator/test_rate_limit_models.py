"""The rate-limit models (token bucket, fixed window, sliding window), on a fake clock.

Each model is checked twice: over HTTP, for the answers and the ``Retry-After`` dates, and on the
limiter alone for its invariant over a long run of requests at scattered times.
"""

from __future__ import annotations

import math
import random
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_attio.testing import RATE_LIMIT_MODELS, AttioEmulator, FakeClock
from airflow_provider_attio.testing import __main__ as cli
from airflow_provider_attio.testing.ratelimits import RateLimiter
from tests.emulator.clocked import START, clocked_emulator, http_date, restart, retry_at
from tests.emulator.conftest import TOKEN, Api


@pytest.fixture(scope="module")
def _clocked() -> Iterator[tuple[AttioEmulator, FakeClock]]:
    with clocked_emulator() as pair:
        yield pair


@pytest.fixture
def clock(_clocked: tuple[AttioEmulator, FakeClock]) -> FakeClock:
    """The emulator's fake clock, at ``START``, with the emulator reset."""
    restart(*_clocked)
    return _clocked[1]


@pytest.fixture
def emu(_clocked: tuple[AttioEmulator, FakeClock], clock: FakeClock) -> AttioEmulator:
    """This module's emulator, on the fake clock (it replaces conftest's, so ``api`` uses it too)."""
    return _clocked[0]


def reads(api: Api, count: int) -> list[int]:
    return [api.get("/v2/self").status_code for _ in range(count)]


# -- the three models side by side ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "passed_after_the_second_turns"),
    [("token_bucket", 0), ("fixed_window", 5), ("sliding_window", 0), ("sliding_log", 0)],
)
def test_a_budget_just_before_and_just_after_a_second_turns(
    emu: AttioEmulator, api: Api, clock: FakeClock, model: str, passed_after_the_second_turns: int
) -> None:
    emu.set_rate_limits(reads_per_second=5, writes_per_second=None, model=model)
    clock.set(START + 0.99)
    assert reads(api, 5) == [200] * 5
    clock.set(START + 1.01)
    # A new wall-clock second refills a fixed window; the bucket got a tenth of a token back; the
    # sliding window still counts the 5 requests of 20 ms ago.
    n = passed_after_the_second_turns
    assert reads(api, 6) == [200] * n + [429] * (6 - n)


@pytest.mark.parametrize("model", RATE_LIMIT_MODELS)
def test_a_client_that_waits_until_retry_after_passes(
    emu: AttioEmulator, api: Api, clock: FakeClock, model: str
) -> None:
    emu.set_rate_limits(reads_per_second=None, writes_per_second=3, model=model)
    clock.set(START + 0.4)
    create = {"data": {"values": {"name": "Ada"}}}
    statuses = [api.post("/v2/objects/people/records", json=create).status_code for _ in range(4)]
    assert statuses == [200] * 3 + [429]
    refused = api.post("/v2/objects/people/records", json=create)
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limit_exceeded"
    clock.set(retry_at(refused))
    assert api.post("/v2/objects/people/records", json=create).status_code == 200
    assert len(emu.record_ids("people")) == 4  # the refused calls created nothing


# -- fixed window --------------------------------------------------------------------------------------


def test_fixed_window_retry_after_is_the_start_of_the_next_second(
    emu: AttioEmulator, api: Api, clock: FakeClock
) -> None:
    emu.set_rate_limits(reads_per_second=2, writes_per_second=None, model="fixed_window")
    clock.set(START + 0.1)
    assert reads(api, 2) == [200, 200]
    refused = api.get("/v2/self")
    assert refused.headers["Retry-After"] == http_date(START + 1)
    clock.set(START + 0.999)
    assert api.get("/v2/self").status_code == 429  # the same second, however late in it
    clock.set(START + 1)
    assert reads(api, 3) == [200, 200, 429]


# -- sliding window ------------------------------------------------------------------------------------


def test_sliding_window_retry_after_is_when_the_oldest_request_leaves(
    emu: AttioEmulator, api: Api, clock: FakeClock
) -> None:
    emu.set_rate_limits(reads_per_second=5, writes_per_second=None, model="sliding_window")
    clock.set(START + 0.25)
    assert reads(api, 2) == [200] * 2
    clock.set(START + 0.5)
    assert reads(api, 3) == [200] * 3
    clock.set(START + 1.0)
    refused = api.get("/v2/self")
    # The oldest two leave at START + 1.25: rounded up to a whole second for the HTTP date.
    assert refused.status_code == 429 and refused.headers["Retry-After"] == http_date(START + 2)
    clock.set(START + 1.25)
    assert reads(api, 3) == [200, 200, 429]  # exactly the two that left are free again
    clock.set(START + 1.5)
    assert reads(api, 4) == [200] * 3 + [429]


def _one_passed_then_one_refused(emu: AttioEmulator, api: Api, clock: FakeClock, model: str) -> None:
    """A budget of 1 read/s under ``model``: a read at 0.5 passes, the next at 1.0 is refused until 2.0."""
    emu.set_rate_limits(reads_per_second=1, writes_per_second=None, model=model)
    clock.set(START + 0.5)
    assert api.get("/v2/self").status_code == 200
    clock.set(START + 1.0)
    assert retry_at(api.get("/v2/self")) == START + 2  # ceil(START + 1.5)


def test_sliding_window_does_not_count_refused_requests(
    emu: AttioEmulator, api: Api, clock: FakeClock
) -> None:
    _one_passed_then_one_refused(emu, api, clock, "sliding_window")
    clock.set(START + 1.5)
    assert api.get("/v2/self").status_code == 200


# -- sliding log ---------------------------------------------------------------------------------------


def test_sliding_log_counts_refused_requests_so_a_client_that_keeps_trying_stays_refused(
    emu: AttioEmulator, api: Api, clock: FakeClock
) -> None:
    _one_passed_then_one_refused(emu, api, clock, "sliding_log")  # the refused attempt counts until 2.0
    clock.set(START + 1.5)  # a sliding window would let this one through (see above): not a log
    refused = api.get("/v2/self")
    assert refused.status_code == 429 and retry_at(refused) == START + 3  # ceil(1.5 + 1)
    clock.set(START + 2.0)
    assert api.get("/v2/self").status_code == 429  # 1.5 is still in the span
    clock.set(START + 3.0)  # a client that waited for the date
    assert api.get("/v2/self").status_code == 200


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sliding_log_never_exceeds_the_budget_and_its_date_lets_the_next_attempt_through(seed: int) -> None:
    # A client that sometimes waits for the date after a 429 and sometimes doesn't.
    clock = FakeClock(START)
    limiter = RateLimiter(4, None, model="sliding_log", clock=clock)
    rng = random.Random(seed)
    accepted: list[float] = []
    waited_for_the_date = 0
    for _ in range(2000):
        clock.advance(rng.choice((0.0, 0.0, 0.01, 0.05, 0.3)))
        retry = limiter.acquire("read")
        if retry is None:
            accepted.append(clock.time())
        elif rng.random() < 0.5:
            clock.set(retry)
            assert limiter.acquire("read") is None  # the date is when enough attempts have left
            accepted.append(clock.time())
            waited_for_the_date += 1
    assert waited_for_the_date > 50 and len(accepted) > 400
    for i, start in enumerate(accepted):
        assert i + 4 >= len(accepted) or accepted[i + 4] >= start + 1.0


# -- the invariants, over many requests ---------------------------------------------------------------


def _run(model: str, budget: int, seed: int) -> tuple[list[float], list[tuple[float, int]]]:
    """Send 2000 requests at random times through one limiter: (accepted times, (refused time, retry at))."""
    clock = FakeClock(START)
    limiter = RateLimiter(budget, None, model=model, clock=clock)
    rng = random.Random(seed)
    accepted: list[float] = []
    refused: list[tuple[float, int]] = []
    for _ in range(2000):
        clock.advance(rng.choice((0.0, 0.0, 0.01, 0.05, 0.3)))
        retry = limiter.acquire("read")
        now = clock.time()
        if retry is None:
            accepted.append(now)
        else:
            refused.append((now, retry))
    return accepted, refused


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sliding_window_never_exceeds_the_budget_in_any_second(seed: int) -> None:
    accepted, refused = _run("sliding_window", 4, seed)
    assert refused and len(accepted) > 400  # the run did test the limit, and let requests through
    for i, start in enumerate(accepted):
        # Times are sorted: the next 4 accepted after this one must be a second or more later.
        assert i + 4 >= len(accepted) or accepted[i + 4] >= start + 1.0
    for now, retry in refused:
        # Refused only when full: 4 accepted in the last second; told to come back within a second.
        assert sum(1 for t in accepted if now - 1.0 < t <= now) == 4
        assert now < retry <= math.ceil(now + 1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fixed_window_allows_the_budget_per_wall_clock_second(seed: int) -> None:
    accepted, refused = _run("fixed_window", 4, seed)
    assert refused and len(accepted) > 400
    per_second: dict[int, int] = {}
    for t in accepted:
        per_second[math.floor(t)] = per_second.get(math.floor(t), 0) + 1
    assert max(per_second.values()) == 4
    for now, retry in refused:
        assert per_second[math.floor(now)] == 4  # refused only once the second's budget is spent
        assert retry == math.floor(now) + 1


def test_a_clock_set_back_refills_nothing() -> None:
    for model in RATE_LIMIT_MODELS:
        clock = FakeClock(START + 0.5)
        limiter = RateLimiter(1, None, model=model, clock=clock)
        assert limiter.acquire("read") is None
        clock.set(START + 0.25)
        assert limiter.acquire("read") is not None, model


# -- choosing a model ----------------------------------------------------------------------------------


def test_the_default_model_and_choosing_one(emu: AttioEmulator, api: Api) -> None:
    assert emu.rate_limit_model == "token_bucket"
    emu.set_rate_limits(reads_per_second=1, writes_per_second=None, model="sliding_window")
    assert emu.rate_limit_model == "sliding_window"
    emu.set_rate_limits(reads_per_second=1, writes_per_second=1)  # None keeps the model
    assert emu.rate_limit_model == "sliding_window"
    emu.reset()
    assert emu.rate_limit_model == "token_bucket"


def test_the_constructor_takes_a_model_that_reset_restores() -> None:
    clock = FakeClock(START + 0.99)
    with AttioEmulator(token=TOKEN, reads_per_second=2, rate_limit_model="fixed_window", clock=clock) as emu:
        api = Api(emu.base_url)
        assert reads(api, 3) == [200, 200, 429]
        clock.set(START + 1.01)
        assert reads(api, 3) == [200, 200, 429]  # a new second: a fixed window, not a bucket
        emu.set_rate_limits(reads_per_second=2, writes_per_second=None, model="token_bucket")
        emu.reset()
        assert emu.rate_limit_model == "fixed_window"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate_limit_model": "leaky_bucket"}, "unknown rate limit model 'leaky_bucket'"),
        ({"reads_per_second": 2.5, "rate_limit_model": "fixed_window"}, "whole requests per second"),
        ({"writes_per_second": 0.5, "rate_limit_model": "sliding_window"}, "whole requests per second"),
        ({"reads_per_second": 0, "rate_limit_model": "sliding_window"}, "positive"),
    ],
)
def test_bad_models_and_rates_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AttioEmulator(**kwargs)


def test_set_rate_limits_refuses_a_bad_model_and_keeps_the_old_limits(emu: AttioEmulator, api: Api) -> None:
    emu.set_rate_limits(reads_per_second=1, writes_per_second=None)
    with pytest.raises(ValueError, match="unknown rate limit model"):
        emu.set_rate_limits(reads_per_second=None, writes_per_second=None, model="nope")
    with pytest.raises(ValueError, match="whole requests"):
        emu.set_rate_limits(reads_per_second=1.5, writes_per_second=None, model="fixed_window")
    assert emu.rate_limit_model == "token_bucket"
    assert reads(api, 2) == [200, 429]


def test_token_bucket_takes_fractional_rates(emu: AttioEmulator, api: Api, clock: FakeClock) -> None:
    emu.set_rate_limits(reads_per_second=0.5, writes_per_second=None, model="token_bucket")
    assert reads(api, 2) == [200, 429]
    clock.advance(1.5)
    assert reads(api, 1) == [429]  # three quarters of a token
    clock.advance(0.5)
    assert reads(api, 1) == [200]


# -- the clock -----------------------------------------------------------------------------------------


def test_fake_clock_moves_only_when_told() -> None:
    clock = FakeClock(10.0)
    assert clock.time() == clock.monotonic() == 10.0
    clock.advance(0.5)
    assert clock.time() == 10.5
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)
    clock.set(3.0)
    assert clock.monotonic() == 3.0


# -- the CLI and the pytest marker ---------------------------------------------------------------------


def test_cli_rate_limit_model(monkeypatch: pytest.MonkeyPatch) -> None:
    parser = cli.build_parser()
    assert parser.parse_args(["serve"]).rate_limit_model == "token_bucket"
    with pytest.raises(SystemExit):
        parser.parse_args(["serve", "--rate-limit-model", "leaky_bucket"])
    constructed: dict[str, Any] = {}

    class Constructed(Exception):
        pass

    def fake_emulator(**kwargs: Any) -> None:
        constructed.update(kwargs)
        raise Constructed  # stop before serving

    monkeypatch.setattr(cli, "AttioEmulator", fake_emulator)
    with pytest.raises(Constructed):
        cli.main(["serve", "--rate-limit-model", "sliding_window", "--writes-per-second", "25"])
    assert constructed["rate_limit_model"] == "sliding_window"
    assert constructed["writes_per_second"] == 25


MARKED = """
import pytest
import requests

from airflow_provider_attio.testing import FakeClock


@pytest.mark.attio_emulator(reads_per_second=2, rate_limit_model="sliding_window", clock=FakeClock(0.5))
def test_marker_model(attio_emulator):
    assert attio_emulator.rate_limit_model == "sliding_window"
    url = attio_emulator.base_url + "/v2/self"
    headers = {"Authorization": "Bearer test-token"}
    assert [requests.get(url, headers=headers, timeout=5).status_code for _ in range(3)] == [200, 200, 429]
"""


def test_pytest_marker_takes_the_model_and_clock(tmp_path: Path) -> None:
    plugin = 'pytest_plugins = ["airflow_provider_attio.testing.pytest_plugin"]\n'
    (tmp_path / "conftest.py").write_text(plugin)
    (tmp_path / "test_marked.py").write_text(textwrap.dedent(MARKED))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
