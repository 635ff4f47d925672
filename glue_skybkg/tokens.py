"""Access tokens typed into the plugin's dialogs: kept in this process's memory, never saved.

A session records a source's spec, never its token; when the session (or a derived image)
fetches from that source again, the token remembered here for the spec is used.
"""

from __future__ import annotations

__all__ = ["remember_token", "token_for"]

_TOKENS: dict[str, str] = {}


def remember_token(source: str, token: str | None) -> None:
    """Use ``token`` for ``source`` for the rest of this process (None forgets it)."""
    if token:
        _TOKENS[source] = token
    else:
        _TOKENS.pop(source, None)


def token_for(source: str) -> str | None:
    """The token remembered for ``source``, or None."""
    return _TOKENS.get(source)
