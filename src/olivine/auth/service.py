"""Users, tokens and roles. Token secrets are shown once and stored as sha256 only (they are
256-bit random values, so a fast hash is enough: there is nothing to brute-force)."""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from olivine.auth.policy import ROLES, Principal
from olivine.db.base import Database, utcnow
from olivine.db.models import Project, Role, Token, User
from olivine.errors import Conflict, NotFound, Unauthenticated, ValidationFailed

TOKEN_PREFIX = "olv_"
USER_NAME = re.compile(r"^[a-z_][a-z0-9_.-]{0,63}$")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    id: int
    secret: str  # shown once
    user: str


@dataclass(frozen=True)
class TokenInfo:
    id: int
    user: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


class AuthService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # users
    def create_user(self, name: str, admin: bool = False) -> User:
        if not USER_NAME.match(name):
            raise ValidationFailed(
                f"user name {name!r} is not valid: lower-case letters, digits, '_', '.', '-'"
            )
        try:
            with self.db.session() as s:
                user = User(name=name, is_admin=admin)
                s.add(user)
                s.flush()
                s.expunge(user)
                return user
        except IntegrityError:
            raise Conflict(f"user {name} already exists") from None

    def list_users(self) -> list[User]:
        with self.db.session() as s:
            users = list(s.scalars(select(User).order_by(User.name)))
            s.expunge_all()
            return users

    def user_by_name(self, name: str) -> User:
        with self.db.session() as s:
            user = s.scalar(select(User).where(User.name == name))
            if user is None:
                raise NotFound(f"user {name} does not exist")
            s.expunge(user)
            return user

    # tokens
    def create_token(self, user_name: str, name: str = "") -> NewToken:
        user = self.user_by_name(user_name)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.db.session() as s:
            tok = Token(
                user_id=user.id,
                name=name[:128],
                prefix=secret[:12],
                secret_hash=hash_secret(secret),
            )
            s.add(tok)
            s.flush()
            return NewToken(tok.id, secret, user.name)

    def list_tokens(self, user_name: str | None = None) -> list[TokenInfo]:
        with self.db.session() as s:
            q = select(Token, User.name).join(User).order_by(Token.id)
            if user_name:
                q = q.where(User.name == user_name)
            return [
                TokenInfo(
                    t.id,
                    u,
                    t.name,
                    t.prefix,
                    t.created_at,
                    t.last_used_at,
                    t.revoked_at is not None,
                )
                for t, u in s.execute(q)
            ]

    def token_owner(self, token_id: int) -> str:
        with self.db.session() as s:
            row = s.execute(select(User.name).join(Token).where(Token.id == token_id)).one_or_none()
            if row is None:
                raise NotFound(f"token {token_id} does not exist")
            return str(row[0])

    def revoke_token(self, token_id: int) -> None:
        with self.db.session() as s:
            tok = s.get(Token, token_id)
            if tok is None:
                raise NotFound(f"token {token_id} does not exist")
            tok.revoked_at = tok.revoked_at or utcnow()

    def authenticate(self, secret: str) -> Principal:
        """The principal a token secret stands for; Unauthenticated for a bad token."""
        return self.authenticate_hash(hash_secret(secret))

    def authenticate_hash(self, secret_hash: str) -> Principal:
        """As authenticate(), from the stored sha256 of the secret (web sessions keep only it)."""
        with self.db.session() as s:
            row = s.execute(
                select(Token, User).join(User).where(Token.secret_hash == secret_hash)
            ).one_or_none()
            if row is None:
                raise Unauthenticated("the API token is not valid")
            tok, user = row
            now = utcnow()
            if tok.revoked_at is not None:
                raise Unauthenticated(f"the API token {tok.prefix}… has been revoked")
            if tok.expires_at is not None and _aware(tok.expires_at) < now:
                raise Unauthenticated(f"the API token {tok.prefix}… has expired")
            if user.disabled:
                raise Unauthenticated(f"user {user.name} is disabled")
            last = tok.last_used_at
            if last is None or (now - _aware(last)).total_seconds() > 60:
                tok.last_used_at = now
            roles = tuple(
                (p, r)
                for p, r in s.execute(
                    select(Role.project_id, Role.role).where(Role.user_id == user.id)
                )
            )
            return Principal(user.id, user.name, user.is_admin, roles)

    # roles
    def grant(self, project: str, user_name: str, role: str, granted_by: int | None) -> None:
        if role not in ROLES:
            raise ValidationFailed(f"unknown role {role!r}: one of {', '.join(ROLES)}")
        user = self.user_by_name(user_name)
        with self.db.session() as s:
            pid = _project_id(s, project)
            existing = s.scalar(select(Role).where(Role.project_id == pid, Role.user_id == user.id))
            if existing:
                existing.role = role
                existing.granted_by_id = granted_by
            else:
                s.add(Role(project_id=pid, user_id=user.id, role=role, granted_by_id=granted_by))

    def revoke(self, project: str, user_name: str) -> None:
        user = self.user_by_name(user_name)
        with self.db.session() as s:
            pid = _project_id(s, project)
            role = s.scalar(select(Role).where(Role.project_id == pid, Role.user_id == user.id))
            if role is None:
                raise NotFound(f"user {user_name} has no role in project {project}")
            s.delete(role)

    def roles_of(self, project: str) -> list[tuple[str, str]]:
        with self.db.session() as s:
            pid = _project_id(s, project)
            rows = s.execute(
                select(User.name, Role.role)
                .join(User, User.id == Role.user_id)
                .where(Role.project_id == pid)
                .order_by(User.name)
            )
            return [(u, r) for u, r in rows]

    def ensure_admin_token(self, name: str = "admin") -> NewToken | None:
        """First start: make the admin user and a token, once. None when an admin exists."""
        with self.db.session() as s:
            if s.scalar(select(User.id).where(User.is_admin.is_(True)).limit(1)) is not None:
                return None
        with contextlib.suppress(Conflict):
            self.create_user(name, admin=True)
        return self.create_token(name, name="initial admin token")


def _project_id(s: object, name: str) -> int:
    from sqlalchemy.orm import Session

    assert isinstance(s, Session)
    pid = s.scalar(select(Project.id).where(Project.name == name))
    if pid is None:
        raise NotFound(f"project {name} does not exist")
    return pid


def _aware(dt: datetime) -> datetime:
    from datetime import UTC

    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
