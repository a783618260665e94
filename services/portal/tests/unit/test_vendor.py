"""htmx is optional: served and announced to the templates only when npm installed it."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from jinja2 import Environment

from tsuen_portal.entrypoints import vendor


def test_installed_htmx_is_served_under_static_vendor(tmp_path: Path):
    (tmp_path / vendor.HTMX_DIST).mkdir(parents=True)
    (tmp_path / vendor.HTMX).write_text("/* htmx */")
    app, templates = (
        FastAPI(),
        {"ja": Environment(autoescape=True), "en": Environment(autoescape=True)},
    )
    assert vendor.install(app, templates, tmp_path) is True
    assert all(env.globals["htmx"] is True for env in templates.values())
    served = TestClient(app).get("/static/vendor/htmx/htmx.min.js")
    assert served.status_code == 200
    assert served.text == "/* htmx */"


def test_without_node_modules_nothing_is_served_and_pages_leave_htmx_out(tmp_path: Path):
    app, templates = FastAPI(), {"ja": Environment(autoescape=True)}
    assert vendor.install(app, templates, tmp_path / "missing") is False
    assert templates["ja"].globals["htmx"] is False
    assert TestClient(app).get("/static/vendor/htmx/htmx.min.js").status_code == 404


def test_only_htmx_dist_is_exposed_not_the_rest_of_node_modules(tmp_path: Path):
    (tmp_path / vendor.HTMX_DIST).mkdir(parents=True)
    (tmp_path / vendor.HTMX).write_text("/* htmx */")
    (tmp_path / "htmx.org" / "package.json").write_text("{}")
    app = FastAPI()
    vendor.install(app, {}, tmp_path)
    client = TestClient(app)
    assert client.get("/static/vendor/htmx/../package.json").status_code == 404
    assert client.get("/static/vendor/htmx.org/package.json").status_code == 404


def test_the_environment_names_where_npm_installed_it(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("TSUEN_PORTAL_VENDOR_DIR", str(tmp_path))
    assert vendor.modules_dir() == tmp_path
    monkeypatch.delenv("TSUEN_PORTAL_VENDOR_DIR")
    assert vendor.modules_dir() == vendor.CHECKOUT_MODULES
    assert (vendor.CHECKOUT_MODULES.parent / "package.json").is_file()
