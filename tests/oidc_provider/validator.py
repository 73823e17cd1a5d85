"""Claims as Keycloak / Entra ID send them: names, e-mail, ``groups`` and ``amr`` (RFC 8176)."""

from oauth2_provider.oauth2_validators import OAuth2Validator

MFA_GROUP = "provider-mfa"  # members signed in "with a second factor" at the provider


class ClaimsValidator(OAuth2Validator):
    oidc_claim_scope = None  # every claim in the ID token and in userinfo, whatever the scopes

    def get_additional_claims(self, request):
        user = request.user
        groups = sorted(g.name for g in user.groups.all())
        return {
            "preferred_username": user.username,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "email": user.email,
            "groups": [g for g in groups if g != MFA_GROUP],
            "amr": ["pwd", "otp"] if MFA_GROUP in groups else ["pwd"],
        }
