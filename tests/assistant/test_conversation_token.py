"""Tokens minted for a conversation expire within hours and are revoked when it ends: a chat's,
and the one of the assistant listening at home for days, which is renewed before it expires
(it used to mint a token that never expired)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from assistant.chat import (
    CONVERSATION_TOKEN_TTL,
    ConversationToken,
    conversation_token,
    customer_token,
)
from assistant.settings import load_settings, with_database_url
from commerce.db import Database
from commerce.models import ApiToken
from commerce.services import auth


def token_row(db: Database, token: str) -> ApiToken:
    with db.session() as session:
        return session.scalars(
            select(ApiToken).where(ApiToken.token_hash == auth.hash_token(token))
        ).one()


def test_conversation_tokens_expire_and_are_revoked(seeded_sqlite_template: Path, tmp_path: Path):
    database = tmp_path / "commerce.db"
    shutil.copy(seeded_sqlite_template, database)
    settings = with_database_url(load_settings(environ={}), f"sqlite:///{database}")
    db = Database.connect(f"sqlite:///{database}")
    try:
        minted_at = datetime.now(UTC)
        plain = customer_token(settings, "alice")  # what tests and benchmarks mint
        assert token_row(db, plain).expires_at is not None, "no minted token lives for ever"
        with conversation_token(settings, "alice") as chat:
            row = token_row(db, chat)
            assert row.revoked_at is None
            assert row.expires_at is not None
            assert row.expires_at <= minted_at + CONVERSATION_TOKEN_TTL + timedelta(minutes=1)
        assert token_row(db, chat).revoked_at is not None, "revoked when the chat ended"

        with ConversationToken(settings, "alice") as home:
            first = home.current()
            assert first == home.value
            assert home.current() == first, "hours left: the same token"
            home.expires_at = datetime.now(UTC) + timedelta(minutes=5)  # about to expire
            second = home.current()
            assert second != first
            assert token_row(db, first).revoked_at is not None, "the old one is revoked"
            assert token_row(db, second).revoked_at is None
            assert token_row(db, second).expires_at is not None
        assert token_row(db, second).revoked_at is not None, "every one revoked at the end"
    finally:
        db.dispose()
