"""Where a request comes from: the network the portal counts lockouts, throttles and SMS caps by."""

from eportal.web.actor import client_network


def test_ipv6_clients_are_counted_per_64(rf):
    one = rf.get("/", REMOTE_ADDR="2001:db8:1:2::1")
    other = rf.get("/", REMOTE_ADDR="2001:db8:1:2:ffff::9")
    assert client_network(one) == client_network(other) == "2001:db8:1:2::"
    assert client_network(rf.get("/", REMOTE_ADDR="192.0.2.4")) == "192.0.2.4"
