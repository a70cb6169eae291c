"""The bodies of the services' internal APIs, defined once: the owning service validates each
request with them, and the gateway's OpenAPI document describes the same schemas, so the two
cannot drift apart."""
