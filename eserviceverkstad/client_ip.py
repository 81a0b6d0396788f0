"""The client's address, for throttling logins and forms."""

from django.conf import settings


def client_ip(request):
    """REMOTE_ADDR, or with TRUSTED_PROXY_COUNT proxies in front (the TLS
    proxy), the address the outermost trusted proxy saw. Only trusted hops
    are read: a client can put anything in X-Forwarded-For itself."""
    hops = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops and forwarded:
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(addresses) >= hops:
            return addresses[-hops]
    return request.META.get("REMOTE_ADDR")
