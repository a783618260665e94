from datetime import datetime, timedelta

from tsuen_common.timeutil import JST
from tsuen_portal.domain import sessions
from tsuen_portal.domain.sessions import Account, Lifetime, SessionState, Tokens

T0 = datetime(2027, 1, 7, 9, 0, tzinfo=JST)
LIFE = Lifetime(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
ACCOUNT = Account(role="guardian", municipality="131016", guardian_id="g-1")


def signed_in(access_for: timedelta = timedelta(minutes=5)) -> sessions.Session:
    tokens = Tokens("access", "refresh", T0 + access_for)
    return sessions.signed_in(T0, "secret", "hash", ACCOUNT, tokens, LIFE)


def test_a_session_id_is_random_and_only_its_hash_is_kept():
    first, second = sessions.new_session_id(), sessions.new_session_id()
    assert first != second
    assert len(first) >= 43
    assert sessions.hash_session_id(first) == sessions.hash_session_id(first)
    assert first not in sessions.hash_session_id(first)


def test_a_signed_in_session_ends_after_the_idle_time_without_requests():
    session = signed_in()
    assert sessions.state(session, T0 + timedelta(minutes=29)) is SessionState.ACTIVE
    assert sessions.state(session, T0 + timedelta(minutes=30)) is SessionState.EXPIRED


def test_each_request_moves_the_idle_deadline_but_never_past_the_absolute_one():
    session = signed_in()
    now = T0
    for _ in range(30):  # a request every 25 minutes for 12.5 hours
        now += timedelta(minutes=25)
        if sessions.state(session, now) is SessionState.EXPIRED:
            break
        session = session.touched(now, LIFE)
    assert now <= T0 + LIFE.absolute + timedelta(minutes=25)
    assert session.expires_at <= T0 + LIFE.absolute
    assert sessions.state(session, T0 + LIFE.absolute) is SessionState.EXPIRED


def test_an_anonymous_session_lives_for_a_fixed_time_and_holds_no_account():
    session = sessions.anonymous(T0, "secret", "hash")
    assert not session.signed_in
    later = session.touched(T0 + timedelta(minutes=90), LIFE)
    assert later.expires_at == T0 + sessions.ANONYMOUS_LIFETIME
    assert sessions.state(later, T0 + sessions.ANONYMOUS_LIFETIME) is SessionState.EXPIRED


def test_the_access_token_is_refreshed_shortly_before_it_expires():
    session = signed_in(access_for=timedelta(minutes=5))
    assert not session.needs_refresh(T0 + timedelta(minutes=4))
    assert session.needs_refresh(T0 + timedelta(minutes=4, seconds=31))
    assert session.needs_refresh(T0 + timedelta(minutes=6))


def test_a_margin_as_long_as_the_token_refreshes_at_every_request():
    session = signed_in(access_for=timedelta(minutes=10))
    assert session.needs_refresh(T0, margin=timedelta(days=1))


def test_a_session_kept_to_the_entrance_display_stays_kept_when_its_tokens_are_refreshed():
    staff = Account(role="facility_staff", municipality="222135", facility_id="f-1")
    kept = sessions.as_entrance_display(staff)
    assert (kept.role, kept.facility_id) == (sessions.ENTRANCE_DISPLAY, "f-1")
    # identity only knows the staff role: a refresh must not give the staff pages back.
    assert sessions.after_refresh(kept, staff) == kept
    assert sessions.after_refresh(staff, staff) == staff
    assert sessions.after_refresh(None, staff) == staff
