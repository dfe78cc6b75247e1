"""What the routes depend on, handed over through FastAPI's `Depends`: the job manager, the backend,
the configuration and the caller's authorization. create_app puts the instances on `app.state`;
tests can replace any of them with `app.dependency_overrides`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from .backends import Backend
from .config import AdapterConfig
from .errors import AdapterError
from .jobs import JobManager
from .security import token_ok


def get_config(request: Request) -> AdapterConfig:
    config: AdapterConfig = request.app.state.config
    return config


def get_manager(request: Request) -> JobManager:
    manager: JobManager = request.app.state.manager
    return manager


def get_backend(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


def is_authorized(
    config: Annotated[AdapterConfig, Depends(get_config)], authorization: Annotated[str | None, Header()] = None
) -> bool:
    """True on an adapter without a token, or when the caller sent the right one."""
    return config.token is None or token_ok(config.token, authorization)


def require_token(authorized: Annotated[bool, Depends(is_authorized)]) -> None:
    """The job routes' guard. GuardMiddleware already refuses these requests before any body is
    read; this second check keeps a route safe even if it is mounted without the middleware."""
    if not authorized:
        raise AdapterError(
            "UNAUTHORIZED",
            "This adapter requires a token.",
            "Set it with 'Scene to Video: Set FastVideo adapter token' (the adapter's STV_ADAPTER_TOKEN).",
        )


ConfigDep = Annotated[AdapterConfig, Depends(get_config)]
ManagerDep = Annotated[JobManager, Depends(get_manager)]
BackendDep = Annotated[Backend, Depends(get_backend)]
AuthorizedDep = Annotated[bool, Depends(is_authorized)]
