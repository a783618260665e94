from __future__ import annotations

from fastapi import FastAPI

from tsuen_attendance.config import Settings
from tsuen_common.service import create_app


def create() -> FastAPI:
    return create_app(Settings(), title="tsuen attendance")
