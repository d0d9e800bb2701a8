"""The pluggable SMS backends."""

import io

import pytest

from apps.messaging import sms


def test_get_sms_backend_uses_the_setting(settings):
    settings.SMS_BACKEND = "apps.messaging.sms.ConsoleSMSBackend"
    assert isinstance(sms.get_sms_backend(), sms.ConsoleSMSBackend)
    assert isinstance(
        sms.get_sms_backend("apps.messaging.sms.LocmemSMSBackend"), sms.LocmemSMSBackend
    )


def test_the_test_settings_use_the_locmem_outbox():
    backend = sms.get_sms_backend()
    assert isinstance(backend, sms.LocmemSMSBackend)
    assert backend.send_messages([("+15550100", "Hi"), ("+15550101", "Hello")]) == 2
    assert [m.to for m in sms.outbox] == ["+15550100", "+15550101"]


def test_the_file_backend_writes_one_file_per_message(settings, tmp_path):
    settings.SMS_FILE_PATH = tmp_path / "sms"
    backend = sms.get_sms_backend("apps.messaging.sms.FileSMSBackend")
    backend.send_messages([("+15550100", "One"), ("+15550101", "Two")])
    texts = sorted(p.read_text() for p in (tmp_path / "sms").iterdir())
    assert texts == ["To: +15550100\n\nOne\n", "To: +15550101\n\nTwo\n"]


def test_the_console_backend_writes_to_its_stream():
    stream = io.StringIO()
    sms.ConsoleSMSBackend(stream=stream).send_messages([("+15550100", "Hi")])
    assert "SMS to +15550100\nHi" in stream.getvalue()


@pytest.mark.parametrize(("to", "body"), [("", "Hi"), ("+1555\n0100", "Hi"), ("+15550100", "")])
def test_a_bad_number_or_empty_text_is_a_value_error(to, body):
    with pytest.raises(ValueError):
        sms.LocmemSMSBackend().send_messages([(to, body)])
    assert sms.outbox == []
