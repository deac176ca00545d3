"""``[core] hostname_callable`` of the deployment: every "machine" runs on this one, so each process says
which one it stands for (``DEPLOY_HOSTNAME``: w1, w2, scheduler...), and a task instance records the
worker that ran it."""

from __future__ import annotations

import os
import socket


def hostname() -> str:
    return os.environ.get("DEPLOY_HOSTNAME") or socket.getfqdn()
