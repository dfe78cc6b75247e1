"""The adapter's HTTP routes, one APIRouter per resource; app.create_app includes them."""

from __future__ import annotations

from typing import Any

from ..schemas import ErrorResponse

# The error responses every route documents in OpenAPI (the body is always ErrorResponse).
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": desc}
    for code, desc in {
        400: "Bad request",
        401: "Missing or wrong token",
        403: "Host or Origin not allowed (ORIGIN_FORBIDDEN)",
        404: "No such job",
        409: "Conflict",
        413: "Body too large",
        415: "Body is not JSON",
        422: "Invalid parameters",
        429: "Queue full (BUSY)",
        500: "Internal error",
        503: "Model not available",
        507: "GPU out of memory (CUDA_OOM) or disk full (DISK_FULL)",
    }.items()
}
