"""The dispatch table: every event it names exists, every template it names exists, and the
consumers derived from it are the ones the service always had."""

from __future__ import annotations

from importlib.resources import files

import pytest

from tsuen_common.events.envelope import EventPayload
from tsuen_common.events.registry import payload_class
from tsuen_notification.domain.notices import (
    DISPATCH,
    SUBJECTS,
    SUBSCRIPTIONS,
    Template,
    events_of,
)

TEMPLATES = files("tsuen_notification.adapters") / "templates"


@pytest.mark.parametrize("event", list(DISPATCH), ids=lambda e: e.event_type)
def test_every_event_of_the_table_is_in_the_event_registry(event: type[EventPayload]) -> None:
    assert payload_class(event.event_type, event.version) is event
    # Its consumer reads the topic the event is published on.
    assert DISPATCH[event].subscription.topic == event.topic


@pytest.mark.parametrize(
    "template", sorted({t for route in DISPATCH.values() for t in route.templates})
)
def test_every_template_of_the_table_exists(template: Template) -> None:
    assert SUBJECTS[template]
    assert (TEMPLATES / f"{template}.txt.j2").is_file()
    assert (TEMPLATES / f"{template}.html.j2").is_file()


def test_every_template_is_sent_for_some_event() -> None:
    named = [t for route in DISPATCH.values() for t in route.templates]
    assert sorted(named) == sorted(Template)  # each once: one event owns each mail


def test_an_event_that_mails_nobody_names_no_template() -> None:
    for route in DISPATCH.values():
        assert (route.build is None) == (route.templates == ())
        assert route.build is not None or route.queue_changes is not None


def test_the_consumers_keep_their_group_ids_and_events() -> None:
    # Renaming a group would make Kafka and the inbox start it over from scratch.
    subscribed = {s.group: sorted(e.event_type for e in events_of(s)) for s in SUBSCRIPTIONS}
    assert subscribed == {
        "notification-eligibility": sorted(
            [
                "eligibility.ApplicationLinkIssued",
                "eligibility.ChildCertified",
                "eligibility.GuardianEmailChangeRequested",
                "eligibility.LotteryResultDecided",
                "eligibility.CertificationRevoked",
                "eligibility.CertificationChanged",
                "eligibility.ChangeApplicationDecided",
            ]
        ),
        "notification-booking": sorted(
            [
                "booking.InterviewScheduled",
                "booking.InterviewCancelled",
                "booking.FacilityAcceptanceRecorded",
                "booking.BookingConfirmed",
                "booking.BookingCancelled",
                "booking.QuotaOverCapCharged",
                "booking.InterviewRequested",
                "booking.RegularPlanApplied",
                "booking.RegularPlanDecided",
                "booking.RegularPlanBooked",
                "booking.WaitlistPlaceOffered",
            ]
        ),
        "notification-attendance": ["attendance.CheckedOut"],
        "notification-identity": sorted(
            [
                "identity.AccountIssued",
                "identity.PasswordResetRequested",
                "identity.AccountLocked",
            ]
        ),
        "notification-billing": ["billing.ClaimClosed", "billing.StatementClosed"],
    }
