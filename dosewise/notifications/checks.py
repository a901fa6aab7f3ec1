"""Start-up checks of the reminder settings: a backend path that does not import is an error
at `manage.py check` / start-up, not at 3 a.m. when the first reminder is due."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string

from dosewise.notifications.sms import BaseSmsBackend


@register()
def check_backends(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    try:
        sms = import_string(settings.SMS_BACKEND)
    except ImportError as exc:
        errors.append(
            Error(f"SMS_BACKEND {settings.SMS_BACKEND!r} cannot be imported: {exc}", id="dw.E101")
        )
    else:
        if not (isinstance(sms, type) and issubclass(sms, BaseSmsBackend)):
            errors.append(
                Error(
                    f"SMS_BACKEND {settings.SMS_BACKEND!r} is not a subclass of "
                    "dosewise.notifications.sms.BaseSmsBackend",
                    id="dw.E102",
                )
            )
    try:
        import_string(settings.EMAIL_BACKEND)
    except ImportError as exc:
        errors.append(
            Error(
                f"EMAIL_BACKEND {settings.EMAIL_BACKEND!r} cannot be imported: {exc}",
                id="dw.E103",
            )
        )
    return errors
