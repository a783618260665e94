"""What every page shares: templates per language, the session cookie, CSRF, headers, forms.

A page handler takes ``page: PageDep``: the request's language, its session (if any), and
``page.render(...)``. A form handler calls ``await page.form()``, which refuses (403) a POST
whose CSRF token does not belong to the session. Handlers never see a token or a cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, quote, urlencode

from fastapi import Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from tsuen_common.timeutil import JST
from tsuen_portal import i18n
from tsuen_portal.adapters.backends import BackendUnauthorized, submitting
from tsuen_portal.config import Settings
from tsuen_portal.domain import csrf
from tsuen_portal.domain.sessions import Account, Session
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer.guardian import Backends
from tsuen_portal.service_layer.sessions import Sessions

SESSION_COOKIE = "tsuen_portal_session"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600
MAX_FORM_BYTES = 8192
TEMPLATES = Path(__file__).with_name("templates")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    # The set-password link carries its token in the URL: never in a Referer header.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class CsrfRefused(HTTPException):
    def __init__(self) -> None:
        super().__init__(status.HTTP_403_FORBIDDEN, detail="csrf")


KIND_LABELS = {
    "flexible": N_("Flexible use"),
    "regular": N_("Regular use"),
    "interview": N_("First interview"),
}
STATUS_LABELS = {
    "confirmed": N_("Booked"),
    "in_use": N_("In use"),
    "used": N_("Used"),
    "no_show": N_("Not attended"),
    "cancelled": N_("Cancelled"),
    "requested": N_("Requested"),
    "scheduled": N_("Date fixed"),
    "held": N_("Held"),  # a 初回面談 that took place
}
FACILITY_TYPE_LABELS = {
    "licensed_nursery": N_("Licensed nursery"),
    "certified_center": N_("Certified centre for early childhood education and care"),
    "community_small": N_("Small-scale nursery"),
    "community_workplace": N_("Workplace nursery"),
    "employer_led": N_("Employer-led nursery"),
    "tokyo_certified": N_("Tokyo-certified nursery"),
    "unlicensed": N_("Unlicensed nursery"),
}
CERTIFICATION_STATUS_LABELS = {"active": N_("Valid"), "revoked": N_("Ended")}
_WEEKDAYS_JA = "月火水木金土日"


def jdate(value: date | None, lang: str) -> str:
    """A date as people write it: 2027年1月7日(木) / Thu 7 Jan 2027."""
    if value is None:
        return ""
    if lang == "ja":
        return f"{value.year}年{value.month}月{value.day}日({_WEEKDAYS_JA[value.weekday()]})"
    return f"{value:%a} {value.day} {value:%b %Y}"


def jdatetime(value: datetime | None, lang: str) -> str:
    """An instant in Japan time as people write it: 2027年1月7日(木) 09:05."""
    if value is None:
        return ""
    local = value.astimezone(JST) if value.tzinfo else value
    return f"{jdate(local.date(), lang)} {local:%H:%M}"


def template_environments() -> dict[str, Environment]:
    environments = {}
    for lang in i18n.LANGUAGES:
        env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n"],
        )
        env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
        env.filters["jdate"] = jdate
        env.filters["jdatetime"] = jdatetime
        env.globals.update(
            kinds=KIND_LABELS,
            statuses=STATUS_LABELS,
            cert_statuses=CERTIFICATION_STATUS_LABELS,
            facility_types=FACILITY_TYPE_LABELS,
        )
        environments[lang] = env
    return environments


@dataclass
class Portal:
    """Everything the pages need, built once by the app factory."""

    settings: Settings
    sessions: Sessions
    backends: Backends
    templates: dict[str, Environment]


def portal_of(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


class Page:
    def __init__(self, request: Request, portal: Portal, session: Session | None) -> None:
        self.request = request
        self.portal = portal
        self.session = session
        # ``?lang=en`` on any page switches (and remembers) the language: the switch is a plain
        # link to the same page, so a set-password link keeps its token where logs mask it.
        asked = request.query_params.get("lang")
        self._remember_lang = asked in i18n.LANGUAGES
        self.lang = i18n.chosen(asked if self._remember_lang else request.cookies.get(i18n.COOKIE))
        self._new_session_id: str | None = None

    @property
    def client_ip(self) -> str | None:
        return self.request.client.host if self.request.client else None

    def gettext(self, message: str) -> str:
        return i18n.translations(self.lang).gettext(message)

    async def csrf_token(self) -> str:
        """A token for a form; starts an anonymous session for a visitor without one."""
        if self.session is None:
            self._new_session_id, self.session = await self.portal.sessions.start_anonymous()
        return csrf.mask(self.session.csrf_secret)

    def adopt(self, session_id: str, session: Session) -> None:
        """The response will carry this (new) session's cookie: after login."""
        self._new_session_id, self.session = session_id, session

    def set_cookie(self, response: Response) -> Response:
        secure = self.portal.settings.secure_cookies
        if self._remember_lang:
            response.set_cookie(
                i18n.COOKIE,
                self.lang,
                max_age=LANGUAGE_COOKIE_SECONDS,
                httponly=True,
                samesite="lax",
                secure=secure,
                path="/",
            )
        if self._new_session_id is not None:
            response.set_cookie(
                SESSION_COOKIE,
                self._new_session_id,
                httponly=True,
                samesite="lax",
                secure=secure,
                path="/",
            )
        return response

    async def render(
        self, name: str, status_code: int = 200, *, form: bool = False, **context: Any
    ) -> HTMLResponse:
        """``form=True`` for a page with a form: it gets a CSRF token (and a session)."""
        template = self.portal.templates[self.lang].get_template(name)
        signed_in = self.session is not None and self.session.signed_in
        account = self.session.account if self.session is not None else None
        token = await self.csrf_token() if signed_in or form else ""
        html = template.render(
            lang=self.lang,
            path=self.request.url.path,
            switch_to=lambda lang: with_lang(self.request, lang),
            signed_in=signed_in,
            role=account.role if signed_in and account is not None else None,
            csrf_token=token,
            **context,
        )
        response = HTMLResponse(html, status_code=status_code)
        return self.set_cookie(response)  # type: ignore[return-value]

    def redirect(self, url: str) -> RedirectResponse:
        response = RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)
        self.set_cookie(response)
        return response

    async def form(self) -> dict[str, str]:
        """The posted form, after checking its CSRF token against the session's secret."""
        body = await self.request.body()
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail="form too large")
        parsed = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        fields = {key: values[0] for key, values in parsed.items()}
        secret = self.session.csrf_secret if self.session is not None else None
        if not csrf.is_valid(secret, fields.get(csrf.FIELD)):
            raise CsrfRefused()
        submitting(fields[csrf.FIELD])  # the services' POSTs for this form share its keys
        return fields


def with_lang(request: Request, lang: str) -> str:
    """This page's address in another language (the language switch's link)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return f"{request.url.path}?{urlencode([*query, ('lang', lang)])}"


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def login_url(request: Request) -> str:
    return f"/login?next={quote(_here(request), safe='')}"


async def page_of(request: Request) -> Page:
    portal = portal_of(request)
    session = await portal.sessions.find(request.cookies.get(SESSION_COOKIE))
    return Page(request, portal, session)


PageDep = Annotated[Page, Depends(page_of)]


class LoginRequired(HTTPException):
    """Raised by a page that needs a signed-in user: answered with a redirect to /login."""

    def __init__(self, target: str) -> None:
        super().__init__(status.HTTP_303_SEE_OTHER)
        self.target = target


async def signed_in_as(page: Page, role: str, *, tenant: str) -> tuple[Account, str]:
    """The signed-in account of ``role`` whose ``tenant`` id (``facility_id`` for staff,
    ``municipality`` for officers) is set, and a fresh access token. Signed out (or a session
    identity no longer honours): the login page; anyone else: the 403 page."""
    session = page.session
    if session is None or not session.signed_in or session.account is None:
        raise LoginRequired(login_url(page.request))
    account = session.account
    if account.role != role or not getattr(account, tenant):
        raise HTTPException(status.HTTP_403_FORBIDDEN)
    try:
        token = await page.portal.sessions.access_token(session, page.client_ip)
    except BackendUnauthorized:
        raise LoginRequired(login_url(page.request)) from None
    return account, token
