from tsuen_portal.service_layer.visits import TOKEN_MAX, readable


def test_a_scanned_token_is_handed_on_only_when_it_could_be_one():
    assert readable("abc.DEF-123_")
    assert not readable("")
    assert not readable("x" * (TOKEN_MAX + 1))
    assert not readable("abc\ndef")  # control characters never reach attendance
