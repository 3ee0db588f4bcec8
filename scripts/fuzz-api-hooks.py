"""Test data for scripts/fuzz-api that a static OpenAPI document cannot describe.

The document gives every field's type, length and format, so most generated requests are
valid as they come. A few rules depend on the reseller's data or on today's date: which
product types and PBX templates the reseller has, that names and emails are unique, that a
trial or a termination date lies in the future, that a cursor is one the API handed out. For
positively generated requests only (negative ones stay as generated), this hook replace such
values with real ones, so valid requests reach the business logic and the
`positive_data_acceptance` check can hold the API to "a valid request is accepted".

The fuzz script passes the real values in environment variables.
"""

import copy
import datetime
import itertools
import json
import os
import urllib.request
import uuid

import schemathesis

PRODUCT_TYPES = os.environ["FUZZ_PRODUCT_TYPES"].split(",")
TEMPLATE_ID = int(os.environ["FUZZ_TEMPLATE_ID"])
CURSORS = {
    "/api/v1/customers": os.environ["FUZZ_CUSTOMERS_CURSOR"],
    "/api/v1/customers/{id}/users": os.environ["FUZZ_USERS_CURSOR"],
    "/api/v1/activity": os.environ["FUZZ_ACTIVITY_CURSOR"],
    "/api/v1/webhooks/{webhookId}/deliveries": os.environ["FUZZ_DELIVERIES_CURSOR"],
}
EVENTS_CURSOR = os.environ["FUZZ_EVENTS_CURSOR"]
WEBHOOK = os.environ["FUZZ_WEBHOOK"]  # the endpoint the other webhook operations work on
# Event types a filter or a subscription may name (a few; the document lists none).
EVENT_TYPES = ["customer.created", "customer.updated", "customer_user.added", "pbx.sync_failed", "billing.run"]
BASE = os.environ["FUZZ_BASE_URL"]
TOKEN = os.environ["FUZZ_TOKEN"]
TENANT = os.environ["FUZZ_TENANT"]
KEPT_USER = os.environ["FUZZ_USER"]  # the user the other user operations work on
_unique = itertools.count(1)


def _future(day):
    """`day` if it lies within the next 50 days, else a day in them (a trial ends at most 60
    days after today; a termination may be later, but need not be)."""
    today = datetime.date.today()
    try:
        parsed = datetime.date.fromisoformat(day)
        if today < parsed <= today + datetime.timedelta(days=50):
            return day
    except (TypeError, ValueError):
        pass
    return (today + datetime.timedelta(days=1 + next(_unique) % 50)).isoformat()


def _unique_name(name, limit):
    """`name` made unique in this run, within `limit` characters."""
    suffix = f" {next(_unique)}"
    return (name if isinstance(name, str) else "")[: limit - len(suffix)] + suffix


def _unique_email(email):
    local, _, domain = email.partition("@") if isinstance(email, str) else ("", "", "")
    return f"{local[:40]}+{next(_unique)}@{domain or 'fuzz.example'}"


def _positive(case, location):
    """Whether `case`'s `location` ("body", "query") was generated valid."""
    if case.meta is None:
        return True
    component = next((info for where, info in case.meta.components.items() if where.value == location), None)
    mode = component.mode if component is not None else case.meta.generation.mode
    return mode.name == "POSITIVE"


@schemathesis.hook
def before_call(context, case, kwargs):
    # Just before each request (also when one is sent again), so fresh values stay fresh.
    method, path = case.method.upper(), case.path
    if isinstance(case.body, dict) and _positive(case, "body"):
        case.body = copy.deepcopy(case.body)  # generated values can be shared between cases
        _real_body(method, path, case.body)
    headers = case.headers or {}
    key = next((name for name in headers if name.lower() == "idempotency-key"), None)
    if key is not None and _positive(case, "header"):
        # The body changed, so the key must be new too (a key names one request).
        case.headers = {**headers, key: uuid.uuid4().hex}
    if method == "GET" and path in CURSORS and isinstance(case.query, dict) and "cursor" in case.query and _positive(case, "query"):
        # A cursor is opaque: only one the API handed out is valid, and never beside pageIndex.
        case.query = {**case.query, "cursor": CURSORS[path]}
        case.query.pop("pageIndex", None)
    if method == "GET" and path in ("/api/v1/events", "/api/v1/activity") and isinstance(case.query, dict) and _positive(case, "query"):
        case.query = _real_event_query(case.query)
    if _positive(case, "path") and isinstance(case.path_parameters, dict):
        # Deleting is done once per record: each delete gets a record of its own.
        if (method, path) == ("DELETE", "/api/v1/customers/{id}/users/{userId}"):
            case.path_parameters = {**case.path_parameters, "userId": _new_user()}
        elif (method, path) == ("DELETE", "/api/v1/customers/{id}/removed-pbx-users/{pbxUserId}"):
            case.path_parameters = {**case.path_parameters, "pbxUserId": _removed_pbx_user()}
        elif (method, path) == ("DELETE", "/api/v1/webhooks/{webhookId}"):
            case.path_parameters = {**case.path_parameters, "webhookId": _new_webhook()}


def _real_event_query(query):
    """An event feed or log query with real types, a real cursor and days in order."""
    query = dict(query)
    if "types" in query:
        query["types"] = ",".join(EVENT_TYPES[: 1 + next(_unique) % len(EVENT_TYPES)])
    if "after" in query:
        query["after"] = EVENTS_CURSOR
    if query.get("from") and query.get("to") and str(query["from"]) > str(query["to"]):
        query["from"], query["to"] = query["to"], query["from"]
    return query


def _new_webhook():
    """An endpoint made just now (after making room: a reseller has at most 20)."""
    for endpoint in _api("GET", "/api/v1/webhooks"):
        if str(endpoint["id"]) != WEBHOOK and endpoint["url"].startswith("https://fuzz-"):
            _api("DELETE", f"/api/v1/webhooks/{endpoint['id']}")
    made = _api("POST", "/api/v1/webhooks", {"url": f"https://fuzz-{next(_unique)}.hooks.example/x"})
    return str(made["endpoint"]["id"])


def _real_webhook_body(body):
    """A webhook body with a URL the rules allow and event types that exist."""
    if "url" in body:
        body["url"] = f"https://fuzz-{next(_unique)}.hooks.example/x"
    if isinstance(body.get("eventTypes"), list):
        body["eventTypes"] = EVENT_TYPES[: len(body["eventTypes"]) % (len(EVENT_TYPES) + 1)]


def _api(method, path, body=None):
    request = urllib.request.Request(
        BASE + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read()
        return json.loads(text)["data"] if text else None


def _new_user():
    """A user added to the customer just now (with no roles: no invitation)."""
    user = _api("POST", f"/api/v1/customers/{TENANT}/users", {"displayName": "To be removed", "email": f"remove-{uuid.uuid4().hex[:12]}@fuzz.example"})
    return str(user["id"])


def _removed_pbx_user():
    """The PBX id of a user of the customer's PBX, removed just now."""
    users = _api("GET", f"/api/v1/customers/{TENANT}/users?pageSize=1000")["items"]
    victim = next((u for u in users if u["fromPbx"] and str(u["id"]) != KEPT_USER), None)
    if victim is None:  # every one removed already: an unknown id, answered 404
        return "no-such-pbx-user"
    _api("DELETE", f"/api/v1/customers/{TENANT}/users/{victim['id']}")
    removed = _api("GET", f"/api/v1/customers/{TENANT}/removed-pbx-users")
    return removed[0]["pbxUserId"]


def _valid_roles(roles, primary=False):
    """`roles` made a combination the licence rules allow (the document says them in words)."""
    if not isinstance(roles, dict):
        return
    if roles.get("supervisor") in ("live_analytics", "contact_centre"):
        roles["realTime"] = True
    if roles.get("realTime") or roles.get("agent"):
        roles["essential"] = True
    if primary:
        roles["userAdministrator"] = True


def _real_body(method, path, body):
    if (method, path) == ("POST", "/api/v1/customers"):
        body["productType"] = PRODUCT_TYPES[next(_unique) % len(PRODUCT_TYPES)]
        # The reseller's in-house allowance (2 in the demo) is used up after two.
        body["inHouse"] = False
        if isinstance(body.get("name"), str):
            body["name"] = _unique_name(body["name"], 100)
        if body.get("trialExpiresOn") is not None:
            body["trialExpiresOn"] = _future(body["trialExpiresOn"])
        connection = body.get("connection")
        if isinstance(connection, dict):
            connection["templateId"] = TEMPLATE_ID
        else:
            connection = body["connection"] = {}
        # The template is a Kazoo one: its connection names the Kazoo account.
        if not str(connection.get("accountId", "")).strip():
            connection["accountId"] = uuid.uuid4().hex
        _valid_roles(body.get("roles"), primary=True)
        user = body.get("primaryUser")
        if isinstance(user, dict) and isinstance(user.get("email"), str):
            user["email"] = _unique_email(user["email"])
    elif (method, path) == ("PATCH", "/api/v1/customers/{id}"):
        if "productType" in body:
            body["productType"] = os.environ["FUZZ_CUSTOMER_PRODUCT_TYPE"]
        if "inHouse" in body:
            body["inHouse"] = False
        if isinstance(body.get("name"), str):
            body["name"] = _unique_name(body["name"], 100)
        if body.get("terminateOn") is not None:
            body["terminateOn"] = _future(body["terminateOn"])
    elif (method, path) == ("PATCH", "/api/v1/customers/{id}/pbxs/{pbxId}"):
        if "templateId" in body:
            body["templateId"] = TEMPLATE_ID
    elif (method, path) == ("POST", "/api/v1/customers/{id}/users"):
        if isinstance(body.get("email"), str):
            body["email"] = _unique_email(body["email"])
        _valid_roles(body.get("roles"))
    elif (method, path) == ("PATCH", "/api/v1/customers/{id}/users/{userId}"):
        _valid_roles(body.get("roles"))
    elif (method, path) == ("POST", "/api/v1/webhooks"):
        # Room first: a reseller has at most 20 endpoints.
        for endpoint in _api("GET", "/api/v1/webhooks"):
            if str(endpoint["id"]) != WEBHOOK:
                _api("DELETE", f"/api/v1/webhooks/{endpoint['id']}")
        _real_webhook_body(body)
    elif (method, path) == ("PATCH", "/api/v1/webhooks/{webhookId}"):
        _real_webhook_body(body)


# FUZZ_HOOK_LOG=<file>: one line per request (phase, mode, operation, status, body, answer), to
# see what an operation's requests met.
if os.environ.get("FUZZ_HOOK_LOG"):
    @schemathesis.hook
    def after_call(context, case, response):
        with open(os.environ["FUZZ_HOOK_LOG"], "a") as log:
            log.write(f"{case.meta.phase.name if case.meta else '-'} {case.meta.generation.mode.name if case.meta else '-'} {case.method} {case.path} {response.status_code} {case.body!r:.200} {response.text[:200]}\n")
