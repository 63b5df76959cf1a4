"""Where a webhook may be sent: http(s) addresses only, and never to the installation's own
networks (loopback, private, link-local such as the cloud metadata service 169.254.169.254,
shared, multicast, reserved) unless `WEBHOOK_ALLOWED_NETWORKS` lets that network in, for an
on-premise receiver. Names are resolved and checked when each delivery is sent, and the address
actually connected to is checked again, so a name re-pointed later cannot reach inside either."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL_LENGTH = 500


class RefusedTarget(Exception):
    """The receiver's address is inside the installation's networks (not allowed)."""


@cache
def _allowed_networks(networks: tuple[str, ...]) -> tuple[ipaddress._BaseNetwork, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in networks)


def is_internal(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def refusal(address: Address) -> str | None:
    """Why this address may not receive webhooks, or None if it may."""
    if not is_internal(address):
        return None
    allowed = _allowed_networks(tuple(settings.WEBHOOK_ALLOWED_NETWORKS))
    if any(address in network for network in allowed):
        return None
    return _(
        "%(address)s is an internal address (loopback, private, link-local or cloud "
        "metadata); webhooks are not sent there unless the installation allows that network "
        "in WEBHOOK_ALLOWED_NETWORKS."
    ) % {"address": address}


def validate_url(url: str) -> None:
    """Refuse what can never be a receiver: another scheme, no host, credentials in the
    address, or an internal address written as a number."""
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError(
            _("The address is longer than %(limit)d characters.") % {"limit": MAX_URL_LENGTH}
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationError(_("This is not a valid web address.")) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError(
            _("Only http:// and https:// addresses can receive webhooks (not '%(scheme)s').")
            % {"scheme": parts.scheme or url[:20]}
        )
    if not parts.hostname:
        raise ValidationError(_("The address has no host name: write https://host/path."))
    if parts.username or parts.password:
        raise ValidationError(
            _(
                "Do not put a user name or password in the address: receivers check the "
                "signature instead."
            )
        )
    if port == 0:
        raise ValidationError(_("Port 0 cannot receive webhooks."))
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        if parts.hostname.lower() == "localhost" or parts.hostname.lower().endswith(".localhost"):
            literal = ipaddress.ip_address("127.0.0.1")
        else:
            return
    reason = refusal(literal)
    if reason:
        raise ValidationError(reason)


def _checked_peer(sock: socket.socket) -> None:
    address = ipaddress.ip_address(sock.getpeername()[0])
    reason = refusal(address)
    if reason:
        sock.close()
        raise RefusedTarget(reason)


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _checked_peer(self.sock)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        # The TCP connection is checked before TLS starts, then wrapped as usual.
        http.client.HTTPConnection.connect(self)
        _checked_peer(self.sock)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)  # type: ignore[attr-defined]


def connection(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    """A connection to the receiver that refuses internal peers, and the path to post to."""
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname or ""
    if parts.scheme.lower() == "https":
        context = ssl.create_default_context()
        return _GuardedHTTPSConnection(host, parts.port, timeout=timeout, context=context), path
    return _GuardedHTTPConnection(host, parts.port, timeout=timeout), path
