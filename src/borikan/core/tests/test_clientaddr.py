"""The client's address behind trusted proxies (issue 11: behind a load balancer every citizen shared one rate
limit bucket; a client-sent X-Forwarded-For must never be believed)."""

from django.test import RequestFactory

from borikan.core.clientaddr import client_address

rf = RequestFactory()


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return rf.get("/", **extra)


def test_without_trusted_proxies_a_client_sent_header_is_ignored(settings):
    settings.BORIKAN_TRUSTED_PROXIES = 0
    assert client_address(_request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


def test_behind_one_proxy_the_last_hop_is_the_client_not_the_first(settings):
    settings.BORIKAN_TRUSTED_PROXIES = 1
    # The client wrote "1.2.3.4"; the load balancer appended the address it saw.
    assert client_address(_request("10.0.0.2", "1.2.3.4, 198.51.100.20")) == "198.51.100.20"
    assert client_address(_request("10.0.0.2", "198.51.100.21")) == "198.51.100.21"


def test_behind_two_proxies(settings):
    settings.BORIKAN_TRUSTED_PROXIES = 2
    assert client_address(_request("10.0.0.2", "6.6.6.6, 198.51.100.30, 10.0.0.1")) == "198.51.100.30"


def test_garbage_or_a_short_header_falls_back_to_the_connection(settings):
    settings.BORIKAN_TRUSTED_PROXIES = 1
    assert client_address(_request("10.0.0.2", "not-an-address")) == "10.0.0.2"
    assert client_address(_request("10.0.0.2", "")) == "10.0.0.2"
    assert client_address(_request("10.0.0.2", "\x00, 2001:db8::1")) == "2001:db8::1"
    settings.BORIKAN_TRUSTED_PROXIES = 3
    assert client_address(_request("10.0.0.2", "198.51.100.1")) == "10.0.0.2"
    assert client_address(None) == "unknown"
