"""Account pages: login, logout, set password (from the account mail), reset, language."""

from __future__ import annotations

import segno
from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from tsuen_portal.adapters.backends import (
    BackendUnavailable,
    ChallengeOver,
    InvalidCredentials,
    LinkExpired,
    Locked,
    SecondFactorAsked,
    WeakPassword,
    WrongCode,
)
from tsuen_portal.domain.navigation import safe_next
from tsuen_portal.entrypoints.pages.forms import FormErrors, looks_like_email
from tsuen_portal.entrypoints.web import Page, PageDep
from tsuen_portal.i18n import N_

router = APIRouter(include_in_schema=False)

MIN_PASSWORD = 8  # identity's rule (NIST SP 800-63B); identity has the last word
MAX_PASSWORD = 256


# -- login / logout -------------------------------------------------------------------------


@router.get("/login")
async def login_page(
    page: PageDep, next: str = "/", code_expired: str = "", signed_out: str = ""
) -> Response:
    if page.session is not None and page.session.signed_in:
        return page.redirect(safe_next(next))
    target = safe_next(next)
    return await page.render(
        "login.html",
        form=True,
        next=target,
        email="",
        code_expired=code_expired == "1",
        signed_out=signed_out == "1",
        # A 2D code scanned while signed out: say why the login comes first.
        for_scan=target.startswith("/scan"),
    )


@router.post("/login")
async def login(page: PageDep) -> Response:
    form = await page.form()
    email = form.get("email", "").strip()
    password = form.get("password", "")
    target = safe_next(form.get("next"))
    errors = FormErrors()
    if not email:
        errors.add("email", N_("Enter your e-mail address"))
    if not password:
        errors.add("password", N_("Enter your password"))
    if not errors:
        try:
            signed = await page.portal.sessions.authenticate(email, password, page.client_ip)
        except InvalidCredentials:
            # One message whatever was wrong: never tell whether the account exists.
            errors.add("email", N_("The e-mail address or the password is not correct"))
        except Locked as locked:
            minutes = max(1, (locked.retry_after_seconds + 59) // 60)
            return await page.render(
                "login.html", 429, form=True, next=target, email=email,
                errors=FormErrors(), locked_minutes=minutes,
            )  # fmt: skip
        else:
            if isinstance(signed, SecondFactorAsked):
                return await _code_page(page, signed, target)
            session_id, session = await page.portal.sessions.sign_in(page.session, signed)
            page.adopt(session_id, session)
            return page.redirect(target)
    return await page.render("login.html", 400, form=True, next=target, email=email, errors=errors)


# -- the second factor (officers): the authenticator app's code after the password ----------


async def _code_page(
    page: Page, asked: SecondFactorAsked, target: str, errors: FormErrors | None = None
) -> Response:
    """The code form. On the first login it also shows the QR code to enrol the app (drawn
    here as inline SVG from identity's otpauth URI; nothing leaves the server)."""
    qr = segno.make(asked.otpauth_uri, error="m").svg_data_uri(scale=5) if asked.otpauth_uri else ""
    return await page.render(
        "login_code.html",
        400 if errors else 200,
        form=True,
        asked=asked,
        qr=qr,
        next=target,
        errors=errors or FormErrors(),
    )


@router.post("/login/code")
async def login_code(page: PageDep) -> Response:
    form = await page.form()
    target = safe_next(form.get("next"))
    asked = SecondFactorAsked(
        challenge=form.get("challenge", "")[:200],
        secret=form.get("secret", "")[:64],
        otpauth_uri=form.get("otpauth_uri", "")[:500],
    )
    code = "".join(form.get("code", "").split())
    errors = FormErrors()
    if not code.isdigit() or len(code) != 6:
        errors.add("code", N_("Enter the 6-digit code your authenticator app shows"))
        return await _code_page(page, asked, target, errors)
    try:
        signed = await page.portal.sessions.second_factor(asked.challenge, code, page.client_ip)
    except WrongCode:
        errors.add("code", N_("The code is not right. Enter the code the app shows now"))
        return await _code_page(page, asked, target, errors)
    except (ChallengeOver, Locked):
        return page.redirect("/login?code_expired=1")
    session_id, session = await page.portal.sessions.sign_in(page.session, signed)
    page.adopt(session_id, session)
    return page.redirect(target)


@router.post("/logout")
async def logout(page: PageDep) -> Response:
    await page.form()
    if page.session is not None:
        await page.portal.sessions.end(page.session, page.client_ip)
    response = RedirectResponse("/login?signed_out=1", status_code=303)
    response.delete_cookie("tsuen_portal_session", path="/")
    return response


# -- set password (account mail) and reset --------------------------------------------------


def _password_errors(password: str, confirm: str) -> FormErrors:
    errors = FormErrors()
    if not password:
        errors.add("password", N_("Enter a new password"))
    elif len(password) < MIN_PASSWORD:
        errors.add("password", N_("The password must be at least 8 characters long"))
    elif len(password) > MAX_PASSWORD:
        errors.add("password", N_("The password must be 256 characters or fewer"))
    if not confirm:
        errors.add("password_confirm", N_("Enter the new password again"))
    elif password and confirm != password:
        errors.add("password_confirm", N_("The two passwords are not the same"))
    return errors


@router.get("/password/set")
async def set_password_page(page: PageDep, token: str = "", purpose: str = "") -> Response:
    if not token:
        return await page.render("password_link_expired.html", 400, message_ja="")
    try:
        # Say at once that a link is used up or expired, before anyone types a password.
        purpose = await page.portal.sessions.identity.check_link(token, page.client_ip)
    except LinkExpired as expired:
        return await page.render("password_link_expired.html", 410, message_ja=expired.message_ja)
    except BackendUnavailable:
        pass  # the form still works: sending it checks the link again
    return await page.render("password_set.html", form=True, token=token, reset=purpose == "reset")


@router.post("/password/set")
async def set_password(page: PageDep) -> Response:
    form = await page.form()
    token = form.get("token", "")
    reset = form.get("purpose") == "reset"
    password, confirm = form.get("password", ""), form.get("password_confirm", "")
    errors = _password_errors(password, confirm)
    if not errors:
        try:
            await page.portal.sessions.identity.set_password(token, password, page.client_ip)
        except LinkExpired as expired:
            return await page.render(
                "password_link_expired.html", 410, message_ja=expired.message_ja
            )
        except WeakPassword as weak:
            # Identity's reason (common password, the e-mail address...) is in Japanese only.
            reason = weak.message_ja if page.lang == "ja" and weak.message_ja else ""
            errors.add("password", reason or N_("Choose a different password"))
        else:
            return page.redirect("/password/done")
    return await page.render(
        "password_set.html", 400, form=True, token=token, reset=reset, errors=errors
    )


@router.get("/password/done")
async def password_done(page: PageDep) -> Response:
    return await page.render("password_done.html")


@router.get("/password/reset")
async def reset_page(page: PageDep) -> Response:
    return await page.render("password_reset.html", form=True, email="")


@router.post("/password/reset")
async def reset_request(page: PageDep) -> Response:
    form = await page.form()
    email = form.get("email", "").strip()
    errors = FormErrors()
    if not email:
        errors.add("email", N_("Enter your e-mail address"))
    elif not looks_like_email(email):
        errors.add("email", N_("Enter an e-mail address like name@example.jp"))
    if errors:
        return await page.render("password_reset.html", 400, form=True, email=email, errors=errors)
    try:
        await page.portal.sessions.identity.request_reset(email, page.client_ip)
    except Locked:
        pass  # the same answer: never tell anything about the address
    except BackendUnavailable:
        raise
    return page.redirect("/password/reset/sent")


@router.get("/password/reset/sent")
async def reset_sent(page: PageDep) -> Response:
    return await page.render("password_reset_sent.html")
