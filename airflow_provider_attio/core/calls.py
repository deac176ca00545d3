"""The requests the provider sends to Attio, as plain data: a method, a path, a body.

Building a request decides nothing about its answer; :mod:`.answers` and the procedures do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

DEFAULT_HOST = "https://api.attio.com"


@dataclass(frozen=True)
class ApiRequest:
    """One call to Attio, as plain data.

    :param method: the HTTP method.
    :param path: the URL path under the base URL, e.g. ``/v2/objects/people``.
    :param json: the JSON body, if any.
    :param once: never sent again after an attempt that may have been applied (a create: a second one
        would make a second record); the call raises
        :class:`~airflow_provider_attio.exceptions.AttioOutcomeUnknownError` instead.
    """

    method: str
    path: str
    json: Any = None
    once: bool = False

    @property
    def is_write(self) -> bool:
        """Whether the call spends Attio's write budget (a query is a ``POST`` that reads)."""
        return self.method != "GET" and not self.path.endswith("/query")


def api_path(*segments: str) -> str:
    """``/v2/`` and the URL-encoded segments: ``api_path("objects", "people")`` is ``/v2/objects/people``."""
    return "/v2/" + "/".join(quote(segment, safe="") for segment in segments)


def get_object(object: str) -> ApiRequest:
    return ApiRequest("GET", api_path("objects", object))


def get_record(object: str, record_id: str) -> ApiRequest:
    return ApiRequest("GET", api_path("objects", object, "records", record_id))


def query_records(
    object: str, filter: Any = None, sorts: Any = None, *, limit: int = 500, offset: int = 0
) -> ApiRequest:
    """``POST /v2/objects/{object}/records/query``; ``filter`` and ``sorts`` are left out when ``None``."""
    body: dict[str, Any] = {"limit": limit, "offset": offset}
    if filter is not None:
        body["filter"] = filter
    if sorts is not None:
        body["sorts"] = list(sorts)
    return ApiRequest("POST", api_path("objects", object, "records", "query"), body)


def create_request(object: str, values: dict[str, Any]) -> ApiRequest:
    """``POST /v2/objects/{object}/records``, sent :attr:`~ApiRequest.once`: a lost answer isn't resent."""
    return ApiRequest("POST", api_path("objects", object, "records"), {"data": {"values": values}}, once=True)


def get_list(list_ref: str) -> ApiRequest:
    return ApiRequest("GET", api_path("lists", list_ref))
