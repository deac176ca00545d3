"""Mirror sync: delete the Attio records your warehouse no longer has, guarded against a bad extract.

A reverse-ETL sync owns a set of Attio records (here: the people with an email on one domain) and the
warehouse is the source of truth. Each run reads the source's keys, and deletes the records in scope
whose key the source no longer holds. The classic disaster: the extract comes back empty or truncated,
and the "delete what's gone" step wipes the CRM. ``AttioDeleteRecordsOperator`` checks guards before its
first DELETE and fails the task, deleting nothing, when:

* the source is empty (``keep_values`` holds no key), unless ``allow_empty_source=True``;
* no key of the source is held by a record in scope (a wrong attribute, a broken extract), unless
  ``allow_no_overlap=True``;
* more than ``max_delete_fraction`` (default 0.1: 10 %) of what it could delete would go: the records in
  scope with a key (and those without when ``delete_keyless=True``);
* more than ``max_records`` would go.

Records in scope without a key (no email here) are never deleted unless ``delete_keyless=True``. Keys are
typed as Attio types the attribute (asked before anything is deleted): emails and domains compare
case-insensitively, numeric strings on a number attribute as numbers.

Deletes in Attio are permanent, so by default this DAG deletes nothing: its scope is the reserved
``mirror-sync.example.invalid`` domain (no real address uses it; ``make demo`` seeds it in the emulator),
and the mirror runs only when triggered with ``confirm_delete`` set to true::

    airflow dags trigger example_attio_mirror_sync --conf '{"confirm_delete": true}'

To see a guard refuse, simulate a truncated extract (``source_limit`` rows only)::

    airflow dags trigger example_attio_mirror_sync --conf '{"confirm_delete": true, "source_limit": 3}'

What it shows:

* ``extract_source_keys`` stands in for the warehouse: it creates a small table with the standard
  library's ``sqlite3`` and selects the emails. Its output (an XComArg) is the ``keep_values``.
* ``dry_run`` runs the mirror with ``dry_run=True``: its XCom's ``sync`` holds the counts (in scope,
  kept, to delete, without a key) and, if a guard would refuse, what it saw; the log names a sample.
* ``check_confirmation`` is a short-circuit step: unless ``confirm_delete`` is true it skips the mirror.
* ``mirror_delete`` is the guarded mirror: same scope, same keys, real deletes at Attio's pace.

Params: ``scope`` (an Attio filter: what the sync owns), ``source_limit`` (keep only the first N source
rows, to try the guards; null: all), ``confirm_delete`` (false by default: dry run only).
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param, task

from airflow_provider_attio.operators.records import AttioDeleteRecordsOperator

DOMAIN = "mirror-sync.example.invalid"
#: The warehouse's contacts: members 1 to 11 (one in capitals: keys compare case-insensitively) and a
#: contact Attio doesn't have yet. Member 12, in Attio, has left the source.
SOURCE_ROWS = [
    (n, f"MEMBER{n}@MIRROR-SYNC.EXAMPLE.INVALID" if n == 3 else f"member{n}@{DOMAIN}") for n in range(1, 12)
] + [(99, f"newcomer@{DOMAIN}")]


@task
def extract_source_keys(params: dict[str, Any] | None = None) -> list[str]:
    """Read the source's keys (a sqlite3 table standing in for the warehouse)."""
    assert params is not None  # Airflow passes the DAG run's params
    with sqlite3.connect(":memory:") as db:
        db.execute("CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT)")
        db.executemany("INSERT INTO contacts VALUES (?, ?)", SOURCE_ROWS)
        limit = params["source_limit"]
        rows = db.execute("SELECT email FROM contacts ORDER BY id LIMIT ?", (-1 if limit is None else limit,))
        emails = [email for (email,) in rows]
    print(f"The source holds {len(emails)} contact email(s).")
    return emails


@task.short_circuit
def check_confirmation(params: dict[str, Any] | None = None) -> bool:
    """Let the mirror run only when the run was triggered with ``confirm_delete`` true."""
    assert params is not None
    if params["confirm_delete"] is not True:
        print('confirm_delete is not true: nothing will be deleted. Trigger with {"confirm_delete": true}.')
        return False  # False skips the mirror
    return True


with DAG(
    dag_id="example_attio_mirror_sync",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "scope": Param(
            # A reserved domain: it matches no real person, only the demo's example data.
            {"email_addresses": {"email_domain": DOMAIN}},
            type="object",
            description="Attio query filter: the records the sync owns (the mirror's scope)",
        ),
        "source_limit": Param(
            None, type=["null", "integer"], description="Keep only the first N source rows (try the guards)"
        ),
        "confirm_delete": Param(
            False, type="boolean", description="Run the mirror delete. False: dry run only, delete nothing"
        ),
    },
    tags=["attio", "example"],
    doc_md=__doc__,
) as dag:
    keys = extract_source_keys()
    mirror = {
        "object": "people",
        "filter": "{{ params.scope }}",
        "keep_attribute": "email_addresses",
        "keep_values": keys,
        "max_delete_fraction": 0.1,  # the default: a run deletes at most 10 % of the scope
        "max_records": 500,
    }
    dry_run = AttioDeleteRecordsOperator(task_id="dry_run", dry_run=True, **mirror)
    mirror_delete = AttioDeleteRecordsOperator(task_id="mirror_delete", if_not_found="succeed", **mirror)
    dry_run >> check_confirmation() >> mirror_delete
