"""Configuration that ships with the chart and the dev stack is valid against the code."""

from __future__ import annotations

from pathlib import Path

import yaml

from tsuen_common.events.topics import PARTITIONS
from tsuen_common.messaging.worker import GRACEFUL_TIMEOUT_SECONDS
from tsuen_common.policy import load_policies, parse_policy

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy/helm/tsuen"


def test_policies_in_the_production_example_pass_the_policy_validator():
    values = yaml.safe_load((ROOT / "deploy/helm/examples/production.yaml").read_text())
    assert values["policies"], "the example should show how a municipality is configured"
    for file_name, text in values["policies"].items():
        policy = parse_policy(file_name, text)
        assert file_name.startswith(policy.code)


def test_pods_get_longer_to_stop_than_the_consumers_graceful_shutdown():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert values["terminationGracePeriodSeconds"] > GRACEFUL_TIMEOUT_SECONDS


def test_chart_provisions_every_registry_topic():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert set(values["topics"]["partitions"]) == {str(t) for t in PARTITIONS}


def test_demo_data_belongs_to_municipalities_with_a_policy():
    demo = yaml.safe_load((ROOT / "deploy/demo/demo.yaml").read_text())
    policies = load_policies()
    for facility in demo["facilities"]:
        assert facility["municipality"] in policies
    for guardian in demo["guardians"]:
        assert guardian["municipality"] in policies


def test_every_service_is_deployed_by_the_chart_compose_and_the_image_build():
    services = {p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").exists()}
    chart = yaml.safe_load((CHART / "values.yaml").read_text())["services"]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    build = (ROOT / "scripts/build-service-images.sh").read_text()
    assert services <= set(chart), "add the service to deploy/helm/tsuen/values.yaml"
    assert services <= set(compose), "add the service to docker-compose.yml"
    default_build = build.split("|| services=(")[1].split(")")[0].split()
    assert services <= set(default_build), "build its image in scripts/build-service-images.sh"
    db_init = compose["db-init"]["command"][0]
    assert all(name in db_init for name in services), "create its database in db-init"


def test_the_demo_people_belong_to_demo_facilities():
    demo = yaml.safe_load((ROOT / "deploy/demo/demo.yaml").read_text())
    facilities = {f["id"]: f["municipality"] for f in demo["facilities"]}
    for person in demo["guardians"] + demo["staff"]:
        assert facilities[person["facility"]] == person["municipality"]


def test_the_mails_link_to_the_portal_in_the_chart_and_the_dev_stack():
    """Without TSUEN_PORTAL_URL the notices say 「予約一覧から」 with no link to it."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    portal_port = compose["portal"]["ports"][0].split(":")[1]
    notification_env = compose["notification"]["environment"]
    assert notification_env["TSUEN_PORTAL_URL"] == f"http://127.0.0.1:{portal_port}"
    helpers = (CHART / "templates/_helpers.tpl").read_text()
    notification = helpers.split('{{- if eq .service "notification" }}')[1].split("{{- end }}")[0]
    assert "- name: TSUEN_PORTAL_URL\n  value: {{ .root.Values.publicUrls.portal | quote }}" in (
        notification
    )
