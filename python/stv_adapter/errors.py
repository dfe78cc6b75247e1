"""Errors with a stable code, a message a person can act on, and a hint; the HTTP layer turns them
into ``{"error": {"code", "message", "hint"}}`` with the status below."""

from __future__ import annotations

STATUS_BY_CODE: dict[str, int] = {
    "INVALID_REQUEST": 422,
    "UNAUTHORIZED": 401,
    "ORIGIN_FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "PATH_FORBIDDEN": 400,
    "PAYLOAD_TOO_LARGE": 413,
    "BUSY": 429,
    "MODEL_NOT_FOUND": 503,
    "MODEL_LOADING": 503,
    "CUDA_OOM": 507,
    "CANCELLED": 409,
    "DISK_FULL": 507,
    "OUTPUT_NOT_WRITABLE": 500,
    "EXECUTION_ERROR": 500,
    # The Ray worker (or its node) rendering the job went away, on its retry too (serve --cluster ray).
    "WORKER_LOST": 503,
    "KEYFRAMES_UNSUPPORTED": 422,
    "INTERNAL": 500,
}


class AdapterError(Exception):
    def __init__(self, code: str, message: str, hint: str | None = None, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.status = status or STATUS_BY_CODE.get(code, 500)

    def to_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "hint": self.hint}


class JobCancelled(AdapterError):
    def __init__(self, message: str = "The job was cancelled.") -> None:
        super().__init__("CANCELLED", message, None)


def from_os_error(e: OSError, what: str) -> AdapterError:
    """Maps file-system failures to codes the user can act on."""
    import errno

    if e.errno == errno.ENOSPC:
        return AdapterError(
            "DISK_FULL", f"The disk is full while writing {what}.", "Free disk space; earlier renders were not touched."
        )
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return AdapterError(
            "OUTPUT_NOT_WRITABLE",
            f"Cannot write {what}: {e.strerror}.",
            "Choose another output folder (--output-root) or fix its permissions.",
        )
    return AdapterError("INTERNAL", f"Cannot write {what}: {e}", None)
