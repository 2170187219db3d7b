"""The ways in by single sign-on: their names, what they need, how their apps are known."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.people.forms import WAY_IN_LABELS as ACCOUNT_WAY_IN_LABELS

OIDC = "oidc"
WECOM = "wecom"
DINGTALK = "dingtalk"
FEISHU = "feishu"
KINDS = (OIDC, WECOM, DINGTALK, FEISHU)
# An account's way in (``User.way_in``): its password here, or one of the above. The
# directory's ('ldap') is set by the directory's own sign-in.
LOCAL = "local"

LABELS = {
    OIDC: _l("The bank's identity provider (OpenID Connect)"),
    WECOM: _l("WeCom"),
    DINGTALK: _l("DingTalk"),
    FEISHU: _l("Feishu"),
}
# The short name on the login page's button.
BUTTONS = {
    OIDC: _l("Unified identity"),
    WECOM: _l("WeCom"),
    DINGTALK: _l("DingTalk"),
    FEISHU: _l("Feishu"),
}
# How the administrator's pages name each way in: one table, the account pages'.
WAY_IN_LABELS = ACCOUNT_WAY_IN_LABELS
# What the platform's own id of a person is kept in.
USER_ID_COLUMN = {
    OIDC: "oidc_subject",
    WECOM: "wecom_userid",
    DINGTALK: "dingtalk_userid",
    FEISHU: "feishu_user_id",
}
# The marks of each app's in-app browser in its User-Agent: there the sign-in is silent.
IN_APP_MARKS = {
    WECOM: ("wxwork",),
    DINGTALK: ("dingtalk",),
    FEISHU: ("lark", "feishu"),
}


def in_app(kind: str, user_agent: str) -> bool:
    agent = (user_agent or "").lower()
    return any(mark in agent for mark in IN_APP_MARKS.get(kind, ()))


def normal_mobile(value: str) -> str:
    """A mainland mobile number as its 11 digits (``+86 138-0000-0000`` → ``13800000000``);
    any other number as its digits with the country code."""
    digits = "".join(ch for ch in value or "" if ch.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        return digits[2:]
    return digits
