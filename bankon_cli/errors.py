"""Exit statuses and the exceptions that carry a Russian message to the one error exit."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """Process exit codes, documented in README.md."""

    OK = 0
    FAILURE = 1
    INVALID_INPUT = 2
    NOT_FOUND = 3
    CONFLICT = 4
    PARTIAL = 5
    TEMPORARY = 75
    INTERRUPTED = 130


class BankonError(Exception):
    """An error the user can act on: a Russian message and an exit status."""

    exit_status: ExitStatus = ExitStatus.FAILURE

    def __init__(self, message: str, exit_status: ExitStatus | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_status is not None:
            self.exit_status = exit_status


class InvalidInput(BankonError):
    """A value given by the user is wrong; `field` names it."""

    exit_status = ExitStatus.INVALID_INPUT

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}" if field else problem)
        self.field = field
        self.problem = problem


class NotFound(BankonError):
    exit_status = ExitStatus.NOT_FOUND


class Conflict(BankonError):
    exit_status = ExitStatus.CONFLICT


class TemporaryFailure(BankonError):
    exit_status = ExitStatus.TEMPORARY


class ConfigError(BankonError):
    exit_status = ExitStatus.INVALID_INPUT


class DeliveryFailed(BankonError):
    """Mail could not be delivered; the message stays queued."""

    exit_status = ExitStatus.FAILURE
