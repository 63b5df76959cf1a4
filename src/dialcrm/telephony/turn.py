"""Short-lived TURN credentials for the agents' softphones.

coturn's shared-secret mode (`use-auth-secret`, the "TURN REST API" convention) needs no user
list: dialcrm signs a username that carries its own expiry, and coturn checks the signature with
the same secret and refuses a username whose expiry has passed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def turn_credentials(staff_id: int, secret: str, ttl_s: int, now: float) -> tuple[str, str]:
    """(username, password) valid until `now + ttl_s`: username `<expiry>:<staff id>`, password
    base64(HMAC-SHA1(secret, username))."""
    if not secret:
        raise ValueError("the TURN secret is empty: set TURN_SECRET")
    expiry = int(now) + ttl_s
    username = f"{expiry}:{staff_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")
