"""Many clients at once: the state stays consistent."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from airflow_provider_attio.testing import AttioEmulator
from tests.emulator.conftest import Api, record_id


def test_concurrent_creates_and_deletes_over_http(emu: AttioEmulator) -> None:
    def worker(n: int) -> tuple[list[str], list[str]]:
        api = Api(emu.base_url)
        created = []
        for i in range(20):
            response = api.post(
                "/v2/objects/people/records", json={"data": {"values": {"name": f"P{n}-{i}"}}}
            )
            assert response.status_code == 200
            created.append(record_id(response.json()["data"]))
        deleted = created[::2]
        for rid in deleted:
            assert api.delete(f"/v2/objects/people/records/{rid}").status_code == 200
        return created, deleted

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(worker, range(8)))
    created = [rid for c, _ in results for rid in c]
    deleted = {rid for _, d in results for rid in d}
    assert len(set(created)) == 160
    remaining = emu.record_ids("people")
    assert set(remaining) == set(created) - deleted and len(remaining) == 80
    assert len(Api(emu.base_url).query(limit=1000)) == 80
    assert emu.count("POST", "/v2/objects/people/records", 200) == 160
    assert emu.count("DELETE", status=200) == 80


def test_helpers_and_http_clients_at_once(emu: AttioEmulator) -> None:
    ids = [record_id(r) for r in emu.seed("people", 100)]

    def delete(rid: str) -> int:
        return Api(emu.base_url).delete(f"/v2/objects/people/records/{rid}").status_code

    def create(n: int) -> str:
        return record_id(emu.create_record("people", {"name": f"Helper {n}"}))

    with ThreadPoolExecutor(6) as pool:
        deletions = pool.map(delete, ids)
        creations = pool.map(create, range(100))
        assert set(deletions) == {200}
        new_ids = list(creations)
    remaining = emu.record_ids("people")
    assert len(remaining) == 100 and set(remaining) == set(new_ids)
