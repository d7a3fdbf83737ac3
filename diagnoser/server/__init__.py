"""`diagnoser serve`: the HTTP service for helpdesks and monitoring (the `serve` extra)."""

from __future__ import annotations

from .app import ServerConfig, create_app

__all__ = ["ServerConfig", "create_app"]
