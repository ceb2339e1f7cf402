"""Request dependencies: the console's shared objects, the signed-in user, CSRF on every state change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from console.backends import Backends
from console.feed import FeedHub
from console.sessions import SESSION_COOKIE, LoginThrottle, Session, SessionStore, same_token
from console.settings import ConsoleSettings
from console.team import Team
from console.views import Viewer
from libs.common.auth import Role


@dataclass(slots=True)
class Console:
    """What the lifespan opens once and every request uses."""

    settings: ConsoleSettings
    backends: Backends
    sessions: SessionStore
    throttle: LoginThrottle
    team: Team
    hub: FeedHub
    templates: Jinja2Templates


class NotSignedIn(Exception):
    """No live session (or its user was deactivated): the browser goes to the login page."""


class Forbidden(Exception):
    """The user's role may not do this."""


class BadCsrf(Exception):
    """A state change without the session's CSRF token."""


def console(request: Request) -> Console:
    """The console's shared objects."""
    return request.app.state.console


ConsoleDep = Annotated[Console, Depends(console)]


@dataclass(frozen=True, slots=True)
class User:
    """The signed-in user of this request, and how to call the services as them."""

    session: Session
    console: Console

    @property
    def tenant(self) -> str:
        return self.session.tenant

    def options(self) -> dict[str, Any]:
        """gRPC call options carrying this user's own token."""
        return self.console.backends.as_user(
            tenant=self.session.tenant, role=self.session.principal_role, user_id=self.session.user_id
        )

    async def viewer(self) -> Viewer:
        """Time zone, team names and now, for the view models."""
        names = await self.console.team.names(self.session.tenant)
        return Viewer(tz=ZoneInfo(self.session.timezone), users=names, now=datetime.now(UTC))


async def current_user(request: Request, app: ConsoleDep) -> User:
    """The signed-in user; NotSignedIn without a session or when the user is no longer active."""
    session = await app.sessions.get(request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise NotSignedIn
    member = await app.team.active(session.tenant, session.user_id)
    if member is None:
        await app.sessions.delete(request.cookies.get(SESSION_COOKIE))
        raise NotSignedIn
    if member.role != session.role:
        # Demoted or promoted since login: act with the role they hold now.
        session = Session(**{**_fields(session), "role": member.role})
    return User(session=session, console=app)


def _fields(session: Session) -> dict[str, Any]:
    return {name: getattr(session, name) for name in session.__dataclass_fields__}


async def check_csrf(request: Request, user: User) -> User:
    """`user` once the request carries their CSRF token (header from htmx, or the form's field)."""
    token = request.headers.get("x-csrf-token")
    if token is None:
        form = await request.form()
        value = form.get("csrf")
        token = value if isinstance(value, str) else None
    if not same_token(token, user.session.csrf):
        raise BadCsrf
    return user


async def csrf_checked(request: Request, user: Annotated[User, Depends(current_user)]) -> User:
    """The signed-in user of a state change."""
    return await check_csrf(request, user)


def role_at_least(role: Role) -> Any:
    """A dependency admitting signed-in users holding `role` or a higher one."""

    async def check(user: Annotated[User, Depends(current_user)]) -> User:
        if not user.session.at_least(role):
            raise Forbidden
        return user

    return check


async def admin_acting(request: Request, user: Annotated[User, Depends(role_at_least(Role.ADMIN))]) -> User:
    """A signed-in admin's state change."""
    return await check_csrf(request, user)


UserDep = Annotated[User, Depends(current_user)]
ActingUser = Annotated[User, Depends(csrf_checked)]
AdminUser = Annotated[User, Depends(role_at_least(Role.ADMIN))]
AdminActing = Annotated[User, Depends(admin_acting)]
