import pytest

from app.core import sealing


def test_a_sealed_secret_reads_back_and_is_not_stored_in_the_clear(ctx):
    stored = sealing.seal("JBSWY3DPEHPK3PXP")
    assert stored.startswith(sealing.PREFIX)
    assert "JBSWY3DPEHPK3PXP" not in stored
    assert sealing.unseal(stored) == "JBSWY3DPEHPK3PXP"
    assert sealing.seal("JBSWY3DPEHPK3PXP") != stored  # a fresh nonce each time


def test_an_older_unsealed_value_reads_as_written(ctx):
    assert sealing.unseal("JBSWY3DPEHPK3PXP") == "JBSWY3DPEHPK3PXP"
    assert sealing.seal("") == ""


def test_another_key_cannot_open_it(ctx):
    stored = sealing.seal("secret", secret_key="one key, long enough")
    with pytest.raises(sealing.Unreadable):
        sealing.unseal(stored, secret_key="another key entirely")


def test_a_secret_is_shown_masked():
    assert sealing.mask("") == ""
    assert sealing.mask("short") == "••••••••"
    assert sealing.mask("abcdefghijklmnop") == "••••••••mnop"
