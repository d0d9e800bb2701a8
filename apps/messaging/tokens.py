"""Signed check-in tokens: ``signing.dumps({"c": checkin_id, "n": nonce})``.

The signature makes the token tamper-evident; the nonce (random, stored on the row) means that
knowing an id is not enough; expiry and single use are enforced by the database row, not the
token, so an admin can revoke a link by expiring its row.
"""

from dataclasses import dataclass

from django.core import signing

SALT = "careteam.checkin"


class InvalidToken(Exception):
    """The token was not issued by us, was altered, or is malformed."""


@dataclass(frozen=True)
class TokenData:
    checkin_id: int
    nonce: str


def make_checkin_token(*, checkin_id: int, nonce: str) -> str:
    return signing.dumps({"c": checkin_id, "n": nonce}, salt=SALT)


def read_checkin_token(token: str) -> TokenData:
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature as exc:
        raise InvalidToken("bad signature") from exc
    if not isinstance(data, dict):
        raise InvalidToken("unexpected payload")
    checkin_id, nonce = data.get("c"), data.get("n")
    if isinstance(checkin_id, bool) or not isinstance(checkin_id, int):
        raise InvalidToken("unexpected payload")
    if not isinstance(nonce, str) or not nonce:
        raise InvalidToken("unexpected payload")
    return TokenData(checkin_id=checkin_id, nonce=nonce)
