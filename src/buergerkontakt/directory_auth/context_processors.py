from . import oidc


def directory_sign_in(request) -> dict:
    """Whether the sign-in page offers "Mit Dienstkonto anmelden" (OpenID Connect)."""
    return {"oidc_sign_in": oidc.enabled()}
