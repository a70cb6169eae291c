"""The public pages for people: home, the volunteer sign-up form and the request for a
befriender, on the real gateway app and its SQLite database, through the Flask test client
as a browser would use them (CSRF token from the form, cookies kept, HTML accepted)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from flask.testing import FlaskClient
from gateway.adapters.models import Outbox
from gateway.config import GatewayConfig
from gateway.entrypoints.site import LANGUAGES
from gateway.entrypoints.web import create_app
from sanctuary import references
from sanctuary.contracts.people import REACH_THEM
from sqlalchemy import select

BROWSER = {"Accept": "text/html,application/xhtml+xml"}
PAGES = ("/", "/volunteer", "/befriender")

# One volunteer's answers, as the form sends them and as the API takes them.
VOLUNTEER_FORM = {
    "name": "Amina Haddad",
    "email": "amina@example.org",
    "postcode": "ls6 1aa",
    "gender": "female",
    "has_dbs": "yes",
    "availability": ["sat-morning", "wed-evening"],
    "max_matches": "2",
    "languages": ["en", "ar"],
    "interests": ["football", "cooking"],
    "same_gender_only": "yes",
    "consent": "yes",
    "special_consent": "yes",
}
VOLUNTEER_JSON = {
    "name": "Amina Haddad",
    "email": "amina@example.org",
    "postcode": "ls6 1aa",
    "gender": "female",
    "has_dbs": True,
    "availability": [{"day": "sat", "part": "morning"}, {"day": "wed", "part": "evening"}],
    "max_matches": 2,
    "languages": ["en", "ar"],
    "interests": ["football", "cooking"],
    "same_gender_only": True,
    "locale": "en",
    "consent": True,
    "special_consent": True,
}
NEWCOMER_FORM = {
    "asking": "myself",
    "name": "Olena",
    "email": "olena@example.org",
    "postcode": "LS6 2BB",
    "languages": ["uk"],
    "availability": ["mon-afternoon"],
    "needs": ["making_friends"],
    "consent": "yes",
    "special_consent": "yes",
}


@pytest.fixture
def app(make_app: Callable[..., Any]) -> Any:
    """The gateway with no rate limit: the forms are posted many times."""
    return make_app(public_rate_limit="")


@pytest.fixture
def client(app: Any) -> FlaskClient:
    return app.test_client()


class Page(HTMLParser):
    """A parsed page: every element with its attributes, and the text inside each id."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text_of: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.elements.append((tag, attributes))
        if tag not in ("input", "meta", "link", "br", "img"):
            self._open.append((tag, attributes.get("id")))
            if attributes.get("id"):
                self.text_of[attributes["id"]] = ""

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _tag, element_id in self._open:
            if element_id:
                self.text_of[element_id] += data

    def text(self, element_id: str) -> str:
        return " ".join(self.text_of[element_id].split())

    def inputs(self) -> list[dict[str, str]]:
        return [
            a
            for t, a in self.elements
            if t in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit")
        ]

    def by_id(self, element_id: str) -> dict[str, str]:
        [found] = [a for _t, a in self.elements if a.get("id") == element_id]
        return found


def token(client: FlaskClient, path: str, **headers: str) -> str:
    """The CSRF token of the form on `path`, as a browser would read it."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path, headers=headers).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def submit(client: FlaskClient, path: str, form: dict[str, Any], **headers: str) -> Any:
    """Fetch the form, then post `form` back with its token."""
    data = {"csrf_token": token(client, path, **headers), **form}
    return client.post(path, data=data, headers={**BROWSER, **headers})


def outbox(app: Any) -> list[dict[str, Any]]:
    with app.extensions["service"].sessions() as session:
        rows = session.scalars(select(Outbox).order_by(Outbox.created_at))
        return [{"type": row.type, **json.loads(row.body)} for row in rows]


def api_messages(client: FlaskClient, path: str, body: dict[str, Any]) -> dict[str, str]:
    """The API's message for each top-level field it refuses in `body`."""
    answer = client.post(path, json=body)
    assert answer.status_code == 422
    messages: dict[str, str] = {}
    for error in answer.json["errors"]:
        messages.setdefault(error["field"].split(".")[0], error["detail"])
    return messages


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", PAGES)
def test_each_page_in_each_language(client: FlaskClient, path: str, language: str) -> None:
    answer = client.get(path, headers={**BROWSER, "Accept-Language": language})
    assert answer.status_code == 200
    assert answer.mimetype == "text/html"
    direction = LANGUAGES[language][1]
    assert f'<html lang="{language}" dir="{direction}">' in answer.text


def test_the_pages_are_translated(client: FlaskClient) -> None:
    arabic = client.get("/befriender", headers={"Accept-Language": "ar"}).text
    assert "اطلب صديقًا متطوعًا" in arabic
    assert "Ask for a befriender" not in arabic
    ukrainian = client.get("/volunteer", headers={"Accept-Language": "uk"}).text
    assert "Стати волонтером" in ukrainian


def test_the_home_page_has_the_three_ways_in(client: FlaskClient) -> None:
    links = {a.get("href") for t, a in Page(client.get("/").text).elements if t == "a"}
    assert {"/volunteer", "/befriender", "/events"} <= links


@pytest.mark.parametrize("path", ["/volunteer", "/befriender"])
def test_every_field_has_a_label_and_every_group_a_legend(client: FlaskClient, path: str) -> None:
    page = Page(client.get(path).text)
    labelled = {a["for"] for t, a in page.elements if t == "label" and "for" in a}
    inputs = page.inputs()
    assert len(inputs) > 30
    for field in inputs:
        assert field.get("id") in labelled, f"{field.get('name')} has no label"
    ids = [a["id"] for _t, a in page.elements if "id" in a]
    assert len(ids) == len(set(ids)), "ids repeat"
    tags = [t for t, _a in page.elements]
    assert tags.count("fieldset") == tags.count("legend")


def test_fields_help_phones_and_autofill(client: FlaskClient) -> None:
    page = Page(client.get("/volunteer").text)
    assert page.by_id("name")["autocomplete"] == "name"
    assert page.by_id("email")["autocomplete"] == "email"
    assert page.by_id("email")["inputmode"] == "email"
    assert page.by_id("postcode")["autocomplete"] == "postal-code"
    # Each language's own name is marked with its language.
    spans = {a.get("lang") for t, a in Page(client.get("/befriender").text).elements if t == "span"}
    assert {"ar", "uk", "ti", "prs"} <= spans


def test_a_valid_volunteer_form_records_exactly_what_the_api_would(
    client: FlaskClient, app: Any
) -> None:
    answer = submit(client, "/volunteer", VOLUNTEER_FORM)
    assert answer.status_code == 303
    location = answer.headers["Location"]
    match = re.fullmatch(r"/volunteer/thanks/([0-9a-f-]{36})", location)
    assert match, location
    assert client.post("/api/v1/volunteers", json=VOLUNTEER_JSON).status_code == 202

    messages = outbox(app)
    [from_form] = [m for m in messages if m["volunteer_id"] == match.group(1)]
    [from_api] = [m for m in messages if m is not from_form]
    assert from_form["type"] == from_api["type"] == "volunteer.signed_up"
    for varying in ("volunteer_id", "consented_at", "special_consent_at"):
        from_form.pop(varying), from_api.pop(varying)
    assert from_form == from_api
    assert from_form["postcode"] == "LS6 1AA"

    thanks = client.get(location, headers=BROWSER)
    assert thanks.status_code == 200
    # The short reference, to read out, not the 36-character id (which broke across lines).
    reference = references.of(uuid.UUID(match.group(1)))
    assert f'<strong class="reference" dir="ltr" translate="no">{reference}</strong>' in thanks.text
    assert f"{match.group(1)}</strong>" not in thanks.text
    assert "Amina" not in thanks.text


def test_the_form_records_the_page_language(client: FlaskClient, app: Any) -> None:
    client.get("/language/ar?next=/volunteer")
    assert submit(client, "/volunteer", VOLUNTEER_FORM).status_code == 303
    [message] = outbox(app)
    assert message["locale"] == "ar"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_thank_you_pages_follow_the_language(
    client: FlaskClient, app: Any, language: str
) -> None:
    headers = {"Accept-Language": language}
    for path, form in (("/volunteer", VOLUNTEER_FORM), ("/befriender", NEWCOMER_FORM)):
        thanks = client.get(
            submit(client, path, form, **headers).headers["Location"], headers=headers
        )
        assert thanks.status_code == 200
        assert f'<html lang="{language}" dir="{LANGUAGES[language][1]}">' in thanks.text
    assert [m["locale"] for m in outbox(app)] == [language, language]


def test_a_thank_you_page_for_no_submission_is_not_found(client: FlaskClient) -> None:
    for path in ("/volunteer/thanks/", "/befriender/thanks/"):
        assert client.get(f"{path}{uuid.uuid4()}", headers=BROWSER).status_code == 404


# A wrong answer per field, as the form sends it and as the API gets it.
WRONG = {
    "name": ("x" * 101, "x" * 101),
    "email": ("amina@", "amina@"),
    "postcode": ("LS6", "LS6"),
    "languages": (["x!"], ["x!"]),
    "availability": (None, None),
    "max_matches": ("7", 7),
    "consent": (None, False),
}


@pytest.mark.parametrize("field", WRONG)
def test_a_wrong_field_shows_the_apis_message_next_to_it_and_keeps_the_rest(
    client: FlaskClient, app: Any, field: str
) -> None:
    form_value, json_value = WRONG[field]
    form = {k: v for k, v in VOLUNTEER_FORM.items() if k != field}
    body = {k: v for k, v in VOLUNTEER_JSON.items() if k != field}
    if form_value is not None:
        form[field] = form_value
    if json_value is not None:
        body[field] = json_value
    expected = api_messages(client, "/api/v1/volunteers", body)
    assert set(expected) == {field}

    answer = submit(client, "/volunteer", form)
    assert answer.status_code == 422
    assert outbox(app) == []
    page = Page(answer.text)
    assert page.text(f"{field}-error") == f"Error: {expected[field]}"
    # The summary links to the field, which says it is wrong and why.
    assert page.text("error-summary").endswith(expected[field])
    assert f'href="#{field}"' in answer.text
    target = page.by_id(field)
    assert f"{field}-error" in (target.get("aria-describedby") or _group_of(page, field))
    # What was typed or ticked is still there.
    for kept in ("name", "email", "postcode"):
        if kept != field:
            assert page.by_id(kept)["value"] == VOLUNTEER_FORM[kept]
    checked = {(a["name"], a["value"]) for a in page.inputs() if "checked" in a}
    for name in ("languages", "availability", "interests"):
        if name != field:
            assert {(name, v) for v in VOLUNTEER_FORM[name]} <= checked
    assert ("same_gender_only", "yes") in checked


def test_languages_and_gender_need_their_own_consent(client: FlaskClient, app: Any) -> None:
    """Ticked without the separate consent to use them (ADR 0029): each is refused with the
    reason, and nothing is recorded; without them, the sign-up goes through."""
    form = {k: v for k, v in VOLUNTEER_FORM.items() if k != "special_consent"}
    answer = submit(client, "/volunteer", form)
    assert answer.status_code == 422
    page = Page(answer.text)
    for field in ("languages", "gender", "same_gender_only"):
        assert "only with your consent" in page.text(f"{field}-error"), field
    assert outbox(app) == []
    bare = {k: v for k, v in form.items() if k not in ("languages", "gender", "same_gender_only")}
    assert submit(client, "/volunteer", bare).status_code == 303
    [fact] = outbox(app)
    assert (fact["languages"], fact["gender"], fact["special_consent_at"]) == ([], None, None)


def _group_of(page: Page, field: str) -> str:
    # Boxes and radios are described by their fieldset.
    [group] = [
        a
        for t, a in page.elements
        if t == "fieldset" and f"{field}-error" in a.get("aria-describedby", "")
    ]
    return group["aria-describedby"]


def test_every_wrong_field_at_once_is_listed_in_page_order(client: FlaskClient) -> None:
    answer = submit(client, "/volunteer", {"email": "nope"})
    summary = Page(answer.text).text("error-summary")
    assert summary.startswith("There is a problem")
    # Each wrong field by its label, then the API's message.
    assert "Postcode: Missing data for required field." in summary
    assert "Email address: Not a valid email address." in summary
    links = re.findall(r'<li><a href="#(\w+)">', answer.text)
    assert links == ["name", "email", "postcode", "availability", "consent"]
    ids = {a.get("id") for _t, a in Page(answer.text).elements}
    assert set(links) <= ids


def test_what_was_typed_comes_back_as_text_never_markup(client: FlaskClient) -> None:
    typed = '"><script>alert(1)</script>'
    answer = submit(client, "/befriender", {**NEWCOMER_FORM, "name": typed, "postcode": typed})
    assert answer.status_code == 422
    assert "<script>alert(1)" not in answer.text
    page = Page(answer.text)
    assert page.by_id("name")["value"] == typed
    assert page.by_id("postcode")["value"] == typed


def test_a_post_without_the_csrf_token_is_refused(client: FlaskClient, app: Any) -> None:
    answer = client.post("/volunteer", data=VOLUNTEER_FORM, headers=BROWSER)
    assert answer.status_code == 400
    assert answer.mimetype == "text/html"
    assert "Your form has expired" in answer.text
    forged = client.post("/befriender", data={**NEWCOMER_FORM, "csrf_token": "x"}, headers=BROWSER)
    assert forged.status_code == 400
    assert outbox(app) == []


def test_the_arabic_form_answers_in_arabic(client: FlaskClient) -> None:
    arabic = {"Accept-Language": "ar"}
    form = {**NEWCOMER_FORM, "postcode": "nowhere", "consent": ""}
    del form["consent"], form["special_consent"]  # languages ticked, but no consent to use them
    answer = submit(client, "/befriender", form, **arabic)
    assert answer.status_code == 422
    assert '<html lang="ar" dir="rtl">' in answer.text
    page = Page(answer.text)
    assert page.text("error-summary-title") == "هناك مشكلة"
    assert (
        page.text("postcode-error")
        == "خطأ: هذا ليس رمزًا بريديًا صحيحًا في المملكة المتحدة. مثال: LS6 1AA"
    )
    assert page.text("languages-error") == (
        "خطأ: لا نستطيع استخدام هذا إلا بموافقتك على استخدامه لإيجاد صديق مناسب (special_consent)."
    )
    assert page.text("consent-error") == "خطأ: يجب أن توافق حتى نتمكن من استلام طلبك."
    assert page.by_id("name")["value"] == "Olena"


def test_a_newcomer_asks_in_ukrainian(client: FlaskClient, app: Any) -> None:
    ukrainian = {"Accept-Language": "uk"}
    answer = submit(client, "/befriender", NEWCOMER_FORM, **ukrainian)
    assert answer.status_code == 303
    assert re.fullmatch(r"/befriender/thanks/[0-9a-f-]{36}", answer.headers["Location"])
    [message] = outbox(app)
    assert message["type"] == "newcomer.requested"
    assert message["email"] == "olena@example.org"
    assert message["referrer_email"] is None
    assert message["locale"] == "uk"
    assert message["needs"] == ["making_friends"]
    thanks = client.get(answer.headers["Location"], headers={**BROWSER, **ukrainian})
    assert "Це може тривати кілька тижнів." in thanks.text


def test_a_support_worker_refers_someone_without_email(client: FlaskClient, app: Any) -> None:
    referral = {
        **NEWCOMER_FORM,
        "asking": "someone_else",
        "email": "",
        "referrer_email": "support@example.org",
        "wants_english_practice": "yes",
        "needs_dbs": "yes",
    }
    assert submit(client, "/befriender", referral).status_code == 303
    [message] = outbox(app)
    assert message["email"] is None
    assert message["referrer_email"] == "support@example.org"
    assert message["wants_english_practice"] is True
    assert message["needs_dbs"] is True
    assert message["locale"] == "en"


def test_a_request_needs_someone_to_write_to(client: FlaskClient, app: Any) -> None:
    # A support worker's email counts only when they ask for someone else.
    form = {**NEWCOMER_FORM, "email": "", "referrer_email": "support@example.org"}
    answer = submit(client, "/befriender", form)
    assert answer.status_code == 422
    expected = api_messages(
        client,
        "/api/v1/newcomers",
        {
            "name": "Olena",
            "postcode": "LS6 2BB",
            "languages": ["uk"],
            "availability": [{"day": "mon", "part": "afternoon"}],
            "consent": True,
            "special_consent": True,
        },
    )
    assert expected["email"] == REACH_THEM
    assert Page(answer.text).text("email-error") == (
        "Error: Give an email address or a phone number. A support worker asking for someone "
        "with neither gives their own email below."
    )
    assert outbox(app) == []


def test_a_newcomer_with_a_phone_and_no_email_asks(client: FlaskClient, app: Any) -> None:
    # Typed on an Arabic keyboard, the local UK way: it travels as E.164.
    form = {**NEWCOMER_FORM, "email": "", "phone": "٠١١٣ ٤٩٦ ٠١٢٣"}
    answer = submit(client, "/befriender", form, **{"Accept-Language": "ar"})
    assert answer.status_code == 303
    [message] = outbox(app)
    assert (message["email"], message["phone"]) == (None, "+441134960123")
    assert message["referrer_email"] is None
    # The next steps are calls, not emails: nothing promises an email that never comes.
    assert answer.headers["Location"].endswith("?reach=phone")
    thanks = client.get(answer.headers["Location"], headers=BROWSER).text
    assert "A coordinator phones you soon to say we have the request." in thanks
    assert "email" not in thanks.split("<main", 1)[-1].lower()


def test_a_request_with_an_email_is_told_about_emails(client: FlaskClient) -> None:
    answer = submit(client, "/befriender", NEWCOMER_FORM)
    assert "reach=" not in answer.headers["Location"]
    thanks = client.get(answer.headers["Location"], headers=BROWSER).text
    assert "We send an email now to say we have the request." in thanks


def test_the_form_says_which_ways_to_reach_them_are_needed(client: FlaskClient) -> None:
    html = client.get("/befriender", headers=BROWSER).text
    page = Page(html)
    for field in ("email", "phone"):
        [label] = re.findall(rf'<label for="{field}">(.*?)</label>', html, re.S)
        assert "(optional)" not in label, label
        assert page.by_id(field).get("required") is None
    assert page.by_id("phone")["type"] == "tel"
    assert page.by_id("phone")["autocomplete"] == "tel"
    assert "a coordinator calls them" in page.text("email-hint")


def test_a_phone_we_cannot_call_is_refused_in_the_readers_language(client: FlaskClient) -> None:
    form = {**NEWCOMER_FORM, "email": "", "phone": "0113 496"}
    answer = submit(client, "/befriender", form, **{"Accept-Language": "ar"})
    assert answer.status_code == 422
    error = Page(answer.text).text("phone-error")
    assert "07123 456789" in error
    assert "Not a phone number" not in error  # in Arabic
    assert Page(answer.text).by_id("phone")["value"] == "0113 496"


def test_the_forms_are_rate_limited_with_an_html_page(make_app: Callable[..., Any]) -> None:
    client = make_app(public_rate_limit="2/minute").test_client()
    answers = [submit(client, "/befriender", {"name": "x"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [422, 422, 429]
    limited = answers[-1]
    assert limited.mimetype == "text/html"
    assert "Too many tries" in limited.text
    assert int(limited.headers["Retry-After"]) > 0
    # Reading the form is never limited.
    assert client.get("/befriender").status_code == 200


def test_a_form_sent_twice_is_recorded_once(client: FlaskClient, app: Any) -> None:
    """A double click on "Send": the same form (same key, same answers) is one submission."""
    page = client.get("/volunteer").text
    hidden = dict(re.findall(r'name="(csrf_token|form_key)" value="([^"]+)"', page))
    assert set(hidden) == {"csrf_token", "form_key"}
    first, second = (
        client.post("/volunteer", data={**hidden, **VOLUNTEER_FORM}, headers=BROWSER)
        for _ in range(2)
    )
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(outbox(app)) == 1
    # Back to the same form, an answer changed, sent again: that is a new submission.
    changed = {**hidden, **VOLUNTEER_FORM, "postcode": "LS7 2AB"}
    third = client.post("/volunteer", data=changed, headers=BROWSER)
    assert third.status_code == 303
    assert third.headers["Location"] != first.headers["Location"]
    assert sorted(m["postcode"] for m in outbox(app)) == ["LS6 1AA", "LS7 2AB"]


@pytest.mark.integration
def test_an_arabic_referral_reaches_matching_through_the_broker(
    make_service: Callable[..., Any],
) -> None:
    """Real: the gateway on PostgreSQL, its relay to RabbitMQ, the matching worker."""
    from gateway.bootstrap import bootstrap as gateway_bootstrap
    from matching.adapters.models import Newcomer
    from matching.bootstrap import bootstrap as matching_bootstrap
    from sanctuary_dev.processes import running_relay, running_worker, wait_until

    gateway = make_service(gateway_bootstrap, "gateway", GatewayConfig, public_rate_limit="")
    matching = make_service(matching_bootstrap, "matching")
    app = create_app(gateway.config)
    client = app.test_client()
    referral = {**NEWCOMER_FORM, "asking": "someone_else", "email": ""}
    referral["referrer_email"] = "support@example.org"
    try:
        answer = submit(client, "/befriender", referral, **{"Accept-Language": "ar"})
        assert answer.status_code == 303
        newcomer_id = uuid.UUID(answer.headers["Location"].rsplit("/", 1)[1])
        with running_relay(gateway), running_worker(matching):

            def recorded() -> Newcomer | None:
                with matching.sessions() as session:
                    return session.get(Newcomer, newcomer_id)

            wait_until(lambda: recorded() is not None)
        newcomer = recorded()
        assert newcomer is not None
        assert (newcomer.email, newcomer.referrer_email) == (None, "support@example.org")
        assert (newcomer.postcode, newcomer.district) == ("LS6 2BB", "LS6")
        assert newcomer.availability == [["mon", "afternoon"]]
    finally:
        app.extensions["service"].engine.dispose()


def test_a_superscript_digit_is_a_wrong_number_not_a_crash(client: FlaskClient, app: Any) -> None:
    """'²'.isdigit() is true but int('²') fails: the form answers 422, never 500."""
    answer = submit(client, "/volunteer", {**VOLUNTEER_FORM, "max_matches": "²"})
    assert answer.status_code == 422
    assert outbox(app) == []
    assert Page(answer.text).text("max_matches-error").startswith("Error: ")


def test_a_reference_typed_at_status_leads_to_its_page(client: FlaskClient) -> None:
    """Read out over the phone, typed any way: the page of the sign-up, request or place."""
    volunteer = client.post("/api/v1/volunteers", json=VOLUNTEER_JSON).json
    typed = volunteer["reference"].lower().replace("-", " ").replace("0", "o")
    found = client.get("/status", query_string={"reference": typed}, headers=BROWSER)
    assert (found.status_code, found.headers["Location"]) == (
        303,
        f"/volunteer/thanks/{volunteer['id']}",
    )
    assert client.get("/status", headers=BROWSER).status_code == 200
    for unknown, why in (("ZZZZ-ZZZZ", "cannot find"), ("not one", "cannot find")):
        page = client.get("/status", query_string={"reference": unknown}, headers=BROWSER)
        assert page.status_code == 404
        assert why in page.text
        assert 'aria-invalid="true"' in page.text


def test_a_language_the_boxes_lack_is_named_in_words(client: FlaskClient, app: Any) -> None:
    """Ticked and named languages travel together, as codes, each once."""
    form = {**VOLUNTEER_FORM, "other_languages": "Lingala, arabic"}
    assert submit(client, "/volunteer", form).status_code == 303
    [message] = outbox(app)
    assert message["languages"] == ["en", "ar", "ln"]


def test_a_language_we_do_not_know_is_said_back_beside_its_box(client: FlaskClient) -> None:
    form = {**NEWCOMER_FORM, "other_languages": "Oromo, Qwertyish"}
    answer = submit(client, "/befriender", form)
    assert answer.status_code == 422
    page = Page(answer.text)
    assert page.text("other_languages-error") == (
        "Error: We do not know the language Qwertyish. Write its name in English, "
        "for example Lingala."
    )
    assert page.by_id("other_languages")["value"] == "Oromo, Qwertyish"
    assert '<details class="more" open>' in answer.text  # the box is in "Tell us more"
    assert 'href="#other_languages"' in answer.text  # and in the summary
