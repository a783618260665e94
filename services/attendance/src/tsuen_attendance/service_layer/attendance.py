"""The use-case object of the attendance service: one :class:`AttendanceService` that the HTTP
app, the pages, the worker and the CLI share (built in ``wiring.py``). Its use cases live by what
they do — ``facility_codes`` (the facility's 2D code and keys), ``registrations`` (利用開始 /
利用終了, by the guardian's scan or by staff), ``roster`` (the facility's day) and ``no_shows``
(the sweep) — on one :class:`~tsuen_attendance.service_layer.core.ServiceCore`; who may see
what is ``tenancy``, and other services' events are applied by ``projections``. Each change is
one transaction: the visit's new state and its events (through the outbox) commit together or
not at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from tsuen_attendance.service_layer.no_shows import NoShowSweep
from tsuen_attendance.service_layer.registrations import Registrations
from tsuen_attendance.service_layer.roster import Rosters


@dataclass
class AttendanceService(Registrations, Rosters, NoShowSweep):
    """Every use case of the service on one set of sessions, outbox, policies and clocks."""
