"""OpenID Connect: the authorization code flow with state, nonce and PKCE (S256), the
ID token checked through Authlib (issuer, audience, expiry, nonce, signature from the
provider's JWKS)."""

from __future__ import annotations

from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from requests import RequestException

from app.core import clock
from app.core.sealing import unseal
from app.people.sso.identity import Identity, ProviderError, get_json, timeout
from app.people.sso.models import SignInProvider
from app.people.sso.providers import OIDC

# Signatures made with a private key only: never "none", never a shared secret.
ASYMMETRIC = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
# Clocks of two servers differ a little.
LEEWAY_SECONDS = 60


def discover(issuer: str) -> dict:
    """The provider's discovery document; its ``issuer`` must be the one configured."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    metadata = get_json(OIDC, url)
    if metadata.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
        raise ProviderError(OIDC, "the discovery document names another issuer")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not metadata.get(key):
            raise ProviderError(OIDC, f"the discovery document has no {key}")
    return metadata


def _session(provider: SignInProvider, redirect_uri: str) -> OAuth2Session:
    session = OAuth2Session(
        client_id=provider.client_id,
        client_secret=unseal(provider.client_secret),
        scope=provider.scopes or "openid",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    session.timeout = timeout()
    return session


def begin(provider: SignInProvider, redirect_uri: str) -> tuple[str, dict]:
    """The address of the provider's sign-in page, and what the callback must check."""
    metadata = discover(provider.issuer)
    verifier = generate_token(64)
    nonce = generate_token(32)
    with _session(provider, redirect_uri) as session:
        url, state = session.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
    return url, {"state": state, "nonce": nonce, "verifier": verifier}


def finish(provider: SignInProvider, pending: dict, code: str) -> Identity:
    """Trade the code for tokens, check the ID token and read who signed in.

    :raise ProviderError: the provider refused the code, or the ID token is not good.
    """
    metadata = discover(provider.issuer)
    with _session(provider, pending["redirect_uri"]) as session:
        try:
            token = session.fetch_token(
                metadata["token_endpoint"], code=code, code_verifier=pending["verifier"]
            )
        except (AuthlibBaseError, RequestException, ValueError) as error:
            raise ProviderError(OIDC, f"token endpoint: {error}") from error
    if not token.get("id_token"):
        raise ProviderError(OIDC, "no ID token in the token response")
    claims = check_id_token(provider, metadata, token, pending["nonce"])
    email = claims.get("email") or ""
    mobile = claims.get("phone_number") or ""
    if (not email or not mobile) and metadata.get("userinfo_endpoint"):
        info = _userinfo(metadata["userinfo_endpoint"], token["access_token"], claims["sub"])
        if not email and info.get("email"):
            claims["email"], claims["email_verified"] = info["email"], info.get("email_verified")
        if not mobile and info.get("phone_number"):
            claims["phone_number"] = info["phone_number"]
            claims["phone_number_verified"] = info.get("phone_number_verified")
    return Identity(
        kind=OIDC,
        subject=str(claims["sub"]),
        email=(claims.get("email") or "").strip().lower(),
        email_verified=claims.get("email_verified") is True,
        mobile=(claims.get("phone_number") or "")
        if claims.get("phone_number_verified") is True
        else "",
    )


def check_id_token(provider: SignInProvider, metadata: dict, token: dict, nonce: str) -> dict:
    """The ID token's claims once its signature (a key of the provider's JWKS), issuer,
    audience, expiry, nonce and access-token hash are right; :raise ProviderError: else."""
    keys = get_json(OIDC, metadata["jwks_uri"])
    offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [alg for alg in offered if alg in ASYMMETRIC]
    try:
        decoded = jwt.decode(
            token["id_token"],
            key=KeySet.import_key_set(keys),
            registry=JWSRegistry(algorithms=algorithms),
        )
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "value": metadata["issuer"]},
                "aud": {"essential": True, "value": provider.client_id},
                "sub": {"essential": True},
            },
            {
                "nonce": nonce,
                "client_id": provider.client_id,
                "access_token": token.get("access_token"),
            },
        )
        claims.validate(now=int(clock.now().timestamp()), leeway=LEEWAY_SECONDS)
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise ProviderError(OIDC, f"ID token refused: {error!r}") from error
    return dict(claims)


def _userinfo(url: str, access_token: str, subject: str) -> dict:
    info = get_json(OIDC, url, headers={"Authorization": f"Bearer {access_token}"})
    # The userinfo of another person than the ID token's is not believed.
    return info if str(info.get("sub")) == subject else {}
