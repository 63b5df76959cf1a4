"""The client's address and the network allow-list of the seed ("access only from locations
authorised by the administrator")."""

from __future__ import annotations

import ipaddress
import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from dialcrm.core.models import NetworkRule

logger = logging.getLogger(__name__)
_RULES_CACHE_KEY = "network-rules:v1"
_RULES_CACHE_S = 30

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(request: HttpRequest) -> str:
    """The address the request came from.

    The proxy header is read only when `CLIENT_IP_HEADER` names it, and then only the entry added
    by our own proxies (counted from the right), so a forged header from a client is ignored.
    """
    header = settings.CLIENT_IP_HEADER
    if header:
        meta_key = "HTTP_" + header.upper().replace("-", "_")
        hops = [hop.strip() for hop in request.META.get(meta_key, "").split(",") if hop.strip()]
        if len(hops) >= settings.TRUSTED_PROXY_COUNT:
            candidate = hops[-settings.TRUSTED_PROXY_COUNT]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                logger.warning("ignoring malformed %s entry %r", header, candidate)
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"


def _active_rules() -> list[tuple[int | None, str]]:
    rules = cache.get(_RULES_CACHE_KEY)
    if rules is None:
        rules = list(
            NetworkRule.objects.filter(is_active=True).values_list("location_id", "network")
        )
        cache.set(_RULES_CACHE_KEY, rules, _RULES_CACHE_S)
    return rules


def forget_rules() -> None:
    """Called when rules change, so every process sees them at once."""
    cache.delete(_RULES_CACHE_KEY)


def _inside(address: str, networks: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for network in networks:
        parsed: IPNetwork = ipaddress.ip_network(network, strict=False)
        if ip.version == parsed.version and ip in parsed:
            return True
    return False


def installation_allows(address: str) -> bool:
    """With no installation-wide rule, every network may reach the sign-in page."""
    networks = [network for location_id, network in _active_rules() if location_id is None]
    return not networks or _inside(address, networks)


def location_allows(location_id: int | None, address: str) -> bool:
    """Staff of a location with rules may work only from that location's networks."""
    if location_id is None:
        return True
    networks = [
        network for rule_location, network in _active_rules() if rule_location == location_id
    ]
    return not networks or _inside(address, networks)
