from tsuen_portal.domain import csrf


def test_a_token_made_from_the_sessions_secret_is_accepted():
    secret = csrf.new_secret()
    assert csrf.is_valid(secret, csrf.mask(secret))


def test_each_form_gets_different_bytes_for_the_same_secret():
    secret = csrf.new_secret()
    assert csrf.mask(secret) != csrf.mask(secret)


def test_a_token_of_another_session_is_refused():
    assert not csrf.is_valid(csrf.new_secret(), csrf.mask(csrf.new_secret()))


def test_a_missing_or_malformed_token_is_refused():
    secret = csrf.new_secret()
    token = csrf.mask(secret)
    for bad in (None, "", "x", token[:-4], token + "AAAA", "!!!!" * 20, "A" * 500, secret):
        assert not csrf.is_valid(secret, bad), bad


def test_no_session_secret_refuses_everything():
    assert not csrf.is_valid(None, csrf.mask(csrf.new_secret()))
    assert not csrf.is_valid("", "anything")
