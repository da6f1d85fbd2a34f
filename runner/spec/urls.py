"""Whether a `replyUrl` is one the API can call back: http(s), a real host name, a valid port.

The schema checks the scheme and that there are no spaces; what a pattern cannot (a host name
of valid labels or an IP address, a port within 1-65535) is checked here.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def url_problem(url: str) -> str | None:
    """Why `url` is not a valid http(s) URL, or None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "its port is not a number from 1 to 65535"
    if parts.scheme not in ("http", "https"):
        return None  # the schema reports the scheme
    host = parts.hostname or ""
    if not host:
        return "it has no host name; write it as https://host/path"
    if port == 0:
        return "its port is 0; use a number from 1 to 65535"
    if not _host_ok(host):
        return f"{host!r} is not a valid host name"
    return None


def _host_ok(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return True
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.rstrip(".").split(".")
    return len(ascii_host) <= 253 and all(_LABEL.match(label) for label in labels)
