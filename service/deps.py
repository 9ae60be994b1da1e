"""FastAPI dependencies: the settings and the engine, overridable in tests."""

from __future__ import annotations

from fastapi import Request

from core.settings import Settings


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings
