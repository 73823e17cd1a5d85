"""Settings of the directory sign-in, read from the environment (see docs/configuration.md).

Imported by ``settings.py`` before Django is set up: nothing here may touch models. LDAP is on when
``LDAP_SERVER_URI`` is set, OpenID Connect when ``OIDC_DISCOVERY_URL`` and ``OIDC_CLIENT_ID`` are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

LDAP_BACKEND = "buergerkontakt.directory_auth.ldap_backend.DirectoryLDAPBackend"
LOCAL_SWITCH = "buergerkontakt.directory_auth.backends.LocalLoginSwitch"
LOCAL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _getter(source: Mapping[str, str]) -> Callable[[str, str], str]:
    return lambda name, default="": (source.get(name) or default).strip()


def _bool(value: str) -> bool:
    return value.lower() in {"1", "true", "yes", "on", "ja"}


def ldap_settings(source: Mapping[str, str]) -> dict:
    """The ``AUTH_LDAP_*`` settings of django-auth-ldap for the LDAP_* variables in ``source``."""
    get = _getter(source)
    uri = get("LDAP_SERVER_URI")
    if not uri:
        return {}
    import ldap
    from django_auth_ldap.config import (
        GroupOfNamesType,
        LDAPSearch,
        NestedGroupOfNamesType,
    )

    timeout = float(get("LDAP_TIMEOUT_SECONDS", "5"))
    options: dict = {ldap.OPT_REFERRALS: 0, ldap.OPT_NETWORK_TIMEOUT: timeout, ldap.OPT_TIMEOUT: timeout}
    if ca_file := get("LDAP_CA_CERT_FILE"):
        options[ldap.OPT_X_TLS_CACERTFILE] = ca_file
    if uri.startswith("ldaps://") or _bool(get("LDAP_START_TLS")):
        options[ldap.OPT_X_TLS_REQUIRE_CERT] = ldap.OPT_X_TLS_DEMAND
        options[ldap.OPT_X_TLS_NEWCTX] = 0  # last: builds the TLS context from the options above
    group_filter = get("LDAP_GROUP_FILTER", "(objectClass=groupOfNames)")
    # Both types read the groups' "member" attribute, as AD and OpenLDAP's groupOfNames do; the nested
    # one follows groups within groups (AD's nested security groups).
    group_type = (GroupOfNamesType() if get("LDAP_NESTED_GROUPS", "true").lower() in {"0", "false", "no"}
                  else NestedGroupOfNamesType())
    return {
        "AUTH_LDAP_SERVER_URI": uri,
        "AUTH_LDAP_BIND_DN": get("LDAP_BIND_DN"),
        "AUTH_LDAP_BIND_PASSWORD": get("LDAP_BIND_PASSWORD"),
        "AUTH_LDAP_START_TLS": _bool(get("LDAP_START_TLS")),
        "AUTH_LDAP_CONNECTION_OPTIONS": options,
        "AUTH_LDAP_USER_SEARCH": LDAPSearch(get("LDAP_USER_BASE"), ldap.SCOPE_SUBTREE,
                                            get("LDAP_USER_FILTER", "(sAMAccountName=%(user)s)")),
        "AUTH_LDAP_GROUP_SEARCH": LDAPSearch(get("LDAP_GROUP_BASE", get("LDAP_USER_BASE")),
                                             ldap.SCOPE_SUBTREE, group_filter),
        "AUTH_LDAP_GROUP_TYPE": group_type,
        "AUTH_LDAP_USER_ATTR_MAP": {
            "first_name": get("LDAP_ATTR_FIRST_NAME", "givenName"),
            "last_name": get("LDAP_ATTR_LAST_NAME", "sn"),
            "email": get("LDAP_ATTR_EMAIL", "mail"),
            "phone": get("LDAP_ATTR_PHONE", "telephoneNumber"),
        },
        "AUTH_LDAP_DEPARTMENT_ATTR": get("LDAP_ATTR_DEPARTMENT", "department"),
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,
        "AUTH_LDAP_MIRROR_GROUPS": False,
        "AUTH_LDAP_CACHE_TIMEOUT": 0,  # group changes count at the next sign-in
    }


def authentication_backends(source: Mapping[str, str]) -> list[str]:
    """django-axes first (lockout), object permissions, the directory, local passwords last."""
    backends = ["axes.backends.AxesStandaloneBackend", "rules.permissions.ObjectPermissionBackend"]
    if _getter(source)("LDAP_SERVER_URI"):
        backends.append(LDAP_BACKEND)
    backends += [LOCAL_SWITCH, LOCAL_BACKEND]
    return backends


# RFC 8176 authentication methods that mean "more than a password", and AD FS's multi-factor URI.
DEFAULT_MFA_AMR = "mfa,otp,hwk,swk,sms,tel,fpt,face,iris,pop,http://schemas.microsoft.com/claims/multipleauthn"


def oidc_settings(source: Mapping[str, str]) -> dict:
    """The ``OIDC_*`` settings, always defined; OIDC sign-in is on when discovery URL and client id are."""
    get = _getter(source)

    def listed(name: str, default: str = "") -> list[str]:
        return [item.strip() for item in get(name, default).split(",") if item.strip()]

    return {
        "OIDC_DISCOVERY_URL": get("OIDC_DISCOVERY_URL"),
        "OIDC_CLIENT_ID": get("OIDC_CLIENT_ID"),
        "OIDC_CLIENT_SECRET": get("OIDC_CLIENT_SECRET"),
        "OIDC_SCOPES": get("OIDC_SCOPES", "openid email profile"),
        "OIDC_USERNAME_CLAIM": get("OIDC_USERNAME_CLAIM", "preferred_username"),
        "OIDC_GROUPS_CLAIM": get("OIDC_GROUPS_CLAIM", "groups"),
        "OIDC_MFA_AMR": listed("OIDC_MFA_AMR", DEFAULT_MFA_AMR),
        "OIDC_MFA_ACR": listed("OIDC_MFA_ACR"),
        "OIDC_TIMEOUT_SECONDS": float(get("OIDC_TIMEOUT_SECONDS", "10")),
    }
