"""Logs an operator can follow: a request id on every request and its log lines, and JSON lines for a log
collector (EPORTAL_LOG_FORMAT=json; settings.LOGGING names the filter and the formatter here).

The request id is the `X-Request-ID` a proxy in front sent, when it is a short plain token, or a new one; the
answer carries it back in the same header, so a user's report, the proxy's log and the portal's lines meet.
"""

import contextvars
import datetime
import json
import logging
import re
import uuid

REQUEST_ID_HEADER = "X-Request-ID"
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("eportal_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being answered in this thread, or None (the worker, a command)."""
    return _request_id.get()


def incoming_or_new(value: str | None) -> str:
    """The incoming id when it is a plain token of at most 64 characters (nothing to forge a log line with), else
    a new one."""
    if value and VALID_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE: every log line of the request, the other middleware's included, carries its id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = incoming_or_new(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


def record_request_id(record: logging.LogRecord) -> str | None:
    """The id of the request a record belongs to. Django logs an answer's 4xx/5xx status after the whole middleware
    chain returned, so for its records (which carry the request) the id comes from the request itself."""
    request = getattr(record, "request", None)
    return getattr(record, "request_id", None) or getattr(request, "request_id", None) or current_request_id()


class RequestIdFilter(logging.Filter):
    """Gives each record `request_id` (None outside a request); lets every record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = record_request_id(record)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message, request_id inside a request,
    exception (its traceback) when there is one. ASCII-only JSON: no locale can garble a line."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = record_request_id(record)
        if request_id:
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line)
