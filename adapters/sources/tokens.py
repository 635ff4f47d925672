"""Access tokens for the Rubin Science Platform: where they come from and how they stay secret."""

from __future__ import annotations

import os
import re

__all__ = ["TOKEN_ENV_VARS", "TOKEN_HELP", "find_token", "redact", "strip_url_secrets"]

TOKEN_ENV_VARS = ("ACCESS_TOKEN", "BUTLER_RUBIN_ACCESS_TOKEN")
"""Environment variables searched for a token, in order (RSP notebooks set ``ACCESS_TOKEN``)."""

TOKEN_HELP = (
    "Create a token at https://data.lsst.cloud/auth/tokens (scopes read:tap and read:image) "
    "and type it into the Token field of glue's Plugins ▸ Sky backgrounds… dialog, or set it "
    "before starting: export ACCESS_TOKEN=<token> (in Python, token=... to the source also "
    "works)."
)
"""What to tell a user whose request was refused for want of a valid token."""


def find_token(token: str | None = None) -> str | None:
    """The bearer token: ``token`` if given, else the first set one of :data:`TOKEN_ENV_VARS`."""
    if token:
        return token
    for name in TOKEN_ENV_VARS:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def redact(text: str, token: str | None) -> str:
    """``text`` with every occurrence of ``token`` replaced by ``***``."""
    if not token:
        return text
    return text.replace(token, "***")


_USERINFO = re.compile(r"^[^@/]*@")


def strip_url_secrets(url: str) -> str:
    """``url`` without credentials in the host part and without its query string.

    Presigned URLs carry their signature in the query and some services accept a
    token there, so error messages and provenance never show a query.
    """
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    netloc = _USERINFO.sub("", parts.netloc)
    query = "<query removed>" if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
