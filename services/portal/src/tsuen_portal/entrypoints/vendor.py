"""Third-party browser scripts (htmx), installed by npm from services/portal/package-lock.json
and served under /static/vendor/. They are optional: every page is a plain form without them,
so a portal whose node_modules is missing starts all the same and simply leaves them out."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment
from starlette.routing import Mount

log = logging.getLogger(__name__)

# services/portal/node_modules in a checkout (the package is installed editable there);
# TSUEN_PORTAL_VENDOR_DIR in the service image, where the wheel lives elsewhere.
CHECKOUT_MODULES = Path(__file__).resolve().parents[3] / "node_modules"
HTMX_DIST = Path("htmx.org") / "dist"
HTMX = HTMX_DIST / "htmx.min.js"


def modules_dir() -> Path:
    configured = os.environ.get("TSUEN_PORTAL_VENDOR_DIR", "")
    return Path(configured) if configured else CHECKOUT_MODULES


def install(app: FastAPI, templates: dict[str, Environment], modules: Path | None = None) -> bool:
    """Serve htmx's dist folder at /static/vendor/htmx/ when it is installed and tell
    the templates (``htmx``) whether to include it. True when it is served."""
    root = modules or modules_dir()
    present = (root / HTMX).is_file()
    if present:
        # Before the /static mount, which would otherwise answer 404 for /static/vendor/….
        app.router.routes.insert(
            0,
            Mount("/static/vendor/htmx", app=StaticFiles(directory=root / HTMX_DIST), name="htmx"),
        )
    else:
        log.info("htmx not installed (%s): pages are served without it", root / HTMX)
    for env in templates.values():
        env.globals["htmx"] = present
    return present
