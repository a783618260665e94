from __future__ import annotations

from fastapi import FastAPI

from tsuen_common.service import create_app
from tsuen_notification.config import Settings


def create() -> FastAPI:
    return create_app(Settings(), title="tsuen notification")
