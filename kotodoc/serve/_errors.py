"""The service's refusals: an HTTP status, a stable code and a message without personal data."""

from __future__ import annotations

from collections.abc import Mapping


class ApiError(Exception):
    """A request the service refuses: an HTTP status, a stable code, a message without personal data."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})
